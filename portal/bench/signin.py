"""What a sign-in's password check costs in CPU, with the hasher of before (PBKDF2, Django's
million rounds) and the portal's (Argon2id at OWASP's minimum, portal/hashers.py).

Measured in a process of its own with the portal's production settings (the hasher reads its
Argon2id numbers from settings.py), one check after another: the check is a sign-in's CPU bill
(the rest of a sign-in, one SmartISP call and a few queries, is the same either way), and a
sign-in per second per core is the figure that sizes the web tier (docs/deployment.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PASSWORD = "bench-password-1234"  # not a real one: the bench's own accounts use it too
CHECKS = 10


def _cpu_ms_per_check(hasher, checks: int) -> float:
    encoded = hasher.encode(PASSWORD, hasher.salt())
    hasher.verify(PASSWORD, encoded)  # the library loaded, the first call's set-up paid
    started = time.process_time()
    for _ in range(checks):
        if not hasher.verify(PASSWORD, encoded):
            raise RuntimeError(f"{hasher.algorithm} did not verify its own hash")
    return (time.process_time() - started) * 1000 / checks


def signin_cpu(env: dict[str, str], checks: int = CHECKS) -> dict:
    """CPU milliseconds per password check, before (PBKDF2) and after (Argon2id), measured by
    `python -m portal.bench.signin` with the deployment's environment `env`."""
    answer = subprocess.run(  # noqa: S603 (this interpreter, this module, a number)
        [sys.executable, "-m", "portal.bench.signin", str(checks)],
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(answer.stdout)


def _measured(checks: int) -> dict:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from portal.hashers import Argon2idHasher

    before = _cpu_ms_per_check(PBKDF2PasswordHasher(), checks)
    after = _cpu_ms_per_check(Argon2idHasher(), checks)
    return {
        "checks": checks,
        "pbkdf2_ms": round(before, 1),
        "pbkdf2_iterations": PBKDF2PasswordHasher.iterations,
        "argon2id_ms": round(after, 1),
        "argon2id": {
            "memory_kib": Argon2idHasher.memory_cost,
            "time_cost": Argon2idHasher.time_cost,
            "parallelism": Argon2idHasher.parallelism,
        },
        "times_cheaper": round(before / after, 1) if after else None,
    }


def markdown(result: dict) -> list[str]:
    a = result["argon2id"]
    return [
        "",
        "## Sign-in: CPU per password check",
        "",
        "| hasher | CPU per sign-in | sign-ins per second per core |",
        "|---|---|---|",
        f"| before: PBKDF2-SHA256, {result['pbkdf2_iterations']:,} rounds | "
        f"{result['pbkdf2_ms']} ms | {1000 / result['pbkdf2_ms']:.0f} |",
        f"| now: Argon2id, {a['memory_kib'] // 1024} MiB, {a['time_cost']} passes, "
        f"{a['parallelism']} lane | {result['argon2id_ms']} ms | "
        f"{1000 / result['argon2id_ms']:.0f} |",
        "",
        f"Argon2id is {result['times_cheaper']} times cheaper per sign-in here (process CPU time "
        f"of {result['checks']} checks each, in a process with the portal's settings). A PBKDF2 "
        "hash of before is re-made as Argon2id at its next sign-in.",
    ]


if __name__ == "__main__":  # python -m portal.bench.signin [checks], with the portal's settings
    print(json.dumps(_measured(int(sys.argv[1]) if len(sys.argv) > 1 else CHECKS), indent=2))
