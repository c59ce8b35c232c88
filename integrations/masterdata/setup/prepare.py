"""Preparation done for finance staff: Pleo's help asks them to create, by hand and before
connecting, a Pleo Wallet account, a Pleo Out of pocket account and a default vendor in Visma.net
(help.pleo.io article 103000362409, "Preparation": an account with its account class copied from
another account, description, use default sub, post option and currency; a vendor with address,
vendor class, terms, payment method "manual" or one made for Pleo, and the Pleo Wallet as cash
account).

When the Accounts page finds one of them missing (not mapped, and nothing in the mirrored chart
of accounts or suppliers that looks like it), it proposes it: `proposals_for_connection` says
what would be created, `proposal_create` creates it on confirmation (`POST /v1/account`,
`POST /v1/supplier`), mirrors it, maps it with a reason in the mapping's history and queues a sync
so Pleo gets it too.

A double-click or a retry never makes two: before creating, Visma.net is asked for the account
number (`GET /v1/account/{accountCd}`) or for a supplier of that name (`GET /v1/supplier?name=`),
and one found is used; a proposal already mapped is not proposed again; on PostgreSQL the mapping
row is locked while one request creates.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from integrations.connections.models import AccountMapping, Connection
from integrations.connections.services import connection_visma_client
from integrations.connections.tokens import connection_exclusive
from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.remote_errors import RemoteOutcome, remote_error_text
from integrations.masterdata.models import (
    VismaAccount,
    VismaCreditTerm,
    VismaPaymentMethod,
    VismaSupplier,
    VismaSupplierClass,
)
from integrations.masterdata.setup.selectors import (
    account_mapping_for_connection,
    base_currency_for_connection,
    wallet_currencies_for_connection,
)
from integrations.masterdata.setup.services import _save_audited, _start_sync
from integrations.masterdata.sync.read import account_store, supplier_store
from integrations.masterdata.vendors import wallet_cash_account
from integrations.visma.client import VismaClient
from integrations.visma.types import AccountInput, SupplierInput

logger = logging.getLogger(__name__)

DEFAULT_VENDOR_NAME = "Pleo Default Vendor"
OUT_OF_POCKET_DESCRIPTION = "Pleo Out of pocket"
# Where a new account is numbered from when that number is free (else the next free one after
# it): the Norwegian standard chart (NS 4102) keeps bank deposits in 19xx and other short-term
# liabilities in 29xx, and Pleo's Norwegian customers use 1925 and 2915 for these accounts.
WALLET_FROM = 1925
OUT_OF_POCKET_FROM = 2915
NUMBER_SEARCH = 75
# AccountUpdateDto.description: "an alphanumeric string of up to 30 characters".
DESCRIPTION_MAX = 30


class PreparationError(Exception):
    """Why a proposal cannot be created, in words for the page."""


@dataclass(frozen=True)
class Proposal:
    """Something to create in Visma.net. `key` is the Accounts page field it fills (and the
    anchor the fix links of failed exports point at)."""

    key: str
    title: str
    why: str
    rows: tuple[tuple[str, str], ...]
    account: AccountInput | None = None
    supplier: SupplierInput | None = None
    note: str = ""


@dataclass(frozen=True)
class Created:
    key: str
    number: str
    label: str
    existed: bool  # found in Visma.net instead of created
    sync_error: str = ""


# -- what is missing -------------------------------------------------------------------------


def _looks_like(accounts: list[VismaAccount], *words: str) -> bool:
    return any(all(w in a.description.lower() for w in words) for a in accounts if a.active)


def _free_number(taken: set[str], start: int) -> str | None:
    for number in range(start, start + NUMBER_SEARCH):
        if str(number) not in taken:
            return str(number)
    return None


def _reference(accounts: list[VismaAccount], type_: str, number: str) -> VismaAccount | None:
    """The active account of the same type nearest in number that has an account class: the
    new account copies its class, default-sub and post option (Pleo's help: "AccountClass (copy
    from another account)")."""
    same = [
        a
        for a in accounts
        if a.active and a.type == type_ and a.number.isdigit() and (a.raw or {}).get("accountClass")
    ]
    if not same:
        return None
    return min(same, key=lambda a: (abs(int(a.number) - int(number)), a.number))


