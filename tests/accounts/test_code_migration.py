"""Migration 0002 (phone, channel, one-time codes) on accounts the old schema made."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD = [("accounts", "0001_initial")]
NEW = [("accounts", "0002_user_phone_channel_phonecode")]


@pytest.mark.django_db(transaction=True)
def test_old_accounts_keep_everything_and_those_with_an_email_get_the_email_channel():
    executor = MigrationExecutor(connection)
    executor.migrate(OLD)
    old_user = executor.loader.project_state(OLD).apps.get_model("accounts", "User")
    with_email = old_user.objects.create(
        dni="2100454590", smartisp_id=1, email="jaquego@gmail.com", language="es", password="x"
    )
    without = old_user.objects.create(dni="0401234567", smartisp_id=105, password="y")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(NEW)
    new_apps = executor.loader.project_state(NEW).apps
    user = new_apps.get_model("accounts", "User")

    migrated = user.objects.get(pk=with_email.pk)
    assert (migrated.dni, migrated.email, migrated.language, migrated.password) == (
        "2100454590",
        "jaquego@gmail.com",
        "es",
        "x",
    )
    assert (migrated.channel, migrated.phone) == ("email", "")
    bare = user.objects.get(pk=without.pk)
    assert (bare.channel, bare.phone, bare.password) == ("", "", "y")
    assert new_apps.get_model("accounts", "PhoneCode").objects.count() == 0

    # And back: 0001 has no channel, and the rows are still there.
    executor = MigrationExecutor(connection)
    executor.migrate(OLD)
    back = executor.loader.project_state(OLD).apps.get_model("accounts", "User")
    assert back.objects.count() == 2
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
