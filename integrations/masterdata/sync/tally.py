"""Counts, failures and progress of a sync run, written to its SyncRun row as the run goes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync.diff import Action

_COUNTER = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.ARCHIVE: "archived",
    Action.UNARCHIVE: "unarchived",
    Action.UNCHANGED: "unchanged",
}
MAX_FAILURES_STORED = 500
SAVE_EVERY_SECONDS = 0.5


@dataclass
class Tally:
    sync_run_id: int | None
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("created", "updated", "archived", "unarchived", "unchanged", "failed"), 0
        )
    )
    failures: list[dict[str, str]] = field(default_factory=list)
    progress_done: int = 0
    progress_total: int = 0
    _saved_at: float = 0.0

    def plan(self, n: int) -> None:
        self.progress_total += n
        self.save(force=True)

    def count(self, action: Action, n: int = 1) -> None:
        self.counts[_COUNTER[action]] += n
        self.progress_done += n
        self.save()

    def fail(self, record: str, reason: str, *, progress: bool = True) -> None:
        self.counts["failed"] += 1
        if progress:
            self.progress_done += 1
        if len(self.failures) < MAX_FAILURES_STORED:
            self.failures.append({"record": record, "reason": reason[:1000]})
        self.save()

    def save(self, *, force: bool = False) -> None:
        """Progress for the page's live bar, at most twice a second (one UPDATE, no lock)."""
        if self.sync_run_id is None:
            return
        now = time.monotonic()
        if not force and now - self._saved_at < SAVE_EVERY_SECONDS:
            return
        self._saved_at = now
        SyncRun.objects.filter(id=self.sync_run_id).update(
            **self.counts,
            failures=self.failures,
            progress_done=min(self.progress_done, self.progress_total),
            progress_total=self.progress_total,
        )