def _account_proposal(
    *,
    key: str,
    title: str,
    why: str,
    accounts: list[VismaAccount],
    description: str,
    type_: str,
    start: int,
    currency: str | None,
    currency_shown: str,
) -> Proposal | None:
    number = _free_number({a.number for a in accounts}, start)
    if number is None:
        return None
    reference = _reference(accounts, type_, number)
    raw: dict[str, Any] = dict(reference.raw or {}) if reference is not None else {}
    account = AccountInput(
        number=number,
        description=description[:DESCRIPTION_MAX],
        type=type_,
        account_class=str(raw.get("accountClass") or "") or None,
        use_default_sub=bool(raw.get("useDefaultSub")),
        post_option=str(raw.get("postOption") or "Summary"),
        currency=currency,
    )
    copied = f" (as account {reference})" if reference is not None else ""
    rows = (
        ("Account", account.number),
        ("Description", account.description),
        ("Type", account.type),
        ("Account class", (account.account_class or "none") + copied),
        ("Use default sub", "yes" if account.use_default_sub else "no"),
        ("Post option", account.post_option),
        ("Currency", currency_shown),
    )
    return Proposal(key=key, title=title, why=why, rows=rows, account=account)


def _most_common(values: list[str]) -> str:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else ""


def _vendor_proposal(connection: Connection, base: str) -> Proposal | None:
    classes = list(VismaSupplierClass.objects.filter(connection=connection, active=True))
    if not classes:
        return None
    suppliers = list(VismaSupplier.objects.filter(connection=connection, active=True))
    # The default vendor is a domestic one: its class, VAT zone and country are those most used
    # by the suppliers in the company's own currency.
    domestic = [s for s in suppliers if (s.currency_id or base) == base]
    class_ids = {c.supplier_class_id for c in classes}
    used = _most_common([s.supplier_class_id for s in domestic if s.supplier_class_id in class_ids])
    supplier_class = next((c for c in classes if c.supplier_class_id == used), classes[0])
    methods = [
        m
        for m in VismaPaymentMethod.objects.filter(connection=connection, active=True)
        if m.use_in_ap
    ]
    # Pleo's help: payment method "manual", or one made for Pleo vendors.
    method = next(
        (m for m in methods if "pleo" in f"{m.payment_method_id} {m.description}".lower()),
        None,
    ) or next(
        (m for m in methods if "manual" in f"{m.payment_method_id} {m.description}".lower()),
        None,
    )
    payment_method = method.payment_method_id if method else supplier_class.payment_method_id
    terms = list(VismaCreditTerm.objects.filter(connection=connection, active=True))
    # Card expenses are paid when bought: the terms due soonest.
    term = min(
        terms,
        key=lambda t: (int((t.raw or {}).get("dueDay1") or 0), t.credit_terms_id),
        default=None,
    )
    vat_zone = _most_common([s.vat_zone_id for s in domestic])
    country = _most_common([s.country_id for s in domestic if s.vat_zone_id == vat_zone])
    cash_account = wallet_cash_account(connection=connection, currency=base)
    supplier = SupplierInput(
        name=DEFAULT_VENDOR_NAME,
        supplier_class_id=supplier_class.supplier_class_id,
        credit_terms_id=term.credit_terms_id if term else None,
        payment_method_id=payment_method or None,
        cash_account=cash_account or None,
        currency_id=base or None,
        vat_zone_id=vat_zone or None,
        country_id=country or None,
    )
    rows = (
        ("Name", supplier.name),
        ("Number", "the next in Visma.net's number series"),
        ("Address (country)", country or "—"),
        ("Supplier class", str(supplier_class)),
        ("Credit terms", str(term) if term else "—"),
        ("Payment method", payment_method or "—"),
        ("Cash account", cash_account or "—"),
        ("Currency", base or "—"),
        ("VAT zone", vat_zone or "—"),
    )
    note = (
        ""
        if cash_account
        else "No cash account: the Pleo Wallet account is not a cash account in Visma.net yet. "
        "Purchase invoices need one: link it in Visma.net (Cash accounts, CA202000) and set it "
        "on this vendor."
    )
    return Proposal(
        key="default_vendor_number",
        title="Default vendor",
        why="Needed when card expenses are booked as purchase invoices: the vendor of expenses "
        "whose vendor matches no Visma.net supplier.",
        rows=rows,
        supplier=supplier,
        note=note,
    )


