"""Forms of portal accounts: sign-in by DNI and password, the DNI form of the email links, and
Django's password forms with texts a subscriber reads as meant (Ecuadorian Spanish, usted).

The national id is called what PORTAL_ID_LABEL says ("cédula" by default, DESIGN.md section 4)."""

import re
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts import lockout
from accounts.models import User
from portal.smartisp.records import normalize_dni

_DNI = re.compile(r"[0-9A-Za-z]{1,20}")


def id_label() -> str:
    """What the national id is called here, as configured: "cédula", "DNI", "CURP"."""
    return settings.PORTAL_ID_LABEL


def _id_text(message: str) -> str:
    return str(message) % {"id": id_label()}


def id_text(message: str) -> str:
    """A translated text naming the id ("%(id)s"), filled in when it is shown."""
    return lazy(_id_text, str)(message)


class DniField(forms.CharField):
    """A DNI as typed: spaces, dots and dashes dropped, leading zeros kept."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", lazy(lambda: capfirst(id_label()), str)())
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "help_text",
            id_text(_("Your %(id)s number, as on your contract. Spaces and dashes do not matter.")),
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )

    def to_python(self, value: object) -> str:
        return normalize_dni(super().to_python(value))

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not _DNI.fullmatch(value):
            raise forms.ValidationError(
                id_text(_("Enter your %(id)s with digits only (and letters, for a passport).")),
                code="invalid_dni",
            )


class SignInForm(forms.Form):
    """DNI and password; authenticates through axes, whose lockout is checked first."""

    dni = DniField()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(
        label=_("Remember me"),
        required=False,
        help_text=_("Stay signed in on this device for 30 days. Not on a shared device."),
    )

    error_messages = {
        "invalid_login": id_text(
            _("That %(id)s number and password do not match. Check both and try again.")
        ),
        "locked": _("Too many failed attempts."),
    }

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        # Set when sign-in was refused without checking the password (HTTP 429).
        self.refused_until: datetime | None = None
        # Set when this failure reached a limit: the next attempt will be refused.
        self.paused_until: datetime | None = None
        # Set when few attempts remain before the lock: the page warns (DESIGN.md section 5).
        self.attempts_left: int | None = None

    def clean(self) -> dict:
        data = super().clean()
        dni, password = data.get("dni"), data.get("password")
        if not dni or not password:
            return data
        self.refused_until = lockout.locked_until(self.request, dni)
        if self.refused_until:
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        self.user = authenticate(self.request, dni=dni, password=password)
        if self.user is None:
            self.paused_until = lockout.locked_until(self.request, dni)
            if self.paused_until is None:
                self.attempts_left = lockout.attempts_left(self.request, dni)
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        return data

    def get_user(self) -> User | None:
        return self.user


class DniForm(forms.Form):
    """The one field of the activation and password-reset forms."""

    dni = DniField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# Django's password forms, with the texts a subscriber reads: Django's own Spanish says
# "Contraseña antigua" and "introduzca la misma contraseña anterior" (which reads as "your old
# password"); these say what is meant, in the usted form.

_NEW_PASSWORD = _("New password")
_REPEAT_PASSWORD = _("Repeat the new password")
_REPEAT_HELP = _("Type the new password again, to be sure it has no typo.")
_MISMATCH = _("The two new passwords are not the same. Type it again in both fields.")


def _password_texts(form: forms.Form) -> None:
    form.fields["new_password1"].label = _NEW_PASSWORD
    form.fields["new_password2"].label = _REPEAT_PASSWORD
    form.fields["new_password2"].help_text = _REPEAT_HELP
    for name in ("new_password1", "new_password2"):
        form.fields[name].widget.attrs["autocomplete"] = "new-password"


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Choosing a password from an emailed link (activation or reset)."""

    error_messages = {**auth_forms.SetPasswordForm.error_messages, "password_mismatch": _MISMATCH}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        _password_texts(self)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Changing the password on the profile page: the current one first."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_mismatch": _MISMATCH,
        "password_incorrect": _("That is not your current password. Type it again."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        # Django focuses it; on a page that starts with contact data that jumps away.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        _password_texts(self)
