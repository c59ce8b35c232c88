"""The connect flows: Pleo (authorization code + PKCE, then the webhook subscription) and
Visma.net (service integration with client credentials, or the interactive authorization code).

No database transaction is held across the remote calls here: each step records its result
after the call returns.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from integrations.connections.clients import (
    WEBHOOK_EVENT_TYPES,
    connection_pleo_client,
    pleo_oauth_for,
    pleo_redirect_uri,
    visma_connect_for,
    visma_redirect_uri,
    webhook_url,
)
from integrations.connections.errors import ConnectionSetupError, OAuthStateError
from integrations.connections.models import Connection, PendingOAuth
from integrations.connections.status import (
    connection_event_record,
    connection_status_refresh,
    user_or_none,
)
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.remote_errors import RemoteOutcome, remote_error_text
from integrations.pleo.client import PleoOAuth
from integrations.visma.auth import token_tenant_id
from integrations.visma.client import VismaClient

logger = logging.getLogger(__name__)

# How long a user may take on the provider's consent page.
PENDING_OAUTH_TTL = timedelta(minutes=15)

# Keys a token response may carry the Pleo company id under. The Pleo specs document no way to
# read the company of a token, so the connect page also asks for it; when both are there they
# must agree.
_COMPANY_KEYS = ("company_id", "companyId")


def _pending_create(
    *,
    connection: Connection,
    provider: str,
    redirect_uri: str,
    user: User | None,
    code_verifier: str = "",
    company_hint: str = "",
) -> PendingOAuth:
    return PendingOAuth.objects.create(
        connection=connection,
        provider=provider,
        state=secrets.token_urlsafe(32),
        code_verifier=code_verifier or None,
        redirect_uri=redirect_uri,
        company_hint=company_hint,
        created_by=user,
    )


def pending_oauth_claim(
    *, state: str, provider: str, user: AbstractBaseUser | AnonymousUser | None = None
) -> PendingOAuth:
    """Use a pending authorization once. Refuses unknown, expired, reused or foreign states."""
    refused = OAuthStateError(
        "This sign-in link is not valid any more (unknown, expired or already used). "
        "Start the connection again from the connection page."
    )
    if not state:
        raise refused
    pending = (
        PendingOAuth.objects.select_related("connection")
        .filter(state=state, provider=provider)
        .first()
    )
    if pending is None:
        raise refused
    owner = user_or_none(user)
    if owner is not None and pending.created_by_id not in (None, owner.pk):
        # The state is bound to the user who started the flow (login CSRF protection).
        raise refused
    # Conditional update: of two callbacks with the same state, exactly one wins.
    claimed = PendingOAuth.objects.filter(
        pk=pending.pk,
        used_at__isnull=True,
        created_at__gte=timezone.now() - PENDING_OAUTH_TTL,
    ).update(used_at=timezone.now())
    if claimed != 1:
        raise refused
    return pending


# -- Pleo --------------------------------------------------------------------------------------


def pending_oauth_create_pleo(
    *, connection: Connection, user: User | None, company_id: str = ""
) -> tuple[str, str]:
    """Record a pending Pleo authorization; return the consent page address and the state."""
    verifier = PleoOAuth.new_code_verifier()
    redirect_uri = pleo_redirect_uri()
    pending = _pending_create(
        connection=connection,
        provider=PendingOAuth.Provider.PLEO,
        redirect_uri=redirect_uri,
        user=user,
        code_verifier=verifier,
        company_hint=company_id.strip(),
    )
    oauth = pleo_oauth_for(connection=connection)
    url = oauth.authorization_url(
        redirect_uri=redirect_uri, state=pending.state, code_verifier=verifier
    )
    return url, pending.state


def pleo_connect_start(
    *, connection: Connection, request: HttpRequest, company_id: str = ""
) -> str:
    """Return the Pleo consent page address for this connection (PKCE S256 and `state`)."""
    url, _ = pending_oauth_create_pleo(
        connection=connection, user=user_or_none(request.user), company_id=company_id
    )
    return url


def pleo_connect_finish(
    *,
    state: str,
    code: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    session: requests.Session | None = None,
) -> Connection:
    """Exchange the code, learn the company, then subscribe to the webhooks."""
    pending = pending_oauth_claim(state=state, provider=PendingOAuth.Provider.PLEO, user=user)
    connection = pending.connection
    by = user_or_none(user) or pending.created_by
    oauth = pleo_oauth_for(connection=connection, session=session)
    with call_links(connection_id=connection.pk):
        try:
            token = oauth.exchange_code(
                code=code,
                redirect_uri=pending.redirect_uri,
                code_verifier=pending.code_verifier or "",
            )
        except errors.ApiError as exc:
            connection_event_record(
                connection=connection, kind="pleo_connect", ok=False, by=by, detail=str(exc)
            )
            raise ConnectionSetupError(
                f"Pleo did not accept the sign-in: {exc.message}. Try connecting Pleo again."
            ) from exc
    company_id = _company_from_token(token.extra, hint=pending.company_hint)
    if not company_id:
        ConnectionTokenStore(connection_id=connection.pk, provider="pleo").clear()
        raise ConnectionSetupError(
            "Pleo did not tell which company this sign-in is for. Enter the Pleo company id "
            "(Pleo → Settings → Company) and connect again."
        )
    connection.refresh_from_db()
    if connection.pleo_company_id != company_id:
        connection.pleo_company_name = ""
    connection.pleo_company_id = company_id
    connection.pleo_connected_at = timezone.now()
    if connection.status == Connection.Status.DISCONNECTED:
        connection.status = Connection.Status.SETUP
        connection.disconnected_at = None
    connection.save()
    name = pleo_company_name_learn(connection=connection, session=session)
    connection_event_record(
        connection=connection,
        kind="pleo_connect",
        by=by,
        detail=f"company {name} ({company_id})" if name else f"company {company_id}",
    )
    pleo_webhook_ensure(connection=connection, by=by, session=session)
    connection_status_refresh(connection=connection)
    return connection


def pleo_company_name_learn(
    *, connection: Connection, session: requests.Session | None = None
) -> str:
    """Ask Pleo the company's name and keep it; "" when Pleo does not say (the sign-in lacks
    `companies:read`, the listing does not name it, Pleo is unreachable): the pages then show
    the company id and say that Pleo did not give the name. A later reconnect tries again."""
    client = connection_pleo_client(connection=connection, session=session)
    with call_links(connection_id=connection.pk):
        try:
            company = client.company_find(connection.pleo_company_id)
        except errors.ApiError as exc:
            logger.info("Pleo did not give the name of company %s: %s", connection.pk, exc)
            return ""
    name = company.name[:200] if company is not None else ""
    if name and name != connection.pleo_company_name:
        connection.pleo_company_name = name
        connection.save(update_fields=["pleo_company_name", "updated_at"])
    return name


def _company_from_token(extra: dict[str, Any], *, hint: str) -> str:
    from_token = next((str(extra[k]) for k in _COMPANY_KEYS if extra.get(k)), "")
    if from_token and hint and from_token != hint:
        raise ConnectionSetupError(
            f"The Pleo sign-in is for company {from_token}, not {hint} as entered. "
            "Sign in to the right Pleo company, or correct the company id."
        )
    return from_token or hint


def pleo_webhook_ensure(
    *,
    connection: Connection,
    by: User | None = None,
    session: requests.Session | None = None,
) -> str:
    """Keep exactly one active subscription pointing at our endpoint and store its secret.

    An existing matching subscription is reused; any other one pointing at our endpoint (left
    over from an earlier connect) is deleted, so a reconnect never doubles the deliveries.
    """
    client = connection_pleo_client(connection=connection, session=session)
    endpoint = webhook_url()
    with call_links(connection_id=connection.pk):
        try:
            existing = [s for s in client.subscriptions_list() if s.endpoint_url == endpoint]
            keep = next(
                (
                    s
                    for s in existing
                    if s.status == "ACTIVE" and set(WEBHOOK_EVENT_TYPES) <= set(s.event_types)
                ),
                None,
            )
            if keep is None:
                keep = client.subscription_create(
                    endpoint_url=endpoint, event_types=list(WEBHOOK_EVENT_TYPES)
                )
            secret = client.subscription_secret(keep.id)
        except errors.ApiError as exc:
            connection_event_record(
                connection=connection, kind="pleo_webhook", ok=False, by=by, detail=str(exc)
            )
            raise ConnectionSetupError(
                f"Pleo is connected, but the webhook subscription could not be set up: "
                f"{exc.message}. Open the connection page and connect Pleo again."
            ) from exc
        stale = [s.id for s in existing if s.id != keep.id]
        if (
            connection.pleo_webhook_subscription_id
            and connection.pleo_webhook_subscription_id
            not in (
                keep.id,
                *stale,
            )
        ):
            stale.append(connection.pleo_webhook_subscription_id)
        with transaction.atomic():
            connection.pleo_webhook_subscription_id = keep.id
            connection.pleo_webhook_secret = secret
            connection.save(
                update_fields=["pleo_webhook_subscription_id", "pleo_webhook_secret", "updated_at"]
            )
        connection_event_record(
            connection=connection, kind="pleo_webhook", by=by, detail=f"subscription {keep.id}"
        )
        for old in stale:
            try:
                client.subscription_delete(old)
                connection_event_record(
                    connection=connection,
                    kind="pleo_webhook_delete",
                    by=by,
                    detail=f"replaced subscription {old}",
                )
            except errors.ApiError as exc:
                connection_event_record(
                    connection=connection,
                    kind="pleo_webhook_delete",
                    ok=False,
                    by=by,
                    detail=f"subscription {old}: {exc}",
                )
    return keep.id


# -- Visma.net ---------------------------------------------------------------------------------


def _visma_tenant_clean(tenant_id: str) -> str:
    tenant_id = tenant_id.strip()
    if not tenant_id:
        raise ConnectionSetupError(
            "Enter the Visma.net company tenant id (Visma.net → the company → Company "
            "information). Use the company tenant id, not the customer tenant id."
        )
    if len(tenant_id) > 100 or any(c.isspace() for c in tenant_id):
        raise ConnectionSetupError("A tenant id is one word of at most 100 characters.")
    return tenant_id


def visma_connect_service(
    *,
    connection: Connection,
    tenant_id: str,
    by: AbstractBaseUser | AnonymousUser | None = None,
    session: requests.Session | None = None,
) -> Connection:
    """Service integration: client credentials for the company's tenant id."""
    tenant_id = _visma_tenant_clean(tenant_id)
    user = user_or_none(by)
    store = ConnectionTokenStore(connection_id=connection.pk, provider="visma")
    store.clear()
    auth = visma_connect_for(connection=connection, session=session, tenant_id=tenant_id)
    with call_links(connection_id=connection.pk):
        try:
            auth.access_token()
        except errors.ApiError as exc:
            store.clear()
            connection_event_record(
                connection=connection, kind="visma_connect", ok=False, by=user, detail=str(exc)
            )
            raise ConnectionSetupError(visma_token_fix(exc)) from exc
    _visma_connected(connection=connection, tenant_id=tenant_id, mode="service", by=user)
    return connection


