"""Visma Connect OAuth 2.0: the tokens the Visma.net API accepts.

Reference: https://docs.vismasoftware.no/vismanetapi/authentication (notes §1).
* Service integrations use `client_credentials` with the company's `tenant_id` in the form.
* Interactive integrations use `authorization_code` (+ `offline_access` for a refresh token);
  `tenant_id` is sent on the code exchange and on every refresh.
One token reaches exactly one company, so each connection has its own token store.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn
from urllib.parse import urlencode

import requests
from django.conf import settings

from integrations.core import errors
from integrations.core.http import ApiClient, RemoteError
from integrations.core.tokens import OAuthToken, TokenStore

# OAuth error codes (RFC 6749 §5.2, plus Visma Connect's `invalid_tenant`) that no retry fixes:
# a person has to change something, and the message says what.
_FIX_HINTS: dict[str, str] = {
    "invalid_tenant": (
        "Visma Connect refused tenant {tenant}. Use the company's tenant id (not the customer "
        "tenant id), make sure the company has approved this application, and give the "
        "Visma.net user the 'API User' role (a new role can take about 15 minutes to apply)."
    ),
    "invalid_client": (
        "Visma Connect does not accept this application's client id and secret. Check "
        "VISMA_CLIENT_ID and VISMA_CLIENT_SECRET, and that the application is approved for the "
        "company (tenant {tenant})."
    ),
    "unauthorized_client": (
        "This application may not use this sign-in method at Visma Connect: check its "
        "integration type (service or interactive) in the Visma Developer Portal."
    ),
    "invalid_scope": (
        "Visma Connect refused the requested scopes: give the application the Visma.net ERP "
        "API scopes it asks for (read, create, update; see VISMA_SERVICE_SCOPES) in the Visma "
        "Developer Portal."
    ),
    "invalid_grant": (
        "The Visma.net authorisation has expired or was revoked: connect the company to "
        "Visma.net again."
    ),
}


def token_tenant_id(access_token: str) -> str:
    """The `tenant_id` claim of a Visma Connect access token, or "" when it has none.

    Visma Connect access tokens are JWTs; the claim is there when the application asks for the
    `tenants` scope and has the identity claim enabled (docs.connect.visma.com, access token).
    The token comes straight from the token endpoint over TLS, so the claim is read without
    checking the signature; the company is then confirmed with `GET /v1/organization`.
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return ""
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return ""
    tenant = claims.get("tenant_id") if isinstance(claims, dict) else None
    if isinstance(tenant, list):
        # Tolerate a list-valued claim: exactly one company is a choice, several are not.
        tenant = tenant[0] if len(tenant) == 1 else None
    return tenant.strip() if isinstance(tenant, str) else ""


class VismaConnectHttp(ApiClient):
    """The token endpoint calls, logged as ApiCall rows like every other remote call."""

    service: ClassVar[str] = "visma_connect"

    def parse_error(self, response: requests.Response) -> RemoteError:
        # RFC 6749 §5.2: {"error": "invalid_tenant", "error_description": "..."}
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("error"):
            code = str(body["error"])
            return RemoteError(str(body.get("error_description") or code)[:500], code)
        return super().parse_error(response)


