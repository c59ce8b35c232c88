"""What the Visma.net stand-in costs per exported item: CPU and wall time of its two calls
for an item (a journal transaction's create, then a ~100 KB receipt's upload to it), four
items at a time, no latency added.

    DATABASE_URL=postgres://… python -m benchmarks.sandbox_cost [--items 1500] [--rounds 1]

Starts the web app as the export benchmark does (`manage.py serve --no-worker`, the sandbox
in it) on a fresh database, seeds the demo company, sends 100 warm-up items, then each round's
items. Prints per item: the wall time, the web app's CPU (the stand-in's own work and the
server's) and PostgreSQL's CPU. For comparing two versions of the stand-in, run both a few
times in turn on one machine: the machine's own speed moves between runs by more than a small
change does.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks.cpu import group_seconds, web_pids
from benchmarks.sandbox_speed import Speed, _journal

RECEIPT = b"%PDF-1.4\n" + bytes(range(256)) * 400
WARM_UP = 100


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (by their command name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass(frozen=True)
class ItemCost:
    items: int
    wall_ms: float
    web_cpu_ms: float
    database_cpu_ms: float

    def text(self) -> str:
        return (
            f"{self.items} items: {self.wall_ms:.2f} ms wall per item, web app CPU "
            f"{self.web_cpu_ms:.2f} ms, PostgreSQL CPU {self.database_cpu_ms:.2f} ms"
        )


def item_cost(
    base_url: str, items: int, *, web_port: int | None = None, at_once: int = 4
) -> ItemCost:
    """Send `items` create + upload pairs, `at_once` at a time, after a warm-up; CPU is
    measured on this machine's processes (the web app's on `web_port`, PostgreSQL's), 0 when
    not known."""
    speed = Speed(base_url)
    speed.prepare(0)
    local = threading.local()
    auth = {"Authorization": f"Bearer {speed.token}"}

    def item(n: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        session = local.session
        created = session.post(
            f"{speed.base}/v2/journaltransaction", json=_journal(n), headers=auth, timeout=60
        )
        if created.status_code != 201:
            raise RuntimeError(f"create → {created.status_code}: {created.text[:300]}")
        number = created.headers["Location"].rsplit("/", 1)[1]
        uploaded = session.post(
            f"{speed.base}/v2/journaltransaction/module/GL/{number}/attachment",
            files={"file": ("receipt.pdf", RECEIPT, "application/pdf")},
            headers=auth,
            timeout=60,
        )
        if uploaded.status_code != 201:
            raise RuntimeError(f"upload → {uploaded.status_code}: {uploaded.text[:300]}")

    web = web_pids(web_port) if web_port else []
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        list(pool.map(item, range(min(WARM_UP, items))))
        database = _postgres_pids()
        cpu_web, cpu_database = group_seconds(web), group_seconds(database)
        started = time.perf_counter()
        list(pool.map(item, range(WARM_UP, WARM_UP + items)))
        wall = time.perf_counter() - started
        cpu_web = group_seconds(web) - cpu_web
        cpu_database = group_seconds(database) - cpu_database
    return ItemCost(
        items=items,
        wall_ms=wall * 1000 / items,
        web_cpu_ms=cpu_web * 1000 / items,
        database_cpu_ms=cpu_database * 1000 / items,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    from benchmarks.environment import (
        WebServer,
        bench_environment,
        free_port,
        temporary_database,
    )

    workdir = Path(tempfile.mkdtemp(prefix="pleo-visma-sandbox-cost-"))
    with temporary_database(
        workdir=workdir, given_url=os.environ.get("DATABASE_URL", "")
    ) as database:
        port = free_port()
        env = bench_environment(port=port, database_url=database.url)
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"Database: {database.label}; web app: gunicorn on port {port}", flush=True)
        with WebServer(port=port, env=env, log_path=workdir / "web.log"):
            for _ in range(args.rounds):
                cost = item_cost(f"http://127.0.0.1:{port}", args.items, web_port=port)
                print(cost.text(), flush=True)
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()
