"""The password hasher: Argon2id at the minimum OWASP's Password Storage Cheat Sheet recommends
(https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id):
19 MiB of memory, 2 passes, 1 lane.

Django's own Argon2 defaults (100 MiB, 8 lanes) would make each sign-in hold 100 MiB per
gunicorn thread; PBKDF2 with a million rounds costs about 210 ms of CPU per sign-in, the portal's
capacity limit. These parameters cost about 25 ms and, being memory-hard, resist GPU cracking
better than PBKDF2. A hash made with other parameters is re-made with these at its next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # Django's Argon2PasswordHasher is Argon2id already (argon2.low_level.Type.ID); the
    # algorithm name stays "argon2" so hashes read the same with Django's own class.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
