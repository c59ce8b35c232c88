"""Pleo's OAuth server, simulated: authorization code with PKCE (S256 only), refresh token
rotation, revocation. A grant, and every token issued from it, belongs to one company.

Reference: ../shared/notes/pleo-api.md §1 (developers.pleo.io /docs/oauth,
how-to-refresh-tokens); RFC 6749 §4.1 and §5.2, RFC 7636 (PKCE), RFC 7009 (revocation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render

from integrations.sandbox.common import sandbox_endpoint
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.models import (
    AccessToken,
    AuthorizationCode,
    Company,
    Grant,
    RefreshToken,
    SandboxSettings,
)

DEMO_CLIENT_ID = "demo-pleo-client"
DEMO_CLIENT_SECRET = "demo-pleo-secret"
CODE_LIFETIME = timedelta(minutes=10)
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def known_clients() -> dict[str, str]:
    clients = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}
    if settings.PLEO_CLIENT_ID:
        clients[settings.PLEO_CLIENT_ID] = settings.PLEO_CLIENT_SECRET
    return clients


def oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="pleo"'
    return response


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@sandbox_endpoint("pleo")
def authorize(request: HttpRequest) -> HttpResponse:
    """`GET oauth/authorize`: the consent page; `POST` (the form) answers Allow or Deny."""
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in AUTHORIZE_FIELDS}
    companies = list(Company.objects.all())

    def page(error: str = "", status: int = 200) -> HttpResponse:
        context: dict[str, Any] = {
            "error": error,
            "client_id": params["client_id"],
            "scopes": params["scope"].split(),
            "companies": companies,
            "selected": companies[0].id if companies else None,
            "hidden": [(k, v) for k, v in params.items() if v],
        }
        return render(request, "sandbox_pleo/authorize.html", context, status=status)

    # Errors about the client or the redirect address are shown, never redirected (RFC 6749 §4.1.2.1).
    if params["client_id"] not in known_clients():
        return page("Unknown client_id.", 400)
    redirect_uri = params["redirect_uri"]
    if not redirect_uri or urlsplit(redirect_uri).scheme not in ("http", "https"):
        return page("redirect_uri is missing or not an http(s) address.", 400)
    state = {"state": params["state"]} if params["state"] else {}
    if params["response_type"] != "code":
        return HttpResponseRedirect(
            _with_query(redirect_uri, {"error": "unsupported_response_type", **state})
        )
    if params["code_challenge_method"] != "S256" or not params["code_challenge"]:
        return HttpResponseRedirect(
            _with_query(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "PKCE with code_challenge_method=S256 is required.",
                    **state,
                },
            )
        )
    if not companies:
        return page("The sandbox has no companies: seed it first (_control/seed).", 409)
    if request.method != "POST":
        return page()
    if request.POST.get("decision") != "allow":
        return HttpResponseRedirect(_with_query(redirect_uri, {"error": "access_denied", **state}))
    company = next((c for c in companies if str(c.id) == request.POST.get("company")), companies[0])
    code = AuthorizationCode.objects.create(
        code=secrets.token_urlsafe(32),
        client_id=params["client_id"],
        company=company,
        redirect_uri=redirect_uri,
        scope=params["scope"],
        code_challenge=params["code_challenge"],
        expires_at=clock.now() + CODE_LIFETIME,
    )
    return HttpResponseRedirect(_with_query(redirect_uri, {"code": code.code, **state}))


def _client_from(request: HttpRequest) -> str | None:
    """The authenticated client id (HTTP Basic, or form fields as RFC 6749 §2.3.1 allows)."""
    header = request.headers.get("Authorization", "")
    client_id = secret = ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
    else:
        client_id = request.POST.get("client_id", "")
        secret = request.POST.get("client_secret", "")
    expected = known_clients().get(client_id)
    if expected is None or not hmac.compare_digest(expected, secret):
        return None
    return client_id


def _issue(grant: Grant) -> dict[str, Any]:
    lifetime = SandboxSettings.current().token_expiry_seconds
    access = AccessToken.objects.create(
        token=secrets.token_urlsafe(32),
        grant=grant,
        expires_at=clock.now() + timedelta(seconds=lifetime),
    )
    refresh = RefreshToken.objects.create(token=secrets.token_urlsafe(32), grant=grant)
    return {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "refresh_token": refresh.token,
        "scope": grant.scope,
        # Sandbox convenience: Pleo carries the company in the token's claims.
        "company_id": str(grant.company_id),
    }


def grant_revoke(grant: Grant) -> None:
    now = clock.now()
    Grant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=now)
    grant.access_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    grant.refresh_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)


def _token_response(payload: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(payload)
    response["Cache-Control"] = "no-store"
    return response


def _grant_code(request: HttpRequest, client_id: str) -> JsonResponse:
    verifier = request.POST.get("code_verifier", "")
    with transaction.atomic():
        code = (
            AuthorizationCode.objects.select_for_update()
            .filter(code=request.POST.get("code", ""), client_id=client_id)
            .first()
        )
        if code is None or code.expires_at <= clock.now():
            return oauth_error("invalid_grant", "The authorization code is unknown or expired.")
        if code.used_at is not None:
            # A replayed code: revoke what it produced (RFC 6749 §4.1.2).
            if code.grant is not None:
                grant_revoke(code.grant)
            return oauth_error("invalid_grant", "The authorization code was already used.")
        if request.POST.get("redirect_uri", "") != code.redirect_uri:
            return oauth_error("invalid_grant", "redirect_uri does not match the authorization.")
        if not VERIFIER_PATTERN.match(verifier):
            return oauth_error("invalid_request", "code_verifier must be 43-128 characters.")
        if not hmac.compare_digest(pkce_challenge(verifier), code.code_challenge):
            return oauth_error("invalid_grant", "PKCE verification failed.")
        grant = Grant.objects.create(client_id=client_id, company=code.company, scope=code.scope)
        code.used_at = clock.now()
        code.grant = grant
        code.save(update_fields=["used_at", "grant"])
        return _token_response(_issue(grant))


def _grant_refresh(request: HttpRequest, client_id: str) -> JsonResponse:
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("grant")
            .filter(token=request.POST.get("refresh_token", ""), grant__client_id=client_id)
            .first()
        )
        if row is None or row.revoked_at is not None or row.grant.revoked_at is not None:
            return oauth_error("invalid_grant", "The refresh token is invalid or revoked.")
        if row.used_at is not None:
            # Rotation: a spent refresh token presented again means it leaked; Pleo revokes
            # every token of the grant.
            grant_revoke(row.grant)
            return oauth_error("invalid_grant", "The refresh token was already used.")
        row.used_at = clock.now()
        row.save(update_fields=["used_at"])
        return _token_response(_issue(row.grant))


@sandbox_endpoint("pleo")
def token(request: HttpRequest) -> HttpResponse:
    """`POST oauth/token` (form encoded, client authenticated with HTTP Basic)."""
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST.", 405)
    client_id = _client_from(request)
    if client_id is None:
        return oauth_error("invalid_client", "Client authentication failed.", 401)
    grant_type = request.POST.get("grant_type", "")
    if grant_type == "authorization_code":
        return _grant_code(request, client_id)
    if grant_type == "refresh_token":
        return _grant_refresh(request, client_id)
    return oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


@sandbox_endpoint("pleo")
def revoke(request: HttpRequest) -> HttpResponse:
    """`POST oauth/revoke`: revoking either token of a grant ends the whole grant."""
    if request.method != "POST":
        return oauth_error("invalid_request", "Use POST.", 405)
    client_id = _client_from(request)
    if client_id is None:
        return oauth_error("invalid_client", "Client authentication failed.", 401)
    value = request.POST.get("token", "")
    access = AccessToken.objects.filter(token=value, grant__client_id=client_id).first()
    refresh = RefreshToken.objects.filter(token=value, grant__client_id=client_id).first()
    found = access or refresh
    if found is not None:
        grant_revoke(found.grant)
    # RFC 7009 §2.2: unknown tokens are answered 200 too.
    return HttpResponse(status=200)
