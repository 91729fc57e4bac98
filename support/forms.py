"""Forms of the support pages: a new ticket and a reply, each carrying a one-time submission id."""

import uuid
from collections.abc import Iterable, Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.smartisp import Rejected
from support import labels

SUBJECT_MAX = 200  # SmartISP's limit (smartisp-api-v1.txt, Create Ticket)
MESSAGE_MAX = 10000


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class SubmissionForm(forms.Form):
    """A form whose POST is applied once: the id is made when the form is drawn (see services)."""

    submission_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())
        elif not _is_uuid(self.data.get(self.add_prefix("submission_id"))):
            # Sent without a usable id (not from our page): this send gets one of its own, and
            # so does the form if it is drawn again.
            self.data = self.data.copy()
            self.data[self.add_prefix("submission_id")] = str(uuid.uuid4())

    @property
    def submission_token(self) -> uuid.UUID | None:
        return self.cleaned_data.get("submission_id") if hasattr(self, "cleaned_data") else None

    def add_rejection(self, exc: Rejected) -> None:
        """SmartISP's 422: its field errors on our fields, anything else above the form."""
        for name, messages in exc.errors.items():
            texts = messages if isinstance(messages, list) else [messages]
            visible = name in self.fields and not self.fields[name].widget.is_hidden
            for text in texts:
                self.add_error(name if visible else None, str(text))
        if not exc.errors:
            self.add_error(None, exc.message or _("The support system did not accept this."))


def _choices(values: Iterable[str], mapping: Mapping[str, object]) -> list[tuple[str, str]]:
    return [(v, labels.label(mapping, v)) for v in values]


class TicketForm(SubmissionForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=SUBJECT_MAX,
        help_text=_("In a few words, what is it about?"),
    )
    type = forms.ChoiceField(label=_("Type"))
    priority = forms.ChoiceField(label=_("Priority"))
    section = forms.ChoiceField(label=_("Department"), required=False)
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Tell us what happens, since when, and anything you already tried."),
    )

    field_order = ["subject", "type", "priority", "section", "message", "submission_id"]

    def __init__(
        self,
        *args: object,
        types: Iterable[str] = labels.SUBSCRIBER_TYPES,
        priorities: Iterable[str] = labels.SUBSCRIBER_PRIORITIES,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        types, priorities = list(types), list(priorities)
        self.fields["type"].choices = _choices(types, labels.TYPE_LABELS)
        self.fields["priority"].choices = _choices(priorities, labels.PRIORITY_LABELS)
        self.fields["section"].choices = [
            ("", labels.NO_SECTION),
            *_choices(labels.SECTION_LABELS, labels.SECTION_LABELS),
        ]
        if not self.is_bound:
            self.initial.setdefault(
                "type", labels.DEFAULT_TYPE if labels.DEFAULT_TYPE in types else types[0]
            )
            self.initial.setdefault(
                "priority",
                labels.DEFAULT_PRIORITY if labels.DEFAULT_PRIORITY in priorities else priorities[0],
            )


class ReplyForm(SubmissionForm):
    message = forms.CharField(
        label=_("Your reply"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    field_order = ["message", "submission_id"]
