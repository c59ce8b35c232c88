"""Benchmark: Pleo's webhook deliveries into the intake endpoint under load.

The web app runs as in production: `gunicorn config.wsgi` with `gunicorn.conf.py` (workers,
threads), DEBUG off, behind a TLS proxy (the sender says `X-Forwarded-Proto: https`). One
connection holds a webhook secret; a separate process (`benchmarks.webhook_load`) sends signed
deliveries over keep-alive connections on loopback: a short warm-up not in the figures (as a
server in service is warm: its processes have their database connections and have run each
code path once), then paced at the target rate, then as fast as the intake answers.
Afterwards the stored rows are counted: every accepted delivery must be stored once, and
queued.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.environment import REPO_ROOT, WebServer
from benchmarks.report import Cell, heading, table

COMPANY_ID = "bench-company"
CONNECTIONS = 16
# Seconds of deliveries, as fast as answered, before the measured phases.
WARM_UP_SECONDS = 2
TARGET_RATE = 300
TARGET_P99_MS = 100


@dataclass
class LoadPhase:
    label: str
    rate: int
    sent: int
    seconds: float
    statuses: dict[str, int]
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    sender_cpu_ms: float = 0.0
    # Paced: `rate` deliveries fall due every second for `due_seconds`; else as fast as answered.
    paced: bool = False
    due_seconds: int = 0

    @property
    def accepted(self) -> int:
        return self.statuses.get("202", 0)

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def target_met(self) -> bool:
        """At least TARGET_RATE accepted per second with p99 under TARGET_P99_MS. Paced, the
        rate is met when every delivery due at TARGET_RATE or more was accepted (the measured
        seconds run to the last answer, a little past the last due time)."""
        if self.p99_ms >= TARGET_P99_MS:
            return False
        if self.paced:
            return (
                self.rate >= TARGET_RATE
                and self.sent >= self.rate * self.due_seconds
                and self.accepted == self.sent
            )
        return self.accepted_per_second >= TARGET_RATE


@dataclass
class WebhookReport:
    gunicorn: str
    broker: str
    phases: list[LoadPhase] = field(default_factory=list)
    warm_up: LoadPhase | None = None
    stored: int = 0
    queued: int = 0


class ProductionServer(WebServer):
    """`gunicorn config.wsgi` from the repository (so `gunicorn.conf.py` applies), DEBUG off."""

    def start(self, *, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}"],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)


def _connection_with_secret() -> str:
    from integrations.connections.models import Connection

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    Connection.objects.create(
        name="Webhook load AS",
        pleo_company_id=COMPANY_ID,
        status=Connection.Status.CONNECTED,
        pleo_webhook_subscription_id="bench-subscription",
        pleo_webhook_secret=secret,
    )
    return secret


def _load(url: str, secret: str, *, rate: int, seconds: int, saturate: bool) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "benchmarks.webhook_load", "--url", url, "--secret", secret,
        "--company-id", COMPANY_ID, "--rate", str(rate), "--seconds", str(seconds),
        "--connections", str(CONNECTIONS), *(["--saturate"] if saturate else []),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, cwd=REPO_ROOT, capture_output=True, check=True, timeout=seconds * 10 + 120
    )
    return dict(json.loads(done.stdout))


def _phase(
    label: str, url: str, secret: str, *, rate: int, seconds: int, saturate: bool
) -> LoadPhase:
    result = _load(url, secret, rate=rate, seconds=seconds, saturate=saturate)
    return LoadPhase(
        label=label,
        rate=rate,
        sent=int(result["sent"]),
        seconds=float(result["seconds"]),
        statuses=dict(result["statuses"]),
        errors=dict(result["errors"]),
        p50_ms=float(result["p50_ms"]),
        p90_ms=float(result["p90_ms"]),
        p99_ms=float(result["p99_ms"]),
        max_ms=float(result["max_ms"]),
        sender_cpu_ms=float(result.get("sender_cpu_ms", 0.0)),
        paced=not saturate,
        due_seconds=seconds,
    )


def _gunicorn_settings() -> str:
    from gunicorn.config import Config

    config = Config()
    path = REPO_ROOT / "gunicorn.conf.py"
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    for name in ("workers", "threads", "worker_class"):
        if name in namespace:
            config.set(name, namespace[name])
    return (
        f"{config.workers} workers x {config.threads} threads ({config.worker_class_str}), "
        "from gunicorn.conf.py"
    )


def webhook_benchmark(
    *, env: dict[str, str], workdir: Path, rate: int, seconds: int
) -> WebhookReport:
    from django.conf import settings
    from django_q.brokers import get_broker

    from integrations.pleo.models import WebhookEvent

    secret = _connection_with_secret()
    production = {
        **env,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "SANDBOX_ENABLED": "0",
        "Q_SYNC": "0",
    }
    broker = get_broker()
    queued_before = broker.queue_size() or 0
    report = WebhookReport(
        gunicorn=_gunicorn_settings(),
        broker="Redis" if getattr(settings, "REDIS_URL", "") else "the database (ORM)",
    )
    server = ProductionServer(
        port=int(env["PORT"]), env=production, log_path=workdir / "gunicorn.log"
    )
    url = f"{server.base_url}/api/pleo/webhooks/"
    with server:
        report.warm_up = _phase(
            "warm-up", url, secret, rate=rate, seconds=WARM_UP_SECONDS, saturate=True
        )
        for label, saturate in ((f"paced at {rate}/s", False), ("as fast as answered", True)):
            report.phases.append(
                _phase(label, url, secret, rate=rate, seconds=seconds, saturate=saturate)
            )
    report.stored = WebhookEvent.objects.filter(accepted=True).count()
    report.queued = (broker.queue_size() or 0) - queued_before
    # The deliveries' tasks are not for the next scenario's worker.
    broker.purge_queue()
    return report


def webhook_report_text(report: WebhookReport, *, command: str, context: Sequence[str]) -> str:
    rows: list[list[Cell]] = [
        [p.label, p.sent, round(p.seconds, 1), p.accepted, round(p.accepted_per_second, 1),
         round(p.p50_ms, 1), round(p.p90_ms, 1), round(p.p99_ms, 1), round(p.max_ms, 1),
         ", ".join(f"{k}: {v}" for k, v in sorted(p.statuses.items()) if k != "202") or "-",
         ", ".join(f"{k}: {v}" for k, v in p.errors.items()) or "-",
         p.target_met]
        for p in report.phases
    ]  # fmt: skip
    accepted = sum(p.accepted for p in report.phases)
    warm = report.warm_up
    warmed = warm.accepted if warm is not None else 0
    sender_cpu = max((p.sender_cpu_ms for p in report.phases), default=0.0)
    return "\n".join(
        [
            heading(
                "webhooks: signed Pleo deliveries into POST /api/pleo/webhooks/",
                command=command,
                context=[
                    *context,
                    f"Server: gunicorn config.wsgi, {report.gunicorn}, DEBUG off; queue "
                    f"broker: {report.broker}. Sender: benchmarks.webhook_load, a separate "
                    f"process, {CONNECTIONS} keep-alive connections on loopback, pre-signed "
                    f"requests, at most {sender_cpu:.2f} ms of CPU per delivery. Latency of a "
                    "paced delivery counts from when it was due. Paced, the rate is met when every "
                    "delivery due was accepted."
                    + (
                        f" Before the figures, a warm-up of {WARM_UP_SECONDS} s as fast as "
                        f"answered ({warm.sent:,} deliveries, {warm.accepted:,} accepted, p99 "
                        f"{warm.p99_ms:.0f} ms), as a server in service is warm."
                        if warm is not None
                        else ""
                    ),
                ],
            ),
            "",
            table(
                [
                    "load",
                    "sent",
                    "seconds",
                    "accepted",
                    "accepted/s",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "max ms",
                    "other answers",
                    "errors",
                    f"≥ {TARGET_RATE}/s and p99 < {TARGET_P99_MS} ms",
                ],
                rows,
            ),
            "",
            f"Accepted {accepted + warmed:,} ({warmed:,} in the warm-up); stored "
            f"{report.stored:,} rows; queued {report.queued:,} tasks (one per stored delivery, "
            "after commit).",
        ]
    )
