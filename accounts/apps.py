"""App configuration for portal accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from accounts import lockout

        def count_failure(sender: object, credentials: dict, request=None, **kwargs: object):
            lockout.failure_record(request, credentials)

        user_login_failed.connect(
            count_failure, weak=False, dispatch_uid="accounts.lockout.failure_record"
        )
