from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_sends_anonymous_users_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    page = client.get(response["Location"])
    assert b"Log in" in page.content and b"csrfmiddlewaretoken" in page.content


def test_roles_exist_after_migrate() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"finance", "support"}


def test_admin_is_staff_only(client: Client) -> None:
    user = User.objects.create_user("f", password="pw-123456789")
    user.groups.add(Group.objects.get(name="finance"))
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_login_then_home_shows_role(client: Client) -> None:
    user = User.objects.create_user("s", password="pw-123456789", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    response = client.post("/login/", {"username": "s", "password": "pw-123456789"}, follow=True)
    assert response.status_code == 200
    assert b"Setup is read-only for you" in response.content
