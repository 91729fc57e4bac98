"""Gateway webhooks: verify, store, answer; everything else on the task worker.

The view never calls SmartISP, nor (with the adapters we have) the gateway: it answers within
milliseconds whatever state they are in. A stored event is committed together with the task that
will act on it; a repeated event id is answered 200 and does nothing (the database's unique
constraint decides, also when copies arrive at the same moment on several processes).
"""

import logging

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.gateways import (
    GatewayError,
    Notification,
    NotificationInvalid,
    UnknownGateway,
    get_gateway,
)
from billing.ledger import checkout_ref, payment_sync
from billing.models import GatewayEvent, Payment
from portal import converters

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    try:
        adapter = get_gateway(gateway)
    except UnknownGateway:
        raise Http404("no such gateway") from None
    try:
        notification = adapter.notification_parse(request.body, request.headers, now=timezone.now())
    except NotificationInvalid as exc:
        logger.warning("webhook %s refused: %s", adapter.name, exc.message)
        return HttpResponseBadRequest(exc.message, content_type="text/plain")
    except GatewayError as exc:
        # An adapter that must ask the gateway to read its notification could not: nothing is
        # stored, and a 5xx makes the gateway send the notification again later.
        logger.warning("webhook %s not taken now: %s", adapter.name, exc.message)
        response = HttpResponse(
            "the payment gateway cannot be reached; send it again later",
            status=503,
            content_type="text/plain",
        )
        response["Retry-After"] = "60"
        return response
    if not converters.notification_valid(notification):
        logger.warning("webhook %s refused: an id is malformed", adapter.name)
        return HttpResponseBadRequest(
            "an id in the notification is malformed", content_type="text/plain"
        )
    _event, created = event_record(adapter.name, request.body, notification)
    return JsonResponse(adapter.notification_answer(duplicate=not created))


def event_record(
    gateway: str, body: bytes, notification: Notification
) -> tuple[GatewayEvent, bool]:
    """Store a verified event once, with the task that will process it. (event, stored now)."""
    from billing import tasks

    payment = event_payment(gateway, notification)
    now = timezone.now()
    try:
        with transaction.atomic():
            event = GatewayEvent.objects.create(
                gateway=gateway,
                event_id=notification.event_id,
                type=notification.type[:100],
                body=body.decode("utf-8", errors="replace"),
                verified=True,
                reference=notification.reference[:200],
                session_id=notification.session_id[:200],
                transaction_id=notification.transaction_id[:200],
                amount=notification.amount,
                currency=notification.currency[:3],
                occurred_at=notification.created,
                received_at=now,
                payment=payment,
                outcome="" if payment else "orphan",
                processed_at=None if payment else now,
            )
            if payment is not None:
                tasks.event_process.enqueue(event.pk)
    except IntegrityError:
        logger.info("webhook %s %s: seen before", gateway, notification.event_id)
        return GatewayEvent.objects.get(gateway=gateway, event_id=notification.event_id), False
    if payment is None:
        logger.warning(
            "webhook %s %s: no payment %r; kept as an orphan",
            gateway,
            notification.event_id,
            notification.reference,
        )
    return event, True


def event_payment(gateway: str, notification: Notification) -> Payment | None:
    """The payment a notification is about: by our reference, else by the gateway's checkout id,
    else by the transaction id recorded at capture (a Stripe refund names only its
    PaymentIntent). Each is unique per gateway."""
    lookups = (
        ("reference", notification.reference),
        ("session_id", notification.session_id),
        ("transaction_id", notification.transaction_id),
    )
    for field, value in lookups:
        if value:
            payment = Payment.objects.filter(gateway=gateway, **{field: value}).first()
            if payment is not None:
                return payment
    return None


def gateway_event_process(event_pk: int) -> str:
    """Look at the checkout an event points to (the event itself proves nothing) and apply it."""
    event = GatewayEvent.objects.select_related("payment").get(pk=event_pk)
    if event.processed_at is not None:
        return event.outcome
    payment = event.payment
    if payment is None:
        GatewayEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), outcome="orphan"
        )
        return "orphan"
    try:
        ref = checkout_ref(
            payment, session_id=event.session_id, transaction_id=event.transaction_id
        )
        status = get_gateway(event.gateway).checkout_status(ref)
    except GatewayError as exc:
        logger.warning("event %s: cannot ask the gateway: %s", event.event_id, exc.message)
        if exc.retryable:
            # Left unprocessed: the reconciler tries again.
            GatewayEvent.objects.filter(pk=event.pk).update(outcome="gateway unavailable")
            return "gateway unavailable"
        GatewayEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), outcome="status query refused"
        )
        return "status query refused"
    outcome = payment_sync(
        payment,
        status,
        claimed_amount=event.amount,
        claimed_currency=event.currency,
        occurred_at=event.occurred_at,
        source=f"event {event.event_id}"[:80],
    )
    GatewayEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), outcome=outcome)
    return outcome
