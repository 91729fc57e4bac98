"""Transfer reports for operators: every decision with who and when, read-only (decisions are
taken on the staff review page, where the row lock makes them one per report)."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from transfers.models import DigestSent, TransferReport


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(TransferReport)
class TransferReportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "pk",
        "created_at",
        "user",
        "bank_shown",
        "reference",
        "amount",
        "paid_on",
        "status",
        "decided_by",
        "decided_at",
        "payment",
    ]
    list_filter = ["status", "bank"]
    search_fields = ["reference", "reference_key", "user__dni", "user__name", "client_id"]
    ordering = ["-created_at"]
    readonly_fields = [
        "user",
        "client_id",
        "invoices",
        "bank_shown",
        "account",
        "reference",
        "paid_on",
        "amount",
        "currency",
        "receipt_link",
        "receipt_type",
        "receipt_size",
        "receipt_pages",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "reason",
        "payment",
        "review_link",
    ]
    exclude = ["receipt", "bank"]  # "bank" is shown as bank_shown, "other" in words

    @admin.display(description=_("bank"), ordering="bank")
    def bank_shown(self, obj: TransferReport) -> str:
        return obj.bank_name

    @admin.display(description=_("receipt"))
    def receipt_link(self, obj: TransferReport) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("transfers:receipt", args=[obj.pk]),
            _("Open the receipt"),
        )

    @admin.display(description=_("staff review"))
    def review_link(self, obj: TransferReport) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("staff_transfers:review", args=[obj.pk]),
            _("Open the review page"),
        )


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["day", "sent_at", "waiting"]