def proposals_for_connection(*, connection: Connection) -> list[Proposal]:
    """What the Accounts page offers to create: nothing until the chart of accounts is
    mirrored, and nothing for a role already mapped or for which a look-alike exists (the user
    picks that one in the list)."""
    accounts = list(VismaAccount.objects.filter(connection=connection))
    if not accounts:
        return []
    mapping = account_mapping_for_connection(connection=connection)
    wallets = dict(mapping.wallet_accounts or {}) if mapping else {}
    base = base_currency_for_connection(connection=connection)
    proposals: list[Proposal] = []
    for currency in wallet_currencies_for_connection(connection=connection):
        if wallets.get(currency) or _looks_like(accounts, "pleo wallet", currency.lower()):
            continue
        if currency == base and _looks_like(accounts, "pleo wallet"):
            continue
        proposal = _account_proposal(
            key=f"wallet_{currency}",
            title=f"Pleo Wallet account ({currency})",
            why=f"Tracks the movements of the {currency} Pleo wallet; every card expense is "
            "booked against it.",
            accounts=accounts,
            description=f"Pleo Wallet {currency}",
            type_="Asset",
            start=WALLET_FROM,
            currency=currency,
            currency_shown=currency,
        )
        if proposal is not None:
            proposals.append(proposal)
    if not (mapping and mapping.out_of_pocket_account) and not (
        _looks_like(accounts, "out of pocket") or _looks_like(accounts, "out-of-pocket")
    ):
        proposal = _account_proposal(
            key="out_of_pocket_account",
            title="Out-of-pocket account",
            why="Tracks what the company owes employees for out-of-pocket expenses, mileage, "
            "per diem and reimbursements.",
            accounts=accounts,
            description=OUT_OF_POCKET_DESCRIPTION,
            type_="Liability",
            start=OUT_OF_POCKET_FROM,
            currency=None,
            currency_shown=f"none fixed (booked in {base or 'the base currency'})",
        )
        if proposal is not None:
            proposals.append(proposal)
    has_vendor = VismaSupplier.objects.filter(
        connection=connection, active=True, name__icontains="default vendor"
    ).exists()
    if not (mapping and mapping.default_vendor_number) and not has_vendor:
        proposal = _vendor_proposal(connection, base)
        if proposal is not None:
            proposals.append(proposal)
    return proposals


# -- creating one ----------------------------------------------------------------------------


# The words for a failed creation, by the outcome of the remote error (core.remote_errors).
_FIXES = {
    RemoteOutcome.LATER: "Visma.net did not answer in time ({message}), so it is not known "
    "whether it was created. Try again: the page looks for it in Visma.net before creating it.",
    RemoteOutcome.SIGN_IN: "Visma.net no longer accepts the sign-in ({message}): connect "
    "Visma.net again on the connection's page, then create it.",
    RemoteOutcome.ACCESS: "Visma.net refused the request: the signed-in Visma.net user may not "
    "create it ({message}). Connect Visma.net again as a user with the Financials "
    "Administrator and API User roles.",
    RemoteOutcome.REFUSED: "Visma.net refused it: {message}",
}


