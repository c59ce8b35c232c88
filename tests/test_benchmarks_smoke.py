"""The benchmarks still run: the sync benchmark at a tiny scale, in-process against the live
server's sandboxes. It checks what the benchmark reports (record counts, writes), never timings."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.company import SCALES
from benchmarks.measure import endpoint_of
from benchmarks.sync import sync_benchmark, sync_report_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base_url(live_server: Any, settings: Any) -> str:
    base = str(live_server.url)
    settings.PUBLIC_BASE_URL = base
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{base}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{base}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    return base


def test_sync_benchmark_reports_every_record_at_tiny_scale(base_url: str) -> None:
    scale = SCALES["tiny"]
    report = sync_benchmark(base_url=base_url, scale=scale)

    # The demo preset plus what the scale seeds, all of it in Pleo after the runs.
    assert report.expected["accounts"] == 16 + scale.accounts
    assert report.expected["vendors"] == 4 + scale.suppliers
    assert report.expected["tags"] == 7 + scale.segment_values
    assert report.in_pleo == report.expected
    total = sum(report.expected.values())

    first, unchanged, changed = report.phases
    assert [p.status for p in report.phases] == ["succeeded"] * 3
    assert first.counts["created"] == first.figures.records == total
    # One write per record, except the accounts (one batch) and the vendors, more than 50 new
    # ones: one CSV import job instead of a create each.
    assert first.figures.calls[("pleo", "POST", "/v1/vendors/csv-import/jobs")] == 1
    assert first.figures.calls[("pleo", "POST", "/v1/vendors")] == 0
    assert (
        first.figures.calls_to("pleo", writes_only=True)
        >= total - report.expected["accounts"] - report.expected["vendors"]
    )
    assert unchanged.counts["unchanged"] == unchanged.figures.records == total
    assert unchanged.figures.calls_to("pleo", writes_only=True) == 0
    assert changed.counts["updated"] == report.changed_suppliers == 1
    assert changed.figures.calls_to("pleo", writes_only=True) == 1
    # Every call the integration logged reached a sandbox, and nothing else did.
    for phase in report.phases:
        logged = sum(phase.figures.calls.values())
        assert logged == sum(phase.figures.received.values()) > 0
        assert phase.figures.db_queries > 0

    text = sync_report_text(report, command="python -m benchmarks sync --scale tiny", context=[])
    assert "Reproduce: python -m benchmarks sync --scale tiny" in text
    assert "(c) renamed suppliers: 1" in text


def test_endpoints_fold_record_ids() -> None:
    assert (
        endpoint_of("/sandbox/pleo/v1/vendors/0b0e4f7c-7a51-4c3e-9a57-3c1c8f1d2e3a:activate")
        == "/v1/vendors/{id}:activate"
    )
    assert endpoint_of("/sandbox/visma/v1/supplier/60001") == "/v1/supplier/{id}"
    assert endpoint_of("/sandbox/visma/v1/dimension/SUBACCOUNT") == "/v1/dimension/SUBACCOUNT"


def _phase(**fields: Any) -> Any:
    from benchmarks.export import ExportPhase
    from benchmarks.measure import Figures

    values: dict[str, Any] = {
        "mode": "journal per expense",
        "figures": Figures(label="journal per expense", unit="items", seconds=3.0, records=200),
        "status": "completed",
        "items_total": 200,
        "items_done": 200,
        "items_failed": 0,
        "failures": [],
        "journals": 200,
        "invoices": 0,
        "attachments": 200,
        "releases": 0,
        "concurrency": 4,
        "latency_ms": 20,
    }
    values.update(fields)
    phase = ExportPhase(**values)
    from benchmarks.export import _unavoidable

    phase.unavoidable = _unavoidable(
        items=phase.items_total,
        documents=phase.journals + phase.invoices,
        attachments=phase.attachments,
        releases=phase.releases,
    )
    return phase


def test_export_lower_bound_counts_the_unavoidable_calls() -> None:
    phase = _phase()
    # 200 creates, 200 uploads, 200 downloads, 4 item pages, 2 report batches, 2 job events.
    assert phase.unavoidable_total == 608
    assert phase.unavoidable_visma == 400
    assert phase.lower_bound == pytest.approx(608 * 0.020 / 4)
    assert phase.ratio == pytest.approx(3.0 / phase.lower_bound)


def test_export_lower_bound_is_the_budget_when_that_is_slower() -> None:
    from benchmarks.export import Budget

    phase = _phase(budget=Budget(calls=150, seconds=60))
    # 400 Visma.net calls through 150 per minute: two windows spent before the last one opens.
    assert phase.budget_bound == 120
    assert phase.lower_bound == 120


def test_summary_adds_up_the_ratios() -> None:
    from benchmarks.__main__ import _summary_text

    rows = [
        {"scenario": "export", "phase": "a", "items": 10, "wall": 3.0, "bound": 2.0,
         "ratio": 1.5, "calls_exact": True, "answered_429": 0, "queries_per_item": 4.0,
         "peak_rss_mb": 120.0},
        {"scenario": "sync", "phase": "b", "items": 5, "wall": 1.0, "bound": 0.5, "ratio": 2.0,
         "queries_per_item": 1.0, "peak_rss_mb": 90.0},
        {"scenario": "admin (sqlite)", "phase": "item list", "items": 300, "wall": 0.2,
         "note": "at most 6 queries"},
    ]  # fmt: skip
    text = _summary_text(rows, 60.0)
    assert "sum 3.50, mean 1.75, worst 2.00" in text
    assert "calls = unavoidable: yes" in text
    assert "at most 6 queries" in text


def test_calls_are_sorted_into_the_unavoidable_kinds() -> None:
    from benchmarks.export import call_kind

    assert call_kind("visma", "POST", "/v2/journaltransaction") == (
        "Visma creates (one per document)"
    )
    assert call_kind("visma", "POST", "/v1/supplierInvoice/documentType/Invoice/{id}/attachment")
    assert call_kind("pleo", "GET", "/files/{id}") == "Pleo downloads (one per receipt)"
    # A read of the job the webhook already described is not one of them.
    assert call_kind("pleo", "GET", "/v3/export-jobs/{id}").startswith("other: ")


def test_the_worker_peak_rss_is_compared_between_two_sizes_of_one_mode() -> None:
    from benchmarks.export import rss_comparison
    from benchmarks.measure import Figures

    def sized(items: int, rss_mb: float) -> Any:
        figures = Figures(label="journal per expense", unit="items", records=items)
        figures.peak_rss_bytes = int(rss_mb * 2**20)
        return _phase(items_total=items, figures=figures)

    flat = rss_comparison([sized(10_000, 104.0), sized(1_000, 100.0), _phase(mode="other")])
    assert flat.startswith("Worker peak RSS, journal per expense: 100.0 MB at 1,000 items")
    assert "104.0 MB at 10,000 items (+4.0%); within 10%: yes" in flat
    grown = rss_comparison([sized(1_000, 100.0), sized(10_000, 150.0)])
    assert grown.endswith("(+50.0%); within 10%: no")
    assert rss_comparison([sized(1_000, 100.0)]) == ""


def test_cpu_use_splits_the_busy_time_between_the_processes() -> None:
    import os

    from benchmarks.cpu import CpuMeter, CpuSample, web_pids

    use = CpuMeter.between(
        CpuSample(busy=100.0, web=10.0, worker=5.0),
        CpuSample(busy=130.0, web=25.0, worker=11.0),
        wall=20.0,
    )
    assert (use.busy, use.web, use.worker, use.rest) == (30.0, 15.0, 6.0, 9.0)
    assert use.text(cores=2) == (
        "2 cores 75% busy: web app with the sandboxes 15.0 s, worker 6.0 s, "
        "PostgreSQL and the rest 9.0 s"
    )
    if os.path.exists("/proc/stat"):
        sample = CpuMeter(web_port=1, worker_pids=[os.getpid()]).sample()
        assert sample.busy > 0 and sample.worker > 0
        assert web_pids(1) == []


def test_the_wall_time_is_cut_into_stages_with_the_slots_in_use() -> None:
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from benchmarks.export import run_stages

    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    run = SimpleNamespace(claimed_at=at(1), fetched_at=at(3), finished_at=at(10))
    calls = [
        (at(2.5), 1000, "Pleo item pages (50 a page)"),  # 1.5 s to 2.5 s
        (at(5), 2000, "Visma creates (one per document)"),  # 3 s to 5 s
        (at(9), 4000, "Visma uploads (one per receipt)"),  # 5 s to 9 s
        (at(10), 1000, "Pleo report batches (≤ 100)"),  # 9 s to 10 s
    ]

    stages = run_stages(begun=t0, run=run, calls=calls, concurrency=2)

    assert [(s.name, s.seconds) for s in stages] == [
        ("until the run was claimed", 1.0),
        ("started and items read", 2.0),
        ("booked in Visma.net", 6.0),
        ("reported to Pleo", 1.0),
    ]
    assert [round(s.busy, 3) for s in stages] == [0.0, 0.25, 0.5, 0.5]


def test_the_stand_in_s_cost_per_item_is_measured_over_http(base_url: str) -> None:
    from benchmarks.sandbox_cost import item_cost

    # One at a time: the test's in-memory SQLite database takes one writer at once.
    cost = item_cost(base_url, 3, at_once=1)
    assert cost.items == 3 and cost.wall_ms > 0
    # No web app process of its own to measure here (the test's live server).
    assert cost.web_cpu_ms == 0
    assert "3 items:" in cost.text()
