"""The project starts: sign-in renders; the dashboard sends anonymous users to sign in."""


def test_dashboard_redirects_anonymous_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_renders_in_spanish(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()
