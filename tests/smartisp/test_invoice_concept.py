"""An invoice's concept: SmartISP's `note` and `memo` (reference: InvoiceClientStatus3, get-user)
are parsed, trimmed, and empty when null."""

from portal.smartisp.records import parse_invoice
from tests.conftest import example_json


def test_note_and_memo_of_the_reference_example_are_parsed():
    first, second = example_json("InvoiceClientStatus3")["invoices"]

    assert (parse_invoice(first).note, parse_invoice(first).memo) == ("sqws", "sqws")
    assert (parse_invoice(second).note, parse_invoice(second).memo) == ("", "")


def test_note_and_memo_are_trimmed():
    raw = example_json("InvoiceClientStatus3")["invoices"][0]
    raw.update(note="  Instalación y router Wi-Fi ", memo="Instalación\n")

    invoice = parse_invoice(raw)

    assert (invoice.note, invoice.memo) == ("Instalación y router Wi-Fi", "Instalación")
