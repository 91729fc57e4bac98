"""Whatever is typed or uploaded in the report form, it answers with the form again (400) or the
report's page (303): never a server error, and nothing is kept from a refused report."""

import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import api, example_json
from tests.transfers.conftest import stored_files
from tests.transfers.helpers import pdf_bytes, photo_bytes, report_data, upload
from transfers.models import TransferReport

fuzz = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
texts = st.one_of(st.text(max_size=60), st.text(alphabet="0123456789.,-$ /", max_size=20))
files = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([photo_bytes("PNG", (8, 8)), pdf_bytes(), b"%PDF-1.4\n", b"\xff\xd8\xff"]),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from([b"\x89PNG\r\n\x1a\n", b"RIFF"]),
        st.binary(max_size=200),
    ),
)


def mock_unpaid():
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    mock.get(api("InvoiceClientStatus3/1"), json=example_json("InvoiceClientStatus3"))
    return mock


@fuzz
@given(
    invoices=st.lists(
        st.one_of(st.sampled_from(["3112", "4624"]), st.text(max_size=12)), max_size=4
    ),
    bank=st.one_of(st.sampled_from(["2201234567", "other", ""]), st.text(max_size=30)),
    paid_on=st.one_of(st.dates().map(str), texts),
    amount=st.one_of(st.sampled_from(["351.51", "21,51", "330"]), texts),
    reference=st.one_of(st.text(max_size=50), st.text(max_size=20).map(lambda t: (t or "9") * 500)),
    content=files,
    name=st.text(max_size=40),
    content_type=st.sampled_from(["image/jpeg", "application/pdf", "text/html", ""]),
)
def test_the_report_form_never_errors(
    subscriber_client,
    media,
    invoices,
    bank,
    paid_on,
    amount,
    reference,
    content,
    name,
    content_type,
):
    mock = mock_unpaid()
    try:
        before = TransferReport.objects.count(), len(stored_files(media))
        data = report_data(
            invoices=invoices,
            bank=bank,
            paid_on=paid_on,
            amount=amount,
            reference=reference,
            # The test client needs a file name it can keep; the server only ever sees its basename.
            receipt=upload(content, name=name.rsplit("/", 1)[-1] or "x", content_type=content_type),
        )

        response = subscriber_client.post("/billing/transfers/new/", data)

        assert response.status_code in (303, 400)
        if response.status_code == 400:
            assert (TransferReport.objects.count(), len(stored_files(media))) == before
    finally:
        mock.stop()
        mock.reset()


@fuzz
@given(
    field=st.sampled_from(["invoices", "bank", "paid_on", "amount", "reference"]),
    value=st.one_of(texts, st.text(max_size=20).map(lambda t: (t or "7") * 500)),
)
def test_one_field_fuzzed_in_a_good_report_never_errors(subscriber_client, media, field, value):
    mock = mock_unpaid()
    try:
        before = TransferReport.objects.count(), len(stored_files(media))
        data = report_data(**{field: [value] if field == "invoices" else value})
        data["reference"] = data["reference"] if field == "reference" else f"R{before[0]}9"

        response = subscriber_client.post("/billing/transfers/new/", data)

        assert response.status_code in (303, 400)
        if response.status_code == 400:
            assert "notice-error" in response.content.decode()  # a clear message
            assert (TransferReport.objects.count(), len(stored_files(media))) == before
    finally:
        mock.stop()
        mock.reset()
