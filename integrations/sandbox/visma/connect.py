"""Visma Connect: the OAuth 2 token endpoint and a small consent page.

Grants: `client_credentials` with `tenant_id` (service integrations), `authorization_code` and
`refresh_token` (interactive integrations; refresh tokens are single use). Access tokens last
3600 s. Reference: https://docs.vismasoftware.no/vismanetapi/authentication
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone

from integrations.sandbox.common import sandbox_endpoint
from integrations.sandbox.visma.models import (
    AccessToken,
    AuthorizationCode,
    Company,
    RefreshToken,
)

TOKEN_LIFETIME = timedelta(seconds=3600)
CODE_LIFETIME = timedelta(minutes=5)
DEMO_CLIENTS = {"demo-visma-client": "demo-visma-secret"}
SERVICE_SCOPE_PREFIX = "vismanet_erp_service_api:"
INTERACTIVE_SCOPE_PREFIX = "vismanet_erp_interactive_api:"
# `tenants` puts the chosen company's tenant id in the token (`tenant_id` claim): notes,
# addendum on interactive sign-in (docs.connect.visma.com …/access-token).
KNOWN_OTHER_SCOPES = {"openid", "offline_access", "profile", "email", "tenants"}
# Who can sign in on the consent page: the first has the "API User" role in every tenant, the
# second has not, so its code is refused with `invalid_tenant` (notes §1, S13).
DEMO_USERS = {"finance@demo.example": True, "no-api-role@demo.example": False}
# Signs the sandbox's tokens; clients read the claims, they cannot check Visma's signature.
SIGNING_KEY = b"visma-connect-sandbox"


def _clients() -> dict[str, str]:
    clients = dict(DEMO_CLIENTS)
    client_id = getattr(settings, "VISMA_CLIENT_ID", "")
    client_secret = getattr(settings, "VISMA_CLIENT_SECRET", "")
    if client_id and client_secret:
        clients[client_id] = client_secret
    return clients


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _client_credentials(request: HttpRequest, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _scopes_valid(scopes: list[str], prefix: str) -> bool:
    return all(s.startswith(prefix) or s in KNOWN_OTHER_SCOPES for s in scopes) and any(
        s.startswith(prefix) for s in scopes
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict[str, object]) -> str:
    """A JWT like Visma Connect's access tokens (HS256 here, with the sandbox's own key)."""
    header = {"alg": "HS256", "typ": "at+jwt", "kid": "sandbox"}
    signing = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(SIGNING_KEY, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(signature)}"


def _issue(
    *, company: Company, client_id: str, scopes: str, with_refresh: bool, user: str = ""
) -> JsonResponse:
    now = timezone.now()
    claims: dict[str, object] = {
        "iss": "https://connect.visma.com",
        "client_id": client_id,
        "sub": user or client_id,
        "scope": scopes.split(),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "jti": secrets.token_hex(16),
    }
    if "tenants" in scopes.split():
        claims["tenant_id"] = company.tenant_id
    # Without the `tenants` scope the sandbox keeps an opaque value: the product must not
    # depend on reading a token it did not ask to carry the tenant.
    value = _jwt(claims) if "tenants" in scopes.split() else secrets.token_urlsafe(32)
    access = AccessToken.objects.create(
        token=value,
        company=company,
        client_id=client_id,
        scopes=scopes,
        expires_at=timezone.now() + TOKEN_LIFETIME,
    )
    body: dict[str, object] = {
        "access_token": access.token,
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "token_type": "Bearer",
        "scope": scopes,
    }
    if with_refresh:
        refresh = RefreshToken.objects.create(
            token=secrets.token_urlsafe(32), company=company, client_id=client_id, scopes=scopes
        )
        body["refresh_token"] = refresh.token
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@sandbox_endpoint("visma")
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _oauth_error("invalid_request", "Use POST.", 405)
    if request.content_type != "application/x-www-form-urlencoded":
        return _oauth_error(
            "invalid_request", "The body must be application/x-www-form-urlencoded."
        )
    form = dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
    client_id, client_secret = _client_credentials(request, form)
    expected = _clients().get(client_id)
    if not client_id or expected is None or not secrets.compare_digest(expected, client_secret):
        return _oauth_error("invalid_client", "Unknown client or wrong secret.", 400)
    grant = form.get("grant_type", "")
    if grant == "client_credentials":
        return _grant_client_credentials(client_id, form)
    if grant == "authorization_code":
        return _grant_code(client_id, form)
    if grant == "refresh_token":
        return _grant_refresh(client_id, form)
    return _oauth_error("unsupported_grant_type", f"Grant type '{grant}' is not supported.")


def _company(tenant_id: str) -> Company | None:
    return Company.objects.filter(tenant_id=tenant_id).first() if tenant_id else None


def _grant_client_credentials(client_id: str, form: dict[str, str]) -> JsonResponse:
    company = _company(form.get("tenant_id", ""))
    if company is None:
        return _oauth_error("invalid_tenant", "The tenant_id is missing or unknown.")
    scopes = form.get("scope", "").split()
    if not _scopes_valid(scopes, SERVICE_SCOPE_PREFIX):
        return _oauth_error(
            "invalid_scope", f"Service integrations use scopes {SERVICE_SCOPE_PREFIX}<right>."
        )
    return _issue(company=company, client_id=client_id, scopes=" ".join(scopes), with_refresh=False)


def _grant_code(client_id: str, form: dict[str, str]) -> JsonResponse:
    row = AuthorizationCode.objects.select_related("company").filter(code=form.get("code", ""))
    code = row.first()
    if code is None or code.used or code.expires_at <= timezone.now():
        return _oauth_error("invalid_grant", "The authorization code is invalid or expired.")
    if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri", ""):
        return _oauth_error("invalid_grant", "client_id or redirect_uri does not match the code.")
    if not code.api_user:
        # Visma Connect's answer when the signed-in user lacks the "API User" role (notes §1).
        return _oauth_error(
            "invalid_tenant",
            f"The user {code.user} does not have the 'API User' role in tenant "
            f"{code.company.tenant_id}.",
        )
    tenant_id = form.get("tenant_id")
    if tenant_id and tenant_id != code.company.tenant_id:
        return _oauth_error("invalid_tenant", "The tenant_id does not match the consent.")
    # Conditional update: a code is good for exactly one exchange.
    if not AuthorizationCode.objects.filter(pk=code.pk, used=False).update(used=True):
        return _oauth_error("invalid_grant", "The authorization code was already used.")
    return _issue(
        company=code.company,
        client_id=client_id,
        scopes=code.scopes,
        with_refresh="offline_access" in code.scopes.split(),
        user=code.user,
    )


def _grant_refresh(client_id: str, form: dict[str, str]) -> JsonResponse:
    row = RefreshToken.objects.select_related("company").filter(
        token=form.get("refresh_token", ""), client_id=client_id
    )
    refresh = row.first()
    if refresh is None or not RefreshToken.objects.filter(pk=refresh.pk, used=False).update(
        used=True
    ):
        return _oauth_error("invalid_grant", "The refresh token is invalid or already used.")
    tenant_id = form.get("tenant_id")
    if tenant_id and tenant_id != refresh.company.tenant_id:
        return _oauth_error("invalid_tenant", "The tenant_id does not match the refresh token.")
    return _issue(
        company=refresh.company, client_id=client_id, scopes=refresh.scopes, with_refresh=True
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@sandbox_endpoint("visma")
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent page: GET shows the companies to choose from, POST grants and redirects."""
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    scope = params.get("scope", "")
    if client_id not in _clients():
        return HttpResponse("Unknown client_id.", status=400, content_type="text/plain")
    if not redirect_uri.startswith(("http://", "https://")):
        return HttpResponse("A redirect_uri is required.", status=400, content_type="text/plain")
    if params.get("response_type", "code") != "code":
        return HttpResponseRedirect(
            _with_query(redirect_uri, {"error": "unsupported_response_type", "state": state})
        )
    if not _scopes_valid(scope.split(), INTERACTIVE_SCOPE_PREFIX):
        return HttpResponseRedirect(
            _with_query(redirect_uri, {"error": "invalid_scope", "state": state})
        )
    if request.method == "POST":
        if params.get("decision") != "allow":
            return HttpResponseRedirect(
                _with_query(redirect_uri, {"error": "access_denied", "state": state})
            )
        company = _company(params.get("tenant_id", ""))
        if company is None:
            return HttpResponse("Choose a company.", status=400, content_type="text/plain")
        user = params.get("user") or next(iter(DEMO_USERS))
        if user not in DEMO_USERS:
            return HttpResponse("Unknown user.", status=400, content_type="text/plain")
        code = AuthorizationCode.objects.create(
            code=secrets.token_urlsafe(24),
            company=company,
            user=user,
            api_user=DEMO_USERS[user],
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scope,
            expires_at=timezone.now() + CODE_LIFETIME,
        )
        return HttpResponseRedirect(_with_query(redirect_uri, {"code": code.code, "state": state}))
    return HttpResponse(_consent_page(request, client_id=client_id, scope=scope))


