from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
import responses

from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.http import ApiClient, parse_retry_after
from integrations.core.models import ApiCall

pytestmark = pytest.mark.django_db

BASE = "https://remote.example"


class Client(ApiClient):
    service = "visma"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer s3cr3t-token"}


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def client(slept: list[float]) -> Client:
    return Client(BASE, sleep=slept.append, max_wait=60)


@responses.activate
def test_429_is_retried_after_retry_after_seconds(client: Client, slept: list[float]) -> None:
    responses.get(
        f"{BASE}/v1/account",
        status=429,
        headers={"Retry-After": "7"},
        json={"Message": "slow down"},
    )
    responses.get(f"{BASE}/v1/account", status=200, json=[{"accountCD": "6540"}])

    response = client.request("GET", "/v1/account")

    assert response.json() == [{"accountCD": "6540"}]
    assert slept == [7.0]
    statuses = list(ApiCall.objects.order_by("id").values_list("status_code", "attempt"))
    assert statuses == [(429, 1), (200, 2)]


@responses.activate
def test_429_on_post_is_retried_because_nothing_was_done(
    client: Client, slept: list[float]
) -> None:
    responses.post(f"{BASE}/v2/journaltransaction", status=429, headers={"X-RateLimit-Reset": "3"})
    responses.post(
        f"{BASE}/v2/journaltransaction",
        status=201,
        headers={"Location": f"{BASE}/v2/journaltransaction/42"},
    )

    response = client.request(
        "POST", "/v2/journaltransaction", json={"description": {"value": "x"}}
    )

    assert response.status_code == 201
    assert slept == [3.0]


@responses.activate
def test_5xx_on_get_is_retried_with_backoff(client: Client, slept: list[float]) -> None:
    responses.get(f"{BASE}/v1/vat", status=503)
    responses.get(f"{BASE}/v1/vat", status=502)
    responses.get(f"{BASE}/v1/vat", status=200, json=[])

    client.request("GET", "/v1/vat")

    assert len(slept) == 2
    assert all(0 <= s <= 30 for s in slept)


@responses.activate
def test_5xx_on_post_is_not_retried_and_outcome_is_unknown(
    client: Client, slept: list[float]
) -> None:
    responses.post(f"{BASE}/v2/journaltransaction", status=504)

    with pytest.raises(errors.TransientError) as caught:
        client.request("POST", "/v2/journaltransaction", json={})

    assert caught.value.outcome_unknown is True
    assert slept == []
    assert len(responses.calls) == 1


@responses.activate
def test_read_timeout_on_post_is_unknown_outcome(client: Client) -> None:
    responses.post(
        f"{BASE}/v1/supplierInvoice", body=requests.exceptions.ReadTimeout("read timed out")
    )

    with pytest.raises(errors.TransientError) as caught:
        client.request("POST", "/v1/supplierInvoice", json={})

    assert caught.value.outcome_unknown is True
    call = ApiCall.objects.get()
    assert call.status_code is None
    assert "ReadTimeout" in call.error


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, errors.ValidationFailed),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (413, errors.ValidationFailed),
        (418, errors.PermanentError),
        (422, errors.ValidationFailed),
    ],
)
@responses.activate
def test_4xx_is_not_retried_and_raised_by_meaning(
    client: Client, slept: list[float], status: int, error_class: type[errors.ApiError]
) -> None:
    responses.get(
        f"{BASE}/v1/supplier/1",
        status=status,
        json={"type": "SOME_CODE", "message": "No such thing"},
    )

    with pytest.raises(error_class) as caught:
        client.request("GET", "/v1/supplier/1")

    assert caught.value.status == status
    assert caught.value.message == "No such thing"
    assert caught.value.code == "SOME_CODE"
    assert caught.value.body == {"type": "SOME_CODE", "message": "No such thing"}
    assert slept == []
    assert len(responses.calls) == 1


@responses.activate
def test_retry_after_longer_than_max_wait_is_raised_to_caller(slept: list[float]) -> None:
    client = Client(BASE, sleep=slept.append, max_wait=10)
    responses.get(f"{BASE}/v1/account", status=429, headers={"Retry-After": "3600"})

    with pytest.raises(errors.RateLimited) as caught:
        client.request("GET", "/v1/account")

    assert caught.value.retry_after == 3600
    assert slept == []


