"""Login lock-out after repeated failures (django-axes): per user name and address."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def fiona(settings: Any) -> User:
    settings.AXES_FAILURE_LIMIT = 3
    return User.objects.create_user("fiona", password=PASSWORD)


def _login(client: Client, password: str, address: str = "198.51.100.1") -> Any:
    return client.post("/login/", {"username": "fiona", "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_user_out_even_with_the_right_password(fiona: User) -> None:
    client = Client()
    for _ in range(2):
        assert _login(client, "wrong").status_code == 200  # the form again, with an error

    third = _login(client, "wrong")
    locked = _login(client, PASSWORD)

    assert third.status_code == 429
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_out_holds_for_that_address_only(fiona: User) -> None:
    attacker = Client()
    for _ in range(3):
        _login(attacker, "wrong", address="203.0.113.66")

    user = Client()
    answer = _login(user, PASSWORD, address="198.51.100.1")

    assert answer.status_code == 302
    assert user.session["_auth_user_id"] == str(fiona.pk)


def test_a_success_before_the_limit_clears_the_failures(fiona: User) -> None:
    client = Client()
    _login(client, "wrong")
    _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()

    # Two more failures do not reach the limit of three: the earlier ones were forgotten.
    _login(client, "wrong")
    _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
