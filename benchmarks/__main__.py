"""`python -m benchmarks [--scale tiny|small|full] [--only SCENARIO ...] [--latency-ms N]`.

Scenarios: export (journal per expense at 1,000 then 10,000 items, for the worker's peak RSS at
both, one journal per export and purchase invoices at 2,000, scale full), pacing (an export against a small Visma.net call budget), sync
(master data, Visma.net → Pleo), admin (the export item list at 100,000 items, on SQLite and
on PostgreSQL when DATABASE_URL names one), webhooks (Pleo's deliveries under load from a
separate process). Each scenario gets a fresh database and, where it needs them, its own web
app (with the sandboxes) and worker in subprocesses; each runs in a child process of its own,
because Django's settings (and so the database) are fixed once per process. A summary of the
ratios to the lower bounds closes the output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.company import SCALES as COMPANY_SCALES
from benchmarks.environment import (
    REPO_ROOT,
    WebServer,
    bench_environment,
    free_port,
    temporary_database,
)
from benchmarks.report import reproduce_command, table


@dataclass(frozen=True)
class Sizes:
    company: str  # benchmarks.company scale for the sync
    export_expense: int
    export_batch: int  # one journal per export, purchase invoices
    # Journal per expense again at this size, first: the worker's peak RSS at both sizes.
    export_expense_smaller: int
    pacing_items: int
    pacing_calls: int
    pacing_seconds: int
    admin_items: int
    webhook_rate: int
    webhook_seconds: int


SIZES = {
    "tiny": Sizes("tiny", 10, 10, 2, 10, 20, 5, 300, 50, 3),
    "small": Sizes("small", 200, 100, 20, 100, 100, 20, 10_000, 300, 10),
    "full": Sizes("large", 10_000, 2_000, 1_000, 300, 300, 60, 100_000, 300, 20),
}
SCALE_NAMES = {"large": "full"}  # the older name of the full scale

Summary = list[dict[str, Any]]
Runner = Callable[[argparse.Namespace, dict[str, str], Path, str, list[str]], tuple[str, Summary]]


def _worker_start(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    stats = workdir / "worker-stats"
    log = (workdir / "worker.log").open("ab")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "benchmarks.worker", str(stats)],
        cwd=REPO_ROOT,
        # As in production, DEBUG off: with it on, Django would time and keep the last 9,000
        # queries of every database connection, which costs CPU and memory per query. The
        # worker needs no sandbox app (it reaches the sandboxes over HTTP like a remote).
        env={
            **os.environ,
            **env,
            "Q_SYNC": "0",
            "Q_WORKERS": "1",
            "DEBUG": "0",
            "SANDBOX_ENABLED": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    return process, stats


def _worker_stop(process: subprocess.Popen[bytes]) -> None:
    import contextlib

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _export_summary(report: Any, scenario: str) -> Summary:
    return [
        {"scenario": scenario, "phase": p.mode, "items": p.items_total,
         "wall": p.figures.seconds, "bound": p.lower_bound, "ratio": p.ratio,
         "calls_exact": sum(p.figures.calls.values()) == p.unavoidable_total,
         "answered_429": p.answered_429, "queries_per_item": p.figures.per_record(
             p.figures.db_queries), "peak_rss_mb": p.figures.peak_rss_bytes / 2**20}
        for p in report.phases
    ]  # fmt: skip


def _with_web_and_worker(
    env: dict[str, str], workdir: Path, body: Callable[[str, Any], tuple[str, Summary]]
) -> tuple[str, Summary]:
    from django_q.brokers import get_broker

    from benchmarks.export import WorkerStats

    # Tasks a scenario before left in a shared broker (Redis) belong to another database.
    get_broker().purge_queue()
    with WebServer(port=int(env["PORT"]), env={**env, "Q_SYNC": "0"}, log_path=workdir / "web.log"):
        process, stats = _worker_start(env, workdir)
        try:
            return body(env["PUBLIC_BASE_URL"], WorkerStats(stats, process.pid))
        finally:
            _worker_stop(process)


def _run_export(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, command: str, ctx: list[str]
) -> tuple[str, Summary]:
    from benchmarks.export import export_benchmark, export_report_text

    sizes = SIZES[args.scale]
    counts = [
        ("journal per expense", sizes.export_expense_smaller),
        ("journal per expense", sizes.export_expense),
        ("journal per export", sizes.export_batch),
        ("purchase invoices", sizes.export_batch),
    ]

    def body(base_url: str, worker: Any) -> tuple[str, Summary]:
        report = export_benchmark(
            base_url=base_url, worker=worker, items_per_mode=counts, latency_ms=args.latency_ms
        )
        title = (
            f"export: Pleo jobs into Visma.net, scale {args.scale} "
            f"({sizes.export_expense_smaller:,} and {sizes.export_expense:,} items journal per "
            f"expense, {sizes.export_batch:,} the others)"
        )
        text = export_report_text(report, title=title, command=command, context=ctx)
        return text, _export_summary(report, "export")

    return _with_web_and_worker(env, workdir, body)


def _run_pacing(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, command: str, ctx: list[str]
) -> tuple[str, Summary]:
    from benchmarks.export import Budget, export_report_text, pacing_benchmark

    sizes = SIZES[args.scale]
    budget = Budget(sizes.pacing_calls, sizes.pacing_seconds)

    def body(base_url: str, worker: Any) -> tuple[str, Summary]:
        report = pacing_benchmark(
            base_url=base_url,
            worker=worker,
            items=sizes.pacing_items,
            budget=budget,
            latency_ms=args.latency_ms,
        )
        title = (
            f"pacing: {sizes.pacing_items:,} items against a Visma.net budget of "
            f"{budget.calls} calls per {budget.seconds} s, scale {args.scale}"
        )
        text = export_report_text(report, title=title, command=command, context=ctx)
        return text, _export_summary(report, "pacing")

    return _with_web_and_worker(env, workdir, body)


def _run_sync(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, command: str, ctx: list[str]
) -> tuple[str, Summary]:
    from benchmarks.sync import sync_benchmark, sync_report_text
    from integrations.connections.models import ExportSettings

    scale = COMPANY_SCALES[SIZES[args.scale].company]
    concurrency = ExportSettings._meta.get_field("export_concurrency").get_default()
    # This process runs the sync's tasks inline (Q_SYNC); the web app only queues.
    with WebServer(port=int(env["PORT"]), env={**env, "Q_SYNC": "0"}, log_path=workdir / "web.log"):
        report = sync_benchmark(
            base_url=env["PUBLIC_BASE_URL"], scale=scale, latency_ms=args.latency_ms
        )
    text = sync_report_text(report, command=command, context=ctx)
    summary = []
    for phase in report.phases:
        f = phase.figures
        calls = sum(f.calls.values())
        # Its bound: the calls it made times the latency, divided by the writes under way at
        # once (the connection's concurrency; its reads of pages follow one another, so no
        # sync reaches it).
        bound = calls * args.latency_ms / 1000 / concurrency
        summary.append(
            {"scenario": "sync", "phase": f.label, "items": f.records, "wall": f.seconds,
             "bound": bound, "ratio": f.seconds / bound if bound else 0.0,
             "queries_per_item": f.per_record(f.db_queries),
             "peak_rss_mb": f.peak_rss_bytes / 2**20}
        )  # fmt: skip
    return text, summary


def _run_admin(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, command: str, ctx: list[str]
) -> tuple[str, Summary]:
    from benchmarks.admin_list import admin_benchmark, admin_report_text

    report = admin_benchmark(items=SIZES[args.scale].admin_items)
    text = admin_report_text(report, command=command, context=ctx)
    slowest = max(max(v.seconds) for v in report.views)
    queries = max(v.queries for v in report.views)
    return text, [
        {"scenario": f"admin ({report.database})", "phase": "item list", "items": report.items,
         "wall": slowest, "note": f"slowest view {slowest * 1000:.0f} ms, at most {queries} "
         "queries"}
    ]  # fmt: skip


def _run_webhooks(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, command: str, ctx: list[str]
) -> tuple[str, Summary]:
    from benchmarks.webhooks import webhook_benchmark, webhook_report_text

    sizes = SIZES[args.scale]
    report = webhook_benchmark(
        env=env, workdir=workdir, rate=sizes.webhook_rate, seconds=sizes.webhook_seconds
    )
    text = webhook_report_text(report, command=command, context=ctx)
    return text, [
        {"scenario": "webhooks", "phase": phase.label, "items": phase.sent,
         "wall": phase.seconds, "note": f"{phase.accepted_per_second:.0f} accepted/s, "
         f"p99 {phase.p99_ms:.0f} ms"}
        for phase in report.phases
    ]  # fmt: skip


SCENARIOS: dict[str, Runner] = {
    "export": _run_export,
    "pacing": _run_pacing,
    "sync": _run_sync,
    "admin": _run_admin,
    "webhooks": _run_webhooks,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "scenarios", nargs="*", metavar="scenario", help=f"{', '.join(SCENARIOS)}; default: all"
    )
    parser.add_argument("--only", action="append", default=[], metavar="SCENARIO")
    parser.add_argument("--scale", choices=[*SIZES, *SCALE_NAMES], default="full")
    parser.add_argument(
        "--latency-ms", type=int, default=20, help="latency the sandboxes add to every call"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, SQLite)"
    )
    parser.add_argument("--sqlite", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--summary-file", help=argparse.SUPPRESS)
    return parser


def _shown_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _argv(args: argparse.Namespace, name: str) -> list[str]:
    return ["--only", name, "--scale", args.scale, "--latency-ms", str(args.latency_ms)]


def _run_one(name: str, args: argparse.Namespace) -> int:
    import django
    from django.core.management import call_command
    from django.db import connections

    given_url = "" if args.sqlite else os.environ.get("DATABASE_URL", "")
    command = reproduce_command(_argv(args, name), database_url=_shown_url(given_url))
    workdir = Path(tempfile.mkdtemp(prefix="pleo-visma-bench-"))
    try:
        with temporary_database(workdir=workdir, given_url=given_url) as database:
            port = free_port()
            env = bench_environment(port=port, database_url=database.url)
            # This process runs inline what it queues itself (the sync); the web app only
            # queues, and the worker (export, pacing) is a process of its own.
            os.environ.update(env, Q_SYNC="1")
            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            with open("/proc/loadavg") as handle:
                load = " ".join(handle.read().split()[:3])
            context = [
                f"Database: {database.label}; web app: gunicorn on {env['PUBLIC_BASE_URL']}; "
                f"latency added by the sandboxes: {args.latency_ms} ms per call; "
                f"load average at the start: {load} on {os.cpu_count()} CPUs (a shared "
                "machine: other work ran beside it)",
            ]
            text, summary = SCENARIOS[name](args, env, workdir, command, context)
            print(text, flush=True)
            if args.summary_file:
                with open(args.summary_file, "a") as handle:
                    for row in summary:
                        handle.write(json.dumps(row) + "\n")
            connections.close_all()
    finally:
        if args.keep:
            print(f"Kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _summary_text(rows: Sequence[dict[str, Any]], seconds: float) -> str:
    ratios = [r["ratio"] for r in rows if r.get("ratio")]
    if not rows:
        return "== summary ==\nNo scenario finished."
    lines = [
        "== summary ==",
        table(
            ["scenario", "phase", "items", "wall s", "lower bound s", "ratio", "note"],
            [
                [
                    r["scenario"],
                    r["phase"],
                    r.get("items", 0),
                    round(r["wall"], 2),
                    round(r["bound"], 1) if r.get("bound") else "-",
                    round(r["ratio"], 2) if r.get("ratio") else "-",
                    r.get("note")
                    or (
                        f"calls = unavoidable: {'yes' if r['calls_exact'] else 'no'}; 429s "
                        f"{r['answered_429']}; {r['queries_per_item']:.1f} queries/item; "
                        f"peak RSS {r['peak_rss_mb']:.0f} MB"
                        if "calls_exact" in r
                        else f"{r['queries_per_item']:.1f} queries/record"
                    ),
                ]
                for r in rows
            ],
        ),
    ]
    if ratios:
        lines.append(
            f"Ratios wall/lower bound over {len(ratios)} phases: sum {sum(ratios):.2f}, "
            f"mean {sum(ratios) / len(ratios):.2f}, worst {max(ratios):.2f}; whole run "
            f"{seconds / 60:.1f} min."
        )
    return "\n".join(lines)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwind through the `finally` blocks: the web app is stopped, the database dropped.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = _parser()
    args = parser.parse_args(argv)
    args.scale = SCALE_NAMES.get(args.scale, args.scale)
    chosen = [*args.scenarios, *args.only]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    names = list(dict.fromkeys(chosen or SCENARIOS))
    if len(names) == 1 and (args.summary_file or names[0] != "admin"):
        return _run_one(names[0], args)
    started = time.perf_counter()
    status = 0
    with tempfile.TemporaryDirectory(prefix="pleo-visma-bench-summary-") as tmp:
        summary = Path(tmp) / "summary.jsonl"
        postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        for name in names:
            runs = [["--sqlite"], []] if name == "admin" and postgres else [[]]
            for extra in runs:
                child = [sys.executable, "-m", "benchmarks", *_argv(args, name), *extra,
                         "--summary-file", str(summary)]  # fmt: skip
                if args.keep:
                    child.append("--keep")
                status |= subprocess.call(child, cwd=REPO_ROOT)  # noqa: S603
                print(flush=True)
        rows = (
            [json.loads(line) for line in summary.read_text().splitlines()]
            if (summary.exists())
            else []
        )
        print(_summary_text(rows, time.perf_counter() - started), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
