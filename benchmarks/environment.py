"""The honest setup: a fresh database, the real web app (with the sandbox) in a subprocess, and
the benchmark process configured with the same settings so it drives the integration code over
real HTTP.

Order matters: `bench_environment()` must be applied to `os.environ` before Django is set up in
the benchmark process, because the settings are read from the environment once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from cryptography.fernet import Fernet

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CLIENTS = {
    "VISMA_CLIENT_ID": "demo-visma-client",
    "VISMA_CLIENT_SECRET": "demo-visma-secret",
    "PLEO_CLIENT_ID": "demo-pleo-client",
    "PLEO_CLIENT_SECRET": "demo-pleo-secret",
}


def free_port() -> int:
    """BENCH_PORT when set (a host that gives the benchmarks a fixed port), else a free one."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_environment(*, port: int, database_url: str) -> dict[str, str]:
    """The demo's environment (Makefile DEMO_ENV) on `port`, with per-run secrets so nothing is
    written to `.local/`. Both processes get the same values: the web app decrypts the webhook
    secrets the benchmark process stores."""
    base = f"http://127.0.0.1:{port}"
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SANDBOX_ENABLED": "1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": base,
        "VISMA_CONNECT_URL": f"{base}/sandbox/visma",
        "VISMA_API_URL": f"{base}/sandbox/visma",
        "PLEO_AUTH_URL": f"{base}/sandbox/pleo",
        "PLEO_API_URL": f"{base}/sandbox/pleo",
        **{name: os.environ.get(name) or value for name, value in DEMO_CLIENTS.items()},
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Database:
    url: str
    label: str


def _with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextlib.contextmanager
def temporary_database(
    *, workdir: Path, given_url: str = "", prefix: str = "bench"
) -> Iterator[Database]:
    """A fresh SQLite file in `workdir`, or, when `given_url` names PostgreSQL, a fresh database
    created next to the one it names (and dropped afterwards), so a run never reuses old rows."""
    if not given_url.startswith(("postgres://", "postgresql://")):
        if given_url:
            print(f"DATABASE_URL {given_url!r} is not PostgreSQL: using a temporary SQLite file.")
        path = workdir / f"{prefix}.sqlite3"
        yield Database(url=f"sqlite:///{path}", label="SQLite (fresh temporary file)")
        return
    import psycopg

    # Named after the given database, so a host that reserves a name prefix keeps to it.
    given_name = urlsplit(given_url).path.strip("/")
    name = f"{given_name or prefix}_{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    # CREATE and DROP DATABASE go through the server's maintenance database: the database that
    # `given_url` names need not exist (CI names one that only the test runner's prefix creates).
    admin_url = _with_database_name(given_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        # The name is ours (letters, digits, underscores): safe to interpolate.
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(
            url=_with_database_name(given_url, name), label=f"PostgreSQL (fresh database {name})"
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class WebServer:
    """`manage.py serve --no-worker` (gunicorn, as `make demo` runs it) in its own process
    group, so stopping it also stops gunicorn's workers."""

    def __init__(self, *, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        command = [sys.executable, "manage.py", "serve", "--port", str(self.port), "--no-worker"]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"The web app stopped at start-up; see {self.log_path}")
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"The web app did not answer /healthz within {timeout:.0f} s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        # Whatever is left of the group (a gunicorn worker that ignored SIGTERM) goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def __enter__(self) -> WebServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
