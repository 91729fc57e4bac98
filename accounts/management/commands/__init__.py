"""Management commands of portal accounts (`accounts_demo_user`)."""
