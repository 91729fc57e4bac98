"""One-time link tokens for activation and password reset (valid PASSWORD_RESET_TIMEOUT seconds).

Django's generator hashes the password, last_login and email into the token, so a link stops
working once it has set a password and signed the subscriber in, or when their email changes.
A separate salt per purpose keeps an activation token from opening the reset page and back.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.ActivationTokenGenerator"


class ResetTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.ResetTokenGenerator"


activation_token = ActivationTokenGenerator()
reset_token = ResetTokenGenerator()