def visma_connect_interactive_start(
    *, connection: Connection, request: HttpRequest, tenant_id: str = ""
) -> str:
    """Return the Visma Connect sign-in address (authorization code with `offline_access`).

    No tenant id is needed: the user chooses the company on Visma Connect's page. One typed in
    anyway is checked against that choice when the user comes back."""
    tenant_id = _visma_tenant_clean(tenant_id) if tenant_id.strip() else ""
    redirect_uri = visma_redirect_uri()
    pending = _pending_create(
        connection=connection,
        provider=PendingOAuth.Provider.VISMA,
        redirect_uri=redirect_uri,
        user=user_or_none(request.user),
        company_hint=tenant_id,
    )
    auth = visma_connect_for(connection=connection, tenant_id=tenant_id)
    return auth.authorization_url(redirect_uri=redirect_uri, state=pending.state)


def visma_connect_interactive_finish(
    *,
    state: str,
    code: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    session: requests.Session | None = None,
) -> Connection:
    """Exchange the code; the company chosen on Visma Connect (the token's `tenant_id` claim)
    becomes the connection's company once `GET /v1/organization` confirms it."""
    pending = pending_oauth_claim(state=state, provider=PendingOAuth.Provider.VISMA, user=user)
    connection = pending.connection
    by = user_or_none(user) or pending.created_by
    store = ConnectionTokenStore(connection_id=connection.pk, provider="visma")
    auth = visma_connect_for(connection=connection, session=session, tenant_id=pending.company_hint)
    with call_links(connection_id=connection.pk):
        try:
            token = auth.exchange_code(code=code, redirect_uri=pending.redirect_uri)
        except errors.ApiError as exc:
            connection_event_record(
                connection=connection, kind="visma_connect", ok=False, by=by, detail=str(exc)
            )
            raise ConnectionSetupError(visma_token_fix(exc)) from exc
    tenant_id = _visma_chosen_tenant(token.access_token, hint=pending.company_hint, store=store)
    organization = _visma_organization(
        connection=connection, tenant_id=tenant_id, by=by, session=session
    )
    _visma_connected(connection=connection, tenant_id=tenant_id, mode="interactive", by=by)
    if organization:
        Connection.objects.filter(pk=connection.pk).update(visma_company_name=organization)
        connection.visma_company_name = organization
    return connection


