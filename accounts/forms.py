"""Forms of portal accounts: sign-in by DNI and password, and the DNI form of the email links."""

import re
from datetime import datetime

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import lockout
from accounts.models import User
from portal.smartisp.records import normalize_dni

_DNI = re.compile(r"[0-9A-Za-z]{1,20}")


class DniField(forms.CharField):
    """A DNI as typed: spaces, dots and dashes dropped, leading zeros kept."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("DNI"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "help_text", _("Your ID number, as on your contract. Spaces and dashes do not matter.")
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
                _("Enter your DNI with digits only (and letters, for a passport)."),
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
        "invalid_login": _("That DNI and password do not match. Check both and try again."),
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
