"""Management commands of portal accounts."""
