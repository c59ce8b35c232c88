"""Master data sync, Visma.net → Pleo: read into the mirror, diff (pure), apply."""

from __future__ import annotations

from integrations.masterdata.sync.run import KIND_ORDER, SyncResult, kinds_expand, masterdata_sync

__all__ = ["KIND_ORDER", "SyncResult", "kinds_expand", "masterdata_sync"]