def _plain(exc: errors.ApiError) -> str:
    if exc.outcome_unknown:
        return _FIXES[RemoteOutcome.LATER].format(message=exc.message)
    return remote_error_text(exc, service="Visma.net", fixes=_FIXES)


def _account_create(
    visma: VismaClient, connection: Connection, account: AccountInput
) -> tuple[VismaAccount, bool]:
    found = visma.account_get(account.number)
    existed = found is not None
    if found is not None:
        if found.description.strip().lower() != account.description.lower():
            raise PreparationError(
                f"Account {account.number} already exists in Visma.net as "
                f"“{found.description}”. Sync the accounts, then choose an account in the list."
            )
    else:
        try:
            visma.account_create(account)
        except errors.ValidationFailed:
            # Created meanwhile by someone else ("already exists")? Then it is found below.
            if visma.account_get(account.number) is None:
                raise
        found = visma.account_get(account.number)
        if found is None:
            raise PreparationError(
                f"Visma.net said it created account {account.number} but does not find it. "
                "Sync the accounts in a minute and choose it in the list."
            )
    return account_store(connection=connection, account=found), existed


def _supplier_create(
    visma: VismaClient, connection: Connection, supplier: SupplierInput
) -> tuple[VismaSupplier, bool]:
    wanted = supplier.name.strip().lower()
    for candidate in visma.suppliers_list(name=supplier.name):
        if candidate.name.strip().lower() == wanted and candidate.active:
            return supplier_store(connection=connection, supplier=candidate), True
    number = visma.supplier_create(supplier)
    return supplier_store(connection=connection, supplier=visma.supplier_get(number)), False


def proposal_create(
    *,
    connection: Connection,
    key: str,
    user: AbstractBaseUser | None,
    visma: VismaClient | None = None,
) -> Created | None:
    """Create the proposal `key` in Visma.net, mirror and map it. None when there is nothing to
    do (it was created and mapped meanwhile). Raises `PreparationError` in words for the page.

    One request at a time per connection creates (`connection_exclusive`); no database
    transaction is held during the Visma.net calls (on SQLite it would lock out a sandbox served
    by the same installation)."""
    with connection_exclusive(connection.pk, "visma-prepare"):
        proposal = next(
            (p for p in proposals_for_connection(connection=connection) if p.key == key), None
        )
        if proposal is None:
            return None
        try:
            with call_links(connection_id=connection.pk):
                visma = visma or connection_visma_client(connection=connection)
                if proposal.account is not None:
                    row, existed = _account_create(visma, connection, proposal.account)
                    number, label = row.number, f"account {row.number} “{row.description}”"
                else:
                    assert proposal.supplier is not None
                    vendor, existed = _supplier_create(visma, connection, proposal.supplier)
                    number, label = vendor.number, f"supplier {vendor.number} “{vendor.name}”"
        except errors.ApiError as exc:
            logger.warning("Creating %s for connection %s failed: %s", key, connection.pk, exc)
            raise PreparationError(_plain(exc)) from exc
        with transaction.atomic():
            mapping, _ = AccountMapping.objects.select_for_update().get_or_create(
                connection=connection
            )
            fields: dict[str, Any]
            if key.startswith("wallet_"):
                wallets = dict(mapping.wallet_accounts or {})
                wallets[key.removeprefix("wallet_")] = number
                fields = {"wallet_accounts": {k: wallets[k] for k in sorted(wallets)}}
            else:
                fields = {key: number}
            verb = "Found in" if existed else "Created in"
            _save_audited(
                mapping,
                user=user,
                reason=f"{verb} Visma.net from the Accounts page: {label}",
                fields=fields,
            )
    kind = "accounts" if proposal.account is not None else "vendors"
    _, sync_error = _start_sync(connection=connection, kinds=(kind,), user=user)
    return Created(key=key, number=number, label=label, existed=existed, sync_error=sync_error)
