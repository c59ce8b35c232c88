"""Benchmark: Pleo export jobs booked in Visma.net by a real worker, three ways (one journal per
expense, one journal per export, purchase invoices), and the same export against a small
Visma.net call budget (pacing).

Per mode: the job is created through the Pleo sandbox's control API; its webhook reaches the web
app, which stores it and queues its handling; the worker (`manage.py qcluster`, a process of its
own, `benchmarks.worker`) handles the webhook, registers the run and processes it, as in
production. The wall time runs from the job's webhook reaching the web app until the run is
finished: Pleo's own building of the job before it (the stand-in's work, seconds for a job of
10,000 items) is shown apart. The worker's task processes count their own SQL queries and peak
resident set.

Next to what happened, each mode shows the calls nothing can avoid (one create per document,
one upload per receipt, one download per receipt, the item pages, report batches of at most
100, the job's events, one release per invoice when releasing is on) and the lower bound they
set: those calls times the added latency, divided by the concurrency, or the time the Visma.net
budget needs to let its share through, whichever is longer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks.cpu import CpuMeter, CpuUse
from benchmarks.export_items import PleoCompany, export_items
from benchmarks.measure import Figures, endpoint_of
from benchmarks.report import Cell, calls_table, heading, mb, queries_table, received_check, table
from benchmarks.sandbox import Sandboxes, ServiceTimes, service_times, service_times_table

MODES: dict[str, dict[str, Any]] = {
    "journal per expense": {"one_journal_per_export": False, "card_expenses_as_invoices": False},
    "journal per export": {"one_journal_per_export": True, "card_expenses_as_invoices": False},
    "purchase invoices": {
        "one_journal_per_export": False,
        "card_expenses_as_invoices": True,
        "auto_release_invoices": True,
    },
}
RECEIPT_BYTES = 100 * 1024
# Distinct receipt files stored in the Pleo sandbox; items share them (each item still has its
# own link, downloaded and uploaded once per item).
RECEIPT_FILES = 20
# Pleo answers 50 items per page when no limit is given (sandbox pleo/api.py DEFAULT_LIMIT, as
# Pleo's v3 listings do); at most 100 items per status update (export_api.py).
ITEM_PAGE = 50
REPORT_BATCH = 100
JOB_EVENTS = 2  # started, then completed or failed
FINISHED = ("completed", "completed_with_errors", "failed")
RUN_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Budget:
    calls: int
    seconds: int


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    busy: float  # the share of the stage's time the run's call slots were in use


def run_stages(
    *, begun: datetime, run: Any, calls: list[tuple[datetime, int, str]], concurrency: int
) -> list[Stage]:
    """The wall time cut where the run's own timestamps and its calls say a stage ended:
    until the worker claimed the run (webhook and queue), reading the job and its items,
    booking in Visma.net (until its last call), then reporting to Pleo until the run finished.
    `calls` are (end, duration ms, kind) of the run's calls."""
    visma_ends = [end for end, _, kind in calls if kind.startswith("Visma")]
    marks = [
        ("until the run was claimed", run.claimed_at),
        ("started and items read", run.fetched_at),
        ("booked in Visma.net", max(visma_ends, default=None)),
        ("reported to Pleo", run.finished_at),
    ]
    stages: list[Stage] = []
    start = begun
    for name, end in marks:
        if end is None or end < start:
            continue
        width = (end - start).total_seconds()
        used = 0.0
        for call_end, duration_ms, _ in calls:
            call_start = call_end - timedelta(milliseconds=duration_ms)
            overlap = (min(call_end, end) - max(call_start, start)).total_seconds()
            used += max(0.0, overlap)
        busy = used / (width * max(1, concurrency)) if width else 0.0
        stages.append(Stage(name, width, busy))
        start = end
    return stages