def _visma_chosen_tenant(access_token: str, *, hint: str, store: ConnectionTokenStore) -> str:
    chosen = token_tenant_id(access_token)
    if chosen and hint and chosen != hint:
        store.clear()
        raise ConnectionSetupError(
            f"On Visma Connect you chose the company with tenant id {chosen}, not {hint} as "
            "entered. Sign in again and choose the company, or leave the tenant id empty."
        )
    if not chosen and not hint:
        store.clear()
        raise ConnectionSetupError(
            "Visma Connect did not say which company you chose. The integration needs the "
            "'tenants' scope with the tenant id claim enabled in the Visma Developer Portal; "
            "until then, enter the company tenant id and sign in again."
        )
    return chosen or hint


def _visma_organization(
    *,
    connection: Connection,
    tenant_id: str,
    by: User | None,
    session: requests.Session | None,
) -> str:
    """Confirm the company with `GET /v1/organization`; return its name ("" when unnamed)."""
    client = VismaClient(
        base_url=settings.VISMA_API_URL,
        auth=visma_connect_for(connection=connection, session=session, tenant_id=tenant_id),
        session=session,
    )
    with call_links(connection_id=connection.pk):
        try:
            organizations = client.organizations_list()
        except errors.ApiError as exc:
            ConnectionTokenStore(connection_id=connection.pk, provider="visma").clear()
            connection_event_record(
                connection=connection, kind="visma_connect", ok=False, by=by, detail=str(exc)
            )
            raise ConnectionSetupError(visma_organization_fix(exc, tenant_id=tenant_id)) from exc
    return next((o.name for o in organizations if o.name), "")


