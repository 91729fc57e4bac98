"""App configuration for portal accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_delete, post_save

        from accounts import lockout
        from accounts.backends import user_cached_forget

        user = get_user_model()
        post_save.connect(user_cached_forget, sender=user, dispatch_uid="accounts.user.saved")
        post_delete.connect(user_cached_forget, sender=user, dispatch_uid="accounts.user.deleted")

        def count_failure(sender: object, credentials: dict, request=None, **kwargs: object):
            lockout.failure_record(request, credentials)

        user_login_failed.connect(
            count_failure, weak=False, dispatch_uid="accounts.lockout.failure_record"
        )
