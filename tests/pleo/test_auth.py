from __future__ import annotations

import base64
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations.core import errors
from integrations.core.models import ApiCall
from integrations.core.tokens import MemoryTokenStore, OAuthToken
from integrations.pleo.auth import code_challenge
from integrations.pleo.client import PleoOAuth
from tests.pleo.pleo_fixtures import (
    AUTH,
    CLIENT_SECRET,
    REFRESH,
    expired_token,
    fresh_token,
    make_oauth,
)

TOKEN_URL = f"{AUTH}/oauth/token"


def test_new_code_verifier_is_43_to_128_url_safe_characters() -> None:
    verifiers = {PleoOAuth.new_code_verifier() for _ in range(20)}

    assert len(verifiers) == 20
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )


def test_code_challenge_is_unpadded_base64url_of_sha256() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B

    challenge = code_challenge(verifier)

    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge == expected.decode() == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert "=" not in challenge


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "a" * 42 + "!"])
def test_code_challenge_refuses_a_bad_verifier(verifier: str) -> None:
    with pytest.raises(ValueError, match="43-128"):
        code_challenge(verifier)


def test_authorization_url_carries_pkce_s256_state_and_scopes() -> None:
    oauth = make_oauth()
    verifier = PleoOAuth.new_code_verifier()

    url = oauth.authorization_url(
        redirect_uri="https://app.example/pleo/callback", state="st4te", code_verifier=verifier
    )

    split = urlsplit(url)
    assert f"{split.scheme}://{split.netloc}{split.path}" == f"{AUTH}/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(split.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "client-id",
        "redirect_uri": "https://app.example/pleo/callback",
        "scope": (
            "export-jobs:read export-jobs:write export-items:read accounts:read accounts:write "
            "vendors:read vendors:write tag-groups:read tag-groups:write tax-codes:read "
            "tax-codes:write companies:read"
        ),
        "state": "st4te",
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }


def test_the_scopes_asked_of_pleo_come_from_the_pleo_scopes_setting(settings: Any) -> None:
    # They must match the Pleo application's registration, which differs per installation.
    settings.PLEO_SCOPES = ["export-jobs:read", "export-jobs:write", "export-items:read"]
    oauth = make_oauth()

    url = oauth.authorization_url(
        redirect_uri="https://app.example/pleo/callback",
        state="st4te",
        code_verifier=PleoOAuth.new_code_verifier(),
    )

    scope = parse_qs(urlsplit(url).query)["scope"][0]
    assert scope == "export-jobs:read export-jobs:write export-items:read"


@pytest.mark.django_db
@responses.activate
def test_exchange_code_posts_the_verifier_with_basic_auth_and_saves_the_token() -> None:
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "new-access",
            "refresh_token": "new-refresh",
            "token_type": "Bearer",
            "expires_in": 900,
            "scope": "export-jobs:read",
        },
    )
    store = MemoryTokenStore()
    oauth = make_oauth(store)

    token = oauth.exchange_code(
        code="auth-code-1", redirect_uri="https://app.example/cb", code_verifier="v" * 43
    )

    request = responses.calls[0].request
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"client-id:{CLIENT_SECRET}".encode()).decode()
    )
    form = parse_qs(str(request.body))
    assert form == {
        "grant_type": ["authorization_code"],
        "code": ["auth-code-1"],
        "redirect_uri": ["https://app.example/cb"],
        "code_verifier": ["v" * 43],
    }
    assert token.access_token == "new-access"
    assert store.load() == token
    call = ApiCall.objects.get()
    assert call.service == "pleo_auth"


@pytest.mark.django_db
def test_a_fresh_token_is_used_without_calling_pleo() -> None:
    with responses.RequestsMock() as mocked:
        assert make_oauth(MemoryTokenStore(fresh_token())).access_token() == "access-token-abc123"
        assert len(mocked.calls) == 0


