"""`manage.py accounts_demo_user --dni … [--dni …] --password …`: ready sign-ins for SmartISP
subscribers.

`make demo` runs it against the sandbox so the banner's cédulas and password work at once.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import account_demo_ensure
from portal.smartisp.errors import NotFound, SmartISPError


class Command(BaseCommand):
    help = "Create or update an active portal account for each subscriber SmartISP knows by DNI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dni", required=True, action="append", help="a subscriber's DNI in SmartISP"
        )
        parser.add_argument("--password", required=True, help="the portal password to set")

    def handle(self, *args: object, dni: list[str], password: str, **options: object) -> None:
        for one in dni:
            try:
                user = account_demo_ensure(one, password)
            except NotFound:
                raise CommandError(f"SmartISP has no subscriber with DNI {one}.") from None
            except SmartISPError as exc:
                raise CommandError(f"SmartISP could not be asked: {exc}") from None
            self.stdout.write(
                f"Portal account ready: DNI {user.dni}, SmartISP client {user.smartisp_id} "
                f"({user.name or 'no name'})."
            )
