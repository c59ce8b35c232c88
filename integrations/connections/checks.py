"""The permission check shown after connecting: one line per thing the exports need, each failed
line saying what to change, in words a finance user can follow."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from integrations.connections.branch import branch_problem
from integrations.connections.clients import (
    WEBHOOK_EVENT_TYPES,
    connection_pleo_client,
    connection_visma_client,
    visma_connect_for,
    webhook_url,
)
from integrations.connections.connect import visma_token_fix
from integrations.connections.models import Connection
from integrations.connections.status import connection_event_record
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.remote_errors import RemoteOutcome, remote_error_text

# A token may create documents when one of these scopes was granted.
CREATE_SCOPES = ("vismanet_erp_service_api:create", "vismanet_erp_interactive_api:create")

API_USER_FIX = (
    "Give the user the API User role in Visma.net: Admin → Users → the user → Service access, "
    "then wait 15 minutes and run the check again."
)
TENANT_FIX = (
    "Use the company tenant id, not the customer tenant id: connect Visma.net again with the "
    "tenant id shown for the company in Visma.net."
)


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    # A requirement Visma.net's API does not let us read: listed for finance staff to check,
    # never counted as passed (`ok` stays False) nor as failed.
    manual: bool = False


# Visma help "About VAT entries from the general ledger" (GL301000): journals with VAT reach the
# VAT report only as VAT transactions, which the company must allow. No API reads this setting.
VAT_ENTRY_LINE = CheckLine(
    "Visma.net: VAT entry from general ledger is enabled",
    False,
    "Journals with VAT are created as VAT transactions so their VAT reaches the VAT report; "
    "Visma.net refuses them when the functionality is off. Its API does not show the setting.",
    "In Visma.net open Enable/disable functionalities (CS100000) and make sure 'VAT entry from "
    "general ledger' is switched on.",
    manual=True,
)


def _not_checked(name: str, because: str) -> CheckLine:
    return CheckLine(name, False, f"Not checked: {because}.", "Fix the line above first.")


_VISMA_FIXES = {
    RemoteOutcome.SIGN_IN: TENANT_FIX,
    RemoteOutcome.ACCESS: API_USER_FIX,
    RemoteOutcome.LATER: "Visma.net did not answer in time. Run the check again in a few minutes.",
}
_PLEO_TRY_AGAIN = "Pleo said: {message}. Run the check again in a few minutes."
_PLEO_FIXES = {
    RemoteOutcome.SIGN_IN: "Pleo no longer accepts the sign-in (it was revoked or expired). "
    "Use “Connect Pleo” again.",
    RemoteOutcome.ACCESS: "The Pleo user who connected lacks access. Connect again as a Pleo "
    "admin and approve every permission on the consent page.",
    RemoteOutcome.LATER: _PLEO_TRY_AGAIN,
    RemoteOutcome.NOT_FOUND: _PLEO_TRY_AGAIN,
    RemoteOutcome.REFUSED: _PLEO_TRY_AGAIN,
}


def _visma_error_fix(exc: errors.ApiError) -> str:
    return remote_error_text(exc, service="Visma.net", fixes=_VISMA_FIXES)


PERMISSION_CHECK_EVENT = "permission_check"


def connection_permission_check(
    *,
    connection: Connection,
    session: requests.Session | None = None,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> list[CheckLine]:
    """Run every line and record the outcome as a connection event, which the setup overview
    reads for its "Permission check" step."""
    with call_links(connection_id=connection.pk):
        lines = [
            *_pleo_lines(connection, session),
            *_visma_lines(connection, session),
            VAT_ENTRY_LINE,
        ]
    failed = [line for line in lines if not line.ok and not line.manual]
    checked = [line for line in lines if not line.manual]
    detail = (
        " ".join(f"{line.name}: {line.detail}" for line in failed)
        if failed
        else f"All {len(checked)} lines passed."
    )
    connection_event_record(
        connection=connection,
        kind=PERMISSION_CHECK_EVENT,
        ok=not failed,
        by=by,
        detail=detail,
        lines=[dataclasses.asdict(line) for line in lines],
    )
    return lines


@dataclass(frozen=True)
class CheckResult:
    """The last permission check, as recorded: shown on GET without running it again."""

    at: datetime
    by: str
    lines: list[CheckLine]


def permission_check_last(*, connection: Connection) -> CheckResult | None:
    event = (
        connection.events.filter(kind=PERMISSION_CHECK_EVENT)
        .select_related("by")
        .order_by("-at", "-id")
        .first()
    )
    if event is None or not event.lines:
        return None
    known = {field.name for field in dataclasses.fields(CheckLine)}
    lines = [
        CheckLine(**{k: v for k, v in row.items() if k in known})
        for row in event.lines
        if isinstance(row, dict) and "name" in row and "ok" in row
    ]
    return CheckResult(at=event.at, by=event.by.get_username() if event.by else "", lines=lines)


def _pleo_lines(connection: Connection, session: requests.Session | None) -> list[CheckLine]:
    token_line = "Pleo: the connection works"
    webhook_line = "Pleo: export and vendor notifications are subscribed"
    if not connection.pleo_connected:
        return [
            CheckLine(token_line, False, "Pleo is not connected.", "Use “Connect Pleo” above."),
            _not_checked(webhook_line, "Pleo is not connected"),
        ]
    client = connection_pleo_client(connection=connection, session=session)
    try:
        subscriptions = client.subscriptions_list()
    except errors.ApiError as exc:
        fix = remote_error_text(exc, service="Pleo", fixes=_PLEO_FIXES)
        return [
            CheckLine(token_line, False, str(exc.message), fix),
            _not_checked(webhook_line, "the Pleo connection does not work"),
        ]
    lines = [CheckLine(token_line, True, f"Signed in to {connection.pleo_company_text}.")]
    ours = next((s for s in subscriptions if s.id == connection.pleo_webhook_subscription_id), None)
    reconnect = "Use “Connect Pleo” again: it sets the subscription up anew."
    if ours is None:
        lines.append(
            CheckLine(
                webhook_line,
                False,
                "Pleo has no webhook subscription for this connection.",
                reconnect,
            )
        )
    elif ours.status != "ACTIVE":
        lines.append(
            CheckLine(webhook_line, False, f"The subscription is {ours.status}.", reconnect)
        )
    elif ours.endpoint_url != webhook_url():
        lines.append(
            CheckLine(
                webhook_line,
                False,
                f"Notifications go to {ours.endpoint_url}, not to {webhook_url()}.",
                reconnect,
            )
        )
    elif not set(WEBHOOK_EVENT_TYPES) <= set(ours.event_types):
        missing = ", ".join(sorted(set(WEBHOOK_EVENT_TYPES) - set(ours.event_types)))
        lines.append(CheckLine(webhook_line, False, f"Missing events: {missing}.", reconnect))
    elif not connection.pleo_webhook_secret:
        lines.append(
            CheckLine(webhook_line, False, "The subscription's secret is not stored.", reconnect)
        )
    else:
        lines.append(CheckLine(webhook_line, True, f"Notifications go to {ours.endpoint_url}."))
    return lines


def _visma_lines(connection: Connection, session: requests.Session | None) -> list[CheckLine]:
    token_line = "Visma.net: the connection works for the company"
    read_line = "Visma.net: master data can be read (accounts, VAT categories, suppliers)"
    create_line = "Visma.net: documents can be created"
    branch_line = "Visma.net: the chosen branch exists"
    if not connection.visma_connected:
        reason = "Visma.net is not connected"
        return [
            CheckLine(token_line, False, "Visma.net is not connected.", "Use “Connect Visma.net”."),
            _not_checked(read_line, reason),
            _not_checked(create_line, reason),
            _not_checked(branch_line, reason),
        ]
    try:
        visma_connect_for(connection=connection, session=session).access_token()
    except errors.ApiError as exc:
        reason = "Visma Connect gives no token"
        return [
            CheckLine(token_line, False, str(exc.message), visma_token_fix(exc)),
            _not_checked(read_line, reason),
            _not_checked(create_line, reason),
            _not_checked(branch_line, reason),
        ]
    client = connection_visma_client(connection=connection, session=session)
    try:
        branches = client.branches_list()
    except errors.ApiError as exc:
        reason = "the token does not work for the company"
        return [
            CheckLine(token_line, False, str(exc.message), _visma_error_fix(exc)),
            _not_checked(read_line, reason),
            _not_checked(create_line, reason),
            _not_checked(branch_line, reason),
        ]
    lines = [CheckLine(token_line, True, f"Tenant {connection.visma_tenant_id}.")]
    lines.append(_read_line(read_line, client))
    lines.append(_create_line(create_line, connection))
    lines.append(_branch_line(branch_line, connection, branches))
    return lines


def _read_line(name: str, client: Any) -> CheckLine:
    # Asking for records changed from now on proves read access without paging everything.
    since = timezone.now()
    reads: list[tuple[str, Callable[[], object]]] = [
        ("accounts", lambda: client.accounts_list(modified_since=since)),
        ("VAT categories", lambda: client.vat_categories_list(modified_since=since)),
        ("suppliers", lambda: client.suppliers_list(modified_since=since)),
    ]
    failed: list[str] = []
    fix = ""
    for label, read in reads:
        try:
            read()
        except errors.ApiError as exc:
            failed.append(f"{label}: {exc.message}")
            fix = fix or _visma_error_fix(exc)
    if failed:
        return CheckLine(name, False, "Cannot read " + "; ".join(failed) + ".", fix)
    return CheckLine(name, True, "Accounts, VAT categories and suppliers can be read.")


def _create_line(name: str, connection: Connection) -> CheckLine:
    token = ConnectionTokenStore(connection_id=connection.pk, provider="visma").load()
    granted = set((token.scope if token else "").split())
    if granted & set(CREATE_SCOPES):
        return CheckLine(name, True, "The create scope is granted.")
    shown = ", ".join(sorted(granted)) or "none stated"
    return CheckLine(
        name,
        False,
        f"The token lacks the create scope (granted: {shown}).",
        "Approve the integration for this company in the Visma App Store with create access, "
        "and give the user the Financials Administrator and API User roles in Visma.net: "
        "Admin → Users → the user → Service access. Then connect Visma.net again.",
    )


def _branch_line(name: str, connection: Connection, branches: list[Any]) -> CheckLine:
    if not connection.visma_branch_number:
        return CheckLine(name, False, "No branch is chosen.", "Choose the branch above.")
    branch = next((b for b in branches if b.number == connection.visma_branch_number), None)
    problem = branch_problem(branch_number=connection.visma_branch_number, branches=branches)
    if problem or branch is None:
        fix = (
            "Choose one of the company's branches above."
            if branch is None
            else "Choose an active branch above, or activate it in Visma.net."
        )
        return CheckLine(name, False, problem or "", fix)
    return CheckLine(name, True, f"Branch {branch.number} — {branch.name}.")
