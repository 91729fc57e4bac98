"""URLs of portal accounts (DESIGN.md section 5)."""

from django.urls import path

from accounts import code_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("activate/", views.activate_request, name="activate"),
    path("activate/sent/", views.link_sent, {"purpose": views.ACTIVATE}, name="activate_sent"),
    path("activate/<uidb64>/<token>/", views.activate_confirm, name="activate_confirm"),
    path("password-reset/", views.password_reset_request, name="password_reset"),
    path(
        "password-reset/sent/",
        views.link_sent,
        {"purpose": views.RESET},
        name="password_reset_sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("profile/", views.profile, name="profile"),
    # Sign-in by a code sent by WhatsApp or SMS (accounts/code_views.py).
    path("code/", code_views.code_request, name="code"),
    path("code/verify/", code_views.code_verify, name="code_verify"),
    path("code/password/", code_views.code_password, name="code_password"),
]
