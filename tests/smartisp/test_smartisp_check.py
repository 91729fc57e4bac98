"""`manage.py smartisp_check`: the connection check, run against the sandbox SmartISP over HTTP."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.sandbox.conftest import API_KEY, sandbox_smartisp  # noqa: F401 (the fixture)

DEMO_DNI = "0102030405"  # the sandbox's client 101, with invoices and tickets


@pytest.fixture
def pointed_at_sandbox(sandbox_smartisp, settings):  # noqa: F811
    settings.SMARTISP_URL = sandbox_smartisp.api
    settings.SMARTISP_API_KEY = API_KEY
    return sandbox_smartisp


def run_check(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("smartisp_check", *args, stdout=out, no_color=True)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def lines(output: str) -> dict[str, str]:
    """Endpoint -> its report line."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) > 1 and parts[0] in ("ok", "note", "missing", "FAIL"):
            found[parts[1]] = line
    return found


def test_a_clean_report_against_the_sandbox(pointed_at_sandbox):
    output, code = run_check("--dni", DEMO_DNI)

    assert code == 0, output
    report = lines(output)
    assert set(report) == {
        "tickets/meta",
        "plans",
        "clients",
        "tickets",
        "get-user/{dni}",
        "clients?search={dni}",
        "InvoiceClientStatus3/{id}",
        "InvoiceClientStatus1/{id}",
        "getInvoiceCliente/{num_bill}",
        "tickets?client_id={id}",
        "tickets/{id}",
    }
    assert all(line.startswith("ok ") for line in report.values()), output
    assert all(" 200 " in line and " ms " in line for line in report.values())
    assert "All 11 checks usable." in output
    assert API_KEY not in output


def test_the_check_only_reads(pointed_at_sandbox):
    run_check("--dni", DEMO_DNI)

    calls = pointed_at_sandbox.control("/_sandbox/calls")
    assert calls["count"] >= 11
    assert {c["method"] for c in calls["calls"]} == {"GET"}


def test_a_wrong_key_exits_non_zero_saying_the_key_was_refused(pointed_at_sandbox, settings):
    settings.SMARTISP_API_KEY = "not-the-key"

    output, code = run_check("--dni", DEMO_DNI)

    assert code == 2
    assert "SmartISP refused the API key" in output
    assert "FAIL    tickets/meta" in output and " 401 " in output
    assert "get-user" not in output  # no subscriber lookups with a refused key
    assert "not-the-key" not in output


def test_an_unknown_dni_is_an_unusable_answer(pointed_at_sandbox):
    output, code = run_check("--dni", "0999999999")

    assert code == 1
    assert lines(output)["get-user/{dni}"].startswith("FAIL")


def test_smartisp_down_exits_non_zero(pointed_at_sandbox):
    pointed_at_sandbox.faults(mode="maintenance")

    output, code = run_check()

    assert code == 1
    assert all(line.startswith("FAIL") for line in lines(output).values())
    assert "unreachable or failing" in output


def test_a_key_refused_with_http_200_is_still_a_refused_key(pointed_at_sandbox):
    pointed_at_sandbox.faults(shapes=["unauthenticated_200"])

    output, code = run_check("--dni", DEMO_DNI)

    assert code == 2
    assert "SmartISP refused the API key" in lines(output)["tickets/meta"]
    assert " 200 " in lines(output)["tickets/meta"]


def test_missing_optional_endpoints_and_odd_shapes_are_noted_not_failed(pointed_at_sandbox):
    pointed_at_sandbox.faults(shapes=["no_clients_search", "no_tickets_meta"])

    output, code = run_check("--dni", DEMO_DNI)

    assert code == 0, output
    report = lines(output)
    assert report["tickets/meta"].startswith("missing") and " 404 " in report["tickets/meta"]
    assert report["clients?search={dni}"].startswith("missing")
    assert report["InvoiceClientStatus3/{id}"].startswith("ok")
    assert "with notes" in output