@responses.activate
def test_gives_up_after_max_attempts(client: Client, slept: list[float]) -> None:
    responses.get(f"{BASE}/v1/account", status=500)

    with pytest.raises(errors.TransientError):
        client.request("GET", "/v1/account")

    assert len(responses.calls) == Client.max_attempts
    assert ApiCall.objects.count() == Client.max_attempts


@responses.activate
def test_every_call_leaves_a_row_with_secrets_redacted(client: Client) -> None:
    responses.post(
        f"{BASE}/connect/token",
        status=200,
        json={"access_token": "at-123456", "refresh_token": "rt-abcdef", "expires_in": 3600},
    )
    with call_links(connection_id=5, export_item_id=9):
        client.request(
            "POST",
            "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_secret": "cs-999",
                "code": "auth-code-1",
            },
            params={"state": "xyz", "tenant_id": "t1"},
            idempotent=True,
        )

    call = ApiCall.objects.get()
    assert call.service == "visma"
    assert call.method == "POST"
    assert call.path == "/connect/token"
    assert call.status_code == 200
    assert call.connection_id == 5 and call.export_item_id == 9
    everything = str(call.request_headers) + call.request_excerpt + call.response_excerpt + call.url
    for secret in ("s3cr3t-token", "at-123456", "rt-abcdef", "cs-999", "auth-code-1", "xyz"):
        assert secret not in everything
    assert "tenant_id=t1" in call.url
    assert "grant_type=client_credentials" in call.request_excerpt


@responses.activate
def test_unauthorized_triggers_one_refresh_then_retry() -> None:
    class Refreshing(Client):
        refreshed = 0

        def on_unauthorized(self) -> bool:
            self.refreshed += 1
            return True

    client = Refreshing(BASE, sleep=lambda s: None)
    responses.get(f"{BASE}/x", status=401)
    responses.get(f"{BASE}/x", status=401)

    with pytest.raises(errors.Unauthorized):
        client.request("GET", "/x")
    assert client.refreshed == 1
    assert len(responses.calls) == 2


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "12"}) == 12
    assert (
        parse_retry_after({"Retry-After": "Wed, 25 Nov 2026 10:00:10 GMT"}, now=1795600000.0)
        is not None
    )
    assert parse_retry_after({"X-RateLimit-Reset": "30"}) == 30
    assert parse_retry_after({"X-RateLimit-Reset": "1000000100"}, now=1000000000.0) == 100
    assert parse_retry_after({}) is None


@responses.activate
def test_every_call_has_a_timeout(slept: list[float]) -> None:
    seen: list[Any] = []

    class Recording(requests.Session):
        def send(self, request: Any, **kwargs: Any) -> requests.Response:
            seen.append(kwargs.get("timeout"))
            return super().send(request, **kwargs)

    responses.get(f"{BASE}/y", status=200, json={})
    Client(BASE, session=Recording(), sleep=slept.append).request("GET", "/y")
    assert seen and seen[0] is not None and all(t > 0 for t in seen[0])


def test_token_store_lock_is_exclusive() -> None:
    from integrations.core.tokens import MemoryTokenStore, OAuthToken

    store = MemoryTokenStore(OAuthToken(access_token="a"))
    inside: list[int] = []
    max_inside: list[int] = []

    def worker() -> None:
        with store.locked():
            inside.append(1)
            max_inside.append(len(inside))
            inside.pop()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(max_inside) == 1


def test_the_environment_gives_proxies_and_certificates_per_host_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "files.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    api = Client("https://api.example")
    # requests itself no longer reads the environment (nor ~/.netrc) on every call.
    assert api.session.trust_env is False
    through_proxy = api._environment("https://api.example/v1/things")
    assert through_proxy["proxies"]["https"] == "http://proxy.internal:3128"
    assert through_proxy["verify"] == "/etc/ssl/company.pem"
    assert "https" not in api._environment("https://files.example/f/1")["proxies"]
    monkeypatch.setenv("HTTPS_PROXY", "http://other:3128")
    assert api._environment("https://api.example/v1/other") is through_proxy  # read once


@responses.activate
def test_a_session_that_ignores_the_environment_stays_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    session = requests.Session()
    session.trust_env = False
    api = Client("https://api.example", session=session)
    assert api._environment("https://api.example/v1/things") == {}
    responses.get("https://api.example/v1/things", json={"ok": True})
    assert api.request("GET", "/v1/things").json() == {"ok": True}