def _consent_page(request: HttpRequest, *, client_id: str, scope: str) -> str:
    esc = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(request.GET.get(k, ""))}">'
        for k in request.GET
        if k not in ("tenant_id", "user")
    )
    # The user picks the company (tenant) on each sign-on (docs.vismasoftware.no
    # …/authentication); Customer tenants are listed too, as Visma Connect lists them.
    options = "".join(
        f'<label><input type="radio" name="tenant_id" value="{esc(c.tenant_id)}"'
        f"{' checked' if i == 0 else ''}> {esc(c.name)} ({esc(c.tenant_type)} tenant "
        f"{esc(c.tenant_id)})</label><br>"
        for i, c in enumerate(Company.objects.order_by("id"))
    )
    users = "".join(
        f'<option value="{esc(u)}">{esc(u)}{"" if api else " (no API User role)"}</option>'
        for u, api in DEMO_USERS.items()
    )
    return (
        "<!doctype html><html><head><title>Visma Connect (sandbox)</title></head><body>"
        f"<h1>Visma Connect (sandbox)</h1><p>The application <b>{esc(client_id)}</b> asks for "
        f"access: <code>{esc(scope)}</code>.</p>"
        f'<form method="post">{hidden}<p><label>Signed in as <select name="user">{users}'
        "</select></label></p>"
        f"<fieldset><legend>Company</legend>{options}</fieldset>"
        '<button type="submit" name="decision" value="allow">Allow</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form></body></html>'
    )
