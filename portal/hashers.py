"""The password hasher: Argon2id with the parameters settings.py gives, and why there
(PASSWORD_ARGON2_MEMORY_KIB, PASSWORD_ARGON2_TIME_COST, PASSWORD_ARGON2_PARALLELISM: OWASP's
minimum, 19 MiB of memory, 2 passes, 1 lane).

Read when a password is hashed or checked, not at import, so a changed setting takes effect: a
hash made with other parameters is re-made with these at its next sign-in (`must_update`).
"""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class _Setting:
    """A class attribute that reads a setting each time, on the class as on an instance
    (`make bench` reports `Argon2idHasher.memory_cost`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type) -> int:
        return getattr(settings, self.name)


class Argon2idHasher(Argon2PasswordHasher):
    # Django's Argon2PasswordHasher is Argon2id already (argon2.low_level.Type.ID); the
    # algorithm name stays "argon2" so hashes read the same with Django's own class.
    time_cost = _Setting("PASSWORD_ARGON2_TIME_COST")
    memory_cost = _Setting("PASSWORD_ARGON2_MEMORY_KIB")  # KiB
    parallelism = _Setting("PASSWORD_ARGON2_PARALLELISM")
