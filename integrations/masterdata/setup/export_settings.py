"""The export settings judged by the mirror.

The rules live with the settings (`connections.export_settings`: one function per setting);
what they judge by comes from here, the mirror of Visma.net's payment methods and cash
accounts. The page refreshes both lists from Visma.net before it judges (its "refresh from
Visma.net" is opening or saving it), the JSON API refreshes a list only while the mirror has
none, and the setup overview judges the stored settings by the same rules on the same mirror:
what one of them accepts, the others do not call broken.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from integrations.connections.clients import connection_visma_client
from integrations.connections.export_settings import (
    PaymentMethodChoice,
    export_settings_update,
)
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.core import errors
from integrations.core.context import call_links
from integrations.masterdata.models import VismaCashAccount, VismaPaymentMethod
from integrations.masterdata.sync.mirror import MirrorList, mirror_read
from integrations.masterdata.sync.read import CASH_ACCOUNTS, PAYMENT_METHODS
from integrations.visma.types import CashAccount


def mirrored_payment_methods(*, connection: Connection) -> list[PaymentMethodChoice] | None:
    """Visma.net's payment methods from the mirror; None when they were never read."""
    rows = list(VismaPaymentMethod.objects.filter(connection=connection))
    if not rows:
        return None
    return sorted(
        (
            PaymentMethodChoice(
                id=r.payment_method_id,
                description=r.description,
                active=r.active,
                use_in_ap=r.use_in_ap,
                means_of_payment=(r.raw or {}).get("meansOfPayment"),
            )
            for r in rows
        ),
        key=lambda m: m.id,
    )


def mirrored_cash_accounts(*, connection: Connection) -> list[CashAccount] | None:
    """Visma.net's active cash accounts from the mirror; None when they were never read (then
    there is nothing to judge by)."""
    rows = list(VismaCashAccount.objects.filter(connection=connection, active=True))
    if not rows:
        return None
    return [
        CashAccount(number=r.number, description=r.description, currency=r.currency or None)
        for r in rows
    ]


def _refresh(*, connection: Connection, spec: MirrorList, what: str) -> str:
    """Read one Visma.net list into the mirror through the one mirror reader (only changed
    rows written, missing ones deactivated); "" or why Visma.net did not list it."""
    client = connection_visma_client(connection=connection)
    try:
        with call_links(connection_id=connection.pk):
            mirror_read(spec, client=client, connection=connection, full=True)
    except errors.ApiError as exc:
        return f"Visma.net did not list the {what}: {exc.message}"
    return ""


def payment_methods_refresh(*, connection: Connection) -> str:
    """Read the payment methods from Visma.net into the mirror; "" or why they were not read."""
    return _refresh(connection=connection, spec=PAYMENT_METHODS, what="payment methods")


def cash_accounts_refresh(*, connection: Connection) -> str:
    """Read the cash accounts from Visma.net into the mirror; "" or why they were not read."""
    return _refresh(connection=connection, spec=CASH_ACCOUNTS, what="cash accounts")


def _wallets_mapped(connection: Connection) -> bool:
    mapping = AccountMapping.objects.filter(connection=connection).first()
    return bool(mapping and any((mapping.wallet_accounts or {}).values()))


def export_settings_facts_refresh(
    *, connection: Connection, invoices: bool, always: bool
) -> dict[str, str]:
    """Refresh what the rules judge by: the payment methods, and with purchase invoices on and
    a Pleo Wallet mapped, the cash accounts. `always` (the page) reads them every time; else
    (the API) only a list the mirror lacks. Returns list → why Visma.net did not list it."""
    unread: dict[str, str] = {}
    if not connection.visma_connected:
        return unread
    if always or mirrored_payment_methods(connection=connection) is None:
        problem = payment_methods_refresh(connection=connection)
        if problem:
            unread["payment_methods"] = problem
    if (
        invoices
        and _wallets_mapped(connection)
        and (always or mirrored_cash_accounts(connection=connection) is None)
    ):
        problem = cash_accounts_refresh(connection=connection)
        if problem:
            unread["cash_accounts"] = problem
    return unread


def export_settings_save(
    *,
    connection: Connection,
    by: AbstractBaseUser | AnonymousUser | None,
    values: dict[str, Any],
) -> ExportSettings:
    """Save the export settings, judged by the mirror (raises `ValidationError`). While the
    mirror holds no list to judge by, the rule reads it from Visma.net and names a failed read."""
    return export_settings_update(
        connection=connection,
        by=by,
        payment_methods=mirrored_payment_methods(connection=connection),
        cash_accounts=mirrored_cash_accounts(connection=connection),
        **values,
    )
