"""`python -m reliability --jobs N --items N --seed S --workers W --minutes M` (what
`manage.py reliability` and `make reliability` run).

A fresh database (a temporary SQLite file, or a new PostgreSQL database beside `DATABASE_URL`,
dropped afterwards); the web app with the sandboxes (`manage.py serve --no-worker`, gunicorn)
and W worker processes (`manage.py qcluster`) in subprocesses, on the Redis broker when
`REDIS_URL` is set; this process drives the campaign and prints its table. Exit status 1 when a
failure column is above zero.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.environment import WebServer, bench_environment, free_port, temporary_database

# Short remote timeouts, so a delay fault outlasts them quickly, and a stale-run takeover well
# above the longest quiet stretch they allow a live worker (5 attempts x the read timeout, plus
# backoff). A busy machine answers long look-ups slowly: give it `--read-timeout`.
READ_TIMEOUT = 3.0


def campaign_env(read_timeout: float) -> dict[str, str]:
    return {
        "REMOTE_CONNECT_TIMEOUT": "2",
        "REMOTE_READ_TIMEOUT": f"{read_timeout:g}",
        "REMOTE_MAX_RETRY_WAIT": "10",
        "EXPORT_STALE_AFTER_SECONDS": str(int(6 * read_timeout + 12)),
        # One task worker per cluster: each cluster stands for a worker machine.
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "600",
        "Q_RETRY": "660",
        "Q_POLL": "0.2",
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--jobs", type=int, default=30, help="export jobs (default 30)")
    parser.add_argument("--items", type=int, default=3, help="items per job (default 3)")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (qcluster); default 3 on PostgreSQL, 1 on SQLite",
    )
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="faults after each job until then (default 10)"
    )
    parser.add_argument(
        "--settle-minutes",
        type=float,
        default=6.0,
        help="longest wait for the work to settle after the faults (default 6)",
    )
    parser.add_argument(
        "--faults-per-job", type=float, default=1.5, help="mean faults drawn per job (1.5)"
    )
    parser.add_argument(
        "--kill-probability",
        type=float,
        default=0.04,
        help="chance that a worker is killed after a job is created (0.04)",
    )
    parser.add_argument(
        "--kinds",
        default="",
        help="only these fault kinds, comma-separated, as the table names them (default: all)",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=READ_TIMEOUT,
        help=f"remote read timeout in seconds (default {READ_TIMEOUT:g})",
    )
    parser.add_argument("--port", type=int, default=0, help="web app port (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    return parser


def _shown_url(url: str) -> str:
    from benchmarks.__main__ import _shown_url as shown

    return shown(url)


def _command(args: argparse.Namespace) -> str:
    env = [
        f"{name}={shlex.quote(_shown_url(os.environ[name]))}"
        for name in ("DATABASE_URL", "REDIS_URL")
        if os.environ.get(name)
    ]
    argv = ["--jobs", args.jobs, "--items", args.items, "--seed", args.seed]
    argv += ["--workers", args.workers, "--minutes", args.minutes]
    argv += ["--settle-minutes", args.settle_minutes, "--faults-per-job", args.faults_per_job]
    argv += ["--kill-probability", args.kill_probability, "--read-timeout", args.read_timeout]
    if args.kinds:
        argv += ["--kinds", shlex.quote(args.kinds)]
    return " ".join([*env, ".venv/bin/python -m reliability", *map(str, argv)])


def _run(args: argparse.Namespace, workdir: Path) -> int:
    import django

    given_url = os.environ.get("DATABASE_URL", "")
    if args.workers is None:
        args.workers = 3 if given_url.startswith(("postgres://", "postgresql://")) else 1
    command = _command(args)
    with temporary_database(workdir=workdir, given_url=given_url, prefix="reliability") as db:
        port = args.port or free_port()
        env = {
            **bench_environment(port=port, database_url=db.url),
            **campaign_env(args.read_timeout),
        }
        os.environ.update(env)
        django.setup()
        from django.core.management import call_command
        from django_q.brokers import get_broker

        from reliability.campaign import Options, campaign_run
        from reliability.report import report_text

        call_command("migrate", verbosity=0, interactive=False)
        redis = os.environ.get("REDIS_URL", "")
        if redis:
            # Tasks left in the queue by an earlier, interrupted campaign name other rows.
            get_broker().purge_queue()
        options = Options(
            jobs=args.jobs,
            items=args.items,
            seed=args.seed,
            workers=args.workers,
            minutes=args.minutes,
            settle_minutes=args.settle_minutes,
            read_timeout=args.read_timeout,
            faults_per_job=args.faults_per_job,
            kill_probability=args.kill_probability,
            kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
        )
        context = [
            f"Database: {db.label}; broker: "
            + (f"Redis ({_shown_url(redis)})" if redis else "the database (django-q2 ORM)")
            + f"; {args.workers} worker process(es) (manage.py qcluster, 1 task worker each); "
            f"web app: manage.py serve --no-worker (gunicorn) on {env['PUBLIC_BASE_URL']}.",
            f"Remote timeouts: connect {env['REMOTE_CONNECT_TIMEOUT']} s, read "
            f"{env['REMOTE_READ_TIMEOUT']} s; stale-run takeover after "
            f"{env['EXPORT_STALE_AFTER_SECONDS']} s; export schedules every minute.",
        ]
        with WebServer(port=port, env=env, log_path=workdir / "web.log"):
            outcome = campaign_run(
                options=options, base_url=env["PUBLIC_BASE_URL"], env=env, log_dir=workdir
            )
        print(report_text(outcome, command=command, context=context), flush=True)
        from django.db import connections

        connections.close_all()
        return 1 if outcome.findings.failed else 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwind through the `finally` blocks: workers and web app stopped, database dropped.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = _parser().parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1_000_000)
    if args.jobs < 1 or args.items < 1:
        _parser().error("--jobs and --items must be at least 1")
    print(f"Reliability campaign, seed {args.seed}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="pleo-visma-reliability-"))
    try:
        return _run(args, workdir)
    finally:
        if args.keep:
            print(f"Kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
