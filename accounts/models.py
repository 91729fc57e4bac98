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


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    CONSOLE = "console", _("console (demo)")


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
    # The phone SmartISP holds, as E.164, kept when a code is sent to it (notices go there too).
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Where notices go: the channel the subscriber signed up through. Empty on accounts made
    # before it was kept: email when there is one (accounts.codes.subscriber_channel).
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
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


class PhoneCode(models.Model):
    """The one live one-time code of an account, sent by WhatsApp or SMS (accounts/codes.py).

    Only a keyed hash of the code is kept. One row per account: a new code replaces the old one.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="phone_code")
    digest = models.CharField(max_length=128)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    # Set by the task worker once a provider took it ("whatsapp", "sms", "console").
    channel = models.CharField(max_length=10, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"code of account {self.user_id}"
