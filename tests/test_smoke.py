"""The project starts: sign-in renders; the dashboard sends anonymous users to sign in."""


def test_dashboard_redirects_anonymous_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_are_in_spanish_by_default(client, db, settings):
    settings.LANGUAGE_CODE = "es"
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="es"' in html
    assert "Iniciar sesión" in html


def test_english_when_the_browser_asks_for_it(client, db, settings):
    settings.LANGUAGE_CODE = "es"
    html = client.get("/accounts/login/", headers={"accept-language": "en"}).content.decode()
    assert 'lang="en"' in html
    assert "Sign in" in html
