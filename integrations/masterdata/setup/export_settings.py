"""The export settings judged by the mirror.

The rules live with the settings (`connections.export_settings`: one function per setting);
what they judge by comes from here, the mirror of Visma.net's payment methods and cash
accounts. The page refreshes both lists from Visma.net before it judges (its "refresh from
Visma.net" is opening or saving it), the JSON API refreshes a list only while the mirror has
none, and the setup overview judges the stored settings by the same rules on the same mirror:
what one of them accepts, the others do not call broken.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from integrations.connections.clients import connection_visma_client
from integrations.connections.export_settings import (
    PaymentMethodChoice,
    export_settings_update,
)
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.core import errors
from integrations.core.context import call_links
from integrations.masterdata.models import VismaCashAccount, VismaPaymentMethod
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


def _raw(record: object) -> dict[str, Any]:
    raw = getattr(record, "raw", None)
    # The client parses numbers as Decimal; the JSON column wants plain JSON.
    return dict(json.loads(json.dumps(raw, cls=DjangoJSONEncoder))) if isinstance(raw, dict) else {}


def _store(
    *,
    connection: Connection,
    model: type[models.Model],
    key_field: str,
    rows: dict[str, dict[str, Any]],
) -> None:
    """The whole list as Visma.net gave it: upsert each row, deactivate those it no longer
    lists (as the reference sync stores it)."""
    manager = model._default_manager
    with transaction.atomic():
        for key, values in rows.items():
            lookup: dict[str, Any] = {"connection": connection, key_field: key}
            manager.update_or_create(defaults=values, **lookup)
        manager.filter(connection=connection, active=True).exclude(
            **{f"{key_field}__in": list(rows)}
        ).update(active=False)


def payment_methods_refresh(*, connection: Connection) -> str:
    """Read the payment methods from Visma.net into the mirror; "" or why they were not read."""
    client = connection_visma_client(connection=connection)
    try:
        with call_links(connection_id=connection.pk):
            # Reference: specs/visma-net/openapi-subset.json GET /v1/paymentmethod
            methods = client.payment_methods_list()
    except errors.ApiError as exc:
        return f"Visma.net did not list the payment methods: {exc.message}"
    rows = {
        m.id: {
            "description": m.description or "",
            "active": m.active,
            "use_in_ap": m.use_in_ap,
            "raw": _raw(m),
        }
        for m in methods
    }
    _store(
        connection=connection, model=VismaPaymentMethod, key_field="payment_method_id", rows=rows
    )
    return ""


def cash_accounts_refresh(*, connection: Connection) -> str:
    """Read the cash accounts from Visma.net into the mirror; "" or why they were not read."""
    client = connection_visma_client(connection=connection)
    try:
        with call_links(connection_id=connection.pk):
            # Reference: specs/visma-net/openapi-subset.json GET /v1/cashaccount
            accounts = client.cash_accounts_list()
    except errors.ApiError as exc:
        return f"Visma.net did not list the cash accounts: {exc.message}"
    rows = {
        a.number: {
            "description": a.description or "",
            "currency": a.currency or "",
            "active": True,
            "raw": _raw(a),
        }
        for a in accounts
    }
    _store(connection=connection, model=VismaCashAccount, key_field="number", rows=rows)
    return ""


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
