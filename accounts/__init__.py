"""Portal accounts: the subscriber's sign-in by DNI, activation, password reset, profile."""
