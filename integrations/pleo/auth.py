"""Pleo OAuth 2: authorization code with PKCE (S256) and rotating refresh tokens.

Pleo hands out a new refresh token on every refresh and discards the old one; spending an expired
refresh token revokes the whole grant (notes/pleo-api.md §1). So a refresh happens only inside
`token_store.locked()`, after re-reading the stored token: when several threads or workers find
the token expired, one refreshes and the others use what it stored.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings

from integrations.core import errors
from integrations.core.http import ApiClient
from integrations.core.tokens import OAuthToken, TokenStore

logger = logging.getLogger(__name__)

# RFC 7636 §4.1: 43-128 characters from the unreserved set.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

# The token endpoint answers these when the grant is gone: the user has to connect again.
_DEAD_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Pleo's refresh tokens last "at least 60 days", not a fixed time, and every refresh issues a new
# one (developers.pleo.io how-tos/oauth/how-to-refresh-tokens). The lower bound: a reconnect
# warning then comes early rather than late.
REFRESH_LIFETIME = timedelta(days=60)


def code_challenge(code_verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding (RFC 7636 §4.2)."""
    if not _VERIFIER.match(code_verifier):
        raise ValueError("A PKCE code verifier has 43-128 characters from [A-Za-z0-9-._~]")
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class PleoTokenApi(ApiClient):
    """The token endpoints, as their own service so their ApiCall rows are told apart."""

    service = "pleo_auth"
    # A refresh is never re-sent (see `token_request`); a few tries are enough for the rest.
    max_attempts = 3

    def __init__(
        self,
        auth_url: str,
        *,
        client_id: str,
        client_secret: str,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(auth_url, session=session, sleep=sleep, max_wait=max_wait)
        self.client_id = client_id
        self.client_secret = client_secret

    def auth_headers(self) -> dict[str, str]:
        # Client authentication at the token endpoint is HTTP Basic (developers.pleo.io/docs/oauth).
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def token_request(self, form: dict[str, str]) -> dict[str, Any]:
        # Reference: RFC 6749 §4.1.3 and §6; developers.pleo.io/docs/oauth (POST {auth_url}/oauth/token)
        # Not idempotent: a refresh that reached Pleo has spent the old refresh token, and sending
        # it again could revoke the grant.
        try:
            response = self.request("POST", "/oauth/token", data=form, idempotent=False)
        except (errors.ValidationFailed, errors.Unauthorized, errors.PermanentError) as exc:
            if exc.code in _DEAD_GRANT_ERRORS or exc.status == 401:
                raise errors.Unauthorized(
                    f"Pleo refused the authorization ({exc.code or exc.status}): connect Pleo again",
                    service=self.service,
                    method="POST",
                    url=exc.url,
                    status=exc.status,
                    body=exc.body,
                    code=exc.code,
                    api_call_id=exc.api_call_id,
                ) from exc
            raise
        payload = response.json()
        if not isinstance(payload, dict) or not payload.get("access_token"):
            raise errors.PermanentError(
                "Pleo's token endpoint answered without an access token",
                service=self.service,
                method="POST",
                url=response.url,
                status=response.status_code,
            )
        return payload

    def revoke_request(self, token: str, token_type_hint: str) -> None:
        # Reference: RFC 7009 §2.1 (POST {auth_url}/oauth/revoke)
        self.request(
            "POST",
            "/oauth/revoke",
            data={"token": token, "token_type_hint": token_type_hint},
            idempotent=True,
        )


class PleoOAuth:
    def __init__(
        self,
        *,
        auth_url: str,
        client_id: str,
        client_secret: str,
        token_store: TokenStore,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
        scopes: Sequence[str] | None = None,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.token_store = token_store
        # One setting: the scopes must match the Pleo application's registration.
        self.scopes = tuple(settings.PLEO_SCOPES if scopes is None else scopes)
        self.api = PleoTokenApi(
            self.auth_url,
            client_id=client_id,
            client_secret=client_secret,
            session=session,
            sleep=sleep,
            max_wait=max_wait,
        )

    @staticmethod
    def new_code_verifier() -> str:
        # 64 random bytes → 86 URL-safe characters, inside RFC 7636's 43-128.
        return secrets.token_urlsafe(64)

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str,
        scopes: Sequence[str] | None = None,
    ) -> str:
        # Reference: developers.pleo.io/docs/oauth (GET {auth_url}/oauth/authorize, PKCE S256 only)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.scopes if scopes is None else scopes),
            "state": state,
            "code_challenge": code_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.auth_url}/oauth/authorize?{urlencode(query)}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> OAuthToken:
        payload = self.api.token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        token = OAuthToken.from_response(payload, refresh_lifetime=REFRESH_LIFETIME)
        with self.token_store.locked():
            self.token_store.save(token)
        return token

    def access_token(self) -> str:
        token = self.token_store.load()
        if token is not None and token.is_fresh():
            return token.access_token
        with self.token_store.locked() as current:
            # Whoever held the lock before us may have refreshed already: use what is stored now.
            if current is not None and current.is_fresh():
                return current.access_token
            if current is None or not current.refresh_token:
                raise errors.Unauthorized("Pleo is not connected: no usable token", service="pleo")
            payload = self.api.token_request(
                {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
            )
            # Rotation: the answer's refresh token replaces the old one, which is now spent.
            fresh = OAuthToken.from_response(
                payload, previous=current, refresh_lifetime=REFRESH_LIFETIME
            )
            self.token_store.save(fresh)
            logger.info("pleo: access token refreshed")
            return fresh.access_token

    def invalidate(self, *, access_token: str | None = None) -> None:
        """Mark the stored access token expired so the next `access_token()` refreshes.

        With `access_token`, only when that is still the stored one: after a 401, a token another
        worker has refreshed meanwhile is kept.
        """
        with self.token_store.locked() as current:
            if current is None or not current.access_token:
                return
            if access_token is not None and current.access_token != access_token:
                return
            self.token_store.save(replace(current, expires_at=_EPOCH))

    def revoke(self) -> None:
        """Best effort: ask Pleo to revoke the grant, then forget the tokens locally either way."""
        with self.token_store.locked() as current:
            if current is None:
                return
            for token, hint in (
                (current.refresh_token, "refresh_token"),
                (current.access_token, "access_token"),
            ):
                if not token:
                    continue
                try:
                    self.api.revoke_request(token, hint)
                except errors.ApiError as exc:
                    logger.warning("pleo: revoking the %s failed: %s", hint, exc)
            self.token_store.save(OAuthToken(access_token="", refresh_token=""))
