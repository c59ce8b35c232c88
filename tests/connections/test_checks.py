from __future__ import annotations

from typing import Any

import pytest
import responses
from django.contrib.auth.models import User

from integrations.connections.checks import connection_permission_check
from integrations.connections.models import Connection
from tests.connections.conftest import (
    PLEO_API,
    VISMA_API,
    VISMA_CONNECT,
    branch,
    pleo_happy,
    subscription,
    tokens_give,
    visma_happy,
)

pytestmark = pytest.mark.django_db


def _by_name(lines: list[Any]) -> dict[str, Any]:
    return {line.name: line for line in lines}


def test_working_connection_passes_every_line(
    connected: Connection, mocked: responses.RequestsMock
) -> None:
    pleo_happy(mocked)
    visma_happy(mocked)
    lines = connection_permission_check(connection=connected)
    checked = [line for line in lines if not line.manual]
    assert [line.ok for line in checked] == [True] * 6, [(x.name, x.detail) for x in lines]
    assert all(line.fix == "" for line in checked)


def test_vat_entry_from_general_ledger_is_listed_to_check_in_cs100000(
    connected: Connection, mocked: responses.RequestsMock
) -> None:
    """Visma.net's API does not show the setting, so the check lists it for people to check,
    and the recorded outcome counts only what was checked."""
    pleo_happy(mocked)
    visma_happy(mocked)

    lines = connection_permission_check(connection=connected)

    [line] = [x for x in lines if x.manual]
    assert line.name == "Visma.net: VAT entry from general ledger is enabled"
    assert "Enable/disable functionalities (CS100000)" in line.fix
    assert "'VAT entry from general ledger'" in line.fix
    event = connected.events.filter(kind="permission_check").latest("at")
    assert event.ok and event.detail == "All 6 lines passed."


def test_vat_entry_requirement_is_listed_before_visma_is_connected(
    connected: Connection, mocked: responses.RequestsMock
) -> None:
    pleo_happy(mocked)
    connected.visma_tenant_id = ""
    connected.save()

    lines = connection_permission_check(connection=connected)

    assert [x.name for x in lines if x.manual] == [
        "Visma.net: VAT entry from general ledger is enabled"
    ]


