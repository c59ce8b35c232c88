"""Master data sync, Visma.net → Pleo: read into the mirror, diff (pure), apply."""

from __future__ import annotations

from integrations.masterdata.sync.run import KIND_ORDER, SyncResult, kinds_expand, masterdata_sync
from integrations.masterdata.sync.start import sync_start

__all__ = ["KIND_ORDER", "SyncResult", "kinds_expand", "masterdata_sync", "sync_start"]
