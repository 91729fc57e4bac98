"""The provider's bank accounts, as PORTAL_BANK_ACCOUNTS lists them: `Bank|type|number|holder;…`."""

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

OTHER = "other"
# What the report form, the subscriber's page, staff's pages and emails call OTHER.
OTHER_LABEL = _("Another bank or a deposit point")


@dataclass(frozen=True)
class BankAccount:
    bank: str
    kind: str  # "Ahorros", "Corriente", … as the provider writes it
    number: str
    holder: str

    @property
    def key(self) -> str:
        """What the report form's `bank` field sends for this account."""
        return self.number


def bank_accounts() -> tuple[BankAccount, ...]:
    """The configured accounts; an entry without a bank and a number is skipped (and logged)."""
    return accounts_parse(settings.PORTAL_BANK_ACCOUNTS)


@lru_cache(maxsize=8)
def accounts_parse(raw: str) -> tuple[BankAccount, ...]:
    accounts = []
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        parts = [p.strip() for p in entry.split("|")]
        parts += [""] * (4 - len(parts))
        bank, kind, number, holder = parts[:4]
        if not bank or not number:
            logger.warning("PORTAL_BANK_ACCOUNTS: an entry lacks its bank or number; skipped")
            continue
        accounts.append(BankAccount(bank=bank, kind=kind, number=number, holder=holder))
    return tuple(accounts)


def bank_key(bank: str) -> str:
    """The bank as the approved-reference check compares it: case, spacing, look-alike forms
    (NFKC) and invisible characters (a zero-width space pasted into PORTAL_BANK_ACCOUNTS) do not
    count."""
    text = unicodedata.normalize("NFKC", bank)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()
