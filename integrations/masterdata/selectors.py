"""Reads of the mirror that several parts of masterdata (and exports, through its config) share."""

from __future__ import annotations

from integrations.connections.models import Connection
from integrations.masterdata.models import VismaBranch, VismaCurrency


def base_currency_for_connection(*, connection: Connection) -> str:
    """The one rule for the company's base currency: the currency Visma.net marks as base, else
    the chosen branch's currency; "" while neither is mirrored."""
    base = VismaCurrency.objects.filter(connection=connection, is_base=True).first()
    if base is not None:
        return base.currency_id
    branch = VismaBranch.objects.filter(
        connection=connection, number=connection.visma_branch_number
    ).first()
    return branch.currency if branch is not None else ""
