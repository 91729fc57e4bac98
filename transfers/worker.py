"""The staff digest's place in `manage.py db_worker`: queued every hour, sent once a day."""

import logging
import threading

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

DIGEST_INTERVAL = 3600.0


def digest_enqueue() -> bool:
    """Queue one digest run unless one is already waiting (the run itself sends once a day)."""
    from django_tasks_db.models import DBTaskResult

    from transfers import tasks

    waiting = DBTaskResult.objects.filter(
        status="READY", task_path=tasks.transfers_digest.module_path
    ).exists()
    if waiting:
        return False
    tasks.transfers_digest.enqueue()
    return True


def digest_ticker(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            digest_enqueue()
        except Exception:
            logger.exception("could not queue the transfers digest")
        finally:
            connection.close()
        stop.wait(interval)


def digest_thread_start(stop: threading.Event, interval: float = DIGEST_INTERVAL) -> None:
    threading.Thread(
        target=digest_ticker, args=(interval, stop), name="transfers-digest", daemon=True
    ).start()
