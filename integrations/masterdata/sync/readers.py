"""Readers with the sync-kind signature where a kind reads more than one list."""

from __future__ import annotations

from integrations.connections.models import Connection
from integrations.masterdata.models import VismaCurrency
from integrations.masterdata.sync import read
from integrations.visma.client import VismaClient


def reference_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    # The short lists are read whole every time: `full` changes nothing.
    return read.reference_read(client=client, connection=connection)


def vendors_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    if not VismaCurrency.objects.filter(connection=connection).exists():
        # The vendor's default currency falls back to the company's base currency.
        read.currencies_read(client=client, connection=connection)
    return read.suppliers_read(client=client, connection=connection, full=full)