@dataclass
class ExportPhase:
    mode: str
    figures: Figures
    status: str
    items_total: int
    items_done: int
    items_failed: int
    failures: list[str]
    journals: int
    invoices: int
    attachments: int
    releases: int
    concurrency: int
    latency_ms: int
    budget: Budget | None = None
    answered_429: int = 0
    sandbox_ms: float = 0.0
    service_times: ServiceTimes = field(default_factory=dict)
    unavoidable: dict[str, int] = field(default_factory=dict)
    # Calls logged meanwhile that are not the run's (a scheduled master-data sync, say).
    beside: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Where the machine's CPU went while the run ran (None off Linux).
    cpu: CpuUse | None = None
    # Pleo building the job, until its webhook reached the web app: the stand-in's work, not
    # in the wall time.
    job_built_seconds: float = 0.0
    # The wall time in stages, each with the share of it the call slots were in use.
    stages: list[Stage] = field(default_factory=list)

    @property
    def unavoidable_total(self) -> int:
        return sum(self.unavoidable.values())

    @property
    def unavoidable_visma(self) -> int:
        return sum(n for k, n in self.unavoidable.items() if k.startswith("Visma"))

    @property
    def latency_bound(self) -> float:
        return self.unavoidable_total * self.latency_ms / 1000 / max(1, self.concurrency)

    @property
    def budget_bound(self) -> float:
        if self.budget is None or self.unavoidable_visma <= self.budget.calls:
            return 0.0
        # Each full window lets `calls` through; the last window's share goes at its start.
        return (self.unavoidable_visma - 1) // self.budget.calls * self.budget.seconds

    @property
    def lower_bound(self) -> float:
        return max(self.latency_bound, self.budget_bound)

    @property
    def ratio(self) -> float:
        return self.figures.seconds / self.lower_bound if self.lower_bound else 0.0

    @property
    def calls_made(self) -> int:
        return sum(self.figures.calls.values())


@dataclass
class ExportReport:
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


def export_concurrency(connection_id: int) -> int:
    """Remote calls a run may have in flight at once for this connection (1 when the
    integration has no such setting: every call waits for the one before)."""
    from django.conf import settings

    from integrations.connections.models import ExportSettings

    value = getattr(settings, "EXPORT_CONCURRENCY", None)
    row = ExportSettings.objects.filter(connection_id=connection_id).first()
    for name in ("concurrency", "export_concurrency", "max_concurrency"):
        if row is not None and hasattr(row, name):
            value = getattr(row, name)
    return int(value or 1)


