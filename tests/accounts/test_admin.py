"""Admin: operators find portal accounts by DNI, name or email, and see the SmartISP id."""

from accounts.models import User


def test_admin_lists_and_searches_portal_accounts(client, subscriber, other_subscriber):
    operator = User.objects.create_superuser("operador", "staff-password-93")
    client.force_login(operator)

    by_dni = client.get("/admin/accounts/user/", {"q": "0102030405"})
    by_email = client.get("/admin/accounts/user/", {"q": "jaquego@gmail.com"})

    assert by_dni.status_code == 200
    assert "Juan Perez Gonzalez" in by_dni.content.decode()
    assert "Shiguango" not in by_dni.content.decode()
    assert "1057" in by_dni.content.decode()
    assert "Shiguango Esthela" in by_email.content.decode()


def test_admin_opens_an_account(client, subscriber):
    operator = User.objects.create_superuser("operador", "staff-password-93")
    client.force_login(operator)

    response = client.get(f"/admin/accounts/user/{subscriber.pk}/change/")

    assert response.status_code == 200
    assert 'name="password"' not in response.content.decode()
