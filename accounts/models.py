"""The portal account: a subscriber known by DNI, tied to one SmartISP client id.

SmartISP has no endpoint to check a password, so the portal keeps the credentials. Staff who use
the admin are accounts too (their `dni` is just a login name).
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.smartisp.records import normalize_dni


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(dni=normalize_dni(username))

    def create_user(self, dni: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(dni=normalize_dni(dni), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, dni: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(dni, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    dni = models.CharField(_("DNI"), max_length=20, unique=True)
    smartisp_id = models.PositiveBigIntegerField(
        _("SmartISP client id"), null=True, blank=True, db_index=True
    )
    # The name the portal sends as author of the subscriber's tickets and replies: an answer is
    # theirs when its author is this name (SmartISP answers carry no other marker).
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "dni"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return self.dni

    def get_full_name(self) -> str:
        return self.name or self.dni

    def get_short_name(self) -> str:
        return (self.name or self.dni).split(" ")[0]
