"""Master data sync, Visma.net → Pleo: read into the mirror, diff (pure), apply."""

from __future__ import annotations

from integrations.masterdata.sync.run import SyncResult, masterdata_sync
from integrations.masterdata.sync.start import sync_start
from integrations.masterdata.sync_kinds import KIND_ORDER, kinds_expand

__all__ = ["KIND_ORDER", "SyncResult", "kinds_expand", "masterdata_sync", "sync_start"]
