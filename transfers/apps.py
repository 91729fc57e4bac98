"""App configuration for bank transfers and deposits."""

from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Bank transfers"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from transfers.models import TransferReport
        from transfers.services import report_saved

        post_save.connect(report_saved, sender=TransferReport, dispatch_uid="transfers.saved")