def receipt_pdf(number: int) -> bytes:
    """A PDF of about RECEIPT_BYTES (a scanned receipt's size), distinct per number."""
    head = f"%PDF-1.4\n% receipt {number}\n1 0 obj << /Type /Catalog >> endobj\n".encode()
    tail = b"\ntrailer << >>\n%%EOF\n"
    filler = (f"% scan line {number} " * 8 + "\n").encode()
    body = (filler * (RECEIPT_BYTES // len(filler) + 1))[: RECEIPT_BYTES - len(head) - len(tail)]
    return head + body + tail


def receipts_store(sandboxes: Sandboxes) -> list[str]:
    return [
        sandboxes.pleo_file_store(
            name=f"receipt-{n}.pdf",
            content_type="application/pdf",
            content_base64=base64.b64encode(receipt_pdf(n)).decode(),
        )
        for n in range(RECEIPT_FILES)
    ]


def items_with_receipts(
    company: PleoCompany, count: int, file_ids: Sequence[str]
) -> list[dict[str, Any]]:
    items = export_items(company, count)
    for index, item in enumerate(items):
        item["files"] = [{"fileId": file_ids[index % len(file_ids)]}]
    return items


class WorkerStats:
    """What the worker's task processes wrote (benchmarks.worker): queries and peak RSS."""

    def __init__(self, stats_dir: Path, cluster_pid: int | None) -> None:
        self.stats_dir = stats_dir
        self.cluster_pid = cluster_pid

    def read(self) -> tuple[Counter[str], dict[int, int]]:
        queries: Counter[str] = Counter()
        peaks: dict[int, int] = {}
        for path in self.stats_dir.glob("*.json"):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            queries.update(data["queries"])
            peaks[int(path.stem)] = int(data["peak_rss"])
        return queries, peaks

    def pids(self) -> list[int]:
        from reliability.processes import _descendants

        return (
            [] if self.cluster_pid is None else [self.cluster_pid, *_descendants(self.cluster_pid)]
        )

    def reset_peaks(self) -> None:
        """Reset the peak resident set of every process of the cluster (Linux clear_refs)."""
        from reliability.processes import _descendants

        if self.cluster_pid is None:
            return
        for pid in [self.cluster_pid, *_descendants(self.cluster_pid)]:
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")


def _visma_documents(sandboxes: Sandboxes) -> tuple[int, int, int]:
    state = sandboxes.visma_state()
    return (
        len(state["journalTransactions"]),
        len(state["supplierInvoices"]),
        len(state["attachments"]),
    )


def _run_wait(job_id: str, *, timeout: float) -> Any:
    from integrations.exports.models import ExportRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ExportRun.objects.filter(pleo_job_id=job_id).first()
        if run is not None and run.status in FINISHED:
            return run
        time.sleep(0.1)
    raise RuntimeError(f"The run of job {job_id} did not finish within {timeout:.0f} s")


def _notified_at(begun: datetime) -> datetime:
    """When the web app received the job's webhook: where the wall time starts. Pleo's own
    work before it (the stand-in building a job of 10,000 items takes seconds) is not the
    integration's; without a webhook (a job found by the poll), the job's creation request."""
    from integrations.pleo.models import WebhookEvent

    received = (
        WebhookEvent.objects.filter(received_at__gte=begun, event_type__contains="export-job")
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return received or begun


def _statistics_take() -> None:
    """`ANALYZE` the benchmark's database, as PostgreSQL's autovacuum would have by now. Where
    autovacuum is off (this machine kind's PostgreSQL runs without it), a table never analyzed
    leaves the planner no idea which of its indexes finds one row: a look-up by a unique key
    (a journal by its batch number) could walk a company's every row instead, and the stand-in
    would get slower with every document the run adds."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _queue_idle(timeout: float = 600) -> None:
    """Wait until the worker has nothing queued (the setup's webhooks and syncs)."""
    from django_q.brokers import get_broker

    broker = get_broker()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.queue_size() == 0:
            time.sleep(1.0)  # a task taken but not yet done
            if broker.queue_size() == 0:
                return
        time.sleep(0.2)


def call_kind(service: str, method: str, endpoint: str) -> str:
    """The unavoidable kind a call belongs to (the keys of `_unavoidable`), or "other …"."""
    if service == "visma":
        if "/action/release" in endpoint:
            return "Visma releases (one per invoice, when on)"
        if endpoint.endswith("/attachment"):
            return "Visma uploads (one per receipt)"
        if method == "POST" and endpoint in ("/v2/journaltransaction", "/v1/supplierInvoice"):
            return "Visma creates (one per document)"
    elif service == "pleo":
        if method == "GET" and endpoint.startswith("/files/"):
            return "Pleo downloads (one per receipt)"
        if method == "GET" and endpoint == "/v3/export-items":
            return f"Pleo item pages ({ITEM_PAGE} a page)"
        if method == "PUT" and endpoint == "/v3/export-jobs/{id}/items":
            return f"Pleo report batches (≤ {REPORT_BATCH})"
        if method == "POST" and endpoint == "/v3/export-job-events":
            return "Pleo job events"
    return f"other: {service} {method} {endpoint}"


def calls_by_kind(phase: ExportPhase) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for (service, method, endpoint), n in phase.figures.calls.items():
        kinds[call_kind(service, method, endpoint)] += n
    return kinds


def _unavoidable(*, items: int, documents: int, attachments: int, releases: int) -> dict[str, int]:
    return {
        "Visma creates (one per document)": documents,
        "Visma uploads (one per receipt)": attachments,
        "Visma releases (one per invoice, when on)": releases,
        "Pleo downloads (one per receipt)": items,
        f"Pleo item pages ({ITEM_PAGE} a page)": math.ceil(items / ITEM_PAGE),
        f"Pleo report batches (≤ {REPORT_BATCH})": math.ceil(items / REPORT_BATCH),
        "Pleo job events": JOB_EVENTS,
    }


def export_phase(
    *,
    sandboxes: Sandboxes,
    worker: WorkerStats,
    connection_id: int,
    mode: str,
    items: list[dict[str, Any]],
    latency_ms: int,
    budget: Budget | None = None,
) -> ExportPhase:
    from django.utils import timezone

    from integrations.connections.models import ExportSettings
    from integrations.core.models import ApiCall
    from integrations.exports.models import ExportItem

    ExportSettings.objects.filter(connection_id=connection_id).update(**MODES[mode])
    before = _visma_documents(sandboxes)
    _queue_idle()
    _statistics_take()
    sandboxes.requests_forget()
    if budget is None:
        sandboxes.visma_budget_off()
    else:
        sandboxes.visma_budget_window(budget.calls, budget.seconds)
    sandboxes.latency(latency_ms)
    first_call_id = ApiCall.objects.order_by("-id").values_list("id", flat=True).first() or 0
    queries_before, _ = worker.read()
    worker.reset_peaks()
    figures = Figures(label=mode, unit="items")
    meter = CpuMeter(web_port=urlsplit(sandboxes.base_url).port or 80, worker_pids=worker.pids())
    begun = timezone.now()
    job = sandboxes.pleo_export_job_create(items)
    # The CPU from here on: Pleo's (the stand-in's) building of the job is done.
    cpu_before = meter.sample()
    started = time.perf_counter()
    run = _run_wait(job["id"], timeout=RUN_TIMEOUT_SECONDS)
    cpu = CpuMeter.between(cpu_before, meter.sample(), time.perf_counter() - started)
    notified = _notified_at(begun)
    figures.seconds = ((run.finished_at or timezone.now()) - notified).total_seconds()
    sandboxes.latency(0)
    sandboxes.visma_budget_off()
    queries_after, peaks = worker.read()
    figures.query_kinds = queries_after - queries_before
    figures.db_queries = sum(figures.query_kinds.values())
    figures.peak_rss_bytes = max(peaks.values(), default=0)
    beside: Counter[tuple[str, str, str]] = Counter()
    timeline: list[tuple[datetime, int, str]] = []
    for service, method, path, status, duration, run_id, at in ApiCall.objects.filter(
        id__gt=first_call_id
    ).values_list(
        "service", "method", "path", "status_code", "duration_ms", "export_run_id", "created_at"
    ):
        if run_id != run.pk:
            # Not the export's: e.g. a scheduled sync that ran meanwhile.
            beside[(service, method, endpoint_of(path))] += 1
            continue
        figures.calls[(service, method, endpoint_of(path))] += 1
        timeline.append((at, duration, call_kind(service, method, endpoint_of(path))))
        figures.remote_ms[service] += duration
        if status is None or status >= 400:
            figures.failed_calls += 1
    log = sandboxes.requests_log()
    figures.received = Counter(
        (service, row["method"], endpoint_of(row["path"])) for service, row in log
    )
    answered_429 = sum(1 for _, row in log if row.get("status") == 429)
    sandbox_ms = sum(sandboxes.service_ms(service) for service in ("visma", "pleo"))
    after = _visma_documents(sandboxes)
    figures.records = run.items_total
    failures = [
        f"{reason_type}: {reason}"
        for reason_type, reason in ExportItem.objects.filter(
            run=run, status=ExportItem.Status.FAILED
        ).values_list("failure_reason_type", "failure_reason")[:5]
    ]
    if run.status == "failed":
        failures.append(f"run failed: {run.last_error or run.failure_reason}")
    journals, invoices, attachments = (a - b for a, b in zip(after, before, strict=True))
    releases = invoices if MODES[mode].get("auto_release_invoices") else 0
    return ExportPhase(
        mode=mode,
        figures=figures,
        status=str(run.status),
        items_total=run.items_total,
        items_done=run.items_done,
        items_failed=run.items_failed,
        failures=failures,
        journals=journals,
        invoices=invoices,
        attachments=attachments,
        releases=releases,
        concurrency=export_concurrency(connection_id),
        latency_ms=latency_ms,
        budget=budget,
        answered_429=answered_429,
        sandbox_ms=sandbox_ms,
        service_times=service_times(log),
        beside=beside,
        cpu=cpu,
        job_built_seconds=(notified - begun).total_seconds(),
        stages=run_stages(
            begun=notified, run=run, calls=timeline, concurrency=export_concurrency(connection_id)
        ),
        unavoidable=_unavoidable(
            items=run.items_total,
            documents=journals + invoices,
            attachments=attachments,
            releases=releases,
        ),
    )


def export_setup(base_url: str) -> tuple[Sandboxes, int, PleoCompany, list[str], float]:
    sandboxes = Sandboxes(base_url)
    sandboxes.reset_and_seed_demo()
    sandboxes.latency(0)
    sandboxes.visma_budget_off()
    # The job's webhook is stored and queued before the control call answers.
    sandboxes.pleo_webhooks_sync()
    started = time.perf_counter()
    connection_id = _connect_and_configure()
    setup_seconds = time.perf_counter() - started
    company = PleoCompany.from_state(sandboxes.pleo_state())
    return sandboxes, connection_id, company, receipts_store(sandboxes), setup_seconds


def export_benchmark(
    *,
    base_url: str,
    worker: WorkerStats,
    items_per_mode: Sequence[tuple[str, int]],
    latency_ms: int = 20,
) -> ExportReport:
    """The modes in order, each as many items as given (a mode may come twice, at two sizes)."""
    sandboxes, connection_id, company, file_ids, setup = export_setup(base_url)
    report = ExportReport(latency_ms=latency_ms, setup_seconds=setup)
    for mode, count in items_per_mode:
        report.phases.append(
            export_phase(
                sandboxes=sandboxes,
                worker=worker,
                connection_id=connection_id,
                mode=mode,
                items=items_with_receipts(company, count, file_ids),
                latency_ms=latency_ms,
            )
        )
    return report


def pacing_benchmark(
    *, base_url: str, worker: WorkerStats, items: int, budget: Budget, latency_ms: int = 20
) -> ExportReport:
    sandboxes, connection_id, company, file_ids, setup = export_setup(base_url)
    report = ExportReport(latency_ms=latency_ms, setup_seconds=setup)
    report.phases.append(
        export_phase(
            sandboxes=sandboxes,
            worker=worker,
            connection_id=connection_id,
            mode="journal per expense",
            items=items_with_receipts(company, items, file_ids),
            latency_ms=latency_ms,
            budget=budget,
        )
    )
    return report


# The worker's peak resident set may grow at most this much from the smaller export to the
# larger one of the same mode (memory flat in the number of items).
RSS_GROWTH_LIMIT = 0.10


def rss_comparison(phases: Sequence[ExportPhase]) -> str:
    """The worker's peak RSS of one mode at two sizes, smallest and largest: "" when no mode
    ran at two sizes."""
    for mode in dict.fromkeys(p.mode for p in phases):
        sized = sorted((p for p in phases if p.mode == mode), key=lambda p: p.items_total)
        if len(sized) < 2 or sized[0].items_total == sized[-1].items_total:
            continue
        small, large = sized[0], sized[-1]
        low, high = mb(small.figures.peak_rss_bytes), mb(large.figures.peak_rss_bytes)
        growth = (high - low) / low if low else 0.0
        within = "yes" if abs(growth) <= RSS_GROWTH_LIMIT else "no"
        return (
            f"Worker peak RSS, {mode}: {low:.1f} MB at {small.items_total:,} items, {high:.1f} MB "
            f"at {large.items_total:,} items ({growth:+.1%}); within "
            f"{RSS_GROWTH_LIMIT:.0%}: {within}"
        )
    return ""


def call_time_line(p: ExportPhase) -> str:
    """A call's mean time as the worker saw it (ApiCall durations), split into the added
    latency, the sandboxes' own service time and the rest (both sides' HTTP, Python and
    database work, and waiting for a core); and the share of the wall time the run's call
    slots were in use. The wall time is about the calls' total time over the slots, so the
    ratio to the lower bound is the mean call time over the latency, over that share."""
    calls = sum(p.figures.calls.values())
    received = sum(p.figures.received.values())
    if not calls or not received or not p.figures.seconds:
        return ""
    spent_ms = sum(p.figures.remote_ms.values())
    mean = spent_ms / calls
    service = p.sandbox_ms / received
    busy = spent_ms / (p.figures.seconds * 1000 * max(1, p.concurrency))
    return (
        f"  {p.mode} ({p.items_total:,} items): a call took {mean:.1f} ms on average: "
        f"{p.latency_ms} ms latency added, {service:.1f} ms the sandboxes' own time, "
        f"{mean - p.latency_ms - service:.1f} ms the rest; the {p.concurrency} call slots "
        f"were in use {100 * busy:.0f} % of the wall time"
        + f"\n    before the wall time, Pleo building the job: {p.job_built_seconds:.1f} s"
        + "".join(
            f"\n    {stage.name}: {stage.seconds:.1f} s, slots in use {100 * stage.busy:.0f} %"
            for stage in p.stages
        )
    )


def _bound_text(p: ExportPhase) -> str:
    if p.budget is not None and p.budget_bound >= p.latency_bound:
        return (
            f"{p.unavoidable_visma} Visma.net calls through {p.budget.calls} per "
            f"{p.budget.seconds} s"
        )
    return f"{p.unavoidable_total} calls x {p.latency_ms} ms / {p.concurrency}"


def _with_beside(p: ExportPhase) -> Figures:
    """The phase's figures with the calls beside the run, for the cross-check with what the
    sandboxes received (they see every call)."""
    return Figures(label=p.mode, calls=p.figures.calls + p.beside, received=p.figures.received)


def phase_rows(phases: Sequence[ExportPhase]) -> list[list[Cell]]:
    return [
        [p.mode, p.figures.records, round(p.figures.seconds, 1), round(p.lower_bound, 1),
         round(p.ratio, 2), p.calls_made, round(p.figures.per_record(p.calls_made), 2),
         p.unavoidable_total, p.calls_made == p.unavoidable_total, p.answered_429,
         f"{100 * p.sandbox_ms / 1000 / p.figures.seconds:.0f} %" if p.figures.seconds else "-",
         round(p.figures.per_record(p.figures.db_queries), 1),
         round(mb(p.figures.peak_rss_bytes), 1), p.status]
        for p in phases
    ]  # fmt: skip


PHASE_HEADERS = ["mode", "items", "wall s", "lower bound s", "ratio", "calls", "calls/item",
                 "unavoidable", "calls = unavoidable", "429s", "sandbox share",
                 "queries/item", "worker peak RSS MB", "status"]  # fmt: skip


def export_report_text(
    report: ExportReport, *, title: str, command: str, context: Sequence[str]
) -> str:
    phases = [p.figures for p in report.phases]
    outcome = table(
        ["mode", "items", "done", "failed", "journals", "invoices", "attachments", "releases",
         "concurrency", "lower bound from"],
        [
            [p.mode, p.items_total, p.items_done, p.items_failed, p.journals, p.invoices,
             p.attachments, p.releases, p.concurrency, _bound_text(p)]
            for p in report.phases
        ],
    )  # fmt: skip
    made = [calls_by_kind(p) for p in report.phases]
    kinds = list(report.phases[0].unavoidable)
    kinds += sorted({k for m in made for k in m if k not in kinds})
    counts: list[list[Cell]] = [
        [kind, *(f"{p.unavoidable.get(kind, 0)} / {m.get(kind, 0)}"
                 for p, m in zip(report.phases, made, strict=True))]
        for kind in kinds
    ]  # fmt: skip
    counts.append(["total", *(f"{p.unavoidable_total} / {p.calls_made}" for p in report.phases)])
    unavoidable = table(
        ["call (unavoidable / made)", *(f"{p.mode} ({p.items_total:,})" for p in report.phases)],
        counts,
    )
    lines = [
        heading(
            title,
            command=command,
            context=[
                *context,
                "Items: 3 in 5 card purchases, 1 in 5 split over two categories, 1 in 5 out of "
                f"pocket; one ~{RECEIPT_BYTES // 1024} KB PDF receipt each; every other item "
                "tagged. Purchase invoices: auto-release on (out-of-pocket items still go to "
                "journals).",
                f"Connecting and configuring the demo company took {report.setup_seconds:.1f} s "
                "(not in the figures). Wall: from the job's webhook reaching the web app until "
                "its run is finished (queue and worker included); Pleo's building of the job "
                "before it, the stand-in's work, is shown apart. Sandbox share: the sandboxes' "
                "own service time (serviceMs, added latency excluded) over the wall time. "
                "Queries and peak RSS: the worker's task processes.",
            ],
        ),
        "",
        table(PHASE_HEADERS, phase_rows(report.phases)),
        "",
        outcome,
        "",
        "The calls nothing can avoid next to the calls made, per mode ('other': beyond them):",
        unavoidable,
        "",
        "Remote calls by endpoint (ApiCall rows; per item):",
        calls_table(phases),
        "",
        "Worker SQL queries by statement and table (most frequent):",
        queries_table(phases),
        "",
        "The sandboxes' own time per request (serviceMs) by endpoint:",
        service_times_table([(p.mode, p.service_times) for p in report.phases]),
        "",
        received_check([_with_beside(p) for p in report.phases]),
    ]
    for p in report.phases:
        if p.beside:
            calls = ", ".join(f"{svc} {m} {e} x{n}" for (svc, m, e), n in sorted(p.beside.items()))
            lines.append(f"  {p.mode}: calls beside the run (not counted above): {calls}")
    rss = rss_comparison(report.phases)
    if rss:
        lines += ["", rss]
    timed = [line for line in (call_time_line(p) for p in report.phases) if line]
    if timed:
        lines += ["", "Where a call's time went, and how busy the run's call slots were:", *timed]
    used = [p for p in report.phases if p.cpu is not None and p.cpu.busy]
    if used:
        lines += ["", "CPU while each run ran (everything shares the same cores):"]
        lines += [f"  {p.mode} ({p.items_total:,} items): {p.cpu.text()}" for p in used]  # type: ignore[union-attr]
    for p in report.phases:
        for failure in p.failures:
            lines.append(f"  {p.mode} failure: {failure[:300]}")
    return "\n".join(lines)
