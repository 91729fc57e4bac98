"""The reconciler: what webhooks and workers left behind, caught by asking again.

Webhooks get lost, workers get killed and the gateway or SmartISP go away for a while. Every run
(the task worker starts one each minute; `manage.py payments_reconcile` runs one by hand):

- re-queries checkouts left pending for over 2 minutes (and, for a day, checkouts the portal
  gave up on, since a subscriber can still pay them): succeeded is captured and settled, failed
  is failed, open for over an hour is cancelled;
- fails checkouts that never reached the gateway;
- re-queues settlements and refunds whose next attempt is overdue and nobody holds, and asks the
  gateway again to refund superseded captures it has not refunded yet (for 72 hours: then they
  go to a person);
- re-queues stored events that were never processed.

Everything it triggers is idempotent; running it twice at once does no harm.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from billing.gateways import GatewayError
from billing.ledger import UNDO_ASKED, S, payment_check, payment_move
from billing.models import GatewayEvent, Payment

logger = logging.getLogger(__name__)

PENDING_AFTER = timedelta(minutes=2)
ABANDONED_AFTER = timedelta(hours=1)
CANCELLED_WATCH = timedelta(hours=24)
CREATED_STALE = timedelta(minutes=10)
BATCH = 200


def payments_reconcile() -> dict[str, int]:
    from billing import tasks

    now = timezone.now()
    counts: Counter[str] = Counter()

    checkouts = Payment.objects.filter(
        Q(status=S.PENDING, created_at__lte=now - PENDING_AFTER)
        | Q(status=S.CANCELLED, session_id__isnull=False, created_at__gte=now - CANCELLED_WATCH)
    ).order_by("created_at")[:BATCH]
    for payment in checkouts:
        try:
            outcome = payment_check(payment, source="reconciler")
        except GatewayError as exc:
            logger.warning("reconciler: %s: gateway: %s", payment.reference, exc.message)
            if exc.retryable or payment.created_at > now - ABANDONED_AFTER:
                counts["gateway unavailable"] += 1
                continue
            # The gateway refuses to say anything about this checkout (it does not know it).
            outcome = "refused"
        if (
            outcome in ("open", "refused")
            and payment.status == S.PENDING
            and payment.created_at <= now - ABANDONED_AFTER
        ):
            moved = payment_move(
                payment,
                S.CANCELLED,
                allowed_from=(S.PENDING,),
                note=(
                    "checkout left open for over an hour"
                    if outcome == "open"
                    else "the gateway does not know this checkout"
                ),
            )
            outcome = "cancelled" if moved else "unchanged"
        counts[outcome] += 1

    for payment in Payment.objects.filter(status=S.CREATED, created_at__lte=now - CREATED_STALE)[
        :BATCH
    ]:
        if payment_move(
            payment, S.FAILED, allowed_from=(S.CREATED,), note="the checkout never opened"
        ):
            counts["failed"] += 1

    grace = timedelta(seconds=settings.PAYMENT_RECONCILE_GRACE_SECONDS)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    overdue = Q(next_attempt_at__lte=now - grace) & free
    for pk in Payment.objects.filter(overdue, status=S.CAPTURED).values_list("pk", flat=True)[
        :BATCH
    ]:
        tasks.payment_settle.enqueue(pk)
        counts["settlement queued"] += 1
    undoing = Q(status=S.SETTLED) | Q(
        status=S.NEEDS_REVIEW, transitions__note__startswith=UNDO_ASKED
    )
    for pk in (
        Payment.objects.filter(overdue, undoing, refund_requested_at__isnull=False)
        .values_list("pk", flat=True)
        .distinct()[:BATCH]
    ):
        tasks.payment_refund.enqueue(pk)
        counts["refund queued"] += 1
    for pk in Payment.objects.filter(status=S.REFUNDING, updated_at__lte=now - grace).values_list(
        "pk", flat=True
    )[:BATCH]:
        tasks.payment_gateway_refund.enqueue(pk)
        counts["gateway refund queued"] += 1

    for pk in GatewayEvent.objects.filter(
        processed_at__isnull=True, payment__isnull=False, received_at__lte=now - PENDING_AFTER
    ).values_list("pk", flat=True)[:BATCH]:
        tasks.event_process.enqueue(pk)
        counts["event queued"] += 1

    if counts:
        logger.info("reconciler: %s", dict(counts))
    return dict(counts)