@pytest.mark.django_db
@responses.activate
def test_refresh_rotates_the_refresh_token() -> None:
    responses.post(
        TOKEN_URL,
        json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 900},
    )
    store = MemoryTokenStore(expired_token())

    assert make_oauth(store).access_token() == "access-2"

    form = parse_qs(str(responses.calls[0].request.body))
    assert form == {"grant_type": ["refresh_token"], "refresh_token": [REFRESH]}
    stored = store.load()
    assert stored is not None
    assert stored.refresh_token == "refresh-2"  # the old one is spent and forgotten
    assert stored.is_fresh()


@pytest.mark.django_db(transaction=True)
def test_eight_threads_with_an_expired_token_refresh_exactly_once() -> None:
    store = MemoryTokenStore(expired_token())
    oauth = make_oauth(store)
    barrier = threading.Barrier(8)
    calls: list[str] = []

    def token_endpoint(request: object) -> tuple[int, dict[str, str], str]:
        calls.append("refresh")
        return (
            200,
            {"Content-Type": "application/json"},
            ('{"access_token": "access-new", "refresh_token": "refresh-new", "expires_in": 900}'),
        )

    def worker() -> str:
        barrier.wait()
        return oauth.access_token()

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.POST, TOKEN_URL, callback=token_endpoint)
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: worker(), range(8)))

    assert calls == ["refresh"]
    assert results == ["access-new"] * 8
    stored = store.load()
    assert stored is not None and stored.refresh_token == "refresh-new"


@pytest.mark.django_db
@responses.activate
def test_a_refused_refresh_token_means_connect_again() -> None:
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    store = MemoryTokenStore(expired_token())

    with pytest.raises(errors.Unauthorized, match="connect Pleo again"):
        make_oauth(store).access_token()

    assert len(responses.calls) == 1  # never re-sent


def test_no_token_at_all_raises_unauthorized() -> None:
    with pytest.raises(errors.Unauthorized):
        make_oauth(MemoryTokenStore()).access_token()


@pytest.mark.django_db
@responses.activate
def test_token_calls_leave_no_secret_in_the_api_call_log() -> None:
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "access-SECRET-1",
            "refresh_token": "refresh-SECRET-2",
            "expires_in": 60,
        },
    )
    make_oauth(MemoryTokenStore()).exchange_code(
        code="code-SECRET-3", redirect_uri="https://app.example/cb", code_verifier="V" * 50
    )

    call = ApiCall.objects.get()
    logged = str(
        [
            call.url,
            call.request_headers,
            call.request_excerpt,
            call.response_headers,
            call.response_excerpt,
        ]
    )
    for secret in ("SECRET", CLIENT_SECRET, "V" * 50, base64.b64encode(b"client-id:").decode()):
        assert secret not in logged
    assert "grant_type=authorization_code" in call.request_excerpt


def test_invalidate_keeps_a_token_someone_else_already_refreshed() -> None:
    store = MemoryTokenStore(fresh_token())
    oauth = make_oauth(store)

    oauth.invalidate(access_token="some-older-token")
    stored = store.load()
    assert stored is not None and stored.is_fresh()

    oauth.invalidate(access_token="access-token-abc123")
    stored = store.load()
    assert stored is not None and not stored.is_fresh()
    assert stored.refresh_token == REFRESH


@pytest.mark.django_db
@responses.activate
def test_revoke_is_best_effort_and_forgets_the_tokens() -> None:
    responses.post(f"{AUTH}/oauth/revoke", status=200)
    responses.post(f"{AUTH}/oauth/revoke", status=400, json={"error": "unsupported_token_type"})
    store = MemoryTokenStore(fresh_token())

    make_oauth(store).revoke()

    bodies = [parse_qs(str(c.request.body)) for c in responses.calls]
    assert bodies[0] == {"token": [REFRESH], "token_type_hint": ["refresh_token"]}
    assert bodies[1]["token_type_hint"] == ["access_token"]
    assert store.load() == OAuthToken(access_token="", refresh_token="")
