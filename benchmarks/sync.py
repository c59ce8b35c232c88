"""Benchmark: the master data sync, Visma.net → Pleo, on a large company.

(a) the first full sync into an empty Pleo company, (b) a second, incremental sync with nothing
changed (expect no Pleo writes and one Visma.net delta read per record type), (c) an
incremental sync after 1 % of the suppliers were renamed in Visma.net. Each run goes the
production way: `sync_start` queues the `sync_run` task, which runs inline (Q_SYNC).

The company's records are seeded as last changed SEEDED_DAYS_AGO, as a real company's records
were entered long before a sync: the incremental reads (b) and (c) then return what changed
since the previous read (less the 5-minute overlap), not every record seeded minutes before.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from benchmarks.company import SEGMENTS, Scale, company_records, suppliers_changed
from benchmarks.measure import Figures, measure
from benchmarks.report import calls_table, heading, mb, queries_table, received_check, table
from benchmarks.sandbox import Sandboxes

# One read per record type in a sync with nothing changed (DESIGN §4, master data).
VISMA_RECORD_READS = {
    "accounts": "/v1/account",
    "VAT categories": "/v1/vatCategory",
    "suppliers": "/v1/supplier",
    "segments": "/v1/dimension/SUBACCOUNT",
}
COUNTERS = ("created", "updated", "archived", "unarchived", "unchanged", "failed")
# When the seeded company's records last changed, as far as Visma.net's lastModifiedDateTime
# says: long before the syncs, as in a company that has used Visma.net for a while.
SEEDED_DAYS_AGO = 30


@dataclass
class SyncPhase:
    figures: Figures
    status: str
    counts: dict[str, int]
    failures: list[dict[str, str]]
    # Record type → (Visma.net requests, of which filtered by lastModifiedDateTime).
    reads: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class SyncReport:
    scale: Scale
    latency_ms: int
    seed_seconds: float = 0.0
    setup_seconds: float = 0.0
    expected: dict[str, int] = field(default_factory=dict)
    in_pleo: dict[str, int] = field(default_factory=dict)
    changed_suppliers: int = 0
    phases: list[SyncPhase] = field(default_factory=list)

    def phase(self, prefix: str) -> SyncPhase:
        return next(p for p in self.phases if p.figures.label.startswith(prefix))


def _preset_counts(state: dict[str, Any]) -> dict[str, int]:
    subaccount = next(d for d in state["dimensions"] if d["id"] == "SUBACCOUNT")
    return {
        "accounts": len(state["accounts"]),
        "tax_codes": len(state["vatCategories"]),
        "tag_groups": len(subaccount["segments"]),
        "tags": sum(len(s.get("segmentValues") or []) for s in subaccount["segments"]),
        "vendors": len(state["suppliers"]),
    }


def _pleo_counts(state: dict[str, Any]) -> dict[str, int]:
    return {
        "accounts": len(state["chartOfAccounts"]),
        "tax_codes": len(state["taxCodes"]),
        "tag_groups": len(state["tagGroups"]),
        "tags": sum(len(g["tags"]) for g in state["tagGroups"]),
        "vendors": len(state["vendors"]),
    }


def _connect_and_choose_segments() -> int:
    """The demo connection over real HTTP, then the finance user's choice on the Tags page:
    every SUBACCOUNT segment becomes a Pleo tag group (a read of the dimension to list them)."""
    from integrations.connections.clients import connection_visma_client
    from integrations.demo.connection import demo_connection_prepare
    from integrations.masterdata.models import VismaSegmentValue
    from integrations.masterdata.setup.services import (
        SegmentSettingInput,
        segment_settings_update,
    )
    from integrations.masterdata.setup.validation import subaccount_segments
    from integrations.masterdata.sync.read import segments_read

    connection = demo_connection_prepare(session=requests.Session())
    segments_read(
        client=connection_visma_client(connection=connection), connection=connection, full=True
    )
    items = []
    for segment in subaccount_segments(connection=connection):
        first = (
            VismaSegmentValue.objects.filter(segment=segment, active=True)
            .order_by("value_id")
            .values_list("value_id", flat=True)
            .first()
        )
        items.append(
            SegmentSettingInput(
                segment_id=segment.segment_id, synced=True, default_value=first or ""
            )
        )
    segment_settings_update(
        connection=connection, items=items, user=None, reason="benchmark", start_sync=False
    )
    return connection.pk


def _sync(*, sandboxes: Sandboxes, connection_id: int, label: str, full: bool) -> SyncPhase:
    from integrations.connections.models import Connection
    from integrations.masterdata.models import SyncRun
    from integrations.masterdata.sync import sync_start

    connection = Connection.objects.get(pk=connection_id)
    sandboxes.visma_budget_fresh()
    sandboxes.requests_forget()
    figures = Figures(label=label)
    with measure(figures):
        # Q_SYNC: the queued task runs inline when the transaction commits.
        run = sync_start(connection=connection, kinds=["all"], full=full, triggered_by="benchmark")
    run = SyncRun.objects.get(pk=run.pk)
    figures.received = sandboxes.requests_received()
    counts = {name: int(getattr(run, name)) for name in COUNTERS}
    figures.records = sum(counts.values())
    return SyncPhase(
        figures=figures,
        status=str(run.status),
        counts=counts,
        failures=list(run.failures),
        reads=_record_reads(sandboxes),
    )


def _record_reads(sandboxes: Sandboxes) -> dict[str, tuple[int, int]]:
    """What Visma.net received for each record type: requests, and how many were delta reads
    (a `lastModifiedDateTime` filter in the query)."""
    log = [row for service, row in sandboxes.requests_log() if service == "visma"]
    reads = {}
    for name, endpoint in VISMA_RECORD_READS.items():
        got = [r for r in log if r["method"] == "GET" and r["path"].endswith(endpoint)]
        delta = [r for r in got if "lastModifiedDateTime" in str(r.get("query") or "")]
        reads[name] = (len(got), len(delta))
    return reads


def sync_benchmark(*, base_url: str, scale: Scale, latency_ms: int = 0) -> SyncReport:
    """Seed the company, connect, run the three syncs; the web app must already serve
    `base_url` and the settings of this process must point at its sandboxes."""
    report = SyncReport(scale=scale, latency_ms=latency_ms)
    sandboxes = Sandboxes(base_url)
    sandboxes.reset_and_seed_demo()
    sandboxes.latency(0)
    preset = _preset_counts(sandboxes.visma_state())

    started = time.perf_counter()
    seeded_at = datetime.now(UTC) - timedelta(days=SEEDED_DAYS_AGO)
    sandboxes.visma_seed(company_records(scale), modified_at=seeded_at.isoformat())
    report.seed_seconds = time.perf_counter() - started
    report.expected = {
        "accounts": preset["accounts"] + scale.accounts,
        "tax_codes": preset["tax_codes"] + scale.vat_categories,
        "tag_groups": preset["tag_groups"],
        "tags": preset["tags"] + scale.segment_values,
        "vendors": preset["vendors"] + scale.suppliers,
    }
    assert report.expected["tag_groups"] == len(SEGMENTS)

    started = time.perf_counter()
    connection_id = _connect_and_choose_segments()
    report.setup_seconds = time.perf_counter() - started

    sandboxes.latency(latency_ms)
    report.phases.append(
        _sync(sandboxes=sandboxes, connection_id=connection_id, label="(a) first full", full=True)
    )
    report.phases.append(
        _sync(sandboxes=sandboxes, connection_id=connection_id, label="(b) unchanged", full=False)
    )
    changed = suppliers_changed(scale)
    sandboxes.latency(0)
    sandboxes.visma_seed({"suppliers": changed})
    sandboxes.latency(latency_ms)
    report.changed_suppliers = len(changed)
    report.phases.append(
        _sync(sandboxes=sandboxes, connection_id=connection_id, label="(c) 1 % changed", full=False)
    )
    sandboxes.latency(0)
    report.in_pleo = _pleo_counts(sandboxes.pleo_state())
    return report


def _visma_reads(phase: SyncPhase) -> str:
    return ", ".join(
        f"{name} {requests} ({delta} delta)" for name, (requests, delta) in phase.reads.items()
    )


def _mirror_writes(figures: Figures) -> int:
    """INSERT and UPDATE statements on the mirror tables (a bulk statement counts once)."""
    return sum(
        n
        for kind, n in figures.query_kinds.items()
        if kind.split(" ")[0] in ("INSERT", "UPDATE")
        and kind.split(" ")[-1].startswith("masterdata_visma")
    )


def sync_report_text(report: SyncReport, *, command: str, context: Sequence[str]) -> str:
    scale = report.scale
    phases = [p.figures for p in report.phases]
    main = table(
        ["phase", "seconds", "records", "records/s", "Visma calls", "Pleo calls",
         "Pleo writes", "remote s", "DB queries", "queries/rec", "peak RSS MB", "heap MB", "status"],
        [
            [f.label, round(f.seconds, 2), f.records, round(f.rate, 1),
             f.calls_to("visma"), f.calls_to("pleo"), f.calls_to("pleo", writes_only=True),
             round(sum(f.remote_ms.values()) / 1000, 1), f.db_queries,
             round(f.per_record(f.db_queries), 2), round(mb(f.peak_rss_bytes), 1),
             round(mb(f.peak_heap_bytes), 1) if f.peak_heap_bytes else "-", p.status]
            for p, f in zip(report.phases, phases, strict=True)
        ],
    )  # fmt: skip
    outcome = table(
        ["phase", *COUNTERS],
        [[p.figures.label, *(p.counts[c] for c in COUNTERS)] for p in report.phases],
    )
    kinds = ("accounts", "tax_codes", "tag_groups", "tags", "vendors")
    holdings = table(
        ["record type", "in Visma.net", "in Pleo after the runs"],
        [[k, report.expected[k], report.in_pleo.get(k, 0)] for k in kinds],
    )
    unchanged = report.phase("(b)").figures
    lines = [
        heading(
            f"sync: Visma.net → Pleo master data, scale {scale.name}",
            command=command,
            context=[
                *context,
                f"Company: {scale.describe()}",
                f"Seeding through the Visma.net control API took {report.seed_seconds:.1f} s; "
                f"connecting and choosing the segments {report.setup_seconds:.1f} s "
                "(neither is in the figures).",
            ],
        ),
        "",
        main,
        "",
        "Outcome per phase (the SyncRun counters):",
        outcome,
        "",
        holdings,
        "",
        f"(b) Pleo writes: {unchanged.calls_to('pleo', writes_only=True)}; Visma.net requests "
        f"per record type (pages of up to 500; of which delta reads by lastModifiedDateTime): "
        f"{_visma_reads(report.phase('(b)'))}.",
        f"(c) renamed suppliers: {report.changed_suppliers}; Pleo writes: "
        f"{report.phase('(c)').figures.calls_to('pleo', writes_only=True)}; Visma.net requests "
        f"per record type: {_visma_reads(report.phase('(c)'))}.",
        "Mirror writes (INSERT/UPDATE statements on the masterdata_visma* tables; a bulk "
        "statement of up to 1,000 rows counts once): "
        + ", ".join(f"{p.figures.label} {_mirror_writes(p.figures)}" for p in report.phases)
        + ".",
        "(b) and (c) read incrementally: Visma.net returns what changed since the previous read "
        "started, less a 5-minute overlap (masterdata/sync/read.py OVERLAP). The company's "
        f"records were seeded as last changed {SEEDED_DAYS_AGO} days before, as a real "
        "company's; only the few records of the sandbox's demo preset (changed when it was "
        "seeded, minutes before) and the renamed suppliers fall inside the delta read.",
        "'remote s' is the time spent waiting on the sandboxes (sum of ApiCall durations); "
        "'DB queries' are the benchmark process's own (the integration), not the sandboxes'.",
        "",
        "Database queries of the integration by statement and table (most frequent):",
        queries_table(phases),
        "",
        "Remote calls by endpoint (ApiCall rows; per processed record):",
        calls_table(phases),
        "",
        received_check(phases),
    ]
    for p in report.phases:
        for failure in p.failures[:5]:
            lines.append(f"  {p.figures.label} failure: {failure}")
    return "\n".join(lines)
