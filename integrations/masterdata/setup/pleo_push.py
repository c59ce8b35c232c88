"""Reading Pleo's categories (its chart of accounts) and writing each mapped category's default
tax code back to Pleo, so Pleo pre-fills the right tax code on new expenses.

Called outside any database transaction: the local mapping is committed first, then Pleo is
written, so a Pleo failure never loses a saved mapping (DESIGN §6).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from integrations.connections.models import Connection
from integrations.core.context import call_links
from integrations.core.errors import NotFound
from integrations.masterdata.models import CategoryMapping, VismaAccount

if TYPE_CHECKING:
    from integrations.pleo.client import PleoClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PleoCategory:
    """A Pleo category as the setup pages show it."""

    pleo_account_id: str
    name: str
    code: str
    external_id: str
    archived: bool
    tax_code_external_id: str | None  # None when unknown (Pleo not reachable)


@dataclass
class PleoCategoriesRead:
    categories: list[PleoCategory]
    live: bool  # read from Pleo just now, rather than from what we stored
    error: str = ""


@dataclass
class PushResult:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _client(connection: Connection) -> PleoClient:
    from integrations.connections.clients import connection_pleo_client

    return connection_pleo_client(connection=connection)


def pleo_categories_for_connection(*, connection: Connection) -> PleoCategoriesRead:
    """Pleo's chart of accounts, read live; when Pleo cannot be reached, the categories we know
    from earlier syncs and mappings, marked as not live."""
    error = ""
    if connection.pleo_connected:
        try:
            with call_links(connection_id=connection.pk):
                # Reference: specs/pleo/pleo-accounts-api-openapi.yml, POST /v1/chart-of-accounts:search
                accounts = _client(connection).chart_accounts_search()
        except Exception as exc:  # shown on the page; the stored categories still serve
            logger.warning("Reading Pleo's chart of accounts failed: %s", exc)
            error = f"Pleo's chart of accounts could not be read: {exc}"
        else:
            categories = [
                PleoCategory(
                    pleo_account_id=a.id,
                    name=a.name,
                    code=a.code or "",
                    external_id=a.external_id or "",
                    archived=a.archived,
                    tax_code_external_id=a.tax_code_external_id,
                )
                for a in accounts
            ]
            categories.sort(key=lambda c: (c.archived, c.code or c.name, c.name))
            return PleoCategoriesRead(categories=categories, live=True)
    else:
        error = "Pleo is not connected."
    return PleoCategoriesRead(
        categories=stored_categories(connection=connection), live=False, error=error
    )


def stored_categories(*, connection: Connection) -> list[PleoCategory]:
    """Categories known without asking Pleo: the accounts our sync created there and the
    categories already mapped."""
    found: dict[str, PleoCategory] = {}
    for account in VismaAccount.objects.filter(connection=connection).exclude(pleo_id=""):
        found[account.pleo_id] = PleoCategory(
            pleo_account_id=account.pleo_id,
            name=account.description,
            code=account.number,
            external_id=account.number,
            archived=not account.active,
            tax_code_external_id=None,
        )
    for mapping in CategoryMapping.objects.filter(connection=connection):
        if mapping.pleo_account_id not in found:
            found[mapping.pleo_account_id] = PleoCategory(
                pleo_account_id=mapping.pleo_account_id,
                name=mapping.pleo_account_name,
                code=mapping.pleo_account_code,
                external_id="",
                archived=False,
                tax_code_external_id=None,
            )
    return sorted(found.values(), key=lambda c: (c.archived, c.code or c.name, c.name))


def category_mappings_push_to_pleo(
    *,
    connection: Connection,
    pleo_account_ids: Sequence[str] | None = None,
    pleo: PleoClient | None = None,
) -> PushResult:
    """Write the default tax code of the given (default: all) mapped categories to Pleo, only
    where Pleo holds a different one. Each category is one PUT; failures are collected."""
    result = PushResult()
    mappings = CategoryMapping.objects.filter(connection=connection)
    if pleo_account_ids is not None:
        mappings = mappings.filter(pleo_account_id__in=list(pleo_account_ids))
    wanted = {m.pleo_account_id: m.default_vat_category or None for m in mappings}
    if not wanted:
        return result
    if not connection.pleo_connected:
        for account_id in wanted:
            result.errors[account_id] = "Pleo is not connected."
        return result
    with call_links(connection_id=connection.pk):
        _push(connection, client_or_none=pleo, wanted=wanted, result=result)
    return result


def _push(
    connection: Connection,
    *,
    client_or_none: PleoClient | None,
    wanted: dict[str, str | None],
    result: PushResult,
) -> None:
    try:
        client = client_or_none or _client(connection)
        # Reference: specs/pleo/pleo-accounts-api-openapi.yml, POST /v1/chart-of-accounts:search
        current = {a.id: a for a in client.chart_accounts_search()}
    except Exception as exc:
        for account_id in wanted:
            result.errors[account_id] = f"Pleo's chart of accounts could not be read: {exc}"
        return
    for account_id, tax_code in wanted.items():
        account = current.get(account_id)
        if account is None:
            result.errors[account_id] = "Pleo no longer has this category."
            continue
        if (account.tax_code_external_id or None) == tax_code:
            result.unchanged.append(account_id)
            continue
        try:
            # Reference: specs/pleo/pleo-accounts-api-openapi.yml, PUT /v1/chart-of-accounts/{id}
            # (the PUT replaces name, code and archived too, so they are sent as Pleo has them).
            client.chart_account_update(
                account_id,
                name=account.name,
                code=account.code,
                archived=account.archived,
                tax_code_external_id=tax_code,
            )
        except NotFound:
            result.errors[account_id] = "Pleo no longer has this category."
        except Exception as exc:  # collected and shown; the local mapping stays saved
            logger.warning("Writing the tax code of Pleo account %s failed: %s", account_id, exc)
            result.errors[account_id] = str(exc)
        else:
            result.updated.append(account_id)
