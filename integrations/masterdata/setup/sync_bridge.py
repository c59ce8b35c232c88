"""Starting master data syncs from the setup pages and the API, through the sync service."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from integrations.connections.models import Connection
from integrations.masterdata.sync.start import sync_start


def sync_queue(
    *,
    connection: Connection,
    kinds: Sequence[str],
    full: bool = False,
    user: AbstractBaseUser | None = None,
) -> int:
    """Queue a sync run of `kinds` (or find the identical one already queued) and return its
    id. Raises ValueError for an unknown kind."""
    run = sync_start(
        connection=connection,
        kinds=kinds,
        full=full,
        triggered_by=user.get_username() if user is not None else "",
    )
    return run.pk
