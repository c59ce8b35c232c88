"""Benchmark: one Pleo export job of N mixed items, booked in Visma.net three ways (one journal
per expense, one journal per export, purchase invoices).

Per mode: the job is created through the Pleo sandbox's control API (its webhook reaches the
web app, which only queues: no worker runs there), registered as the backstop poll would, and
then processed by the worker's task, `export_run_process`, inline in this process. The figures
cover that task: claim, fetch, plan, post, receipts, release, report.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from benchmarks.company import Scale
from benchmarks.export_items import PleoCompany, export_items
from benchmarks.measure import Figures, measure
from benchmarks.report import calls_table, heading, mb, queries_table, received_check, table
from benchmarks.sandbox import Sandboxes

MODES: dict[str, dict[str, Any]] = {
    "journal per expense": {"one_journal_per_export": False, "card_expenses_as_invoices": False},
    "journal per export": {"one_journal_per_export": True, "card_expenses_as_invoices": False},
    "purchase invoices": {
        "one_journal_per_export": False,
        "card_expenses_as_invoices": True,
        "auto_release_invoices": True,
    },
}


@dataclass
class ExportPhase:
    figures: Figures
    status: str
    items_total: int
    items_done: int
    items_failed: int
    failures: list[str]
    journals: int
    invoices: int
    attachments: int


@dataclass
class ExportReport:
    scale: Scale
    latency_ms: int
    setup_seconds: float = 0.0
    phases: list[ExportPhase] = field(default_factory=list)


def _connect_and_configure() -> int:
    """The demo connection over real HTTP, then the demo's configuration (full sync, accounts,
    tags, categories) as `make demo` does it."""
    from integrations.demo.configure import demo_configure
    from integrations.demo.connection import demo_connection_prepare

    connection = demo_connection_prepare(session=requests.Session())
    report = demo_configure(connection=connection)
    if report.problems:
        raise RuntimeError(f"The demo configuration failed: {report.problems}")
    return connection.pk


def _visma_documents(state: dict[str, Any]) -> tuple[int, int, int]:
    return (
        len(state["journalTransactions"]),
        len(state["supplierInvoices"]),
        len(state["attachments"]),
    )


def _export(
    *,
    sandboxes: Sandboxes,
    connection_id: int,
    mode: str,
    label: str,
    items: list[dict[str, Any]],
) -> ExportPhase:
    from integrations.connections.models import Connection, ExportSettings
    from integrations.exports.models import ExportItem, ExportRun
    from integrations.exports.services.runs import export_run_register
    from integrations.exports.tasks import export_run_process
    from integrations.pleo.job_types import ExportJob

    ExportSettings.objects.filter(connection_id=connection_id).update(**MODES[mode])
    before = _visma_documents(sandboxes.visma_state())
    job = sandboxes.pleo_export_job_create(items)
    run, _ = export_run_register(
        connection=Connection.objects.get(pk=connection_id), job=ExportJob.from_api(job)
    )
    sandboxes.visma_budget_fresh()
    sandboxes.requests_forget()
    figures = Figures(label=label, unit="items")
    with measure(figures):
        export_run_process(run.pk)
    figures.received = sandboxes.requests_received()
    run.refresh_from_db()
    after = _visma_documents(sandboxes.visma_state())
    figures.records = run.items_total
    failures = [
        f"{reason_type}: {reason}"
        for reason_type, reason in ExportItem.objects.filter(
            run=run, status=ExportItem.Status.FAILED
        ).values_list("failure_reason_type", "failure_reason")[:5]
    ]
    if run.status not in ExportRun.FINISHED_STATUSES:
        failures.append(f"run stopped in {run.status}: {run.last_error or run.failure_reason}")
    return ExportPhase(
        figures=figures,
        status=str(run.status),
        items_total=run.items_total,
        items_done=run.items_done,
        items_failed=run.items_failed,
        failures=failures,
        journals=after[0] - before[0],
        invoices=after[1] - before[1],
        attachments=after[2] - before[2],
    )


def export_benchmark(
    *, base_url: str, scale: Scale, latency_ms: int = 0, modes: Sequence[str] = tuple(MODES)
) -> ExportReport:
    report = ExportReport(scale=scale, latency_ms=latency_ms)
    sandboxes = Sandboxes(base_url)
    sandboxes.reset_and_seed_demo()
    sandboxes.latency(0)
    # The job's webhook is handled before the control call answers: nothing runs in the
    # background while a mode is measured.
    sandboxes.pleo_webhooks_sync()
    started = time.perf_counter()
    connection_id = _connect_and_configure()
    report.setup_seconds = time.perf_counter() - started
    company = PleoCompany.from_state(sandboxes.pleo_state())
    for number, mode in enumerate(modes, start=1):
        items = export_items(company, scale.export_items)
        sandboxes.latency(latency_ms)
        report.phases.append(
            _export(
                sandboxes=sandboxes,
                connection_id=connection_id,
                mode=mode,
                label=f"({number}) {mode}",
                items=items,
            )
        )
        sandboxes.latency(0)
    return report


def export_report_text(report: ExportReport, *, command: str, context: Sequence[str]) -> str:
    phases = [p.figures for p in report.phases]
    main = table(
        ["mode", "seconds", "items", "items/s", "Visma calls", "Visma/item", "Pleo calls",
         "Pleo/item", "remote s", "DB queries", "queries/item", "peak RSS MB", "heap MB",
         "status"],
        [
            [f.label, round(f.seconds, 2), f.records, round(f.rate, 1), f.calls_to("visma"),
             round(f.per_record(f.calls_to("visma")), 2), f.calls_to("pleo"),
             round(f.per_record(f.calls_to("pleo")), 2),
             round(sum(f.remote_ms.values()) / 1000, 1), f.db_queries,
             round(f.per_record(f.db_queries), 1), round(mb(f.peak_rss_bytes), 1),
             round(mb(f.peak_heap_bytes), 1) if f.peak_heap_bytes else "-", p.status]
            for p, f in zip(report.phases, phases, strict=True)
        ],
    )  # fmt: skip
    outcome = table(
        ["mode", "items", "done", "failed", "journals", "invoices", "attachments"],
        [
            [p.figures.label, p.items_total, p.items_done, p.items_failed, p.journals,
             p.invoices, p.attachments]
            for p in report.phases
        ],
    )  # fmt: skip
    lines = [
        heading(
            f"export: a Pleo job of {report.scale.export_items:,} items into Visma.net, "
            f"scale {report.scale.name}",
            command=command,
            context=[
                *context,
                "Items: 3 in 5 card purchases, 1 in 5 split over two categories, 1 in 5 out of "
                "pocket; one PDF receipt each; every other item tagged. Purchase invoices: "
                "auto-release on (out-of-pocket items still go to journals).",
                f"Connecting and configuring the demo company took {report.setup_seconds:.1f} s "
                "(not in the figures).",
            ],
        ),
        "",
        main,
        "",
        "What Visma.net holds afterwards (new documents and attachments per mode):",
        outcome,
        "",
        "Database queries of the integration by statement and table (most frequent):",
        queries_table(phases),
        "",
        "Remote calls by endpoint (ApiCall rows; per item):",
        calls_table(phases),
        "",
        received_check(phases),
    ]
    for p in report.phases:
        for failure in p.failures:
            lines.append(f"  {p.figures.label} failure: {failure[:300]}")
    return "\n".join(lines)
