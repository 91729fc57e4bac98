"""`manage.py db_worker`: django-tasks-db's worker, which also queues the payments reconciler
every `--reconcile-interval` seconds (DESIGN.md section 4: one worker process does both).

This command shadows django_tasks_db's own because "billing" comes before "django_tasks_db" in
INSTALLED_APPS (Django uses the first app that has a command of that name).
"""

import logging
import os
import threading

from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

logger = logging.getLogger(__name__)

RECONCILE_INTERVAL = 60.0


def reconcile_enqueue() -> bool:
    """Queue one reconciler run unless one is already waiting to run."""
    from django_tasks_db.models import DBTaskResult

    from billing import tasks

    waiting = DBTaskResult.objects.filter(
        status="READY", task_path=tasks.payments_reconcile.module_path
    ).exists()
    if waiting:
        return False
    tasks.payments_reconcile.enqueue()
    return True


def reconcile_ticker(interval: float, stop: threading.Event) -> None:
    """Every `interval` seconds, queue the reconciler; the worker's own loop runs it."""
    while not stop.is_set():
        try:
            close_old_connections()
            reconcile_enqueue()
        except Exception:
            logger.exception("could not queue the payments reconciler")
        finally:
            connection.close()
        stop.wait(interval)


class Command(DBWorkerCommand):
    help = "Run the database task worker, and queue the payments reconciler periodically."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--reconcile-interval",
            type=float,
            default=RECONCILE_INTERVAL,
            help="Seconds between payments reconciler runs; 0 disables them (default: %(default)s)",
        )

    def handle(self, *args, reconcile_interval: float, **options) -> None:
        batch = options.get("batch")
        reload = options.get("reload") and not batch
        # Under the autoreloader only the child process (the one running tasks) queues runs;
        # a --batch run drains the queue and exits, so it queues none.
        in_child = os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if reconcile_interval > 0 and not batch and (not reload or in_child):
            stop = threading.Event()
            threading.Thread(
                target=reconcile_ticker,
                args=(reconcile_interval, stop),
                name="payments-reconciler",
                daemon=True,
            ).start()
            # The same worker queues the staff digest of waiting transfer reports (once a day).
            from transfers.worker import digest_thread_start

            digest_thread_start(stop)
        super().handle(*args, **options)
