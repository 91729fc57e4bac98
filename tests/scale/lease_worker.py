"""`manage.py db_worker` with the settlement claim's lease and the reconciler's grace shortened.

A killed worker's claim on a payment lasts PAYMENT_SETTLE_CLAIM_SECONDS (5 minutes) and the
reconciler waits PAYMENT_RECONCILE_GRACE_SECONDS (a minute) more before re-queueing it: right for
production, too long for a test that watches another worker take over. The test starts its
workers through this file with SCALE_LEASE_SECONDS and SCALE_OVERDUE_GRACE_SECONDS set.

    python tests/scale/lease_worker.py --worker-id w1 --interval 0.2 --reconcile-interval 1
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["PAYMENT_SETTLE_CLAIM_SECONDS"] = os.environ["SCALE_LEASE_SECONDS"]
    os.environ["PAYMENT_RECONCILE_GRACE_SECONDS"] = os.environ["SCALE_OVERDUE_GRACE_SECONDS"]
    import django

    django.setup()
    from django.conf import settings

    # Fail loudly if the settings stop reading these names: the test would wait in vain.
    assert int(os.environ["SCALE_LEASE_SECONDS"]) == settings.PAYMENT_SETTLE_CLAIM_SECONDS
    assert (
        int(os.environ["SCALE_OVERDUE_GRACE_SECONDS"]) == settings.PAYMENT_RECONCILE_GRACE_SECONDS
    )

    from django.core.management import execute_from_command_line

    execute_from_command_line([str(BASE_DIR / "manage.py"), "db_worker", *sys.argv[1:]])


if __name__ == "__main__":
    main()
