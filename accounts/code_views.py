"""Pages of sign-in by phone code: ask for a code (`dni`), type it (`dni`, `code`), and for a new
account, choose a password or go on signing in by code (DESIGN.md section 5)."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import codes, services
from accounts.forms import DniField, DniForm, SetPasswordForm
from messaging.phones import phone_tail
from messaging.service import phone_channel_enabled

logger = logging.getLogger(__name__)

SESSION_DNI = "accounts_code_dni"
# Asked from the password-reset page: after the code, choose a new password.
SESSION_RESET = "accounts_code_reset"
# Signed in by a code in this session: proof enough to choose a password without the old one.
SESSION_BY_CODE = "accounts_signed_in_by_code"
CODE_BACKEND = "accounts.backends.CachedModelBackend"


class CodeForm(forms.Form):
    dni = DniField()
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=12,
        help_text=gettext_lazy("The 6 digits we sent you by WhatsApp or SMS."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != codes.CODE_DIGITS:
            raise forms.ValidationError(_("The code has 6 digits."), code="code_length")
        return digits


@never_cache
@require_http_methods(["GET", "POST"])
def code_request(request: HttpRequest) -> HttpResponse:
    form = DniForm(request.POST if request.method == "POST" else None)
    reset = bool(request.GET.get("reset"))
    status = 200
    retry_after = None
    if form.is_bound and form.is_valid():
        dni = form.cleaned_data["dni"]
        try:
            codes.code_request(request, dni, language=get_language())
        except codes.CodeLimited as limited:
            status, retry_after = 429, limited.retry_after
            if limited.per_minute:
                form.add_error(None, _("A code was asked for a moment ago. Wait a minute."))
            else:
                form.add_error(
                    None, _("Too many codes were asked for. Please try again in an hour.")
                )
        else:
            request.session[SESSION_DNI] = dni
            request.session[SESSION_RESET] = reset
            return redirect("accounts:code_verify")
    context = {"form": form, "enabled": phone_channel_enabled(), "reset": reset}
    response = render(request, "accounts/code_request.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def code_verify(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            check = codes.code_verify(request, data["dni"], data["code"])
            if check.ok:
                return _signed_in(request, check.user)
            if check.too_many:
                status = 429
                form.add_error(None, _("Too many tries with this code. Ask for a new one."))
            else:
                form.add_error(
                    "code",
                    _("That code is not right, or it has expired. Check it, or ask for a new one."),
                )
    else:
        form = CodeForm(initial={"dni": request.session.get(SESSION_DNI, "")})
    context = {
        "form": form,
        "minutes": int(codes.CODE_LIFETIME.total_seconds() // 60),
        "trouble": codes.phone_trouble(),
        "dni_known": bool(request.session.get(SESSION_DNI)),
    }
    return render(request, "accounts/code_verify.html", context, status=status)


def _signed_in(request: HttpRequest, user) -> HttpResponse:
    reset = request.session.get(SESSION_RESET, False)
    login(request, user, backend=CODE_BACKEND)
    # Signed in by a code: the session ends with the browser, as with an emailed link.
    request.session.set_expiry(0)
    request.session.pop(SESSION_DNI, None)
    request.session.pop(SESSION_RESET, None)
    request.session[SESSION_BY_CODE] = True
    services.account_signed_in(user, language=get_language())
    tail = phone_tail(user.phone)
    if tail:
        text = _("Signed in with the code sent to your phone ending in %(tail)s.")
        messages.success(request, text % {"tail": tail})
    if reset or not user.has_usable_password():
        return redirect("accounts:code_password")
    return redirect(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def code_password(request: HttpRequest) -> HttpResponse:
    """Signed in by a code: choose a password (a new account, or a forgotten one), or skip."""
    if not request.session.get(SESSION_BY_CODE):
        # Signed in with the password: changing it asks for the old one (the profile's form).
        return redirect("accounts:profile")
    new_account = not request.user.has_usable_password()
    form = SetPasswordForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        user = form.save()
        # Keep this session signed in: the password changed the session's hash.
        update_session_auth_hash(request, user)
        request.session.pop(SESSION_BY_CODE, None)
        # A welcome is for a new account; after a reset it would read as a mistake (issue 19).
        if new_account:
            messages.success(request, _("Your password is set. Welcome!"))
        else:
            messages.success(request, _("Your password has been changed."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "new_account": new_account}
    return render(request, "accounts/code_password.html", context)