def visma_organization_fix(exc: errors.ApiError, *, tenant_id: str) -> str:
    """A token Visma.net does not accept for the company: say what is usually wrong."""
    if exc.status in (401, 403):
        # Visma's own explanation of a 401 after a good sign-in (…/how-tos/fix401error).
        return (
            f"Visma.net does not accept the sign-in for tenant {tenant_id}. This happens when it "
            "is a Customer tenant instead of the Company tenant, or when the Visma.net user does "
            "not have the API User role (Admin → Users → the user → Service access; a new "
            "role can take 15 minutes). Choose the company itself on Visma Connect and sign in "
            "again."
        )
    return visma_token_fix(exc)


def _visma_connected(*, connection: Connection, tenant_id: str, mode: str, by: User | None) -> None:
    connection.refresh_from_db()
    if connection.visma_tenant_id != tenant_id:
        # Another company: the branch chosen for the old one means nothing here.
        connection.visma_branch_number = ""
        connection.visma_company_name = ""
    connection.visma_tenant_id = tenant_id
    connection.visma_auth_mode = mode
    connection.visma_connected_at = timezone.now()
    if connection.status == Connection.Status.DISCONNECTED:
        connection.status = Connection.Status.SETUP
        connection.disconnected_at = None
    connection.save()
    connection_event_record(
        connection=connection, kind="visma_connect", by=by, detail=f"{mode}, tenant {tenant_id}"
    )
    connection_status_refresh(connection=connection)


_CLIENT_FIX = (
    "Visma Connect does not accept this installation's client id and secret. Ask your "
    "administrator to check VISMA_CLIENT_ID and VISMA_CLIENT_SECRET."
)
_TENANT_FIX = (
    "Visma.net refused the tenant id. Check that it is the Company tenant id (not a "
    "Customer tenant id), that the integration is approved for this company, and that "
    "the user has the API User role in Visma.net: Admin → Users → the user → Service "
    "access. Role changes can take 15 minutes."
)
# Visma Connect's OAuth error codes (RFC 6749 §5.2, plus `invalid_tenant` for a tenant the user
# may not use) and Visma.net's 12027 (wrong tenant or missing role, notes S13) → what to do.
_TOKEN_CODE_FIXES = {
    "invalid_client": _CLIENT_FIX,
    "unauthorized_client": _CLIENT_FIX,
    "invalid_scope": "The integration is not allowed the Visma.net API scopes it asks for. "
    "Approve the integration for this company in the Visma App Store with read, create and "
    "update access.",
    "invalid_grant": "The Visma.net sign-in expired or was revoked. Connect Visma.net again.",
    "no_refresh_token": "The Visma.net sign-in expired or was revoked. Connect Visma.net again.",
    "invalid_tenant": _TENANT_FIX,
    "12027": _TENANT_FIX,
}
_REFUSED = "Visma.net refused the connection: {message}"
_TOKEN_FIXES = {
    RemoteOutcome.LATER: "Visma Connect could not be reached ({message}). Try again in a few "
    "minutes.",
    RemoteOutcome.SIGN_IN: _REFUSED,
    RemoteOutcome.ACCESS: _REFUSED,
    RemoteOutcome.NOT_FOUND: _REFUSED,
    RemoteOutcome.REFUSED: _REFUSED,
}


def visma_token_fix(exc: errors.ApiError) -> str:
    """Turn a Visma Connect refusal into what the finance user should do: by its error code,
    else by the remote-error map."""
    fix = _TOKEN_CODE_FIXES.get((exc.code or "").lower())
    return fix or remote_error_text(exc, service="Visma Connect", fixes=_TOKEN_FIXES)
