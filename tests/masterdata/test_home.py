"""The home page and the top navigation: each role sees where to go next."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.connections.models import Connection, ConnectionMembership

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _nav(html: str) -> str:
    return html.split("<nav>", 1)[1].split("</nav>", 1)[0]


def test_finance_without_connection_is_asked_to_connect_one(finance_user: User) -> None:
    page = _client(finance_user).get("/").content.decode()
    assert "Connect your first company" in page
    nav = _nav(page)
    assert 'href="/connections/"' in nav and 'href="/setup/"' in nav
    assert 'href="/exports/"' in nav and "/admin/" not in nav


def test_home_lists_each_connection_of_the_user_with_its_setup_state(
    finance_user: User, support_user: User
) -> None:
    ready = Connection.objects.create(name="Bergen AS", pleo_company_id="c-1")
    ready.events.create(kind="permission_check", ok=False, detail="Branch 9 does not exist.")
    oslo = Connection.objects.create(name="Oslo AS")
    for user in (finance_user, support_user):
        ConnectionMembership.objects.create(connection=ready, user=user)
    ConnectionMembership.objects.create(connection=oslo, user=finance_user)
    # Support is no member of Oslo AS: the home page does not name it.
    assert "Oslo AS" not in _client(support_user).get("/").content.decode()
    for user in (finance_user, support_user):
        page = _client(user).get("/").content.decode()
        assert "Connect your first company" not in page
        row = page.split(f'data-connection="{ready.pk}"', 1)[1].split("</tr>", 1)[0]
        assert "Bergen AS" in row and "1 broken" in row and "missing" in row
        assert f'href="/setup/{ready.pk}/"' in row and f'href="/exports/{ready.pk}/"' in row
        assert ("Oslo AS" in page) == (user == finance_user)
    # Adding a connection is offered to finance only.
    assert "Add a connection" in _client(finance_user).get("/").content.decode()
    assert "Add a connection" not in _client(support_user).get("/").content.decode()


def test_user_without_role_sees_no_setup(db: None) -> None:
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    Connection.objects.create(name="Bergen AS")
    page = _client(user).get("/").content.decode()
    assert "Bergen AS" not in page and "has no role yet" in page
    nav = _nav(page)
    assert "/connections/" not in nav and 'href="/admin/"' in nav


def test_setup_pages_mark_their_place_in_the_navigation(finance_user: User) -> None:
    page = _client(finance_user).get("/setup/").content.decode()
    assert '<a href="/setup/" aria-current="page">Setup</a>' in _nav(page)
