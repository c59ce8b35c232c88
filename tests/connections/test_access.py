"""Access per connection: members see and change their connections, nobody else's; a foreign
id answers like an unknown one (404), on the pages, in the API and in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from integrations.connections import services
from integrations.connections.access import connections_for_user
from integrations.connections.models import Connection, ConnectionMembership
from integrations.core.models import ApiCall
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.demo.connection import DEMO, _members
from integrations.exports.models import ExportRun

pytestmark = pytest.mark.django_db


def _user(name: str, group: str | None, *, staff: bool = False, superuser: bool = False) -> User:
    roles_sync()
    user = User.objects.create_user(name, password="pw", is_staff=staff, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two() -> dict[str, Any]:
    """Two companies of one group: Fiona keeps the books of Nord AS only."""
    fiona = _user("fiona", FINANCE)
    nord = services.connection_create(name="Nord AS", created_by=fiona)
    sor = Connection.objects.create(name="Sør AS")
    return {"fiona": fiona, "nord": nord, "sor": sor}


def test_the_creator_is_a_member_and_sees_only_their_connections(two: dict[str, Any]) -> None:
    fiona = two["fiona"]
    assert list(connections_for_user(fiona)) == [two["nord"]]
    boss = _user("boss", None, staff=True, superuser=True)
    assert set(connections_for_user(boss)) == {two["nord"], two["sor"]}
    page = _client(fiona).get(reverse("connections:list")).content.decode()
    assert "Nord AS" in page and "Sør AS" not in page
    exports = _client(fiona).get(reverse("exports:index")).content.decode()
    assert "Nord AS" in exports and "Sør AS" not in exports


def test_a_foreign_connection_answers_like_an_unknown_id(two: dict[str, Any]) -> None:
    fiona = _client(two["fiona"])
    sor = two["sor"].pk
    unknown = sor + 1000
    for name in ("connections:detail", "connections:export_settings", "connections:disconnect"):
        assert fiona.get(reverse(name, args=[sor])).status_code == 404
        assert fiona.get(reverse(name, args=[unknown])).status_code == 404
    assert (
        fiona.post(reverse("connections:disconnect", args=[sor]), {"confirm": "yes"}).status_code
        == 404
    )
    assert not Connection.objects.get(pk=sor).is_disconnected
    run = ExportRun.objects.create(connection=two["sor"], pleo_job_id="job-s")
    assert fiona.get(reverse("exports:run", args=[run.pk])).status_code == 404
    assert fiona.post(reverse("exports:run_retry", args=[run.pk])).status_code == 404
    answer = fiona.get(reverse("api_export_settings", args=[sor]))
    assert answer.status_code == 404 and "Sør" not in answer.content.decode()
    assert fiona.get(reverse("connections:detail", args=[two["nord"].pk])).status_code == 200


def test_membership_is_shown_on_the_connection_page(two: dict[str, Any]) -> None:
    sam = _user("sam", SUPPORT)
    ConnectionMembership.objects.create(connection=two["nord"], user=sam)
    page = _client(two["fiona"]).get(reverse("connections:detail", args=[two["nord"].pk]))
    members = page.content.decode().split('id="members"', 1)[1].split("</section>", 1)[0]
    assert "fiona" in members and "sam" in members


def test_admin_shows_only_the_rows_of_the_users_connections(two: dict[str, Any]) -> None:
    sam = _user("sam", SUPPORT, staff=True)
    ConnectionMembership.objects.create(connection=two["nord"], user=sam)
    ExportRun.objects.create(connection=two["nord"], pleo_job_id="job-nord")
    foreign = ExportRun.objects.create(connection=two["sor"], pleo_job_id="job-sor")
    ApiCall.objects.create(
        service="pleo", method="GET", url="u", path="/nord", connection_id=two["nord"].pk
    )
    ApiCall.objects.create(
        service="pleo", method="GET", url="u", path="/sor", connection_id=two["sor"].pk
    )
    client = _client(sam)
    runs = client.get(reverse("admin:exports_exportrun_changelist")).content.decode()
    assert "job-nord" in runs and "job-sor" not in runs
    # The connection filter offers only the user's connections.
    assert "Sør AS" not in runs
    calls = client.get(reverse("admin:core_apicall_changelist")).content.decode()
    assert "/nord" in calls and "/sor" not in calls
    connections = client.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "Nord AS" in connections and "Sør AS" not in connections
    change = client.get(reverse("admin:exports_exportrun_change", args=[foreign.pk]))
    unknown = client.get(reverse("admin:exports_exportrun_change", args=[foreign.pk + 1000]))
    assert change.status_code == unknown.status_code == 302
    history = client.get(reverse("admin:connections_connection_history", args=[two["sor"].pk]))
    assert history.status_code == 404


def test_only_superusers_grant_membership(two: dict[str, Any]) -> None:
    sam = _user("sam", SUPPORT, staff=True)
    fiona = two["fiona"]
    fiona.is_staff = True
    fiona.save()
    add = reverse("admin:connections_connectionmembership_add")
    assert _client(fiona).get(add).status_code == 403
    boss = _user("boss", None, staff=True, superuser=True)
    answer = _client(boss).post(add, {"connection": two["sor"].pk, "user": sam.pk})
    assert answer.status_code == 302
    row = ConnectionMembership.objects.get(connection=two["sor"], user=sam)
    assert row.added_by == boss
    assert list(connections_for_user(sam)) == [two["sor"]]


def test_the_demo_users_are_members_of_the_demo_connection(db: None) -> None:
    finance, support = _user("finance", FINANCE), _user("support", SUPPORT)
    demo = Connection.objects.create(name=DEMO.name)
    _members(demo, DEMO)
    _members(demo, DEMO)  # idempotent
    assert set(demo.memberships.values_list("user__username", flat=True)) == {"finance", "support"}
    assert list(connections_for_user(finance)) == list(connections_for_user(support)) == [demo]


def test_the_upgrade_keeps_what_existing_staff_saw(db: None) -> None:
    """The data migration: finance and support users become members of the connections that
    exist at the upgrade, each creator of its own; other users of nothing."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module(
        "integrations.connections.migrations.0004_existing_users_become_members"
    )
    fiona, sam, nobody = _user("fiona", FINANCE), _user("sam", SUPPORT), _user("nobody", None)
    creator = _user("carl", None)
    a = Connection.objects.create(name="A AS", created_by=creator)
    b = Connection.objects.create(name="B AS")
    migration.members_from_roles(apps, None)
    assert set(connections_for_user(fiona)) == set(connections_for_user(sam)) == {a, b}
    assert list(connections_for_user(creator)) == [a]
    assert not connections_for_user(nobody).exists()
