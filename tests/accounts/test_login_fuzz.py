"""Whatever is typed as a DNI, the sign-in and activation forms answer without a server error."""

import re

import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import api

dnis = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789 .-", max_size=30),
    st.from_regex(r"[0-9A-Za-z]{1,25}", fullmatch=True),
)
fuzz = settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz
@given(dni=dnis, remember=st.booleans())
def test_sign_in_never_errors_whatever_the_dni(client, db, dni, remember):
    data = {"dni": dni, "password": "wrong-password"}
    if remember:
        data["remember"] = "on"

    response = client.post("/accounts/login/", data)

    # 429 once enough of these failures have piled up from the test client's one IP.
    assert response.status_code in (200, 429)


@fuzz
@given(dni=dnis)
def test_activation_never_errors_whatever_the_dni(client, db, dni):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as smartisp:
        smartisp.get(
            re.compile(re.escape(api("get-user/")) + ".*"),
            json={"success": False, "message": "Usuario no encontrado"},
        )
        response = client.post("/accounts/activate/", {"dni": dni})

    assert response.status_code in (200, 302)
