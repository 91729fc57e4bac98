"""`manage.py smartisp_check [--dni DNI]`: is the configured SmartISP usable by the portal?

Read-only. Prints one line per read endpoint the portal uses; exits 2 when SmartISP refused the
API key, 1 when another answer is unusable, 0 otherwise (docs/smartisp.md, "smartisp_check").
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.smartisp import get_client
from portal.smartisp.check import Verdict, check_run
from portal.smartisp.errors import KEY_REFUSED


class Command(BaseCommand):
    help = "Check, read-only, that the configured SmartISP answers every endpoint the portal reads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dni", help="also check this subscriber's own endpoints (their record, invoices...)"
        )

    def handle(self, *args, dni: str | None = None, **options) -> None:
        self.stdout.write(f"SmartISP at {settings.SMARTISP_URL}")
        report = check_run(get_client(), dni)
        width = max(len(r.endpoint) for r in report.results)
        for result in report.results:
            status = "-" if result.status is None else str(result.status)
            latency = "-" if result.milliseconds is None else f"{result.milliseconds:.0f} ms"
            line = (
                f"{result.verdict.value:<8}{result.endpoint:<{width + 2}}{status:>4}"
                f"{latency:>9}  {result.detail}"
            )
            style = {
                Verdict.OK: self.style.SUCCESS,
                Verdict.NOTE: self.style.WARNING,
                Verdict.MISSING: self.style.WARNING,
                Verdict.FAIL: self.style.ERROR,
            }[result.verdict]
            self.stdout.write(style(line))
        if report.key_refused:
            raise CommandError(
                f"{KEY_REFUSED}: check SMARTISP_API_KEY (SmartISP: Config / SmartISP API).",
                returncode=2,
            )
        if report.failed:
            failed = sum(r.verdict is Verdict.FAIL for r in report.results)
            raise CommandError(f"{failed} of {len(report.results)} checks failed.", returncode=1)
        noted = sum(r.verdict is not Verdict.OK for r in report.results)
        summary = f"All {len(report.results)} checks usable"
        self.stdout.write(
            self.style.SUCCESS(summary + (f" ({noted} with notes)." if noted else "."))
        )
