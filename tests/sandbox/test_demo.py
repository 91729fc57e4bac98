"""`make demo`: the subscribers its banner offers show what the banner says, and the banner says
where everything runs and how the state is reset."""

from datetime import date
from pathlib import Path

from portal.sandbox.demo import (
    DEMO_PASSWORD,
    DEMO_STAFF_DNI,
    DEMO_SUBSCRIBERS,
    STAFF_ENSURE,
    Stack,
    banner,
)


def _shows(dni: str) -> str:
    return next(s.shows for s in DEMO_SUBSCRIBERS if s.dni == dni)


def _invoices(sandbox_smartisp, dni: str) -> tuple[dict, list, list]:
    user = sandbox_smartisp.get(f"get-user/{dni}").json()["user"]
    unpaid = sandbox_smartisp.get(f"InvoiceClientStatus3/{user['id']}").json()["invoices"] or []
    paid = sandbox_smartisp.get(f"InvoiceClientStatus1/{user['id']}").json()["invoices"] or []
    return user, unpaid, paid


def test_the_demo_subscribers_show_what_the_banner_says(sandbox_smartisp):
    by_what = {}
    for subscriber in DEMO_SUBSCRIBERS:
        by_what[subscriber.dni] = _invoices(sandbox_smartisp, subscriber.dni)

    user, unpaid, _ = by_what["0102030405"]
    assert "several months" in _shows("0102030405") and len(unpaid) == 3

    user, unpaid, _ = by_what["0603456789"]
    assert "suspended" in _shows("0603456789")
    services = sandbox_smartisp.get("clients", params={"per_page": 100}).json()["data"]
    assert [s["status"] for c in services if c["id"] == user["id"] for s in c["service"]] == ["de"]
    assert len(unpaid) == 4
    assert any(i["cortado_date"] < date.today().isoformat() for i in unpaid)

    user, _, _ = by_what["0401234567"]
    assert "no email" in _shows("0401234567") and user["email"] is None

    user, unpaid, paid = by_what["0912345678"]
    assert "all paid" in _shows("0912345678") and unpaid == [] and len(paid) == 24


def test_the_banner_names_the_ports_the_state_and_every_sign_in():
    stack = Stack(state_dir=Path(".demo"), port=9100, smartisp_port=9101, gateway_port=9102)

    text = banner(stack, kept=False)

    for where in ("http://127.0.0.1:9100/", "http://127.0.0.1:9101/", "http://127.0.0.1:9102/"):
        assert where in text
    assert DEMO_PASSWORD in text and "KEEP=1" in text
    for subscriber in DEMO_SUBSCRIBERS:
        assert subscriber.dni in text and subscriber.shows in text
    assert "make demo-reset" in banner(stack, kept=True)
    assert f"Staff:    cédula {DEMO_STAFF_DNI}" in text and "/staff/transfers/" in text


def test_the_demo_staff_account_reviews_transfers_and_is_made_once(client, db):
    from accounts.models import User

    exec(STAFF_ENSURE)  # what the demo runs through manage.py shell at every start
    exec(STAFF_ENSURE)

    staff = User.objects.get(dni=DEMO_STAFF_DNI)
    assert staff.is_staff and not staff.is_superuser and staff.check_password(DEMO_PASSWORD)
    client.force_login(staff)
    assert client.get("/staff/transfers/").status_code == 200


def test_the_stack_runs_as_production_does():
    stack = Stack(state_dir=Path("/tmp/state"), port=9100, extra_env={})

    env = stack.env

    assert env["DEBUG"] == "false"
    assert env["STATIC_ROOT"] == "/tmp/state/static"
    assert env["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert env["SECRET_KEY"] and env["SECRET_KEY"] == stack.env["SECRET_KEY"]
    assert env["SMARTISP_URL"] == "http://127.0.0.1:8001/api/SmartIPS-v1/"
