"""The transfer report form (DESIGN.md section 5: invoices, bank, paid_on, amount, reference,
receipt) and the staff decision form (decision, reason)."""

import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.smartisp.records import Invoice
from transfers.banks import OTHER, OTHER_LABEL, BankAccount
from transfers.models import Decision, TransferReport
from transfers.receipts import Receipt, ReceiptRefused, receipt_check

MAX_REFERENCE = 40
# A transfer made this long ago is for an office to look at, not for the portal.
OLDEST_DAYS = 365
REFERENCE_SHAPE = re.compile(r"[0-9A-Za-z][0-9A-Za-z .\-/#]*")


class AmountField(forms.Field):
    """Dollars and cents as people type them: "21.51", "21,51", "$21.51"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter the amount in dollars, such as 21.51.")}

    def to_python(self, value):
        text = str(value or "").strip().replace("$", "").replace(" ", "")
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        if len(text) > 15 or not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class TransferReportForm(forms.Form):
    invoices = forms.MultipleChoiceField(
        label=_("Invoices this transfer pays"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Choose among your unpaid invoices.")},
    )
    bank = forms.ChoiceField(
        label=_("Account you paid into"),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the accounts listed.")},
    )
    paid_on = forms.DateField(
        label=_("Date you paid"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as year-month-day, such as 2026-12-01.")},
    )
    amount = AmountField(
        label=_("Amount paid"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reference = forms.CharField(
        label=_("Reference or receipt number"),
        help_text=_("The number the bank printed on the receipt or showed in its app."),
        max_length=MAX_REFERENCE,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": MAX_REFERENCE}),
    )
    receipt = forms.FileField(
        label=_("Photo of the receipt, or its PDF"),
        help_text=_("JPEG, PNG, WebP or PDF, up to 5 MB."),
        widget=forms.FileInput(attrs={"accept": "image/*,application/pdf"}),
        error_messages={"required": _("Add the photo or PDF of the receipt.")},
    )

    def __init__(
        self,
        *args,
        invoices: list[Invoice],
        accounts: tuple[BankAccount, ...],
        waiting: Mapping[str, TransferReport] | None = None,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.unpaid = invoices
        self.accounts = accounts
        # Invoices a report under review already covers: shown with that report, not ticked.
        self.waiting = dict(waiting or {})
        self.fields["invoices"].choices = [(i.num_bill, i.num_bill) for i in invoices]
        self.fields["invoices"].initial = [
            i.num_bill for i in invoices if i.num_bill not in self.waiting
        ]
        self.fields["bank"].choices = [
            *((a.key, f"{a.bank} · {a.kind} {a.number}".replace("  ", " ")) for a in accounts),
            (OTHER, OTHER_LABEL),
        ]
        if len(accounts) == 1:
            self.fields["bank"].initial = accounts[0].key
        self.fields["reference"].error_messages["max_length"] = _(
            "The reference has at most %(limit_value)d characters."
        )

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        today = timezone.localdate()
        if paid_on > today:
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        if paid_on < today - timedelta(days=OLDEST_DAYS):
            raise forms.ValidationError(
                _("This transfer is more than a year old: please contact us instead."),
                code="too_old",
            )
        return paid_on

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is None or amount <= 0:
            raise forms.ValidationError(_("Enter the amount you paid."), code="required")
        return amount

    def clean_reference(self) -> str:
        reference = " ".join(self.cleaned_data["reference"].split())
        if not REFERENCE_SHAPE.fullmatch(reference) or not re.search(r"\d", reference):
            raise forms.ValidationError(
                _("Enter the reference as the bank shows it: digits and letters."), code="invalid"
            )
        return reference

    def clean_receipt(self) -> Receipt:
        try:
            return receipt_check(self.cleaned_data["receipt"])
        except ReceiptRefused as exc:
            raise forms.ValidationError(exc.message, code="refused") from None

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("invoices") or [i.num_bill for i in self.unpaid]
        if "invoices" in cleaned:
            cleaned["invoices"] = [i for i in self.unpaid if i.num_bill in chosen]
            if not cleaned["invoices"]:
                self.add_error(
                    "invoices", _("You have no unpaid invoices to report a transfer for.")
                )
        invoices = cleaned.get("invoices") or []
        amount = cleaned.get("amount")
        total = sum((i.total_pay for i in invoices), Decimal("0.00"))
        if invoices and amount is not None and amount != total:
            from billing.templatetags.money import money

            self.add_error(
                "amount",
                forms.ValidationError(
                    _(
                        "The amount must be the total of the invoices chosen, %(total)s. "
                        "Choose the invoices this transfer pays, or contact us."
                    ),
                    code="total",
                    params={"total": money(total)},
                ),
            )
        return cleaned

    def rows(self) -> list[tuple[Invoice, TransferReport | None, bool]]:
        """Each unpaid invoice, the report under review covering it (or None), and whether its
        box is ticked: as submitted, else all but those under review."""
        chosen = self._chosen()
        return [(i, self.waiting.get(i.num_bill), i.num_bill in chosen) for i in self.unpaid]

    def _chosen(self) -> set[str]:
        if self.is_bound:
            chosen = set(self.data.getlist("invoices")) if hasattr(self.data, "getlist") else set()
            return chosen or {i.num_bill for i in self.unpaid}
        return set(self.fields["invoices"].initial)

    def chosen_total(self) -> Decimal:
        """The total of the invoices ticked (all unpaid ones before the first submit)."""
        chosen = self._chosen()
        return sum((i.total_pay for i in self.unpaid if i.num_bill in chosen), Decimal("0.00"))

    def account_chosen(self) -> tuple[str, str]:
        """(bank name, account number) of the `bank` chosen; ("other", "") for another bank."""
        key = self.cleaned_data["bank"]
        for account in self.accounts:
            if account.key == key:
                return account.bank, account.number
        return OTHER, ""


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Decision.choices,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose Approve or Reject."),
            "invalid_choice": _("Choose Approve or Reject."),
        },
    )
    reason = forms.CharField(
        label=_("Reason (the subscriber reads it)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.REJECT and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", _("Say why the transfer is rejected: the subscriber reads it.")
            )
        return cleaned
