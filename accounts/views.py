"""Pages of portal accounts: sign-in, sign-out, activation and reset by email link, profile."""

import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import lockout, services
from accounts.forms import DniForm, PasswordChangeForm, SetPasswordForm, SignInForm
from accounts.models import User
from accounts.tokens import activation_token, reset_token
from messaging.phones import phone_tail
from portal import redirects
from portal.smartisp.errors import BadResponse, Unauthorized, Unavailable

logger = logging.getLogger(__name__)

REMEMBER_ME = timedelta(days=30)
ACTIVATE = "activate"
RESET = "password_reset"


def _next_url(request: HttpRequest) -> str:
    """`next` from the form or the query string, as a path on this site ("" otherwise)."""
    return redirects.next_path(request, request.POST.get("next") or request.GET.get("next"))


def _after_sign_in(next_url: str, user: User) -> HttpResponse:
    return HttpResponseRedirect(next_url or _landing(user))


def _landing(user: User) -> str:
    """Where a sign-in without `next` goes: staff with no subscriber account have nothing on the
    dashboard, so they go to the transfers waiting for them."""
    if user.is_staff and user.smartisp_id is None:
        return reverse("staff_transfers:queue")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "GET" and request.user.is_authenticated:
        return _after_sign_in(next_url, request.user)
    # Lockouts are answered here (see accounts.lockout.lockout_response).
    setattr(request, lockout.VIEW_FLAG, True)
    status = 200
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        user = form.get_user()
        try:
            services.account_signin_check(user)
        except services.SubscriberGone:
            form.add_error(None, _gone_message())
            status = 403
        else:
            login(request, user)
            request.session.set_expiry(REMEMBER_ME if form.cleaned_data["remember"] else 0)
            services.account_signed_in(user, language=get_language())
            return _after_sign_in(next_url, user)
    elif form.refused_until:
        return lockout.locked_response(request, form.refused_until)
    context = {
        "form": form,
        "next": next_url,
        "paused_until": form.paused_until,
        # Warned before the last attempts, with how long the lock lasts.
        "attempts_left": form.attempts_left if form.attempts_left in (1, 2) else None,
        "lock_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/login.html", context, status=status)


def _gone_message() -> str:
    contact = settings.PORTAL_SUPPORT_CONTACT
    message = _(
        "%(portal)s no longer has you as a subscriber with this %(id)s number, so you cannot "
        "sign in."
    )
    message %= {"portal": settings.PORTAL_NAME, "id": settings.PORTAL_ID_LABEL}
    if contact:
        message += " " + _("If this is a mistake, contact us: %(contact)s.") % {"contact": contact}
    return message


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:login")


# Activation and password reset: the same email-link flow, two entrances.


def _link_request(request: HttpRequest, purpose: str) -> HttpResponse:
    status = 200
    form = DniForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.account_access_email(form.cleaned_data["dni"], language=get_language())
        except (Unavailable, Unauthorized, BadResponse) as exc:
            # Says nothing about the DNI: SmartISP did not answer for anyone.
            logger.warning("%s link not sent, SmartISP failed: %s", purpose, exc)
            status = 503
            form.add_error(
                None,
                _(
                    "We cannot reach the billing system right now, so we could not check your "
                    "%(id)s number. Please try again in a few minutes."
                )
                % {"id": settings.PORTAL_ID_LABEL},
            )
        else:
            return redirect(f"accounts:{purpose}_sent")
    response = render(
        request, "accounts/link_request.html", {"form": form, "purpose": purpose}, status=status
    )
    if status == 503:
        response["Retry-After"] = "30"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def activate_request(request: HttpRequest) -> HttpResponse:
    return _link_request(request, ACTIVATE)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_request(request: HttpRequest) -> HttpResponse:
    return _link_request(request, RESET)


@require_GET
def link_sent(request: HttpRequest, purpose: str) -> HttpResponse:
    context = {"purpose": purpose, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    return render(request, "accounts/link_sent.html", context)


class LinkConfirmView(auth_views.PasswordResetConfirmView):
    """The page an emailed link opens: choose a password, then signed in, to the dashboard.

    Django's view moves the token into the session and redirects, so it never leaks in a
    Referer; the token dies once the password is set and the sign-in recorded.
    """

    template_name = "accounts/set_password.html"
    form_class = SetPasswordForm
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.CachedModelBackend"
    success_url = reverse_lazy("home")
    purpose = ACTIVATE

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        # An account an operator switched off, or a staff login, never gets in by link.
        if user is not None and (not user.is_active or user.is_staff):
            return None
        return user

    def get_context_data(self, **kwargs: object) -> dict:
        context = super().get_context_data(**kwargs)
        context["purpose"] = self.purpose
        context["minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        # Signed in from an email link: the session ends with the browser.
        self.request.session.set_expiry(0)
        services.account_signed_in(form.user, language=get_language())
        if self.purpose == ACTIVATE:
            messages.success(self.request, _("Your account is ready and you are signed in."))
        else:
            messages.success(self.request, _("Your new password is saved and you are signed in."))
        return response


activate_confirm = LinkConfirmView.as_view(token_generator=activation_token, purpose=ACTIVATE)
password_reset_confirm = LinkConfirmView.as_view(token_generator=reset_token, purpose=RESET)


# Profile.


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PasswordChangeForm(request.user, request.POST)
        if form.is_valid():
            user = form.save()
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:profile")
    else:
        form = PasswordChangeForm(request.user)
    contact, unavailable = None, False
    try:
        contact = services.account_contact(request.user)
    except (Unavailable, Unauthorized, BadResponse) as exc:
        # The contact data can wait; the password form must still work.
        logger.warning("profile without SmartISP data: %s", exc)
        unavailable = True
    change_url = (
        reverse("support:new") + "?" + urlencode({"subject": _("Please update my contact details")})
    )
    context = {
        "form": form,
        "contact": contact,
        # No page shows more of the phone than its last two digits (issue 16), as the code pages.
        "phone_tail": phone_tail(contact.phone or "") if contact else "",
        "unavailable": unavailable,
        "change_url": change_url,
    }
    return render(request, "accounts/profile.html", context)
