"""`manage.py accounts_demo_user --dni … --password …`: a ready sign-in for a SmartISP subscriber.

`make demo` runs it against the sandbox so the banner's DNI and password work at once.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import account_demo_ensure
from portal.smartisp.errors import NotFound, SmartISPError


class Command(BaseCommand):
    help = "Create or update an active portal account for the subscriber SmartISP knows by DNI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dni", required=True, help="the subscriber's DNI in SmartISP")
        parser.add_argument("--password", required=True, help="the portal password to set")

    def handle(self, *args: object, dni: str, password: str, **options: object) -> None:
        try:
            user = account_demo_ensure(dni, password)
        except NotFound:
            raise CommandError(f"SmartISP has no subscriber with DNI {dni}.") from None
        except SmartISPError as exc:
            raise CommandError(f"SmartISP could not be asked: {exc}") from None
        self.stdout.write(
            f"Portal account ready: DNI {user.dni}, SmartISP client {user.smartisp_id} "
            f"({user.name or 'no name'})."
        )