class VismaConnect:
    def __init__(
        self,
        *,
        connect_url: str,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        token_store: TokenStore,
        session: requests.Session | None = None,
        interactive: bool = False,
        service_scopes: Sequence[str] | None = None,
    ) -> None:
        self.connect_url = connect_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant_id = tenant_id
        self.token_store = token_store
        # An interactive connection without a refresh token must be connected again by a
        # person; it never falls back to client credentials.
        self.interactive = interactive
        # Only what the integration uses (settings.VISMA_SERVICE_SCOPES: no delete by default).
        self.service_scopes = tuple(
            settings.VISMA_SERVICE_SCOPES if service_scopes is None else service_scopes
        )
        self.http = VismaConnectHttp(self.connect_url, session=session)

    # -- interactive sign-in ---------------------------------------------------------------

    def authorization_url(
        self, *, redirect_uri: str, state: str, scopes: Sequence[str] | None = None
    ) -> str:
        # Reference: https://docs.vismasoftware.no/vismanetapi/developer-portal/interactive-integrations
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(settings.VISMA_INTERACTIVE_SCOPES if scopes is None else scopes),
                "state": state,
            }
        )
        return f"{self.connect_url}/connect/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> OAuthToken:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if self.tenant_id:
            # Without one, the company chosen on Visma Connect's page is the token's company.
            form["tenant_id"] = self.tenant_id
        with self.token_store.locked():
            token = self._token_call(form, previous=None)
            self.token_store.save(token)
        return token

    # -- the token every API call uses -----------------------------------------------------

    def access_token(self) -> str:
        token = self.token_store.load()
        if token is not None and token.is_fresh():
            return token.access_token
        with self.token_store.locked() as current:
            # Another worker may have refreshed while we waited for the lock: use its token.
            if current is not None and current.is_fresh():
                return current.access_token
            if current is not None and current.refresh_token:
                fresh = self._token_call(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": current.refresh_token,
                        "tenant_id": self.tenant_id,
                    },
                    previous=current,
                )
            elif self.interactive:
                raise errors.Unauthorized(
                    "Visma.net has no valid authorisation for this company: connect it again.",
                    service=VismaConnectHttp.service,
                    code="no_refresh_token",
                )
            else:
                fresh = self._token_call(
                    {
                        "grant_type": "client_credentials",
                        "tenant_id": self.tenant_id,
                        "scope": " ".join(self.service_scopes),
                    },
                    previous=None,
                )
            self.token_store.save(fresh)
            return fresh.access_token

    def invalidate(self, *, token: str | None = None) -> None:
        """Forget the access token (after a 401). With `token`, only if it is still the stored
        one: a token another worker fetched meanwhile is kept."""
        with self.token_store.locked() as current:
            if current is None or not current.access_token:
                return
            if token is not None and current.access_token != token:
                return
            self.token_store.save(dataclasses.replace(current, access_token="", expires_at=None))

    def revoke(self) -> None:
        """Revoke the refresh token at Visma Connect and forget the stored token.

        Client-credentials tokens are self-contained and simply expire; only a refresh token
        can be revoked."""
        with self.token_store.locked() as current:
            if current is not None and current.refresh_token:
                # Reference: RFC 7009; {connect_url}/connect/revocation
                try:
                    self.http.request(
                        "POST",
                        "/connect/revocation",
                        data={
                            "token": current.refresh_token,
                            "token_type_hint": "refresh_token",
                            "client_id": self.client_id,
                            "client_secret": self.client_secret,
                        },
                        idempotent=True,
                        authenticate=False,
                    )
                except errors.ApiError as exc:
                    # A token the server no longer knows is as good as revoked (RFC 7009 §2.2).
                    if exc.code not in ("invalid_grant", "invalid_token"):
                        raise
            self.token_store.save(OAuthToken(access_token=""))

    # -- the token endpoint ----------------------------------------------------------------

    def _token_call(self, form: Mapping[str, str], *, previous: OAuthToken | None) -> OAuthToken:
        # Reference: https://docs.vismasoftware.no/vismanetapi/authentication ; POST
        # {connect_url}/connect/token, form-encoded, client secret in the body.
        body = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            # Asking for a token changes nothing on the server: safe to retry.
            response = self.http.request(
                "POST", "/connect/token", data=body, idempotent=True, authenticate=False
            )
        except errors.ApiError as exc:
            self._explain(exc)
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not payload.get("access_token"):
            raise errors.PermanentError(
                "Visma Connect answered the token request without an access token",
                service=VismaConnectHttp.service,
                status=response.status_code,
            )
        return OAuthToken.from_response(payload, previous=previous)

    def _explain(self, exc: errors.ApiError) -> NoReturn:
        hint = _FIX_HINTS.get(exc.code)
        if hint is None:
            raise exc
        detail = exc.message if exc.message and exc.message != exc.code else ""
        message = hint.format(tenant=self.tenant_id or "(none)")
        if detail:
            message = f"{message} (Visma Connect said: {detail})"
        raise errors.Unauthorized(
            message,
            service=exc.service,
            method=exc.method,
            url=exc.url,
            status=exc.status,
            body=exc.body,
            code=exc.code,
            api_call_id=exc.api_call_id,
        ) from exc
