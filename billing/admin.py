"""The payment ledger for operators: read-only, nothing deleted, needs_review first."""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.ledger import payment_settle_retry
from billing.models import (
    GatewayEvent,
    Payment,
    PaymentInvoice,
    PaymentStatus,
    PaymentTransition,
    SettlementAttempt,
)


class ReadOnlyAdminMixin:
    """The ledger is written by the portal only; operators read it (and may retry)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in self.model._meta.fields]  # type: ignore[attr-defined]


class ItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentInvoice
    extra = 0
    can_delete = False
    fields = ["position", "num_bill", "invoice_id", "amount", "outcome", "note", "recorded_at"]
    ordering = ["position"]


class TransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "note"]
    ordering = ["at", "pk"]


class AttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SettlementAttempt
    extra = 0
    can_delete = False
    fields = [
        "started_at",
        "finished_at",
        "item",
        "kind",
        "invoice_status",
        "called",
        "outcome",
        "detail",
    ]


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GatewayEvent
    extra = 0
    can_delete = False
    fields = ["received_at", "event_id", "type", "outcome", "processed_at"]
    show_change_link = True


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "status",
        "amount",
        "currency",
        "invoice_numbers",
        "client_id",
        "dni",
        "gateway",
        "transaction_id",
        "created_at",
        "settled_at",
    ]
    list_filter = ["status", "source", "gateway"]
    search_fields = [
        "=reference",
        "user__dni",
        "=items__num_bill",
        "=transaction_id",
        "=session_id",
        # A bank transfer's transaction id is "<bank>:<reference>": staff search by the reference.
        "=transfer_report__reference",
    ]
    list_select_related = ["user"]
    inlines = [ItemInline, TransitionInline, AttemptInline, EventInline]
    actions = ["retry_settlement"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest):
        # Payments that need a person come first, then the newest.
        queryset = (
            self.model._default_manager.get_queryset()
            .prefetch_related("items")
            .annotate(
                review_first=Case(
                    When(status=PaymentStatus.NEEDS_REVIEW, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest):
        return ["review_first", "-created_at"]

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        found, _duplicates = super().get_search_results(request, queryset, search_term)
        return found.distinct(), False

    @admin.display(description=_("invoices"))
    def invoice_numbers(self, payment: Payment) -> str:
        return ", ".join(payment.num_bills)

    @admin.display(description=_("DNI"), ordering="user__dni")
    def dni(self, payment: Payment) -> str:
        return payment.user.dni

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_payment")

    @admin.action(
        description=_("Retry settlement of the selected payments needing review"),
        permissions=["retry"],
    )
    def retry_settlement(self, request: HttpRequest, queryset) -> None:
        by = request.user.get_username()
        done = skipped = 0
        for payment in queryset:
            if payment_settle_retry(payment, by=by):
                done += 1
            else:
                skipped += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d payment queued for settlement; its invoice is read again first.",
                    "%(count)d payments queued for settlement; their invoices are read again "
                    "first.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d payment was left alone: only a needs-review payment whose capture "
                    "matches its checkout and was not refunded can be retried.",
                    "%(count)d payments were left alone: only needs-review payments whose capture "
                    "matches their checkout and were not refunded can be retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(GatewayEvent)
class GatewayEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "event_id",
        "gateway",
        "type",
        "outcome",
        "payment",
        "reference",
        "received_at",
        "processed_at",
    ]
    list_filter = ["gateway", "outcome", "type"]
    search_fields = ["=event_id", "=reference", "payment__reference", "=transaction_id"]
    list_select_related = ["payment"]
    date_hierarchy = "received_at"
    show_full_result_count = False
