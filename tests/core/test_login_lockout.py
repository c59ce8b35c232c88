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


def test_old_sign_in_attempts_are_pruned_by_the_daily_schedule(fiona: User, settings: Any) -> None:
    from datetime import timedelta

    from axes.models import AccessAttempt, AccessFailureLog
    from django.utils import timezone

    from integrations.core.tasks import api_calls_prune

    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 10
    for address in ("198.51.100.7", "203.0.113.8"):
        for _ in range(3):
            _login(Client(), "wrong", address=address)
    assert AccessAttempt.objects.count() == 2
    # The failure log is off here (AXES_DISABLE_ACCESS_LOG); a deployment may turn it on.
    for address in ("198.51.100.7", "203.0.113.8"):
        AccessFailureLog.objects.create(
            username="fiona", ip_address=address, user_agent="", path_info="/login/"
        )
    old = timezone.now() - timedelta(days=11)
    AccessAttempt.objects.filter(ip_address="198.51.100.7").update(attempt_time=old)
    AccessFailureLog.objects.filter(ip_address="198.51.100.7").update(attempt_time=old)

    api_calls_prune()  # what the daily schedule runs (test_webhook_intake: it is scheduled)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.8"]
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.8"}
    # The recent lock-out still holds.
    assert _login(Client(), PASSWORD, address="203.0.113.8").status_code == 429


def test_sign_in_attempts_inside_the_lock_out_time_are_never_pruned(
    fiona: User, settings: Any
) -> None:
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    from integrations.core.tasks import login_attempts_prune

    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 0
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    for _ in range(3):
        _login(Client(), "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=20))

    login_attempts_prune()

    assert AccessAttempt.objects.count() == 1
    assert _login(Client(), PASSWORD).status_code == 429
