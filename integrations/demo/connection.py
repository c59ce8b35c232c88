"""The demo connection: "Nordlys Demo AS", connected to both sandboxes and configured as the
README documents, so a newcomer can export at once.

`make demo` prepares the demo before the web server runs, so nothing answers on
PUBLIC_BASE_URL yet. The connect flows still go through the sandbox's real OAuth endpoints and
the real clients: their requests for PUBLIC_BASE_URL are served in-process by this
installation's WSGI application (`inprocess.py`). The Pleo consent page is answered the way a
person would (choose the company, Allow); nothing is written into the sandbox's tables directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from integrations.connections.access import connection_member_add
from integrations.connections.checks import connection_permission_check
from integrations.connections.connect import (
    pending_oauth_create_pleo,
    pleo_connect_finish,
    pleo_webhook_ensure,
    visma_connect_service,
)
from integrations.connections.errors import ConnectionSetupError
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.connections.services import connection_create, visma_branch_choose
from integrations.connections.status import connection_status_refresh
from integrations.demo.inprocess import in_process_session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSetup:
    name: str = "Nordlys Demo AS"
    pleo_company: str = "demo-company"  # the sandbox company's slug
    visma_tenant: str = "demo-tenant"
    branch: str = "1"
    wallet_accounts: tuple[tuple[str, str], ...] = (("NOK", "1925"), ("EUR", "1926"))
    out_of_pocket_account: str = "2915"
    tax_account: str = "2710"
    output_vat_account: str = "2700"
    default_vendor_number: str = "50001"
    invoice_payment_method: str = "PLEO"
    # The demo's finance and support users (`demo_users`) see the demo connection.
    members: tuple[str, ...] = ("finance", "support")


DEMO = DemoSetup()


def demo_session() -> requests.Session:
    return in_process_session(base_url=settings.PUBLIC_BASE_URL)


def demo_connection_prepare(
    *, setup: DemoSetup = DEMO, session: requests.Session | None = None
) -> Connection:
    """Create or repair the demo connection (idempotent)."""
    session = session or demo_session()
    connection = Connection.objects.filter(name=setup.name).order_by("id").first()
    if connection is None:
        connection = connection_create(name=setup.name, created_by=None)
    _pleo(connection, setup, session)
    if not connection.visma_connected or connection.visma_tenant_id != setup.visma_tenant:
        visma_connect_service(connection=connection, tenant_id=setup.visma_tenant, session=session)
    connection.refresh_from_db()
    if connection.visma_branch_number != setup.branch:
        visma_branch_choose(connection=connection, branch_number=setup.branch, session=session)
    _configure(connection, setup)
    _members(connection, setup)
    connection.refresh_from_db()
    connection = connection_status_refresh(connection=connection)
    # Recorded as a connection event, so the setup overview's "Permission check" step is done
    # (or says what failed) without anyone pressing the button.
    connection_permission_check(connection=connection, session=session)
    return connection


def _pleo(connection: Connection, setup: DemoSetup, session: requests.Session) -> None:
    if connection.pleo_connected:
        try:
            # Also points the subscription at the current PUBLIC_BASE_URL.
            pleo_webhook_ensure(connection=connection, session=session)
            return
        except ConnectionSetupError as exc:
            # E.g. the sandbox was reset and no longer knows the token: connect again.
            logger.info("demo: reconnecting Pleo (%s)", exc.message)
    company_id = _sandbox_company_id(session, setup.pleo_company)
    authorize_url, state = pending_oauth_create_pleo(connection=connection, user=None)
    code = _consent(session, authorize_url, company_id=company_id)
    pleo_connect_finish(state=state, code=code, session=session)


def _sandbox_company_id(session: requests.Session, slug: str) -> str:
    # The sandbox's control API for demos: the company's Pleo id from its slug.
    base = settings.PLEO_API_URL.rstrip("/")
    response = session.get(f"{base}/_control/state", params={"companyId": slug}, timeout=30)
    response.raise_for_status()
    companies: list[dict[str, Any]] = response.json()["companies"]
    return str(companies[0]["id"])


def _consent(session: requests.Session, authorize_url: str, *, company_id: str) -> str:
    """Answer the consent page as a person would: choose the company and press Allow."""
    shown = session.get(authorize_url, timeout=30, allow_redirects=False)
    if shown.status_code != 200:
        raise ConnectionSetupError(f"The Pleo consent page answered {shown.status_code}.")
    form = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    form.update({"company": company_id, "decision": "allow"})
    answer = session.post(
        authorize_url.split("?", 1)[0], data=form, timeout=30, allow_redirects=False
    )
    query = parse_qs(urlsplit(answer.headers.get("Location", "")).query)
    if answer.status_code not in (302, 303) or "code" not in query:
        raise ConnectionSetupError(
            f"Pleo did not grant access: {query.get('error') or answer.status_code}"
        )
    return query["code"][0]


def _configure(connection: Connection, setup: DemoSetup) -> None:
    with transaction.atomic():
        export = ExportSettings.objects.select_for_update().get(connection=connection)
        export.transfer_attachments = True
        export.one_journal_per_export = False
        export.card_expenses_as_invoices = False
        export.auto_release_invoices = False
        export.invoice_payment_method = setup.invoice_payment_method
        export.closed_period_policy = ExportSettings.ClosedPeriodPolicy.FAIL
        export._change_reason = "demo setup"  # type: ignore[attr-defined]
        export.save()
        mapping = AccountMapping.objects.select_for_update().get(connection=connection)
        mapping.wallet_accounts = dict(setup.wallet_accounts)
        mapping.out_of_pocket_account = setup.out_of_pocket_account
        mapping.tax_account = setup.tax_account
        mapping.output_vat_account = setup.output_vat_account
        mapping.default_vendor_number = setup.default_vendor_number
        mapping._change_reason = "demo setup"  # type: ignore[attr-defined]
        mapping.save()


def _members(connection: Connection, setup: DemoSetup) -> None:
    for user in get_user_model().objects.filter(username__in=setup.members):
        connection_member_add(connection=connection, user=user)
