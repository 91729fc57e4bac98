"""Tests of portal accounts: sign-in, activation, reset, lockout, profile."""