def test_pleo_token_revoked(connected: Connection, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{PLEO_API}/v1/subscriptions", status=401, json={"message": "expired"})
    mocked.post(
        f"{'https://auth.pleo.test'}/oauth/token", status=400, json={"error": "invalid_grant"}
    )
    visma_happy(mocked)
    lines = _by_name(connection_permission_check(connection=connected))
    line = lines["Pleo: the connection works"]
    assert not line.ok and "Connect Pleo" in line.fix
    assert not lines["Pleo: export and vendor notifications are subscribed"].ok
    assert lines["Visma.net: the connection works for the company"].ok


@pytest.mark.parametrize(
    ("subs", "detail"),
    [
        ([], "no webhook subscription"),
        ([subscription(status="INACTIVE")], "INACTIVE"),
        ([subscription(endpointUrl="https://old.example/hook")], "old.example"),
        ([subscription(eventTypes=["v1.export-job.created"])], "v1.vendor.created"),
    ],
)
def test_webhook_subscription_problems(
    connected: Connection, mocked: responses.RequestsMock, subs: list[dict[str, Any]], detail: str
) -> None:
    pleo_happy(mocked, subs)
    visma_happy(mocked)
    line = _by_name(connection_permission_check(connection=connected))[
        "Pleo: export and vendor notifications are subscribed"
    ]
    assert not line.ok
    assert detail in line.detail
    assert "Connect Pleo" in line.fix


def test_customer_tenant_gives_401(connected: Connection, mocked: responses.RequestsMock) -> None:
    pleo_happy(mocked)
    mocked.get(f"{VISMA_API}/v1/branch", status=401, json={"message": "Unauthorized"})
    # The client refreshes once on a 401 before giving up.
    mocked.post(f"{VISMA_CONNECT}/connect/token", json={"access_token": "t2", "expires_in": 3600})
    lines = [x for x in connection_permission_check(connection=connected) if not x.manual]
    token_line = _by_name(lines)["Visma.net: the connection works for the company"]
    assert not token_line.ok
    assert "company tenant id, not the customer tenant id" in token_line.fix
    assert [line.ok for line in lines[3:]] == [False, False, False]
    assert all(line.detail.startswith("Not checked") for line in lines[3:])


def test_missing_api_user_role(connected: Connection, mocked: responses.RequestsMock) -> None:
    pleo_happy(mocked)
    mocked.get(f"{VISMA_API}/v1/branch", json=[branch()])
    mocked.get(f"{VISMA_API}/v1/account", status=403, json={"message": "Forbidden"})
    mocked.get(f"{VISMA_API}/v1/vatCategory", json=[])
    mocked.get(f"{VISMA_API}/v1/supplier", status=403, json={"message": "Forbidden"})
    line = _by_name(connection_permission_check(connection=connected))[
        "Visma.net: master data can be read (accounts, VAT categories, suppliers)"
    ]
    assert not line.ok
    assert "accounts" in line.detail and "suppliers" in line.detail
    assert "VAT" not in line.detail
    assert "API User role" in line.fix and "Service access" in line.fix


def test_visma_token_refused_invalid_tenant(
    connected: Connection, mocked: responses.RequestsMock
) -> None:
    tokens_give(connected, "visma", access_token="", refresh_token="", expires_at=None)
    pleo_happy(mocked)
    mocked.post(
        f"{VISMA_CONNECT}/connect/token",
        status=400,
        json={"error": "invalid_tenant", "error_description": "no access"},
    )
    lines = connection_permission_check(connection=connected)
    token_line = _by_name(lines)["Visma.net: the connection works for the company"]
    assert not token_line.ok
    assert "API User role" in token_line.fix


def test_create_scope_missing(connected: Connection, mocked: responses.RequestsMock) -> None:
    tokens_give(connected, "visma", refresh_token="", scope="vismanet_erp_service_api:read")
    pleo_happy(mocked)
    visma_happy(mocked)
    line = _by_name(connection_permission_check(connection=connected))[
        "Visma.net: documents can be created"
    ]
    assert not line.ok
    assert "vismanet_erp_service_api:read" in line.detail
    assert "create access" in line.fix


@pytest.mark.parametrize(
    ("branches", "detail"),
    [([branch("2", "Other")], "does not exist"), ([branch("1", active=False)], "inactive")],
)
def test_branch_problems(
    connected: Connection,
    mocked: responses.RequestsMock,
    branches: list[dict[str, Any]],
    detail: str,
) -> None:
    pleo_happy(mocked)
    visma_happy(mocked, branches=branches)
    line = _by_name(connection_permission_check(connection=connected))[
        "Visma.net: the chosen branch exists"
    ]
    assert not line.ok and detail in line.detail


def test_nothing_connected(connection: Connection) -> None:
    lines = connection_permission_check(connection=connection)
    assert not any(line.ok for line in lines)
    assert "Connect Pleo" in lines[0].fix
    assert "Connect Visma.net" in lines[2].fix


def _overview_step(connection: Connection) -> Any:
    from integrations.masterdata.setup.selectors import setup_overview

    return {s.name: s for s in setup_overview(connection=connection)}["Permission check"]


def test_each_check_is_recorded_and_shown_on_the_overview(
    connected: Connection, mocked: responses.RequestsMock, finance_user: User
) -> None:
    assert _overview_step(connected).state == "missing"
    pleo_happy(mocked)
    visma_happy(mocked, branches=[branch("2", "Other")])
    connection_permission_check(connection=connected, by=finance_user)
    failed = connected.events.get(kind="permission_check")
    assert (failed.ok, failed.by) == (False, finance_user)
    assert "Visma.net: the chosen branch exists" in failed.detail
    assert "Pleo: the connection works" not in failed.detail
    step = _overview_step(connected)
    assert step.state == "broken" and "does not exist" in step.detail

    mocked.replace(responses.GET, f"{VISMA_API}/v1/branch", json=[branch()])
    connection_permission_check(connection=connected)
    latest = connected.events.filter(kind="permission_check").first()
    assert latest is not None and latest.ok and latest.pk != failed.pk
    assert _overview_step(connected).state == "done"


def test_check_page_records_the_user(
    connected: Connection, mocked: responses.RequestsMock, finance_client: Any
) -> None:
    pleo_happy(mocked)
    visma_happy(mocked)
    answer = finance_client.post(f"/connections/{connected.pk}/check/")
    assert answer.status_code == 200
    event = connected.events.get(kind="permission_check")
    assert event.ok and event.by is not None and event.by.username == "fiona"


def _check_calls(rsps: responses.RequestsMock) -> list[str]:
    # The page itself lists the branches for its form; anything else is the check running.
    return [c.request.url for c in rsps.calls if "/v1/branch" not in c.request.url]


def test_a_get_shows_the_last_result_and_runs_nothing(
    connected: Connection, mocked: responses.RequestsMock, finance_client: Any
) -> None:
    url = f"/connections/{connected.pk}/check/"
    pleo_happy(mocked)
    visma_happy(mocked, branches=[branch(number="2")])

    before = finance_client.get(url)
    assert before.status_code == 200 and "checklist" not in before.content.decode()
    assert _check_calls(mocked) == []
    assert not connected.events.filter(kind="permission_check").exists()

    ran = finance_client.post(url)
    assert "Branch 1 does not exist in this company" in ran.content.decode()
    calls_after_run = len(_check_calls(mocked))
    assert calls_after_run > 0

    mocked.replace(responses.GET, f"{VISMA_API}/v1/branch", json=[branch()])
    shown = finance_client.get(url)

    page = shown.content.decode()
    # The last result as recorded, with when and by whom; nothing ran again.
    assert "Branch 1 does not exist in this company" in page
    assert "Last run" in page and "fiona" in page
    assert connected.events.filter(kind="permission_check").count() == 1
    assert len(_check_calls(mocked)) == calls_after_run


def test_support_staff_may_look_at_the_check_but_not_run_it(
    connected: Connection, mocked: responses.RequestsMock, support_client: Any
) -> None:
    url = f"/connections/{connected.pk}/check/"
    assert support_client.get(url).status_code in (200, 404)
    assert support_client.post(url).status_code in (403, 404)
    assert not connected.events.filter(kind="permission_check").exists()
