"""`python -m benchmarks [sync] [export] [--scale tiny|small|large] [--latency-ms N]`.

Each benchmark gets a fresh database and its own web app (with the sandbox) in a subprocess;
several benchmarks run one after the other, each in a child process of its own, because Django's
settings (and so the database) are fixed once per process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks.company import SCALES, Scale
from benchmarks.environment import (
    REPO_ROOT,
    WebServer,
    bench_environment,
    free_port,
    temporary_database,
)
from benchmarks.report import reproduce_command

Runner = Callable[[str, Scale, int, str, list[str]], str]


def _run_sync(base_url: str, scale: Scale, latency_ms: int, command: str, ctx: list[str]) -> str:
    from benchmarks.sync import sync_benchmark, sync_report_text

    report = sync_benchmark(base_url=base_url, scale=scale, latency_ms=latency_ms)
    return sync_report_text(report, command=command, context=ctx)


def _run_export(base_url: str, scale: Scale, latency_ms: int, command: str, ctx: list[str]) -> str:
    from benchmarks.export import export_benchmark, export_report_text

    report = export_benchmark(base_url=base_url, scale=scale, latency_ms=latency_ms)
    return export_report_text(report, command=command, context=ctx)


BENCHMARKS: dict[str, Runner] = {"sync": _run_sync, "export": _run_export}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "benchmarks", nargs="*", metavar="benchmark", help=f"{', '.join(BENCHMARKS)}; default: all"
    )
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="latency the sandboxes add to every call"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (peak heap); slows Python down several times",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (web app log, SQLite)"
    )
    return parser


def _shown_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _argv(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    argv = [*names, "--scale", args.scale, "--latency-ms", str(args.latency_ms)]
    if args.tracemalloc:
        argv.append("--tracemalloc")
    return argv


def _run_one(name: str, args: argparse.Namespace) -> int:
    import django
    from django.core.management import call_command
    from django.db import connections

    given_url = os.environ.get("DATABASE_URL", "")
    command = reproduce_command(_argv(args, [name]), database_url=_shown_url(given_url))
    workdir = Path(tempfile.mkdtemp(prefix="pleo-visma-bench-"))
    try:
        with temporary_database(workdir=workdir, given_url=given_url) as database:
            port = free_port()
            env = bench_environment(port=port, database_url=database.url)
            # This process runs the tasks inline; the web app only queues (no worker runs), so
            # nothing but the benchmark drives the integration.
            os.environ.update(env, Q_SYNC="1")
            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            if args.tracemalloc:
                tracemalloc.start()
            context = [
                f"Database: {database.label}; web app: manage.py serve --no-worker (gunicorn) "
                f"on {env['PUBLIC_BASE_URL']}; latency added by the sandboxes: "
                f"{args.latency_ms} ms per call; tracemalloc "
                f"{'on (it slows Python down: compare timings without it)' if args.tracemalloc else 'off'}",
            ]
            with WebServer(port=port, env={**env, "Q_SYNC": "0"}, log_path=workdir / "web.log"):
                text = BENCHMARKS[name](
                    env["PUBLIC_BASE_URL"], SCALES[args.scale], args.latency_ms, command, context
                )
            print(text, flush=True)
            connections.close_all()
    finally:
        if args.keep:
            print(f"Kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwind through the `finally` blocks: the web app is stopped, the database dropped.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = list(dict.fromkeys(args.benchmarks or BENCHMARKS))
    if len(names) == 1:
        return _run_one(names[0], args)
    status = 0
    for name in names:
        child = [sys.executable, "-m", "benchmarks", *_argv(args, [name])]
        if args.keep:
            child.append("--keep")
        status |= subprocess.call(child, cwd=REPO_ROOT)  # noqa: S603
        print(flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
