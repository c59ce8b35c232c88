from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone

from integrations.sandbox.common import sandbox_reset_common
from integrations.sandbox.models import FaultRule, ReceivedRequest, ServiceSettings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sandbox.urls_common")]

BASE = "/sandbox/echo"


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_requests_are_recorded_with_secrets_redacted(client: Client) -> None:
    client.post(
        f"{BASE}/v1/things?x=1&access_token=abc",
        data=json.dumps({"name": "A", "client_secret": "s3cret"}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer very-secret",
        HTTP_COOKIE="sessionid=xyz",
    )
    client.post(
        f"{BASE}/v1/things",
        data=b"\x00\x01binary",
        content_type="application/octet-stream",
    )
    got = client.get(f"{BASE}/_control/requests").json()["requests"]
    first, second = got
    assert first["method"] == "POST"
    assert first["path"] == "/v1/things"
    assert first["query"] == {"x": "1", "access_token": "***"}
    assert first["headers"]["Authorization"] == "***"
    assert first["headers"]["Cookie"] == "***"
    assert first["body"] == {"name": "A", "client_secret": "***"}
    assert first["status"] == 201
    assert "very-secret" not in json.dumps(got) and "s3cret" not in json.dumps(got)
    assert second["body"] is None and second["bodySize"] == 8
    assert client.delete(f"{BASE}/_control/requests").status_code == 204
    assert client.get(f"{BASE}/_control/requests").json()["requests"] == []


def test_form_bodies_hide_codes_and_secrets(client: Client) -> None:
    client.post(
        f"{BASE}/v1/things",
        data="grant_type=authorization_code&code=abc&client_secret=s&client_id=me",
        content_type="application/x-www-form-urlencoded",
    )
    body = ReceivedRequest.objects.get(service="echo").body
    assert body == {
        "grant_type": "authorization_code",
        "code": "***",
        "client_secret": "***",
        "client_id": "me",
    }


def test_status_fault_with_retry_after_is_used_up(client: Client) -> None:
    created = post_json(
        client,
        f"{BASE}/_control/faults",
        {
            "path": "/v1/things",
            "method": "GET",
            "fault": "status:503",
            "times": 2,
            "retry_after": 7,
        },
    )
    assert created.status_code == 201
    statuses = [client.get(f"{BASE}/v1/things") for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0]["Retry-After"] == "7"
    # Other methods and paths are untouched.
    assert post_json(client, f"{BASE}/v1/things", {}).status_code == 201
    rule = client.get(f"{BASE}/_control/faults").json()["faults"][0]
    assert rule["times"] == 0 and rule["hits"] == 2


def test_fault_without_times_limit_applies_every_time(client: Client) -> None:
    post_json(
        client, f"{BASE}/_control/faults", {"path": "/v1", "fault": "status:500", "times": None}
    )
    assert [client.get(f"{BASE}/v1/unlimited").status_code for _ in range(3)] == [500, 500, 500]
    assert client.delete(f"{BASE}/_control/faults").status_code == 204
    assert client.get(f"{BASE}/v1/unlimited").status_code == 200


def test_invalid_fault_is_refused(client: Client) -> None:
    answer = post_json(client, f"{BASE}/_control/faults", {"path": "/v1", "fault": "explode"})
    assert answer.status_code == 400
    assert "fault must be one of" in answer.json()["error"]
    assert not FaultRule.objects.exists()


def test_delay_fault_and_latency_slow_the_answer(client: Client) -> None:
    import time

    post_json(client, f"{BASE}/_control/faults", {"path": "/v1/things", "fault": "delay:150"})
    started = time.monotonic()
    assert client.get(f"{BASE}/v1/things").status_code == 200
    assert time.monotonic() - started >= 0.15
    assert post_json(client, f"{BASE}/_control/latency", {"ms": 120}).json() == {"ms": 120}
    started = time.monotonic()
    client.get(f"{BASE}/v1/unlimited")
    assert time.monotonic() - started >= 0.12
    assert post_json(client, f"{BASE}/_control/latency", {"ms": -1}).status_code == 400


def test_lose_response_does_the_work_then_answers_504(client: Client) -> None:
    post_json(
        client,
        f"{BASE}/_control/faults",
        {"path": "/v1/things", "method": "POST", "fault": "lose_response", "times": 1},
    )
    answer = post_json(client, f"{BASE}/v1/things", {"a": 1})
    assert answer.status_code == 504
    assert ReceivedRequest.objects.filter(service="echo-work").count() == 1
    assert post_json(client, f"{BASE}/v1/things", {"a": 1}).status_code == 201


def test_budget_gives_rate_limit_headers_then_429(client: Client) -> None:
    assert post_json(client, f"{BASE}/_control/budget", {"hourly": 2}).json() == {
        "hourly": 2,
        "calls": 2,
        "seconds": 3600,
        "remaining": 2,
        "reset": None,
    }
    first = client.get(f"{BASE}/v1/things")
    second = client.get(f"{BASE}/v1/things")
    third = client.get(f"{BASE}/v1/things")
    assert first.status_code == 200 and first["X-RateLimit-Limit"] == "2"
    assert first["X-RateLimit-Remaining"] == "1"
    assert second["X-RateLimit-Remaining"] == "0"
    assert 0 < int(second["X-RateLimit-Reset"]) <= 3600
    assert second["X-RateLimit-Policy"] == "2;w=3600"
    assert third.status_code == 429
    assert 0 < int(third["Retry-After"]) <= 3600
    assert third["X-RateLimit-Remaining"] == "0"
    # Endpoints without rate limiting are not counted or blocked.
    assert client.get(f"{BASE}/v1/unlimited").status_code == 200
    assert "X-RateLimit-Limit" not in client.get(f"{BASE}/v1/unlimited")
    # Unlimited: no 429 and no headers.
    post_json(client, f"{BASE}/_control/budget", {"hourly": None})
    unlimited = client.get(f"{BASE}/v1/things")
    assert unlimited.status_code == 200 and "X-RateLimit-Limit" not in unlimited


def test_default_budget_reports_headers(client: Client) -> None:
    answer = client.get(f"{BASE}/v1/things")
    assert answer["X-RateLimit-Limit"] == str(ServiceSettings.DEFAULT_HOURLY_BUDGET)


def test_reset_common_forgets_everything(client: Client) -> None:
    post_json(client, f"{BASE}/_control/faults", {"path": "/v1", "fault": "reset"})
    post_json(client, f"{BASE}/_control/latency", {"ms": 5})
    client.get(f"{BASE}/v1/unlimited")
    sandbox_reset_common("echo")
    assert not ReceivedRequest.objects.filter(service="echo").exists()
    assert not FaultRule.objects.exists()
    assert not ServiceSettings.objects.filter(service="echo").exists()


@pytest.mark.e2e
def test_reset_fault_drops_the_connection(live_server: Any) -> None:
    base = f"{live_server.url}{BASE}"
    requests.post(
        f"{base}/_control/faults", json={"path": "/v1/things", "fault": "reset"}, timeout=5
    ).raise_for_status()
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        requests.get(f"{base}/v1/things", timeout=5)
    # The next request is served normally.
    assert requests.get(f"{base}/v1/things", timeout=5).status_code == 200
    recorded = requests.get(f"{base}/_control/requests", timeout=5).json()["requests"]
    assert [r["status"] for r in recorded] == [None, 200]


def test_budget_with_a_short_window(client: Client) -> None:
    answer = post_json(client, f"{BASE}/_control/budget", {"calls": 2, "seconds": 60})
    assert answer.json() == {
        "hourly": None, "calls": 2, "seconds": 60, "remaining": 2, "reset": None}  # fmt: skip
    first = client.get(f"{BASE}/v1/things")
    assert first["X-RateLimit-Limit"] == "2" and first["X-RateLimit-Remaining"] == "1"
    assert first["X-RateLimit-Policy"] == "2;w=60"
    assert 0 < int(first["X-RateLimit-Reset"]) <= 60
    client.get(f"{BASE}/v1/things")
    spent = client.get(f"{BASE}/v1/things")
    assert spent.status_code == 429 and 0 < int(spent["Retry-After"]) <= 60
    state = client.get(f"{BASE}/_control/budget").json()
    assert state["remaining"] == 0 and 0 < state["reset"] <= 60
    # The window is over: a fresh budget.
    ServiceSettings.objects.filter(service="echo").update(
        window_start=timezone.now() - timedelta(seconds=61)
    )
    assert client.get(f"{BASE}/_control/budget").json()["remaining"] == 2
    again = client.get(f"{BASE}/v1/things")
    assert again.status_code == 200 and again["X-RateLimit-Remaining"] == "1"
    assert post_json(client, f"{BASE}/_control/budget", {"calls": 5, "seconds": 0}).status_code == (
        400
    )
    assert post_json(client, f"{BASE}/_control/budget", {"calls": None}).json()["calls"] is None
    assert "X-RateLimit-Limit" not in client.get(f"{BASE}/v1/things")


def test_service_time_is_recorded_without_the_added_latency(client: Client) -> None:
    walls: list[float] = []

    def timed_get(url: str) -> None:
        started = time.perf_counter()
        client.get(url)
        walls.append((time.perf_counter() - started) * 1000)

    post_json(client, f"{BASE}/_control/latency", {"ms": 300})
    timed_get(f"{BASE}/v1/things")
    timed_get(f"{BASE}/v1/unlimited")
    post_json(client, f"{BASE}/_control/latency", {"ms": 0})
    post_json(client, f"{BASE}/_control/faults", {"path": "/v1/things", "fault": "delay:300"})
    timed_get(f"{BASE}/v1/things")
    recorded = client.get(f"{BASE}/_control/requests").json()["requests"]
    assert [r["path"] for r in recorded] == ["/v1/things", "/v1/unlimited", "/v1/things"]
    times = [r["serviceMs"] for r in recorded]
    # The 300 ms slept on purpose is in each call's wall time and never in its service time.
    for service_ms, wall_ms in zip(times, walls, strict=True):
        assert isinstance(service_ms, float) and 0 < service_ms <= wall_ms - 300
    summary = client.get(f"{BASE}/_control/service-time").json()
    assert summary["requests"] == 3
    assert summary["totalMs"] == pytest.approx(sum(times), abs=0.01)
    assert summary["maxMs"] == pytest.approx(max(times), abs=0.001)
    assert summary["p50Ms"] == pytest.approx(sorted(times)[1], abs=0.001)
    only = client.get(f"{BASE}/_control/service-time", {"path": "/v1/unlimited"}).json()
    assert only["requests"] == 1
    client.delete(f"{BASE}/_control/requests")
    assert client.get(f"{BASE}/_control/service-time").json()["requests"] == 0


def _synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sandbox_requests_keep_quick_commits_and_anything_else_gets_the_servers(
    client: Client,
) -> None:
    configured = _synchronous_commit()
    assert configured != "off"
    client.get(f"{BASE}/v1/unlimited")
    assert _synchronous_commit() == "off"
    client.get(f"{BASE}/v1/unlimited")  # still off: not set again
    assert _synchronous_commit() == "off"
    # Any other request on the same database session commits as the server is configured.
    from django.core.signals import request_started

    from integrations.sandbox.common import commits_as_configured

    assert any(entry[0][0] == "sandbox-commits" for entry in request_started.receivers)
    commits_as_configured(environ={"PATH_INFO": "/sandbox/echo/v1/unlimited"})
    assert _synchronous_commit() == "off"
    commits_as_configured(environ={"PATH_INFO": "/exports/"})
    assert _synchronous_commit() == configured


def test_a_request_is_recorded_once_its_answer_has_gone_out() -> None:
    # Served by gunicorn (config.wsgi), which closes the response after sending it: the log
    # line is written then, so the caller never waits for it; a reader of the log waits for
    # it instead.
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.test import RequestFactory

    from integrations.sandbox.common import RECORD_AFTER_ANSWER
    from tests.sandbox.urls_common import unlimited

    request = RequestFactory().get(f"{BASE}/v1/unlimited", **{RECORD_AFTER_ANSWER: True})
    answer = unlimited(request)

    assert answer.status_code == 200
    assert not ReceivedRequest.objects.filter(service="echo").exists()
    # As the test client closes: without closing the test's own database connection.
    request_finished.disconnect(close_old_connections)
    try:
        answer.close()
    finally:
        request_finished.connect(close_old_connections)
    [record] = ReceivedRequest.objects.filter(service="echo")
    assert (record.path, record.status) == ("/v1/unlimited", 200)


@pytest.mark.e2e
def test_the_log_read_right_after_a_call_over_http_holds_that_call(live_server: Any) -> None:
    base = f"{live_server.url}{BASE}"
    for _ in range(5):
        assert requests.get(f"{base}/v1/unlimited", timeout=5).status_code == 200
        recorded = requests.get(f"{base}/_control/requests", timeout=5).json()["requests"]
        assert [r["status"] for r in recorded] == [200]
        assert requests.delete(f"{base}/_control/requests", timeout=5).status_code == 204
