"""Whatever a staff member (or a forged form) posts as a decision, the review page answers with
the form and a message (400), a message and a redirect (303), or the 404 of a missing report:
never a server error, and never more than one decision on a report."""

import itertools
import re
from urllib.parse import quote

from django.contrib.messages import get_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Payment
from tests.transfers.helpers import report_make
from transfers.models import TransferReport

fuzz = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
references = (f"F{n}9" for n in itertools.count())
decisions = st.one_of(st.sampled_from(["approve", "reject", "", "APPROVE", "maybe"]), st.text())
reasons = st.one_of(
    st.text(),
    st.text(min_size=1, max_size=10).map(lambda t: t * 100),  # past the 500 the form allows
    st.sampled_from(["", "   ", "No such deposit in our statement.", "\x00", "<script>x</script>"]),
)
bad_ids = st.one_of(
    st.integers(min_value=10**6, max_value=2**70).map(str),
    st.sampled_from(["0", "-1", "1e3", "%00", "١٢"]),
    st.text(min_size=1, max_size=20)
    .filter(lambda t: not re.fullmatch(r"[0-9]+", t))  # a number could be a real report's
    .map(lambda t: quote(t, safe="")),
)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@fuzz
@given(
    first=st.fixed_dictionaries({"decision": decisions, "reason": reasons}),
    second=st.fixed_dictionaries({"decision": decisions, "reason": reasons}),
    omit_reason=st.booleans(),
)
def test_a_decision_post_never_errors_and_decides_at_most_once(
    staff_client, subscriber, unpaid, first, second, omit_reason
):
    report = report_make(subscriber, reference=next(references))
    url = f"/staff/transfers/{report.pk}/"
    decided = None
    for data in (first, second):
        if omit_reason:
            data = {"decision": data["decision"]}

        response = staff_client.post(url, data)

        assert response.status_code in (303, 400)
        if response.status_code == 400:
            assert 'class="errorlist' in response.content.decode()  # said what is wrong
        else:
            assert messages_of(response)  # said what happened
        report.refresh_from_db()
        if decided is None:
            if report.status != "review":
                decided = (report.status, report.decided_at, report.reason, report.payment_id)
        else:  # a second decision changes nothing
            assert (report.status, report.decided_at, report.reason, report.payment_id) == decided
    assert Payment.objects.filter(transfer_report=report).count() <= 1
    if report.status == "review":
        assert report.decided_at is None and report.payment_id is None


@fuzz
@given(pk=bad_ids, decision=decisions, reason=reasons)
def test_a_decision_on_a_report_that_does_not_exist_is_404(
    staff_client, subscriber, unpaid, pk, decision, reason
):
    report_make(subscriber, reference=next(references))

    response = staff_client.post(
        f"/staff/transfers/{pk}/", {"decision": decision, "reason": reason}
    )

    assert response.status_code == 404
    assert not TransferReport.objects.exclude(status="review").exists()
    assert not Payment.objects.exists()
