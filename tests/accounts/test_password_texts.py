"""What Django's password forms say, as a subscriber reads them: Ecuadorian Spanish in the usted
form, "current" and "repeat the new" (never Django's "antigua" or "la misma contraseña
anterior"), and no welcome after a password reset; and the id called what PORTAL_ID_LABEL says."""

import pytest

from accounts.code_views import SESSION_DNI
from accounts.models import User
from tests.accounts.conftest import (
    flashed,
    link_path,
    mock_user,
    set_password,
    signed_in_by_code,
    the_email,
)
from tests.conftest import PASSWORD

NEW_PASSWORD = "volcan-tungurahua-4410"
DJANGO_STOCK = {
    "es": ("antigua", "introduzca", "misma contraseña anterior", "confirmación"),
    "en": ("Old password", "Password confirmation", "Enter the same password as before"),
}


def test_profile_password_form_says_current_and_repeat_in_spanish(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 1)

    page = subscriber_client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert ">Contraseña actual</label>" in page
    assert ">Nueva contraseña</label>" in page
    assert ">Repita la nueva contraseña</label>" in page
    assert "Escriba otra vez la nueva contraseña" in page
    for django_stock in DJANGO_STOCK["es"]:
        assert django_stock not in page


@pytest.mark.parametrize(
    ("old", "second", "message"),
    [
        ("not-my-password", NEW_PASSWORD, "Esa no es su contraseña actual. Escríbala otra vez."),
        (PASSWORD, NEW_PASSWORD + "x", "Las dos contraseñas nuevas no son iguales."),
    ],
)
def test_password_change_errors_are_in_the_usted_form(
    subscriber_client, smartisp, old, second, message
):
    mock_user(smartisp, "2100454590", 1)

    response = subscriber_client.post(
        "/accounts/profile/",
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": second},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert message in response.content.decode()


def test_after_a_password_reset_the_subscriber_is_not_welcomed(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    client.post("/accounts/password-reset/", {"dni": "2100454590"})
    _, link, _ = the_email()

    form = client.get(client.get(link_path(link))["Location"]).content.decode()
    done = set_password(client, link, NEW_PASSWORD)

    assert ">Repita la nueva contraseña</label>" in form
    assert done["Location"] == "/"
    assert flashed(client) == ["Su nueva contraseña quedó guardada y ya inició sesión."]


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "es",
            (
                ">Nueva contraseña</label>",
                ">Repita la nueva contraseña</label>",
                "Escriba otra vez la nueva contraseña",
                "Mostrar contraseña",
            ),
        ),
        (
            "en",
            (
                ">New password</label>",
                ">Repeat the new password</label>",
                "Type the new password again, to be sure it has no typo.",
                "Show password",
            ),
        ),
    ],
)
def test_the_password_page_after_a_code_says_new_and_repeat(client, db, language, texts):
    signed_in_by_code(client, User.objects.create_user("0401234567", None, smartisp_id=105))

    page = client.get("/accounts/code/password/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    for text in texts:
        assert text in page
    assert "data-show-password" in page and 'autocomplete="new-password"' in page
    for django_stock in DJANGO_STOCK[language]:
        assert django_stock not in page


def test_the_password_page_after_a_code_says_a_mismatch_in_the_usted_form(client, db):
    signed_in_by_code(client, User.objects.create_user("0401234567", None, smartisp_id=105))

    page = client.post(
        "/accounts/code/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
        HTTP_ACCEPT_LANGUAGE="es",
    ).content.decode()

    assert "Las dos contraseñas nuevas no son iguales." in page
    assert "no coinciden" not in page  # Django's own


def test_sign_in_calls_the_id_a_cedula_by_default(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert ">Cédula</label>" in page
    assert "Su número de cédula, como figura en su contrato" in page
    assert "DNI" not in page


def test_the_ids_name_follows_portal_id_label(client, db, settings):
    settings.PORTAL_ID_LABEL = "CURP"

    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    wrong = client.post(
        "/accounts/login/", {"dni": "x!", "password": "y"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    activation = client.get("/accounts/activate/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ">CURP</label>" in login and "cédula" not in login
    assert "Ingrese su número de CURP solo con números" in wrong
    assert "Enter your CURP number." in activation


def test_the_code_pages_call_the_id_what_portal_id_label_says(client, db, settings):
    settings.PORTAL_ID_LABEL = "CURP"
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}

    ask = client.get("/accounts/code/", **english).content.decode()
    session = client.session
    session[SESSION_DNI] = "0401234567"
    session.save()
    verify = client.get("/accounts/code/verify/", **english).content.decode()
    signed_in_by_code(client, User.objects.create_user("0401234567", None, smartisp_id=105))
    choose = client.get("/accounts/code/password/", **english).content.decode()

    assert "Enter your CURP number. We will send a 6-digit code" in ask
    assert ">CURP</label>" in ask
    assert "If the CURP number you entered belongs to a subscriber" in verify
    assert "sign in with your CURP number and that password" in choose
    for page in (ask, verify, choose):
        assert "DNI" not in page and "cédula" not in page
