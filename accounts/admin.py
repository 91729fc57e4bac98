"""Admin for portal accounts: operators find a subscriber's account by DNI, name or email."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("dni", "name", "email", "smartisp_id", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("dni", "name", "email")
    ordering = ("dni",)
    readonly_fields = ("last_login", "date_joined", "has_password")
    fieldsets = (
        (None, {"fields": ("dni", "smartisp_id", "name", "email", "language")}),
        (_("Access"), {"fields": ("is_active", "has_password", "last_login", "date_joined")}),
        (
            _("Staff"),
            {
                "classes": ("collapse",),
                "fields": ("is_staff", "is_superuser", "groups", "user_permissions"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")

    @admin.display(boolean=True, description=_("password set"))
    def has_password(self, obj: User) -> bool:
        return obj.has_usable_password()

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        # Passwords are never typed here: a new account activates by email link like any other.
        if not change and not obj.password:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
