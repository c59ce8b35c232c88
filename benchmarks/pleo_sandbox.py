"""How fast the Pleo sandbox answers at scale: `python -m benchmarks.pleo_sandbox [--vendors N]
[--items N] [--repeat N]`.

Seeds a fresh SQLite database with N vendors and one export job of N items, then times the
calls an integration makes (vendor search pages and look-ups, vendor creates, export item pages,
item status updates in batches of 100, job reads) through Django's test client, in process: the
figures are the sandbox's own service time, without network or added latency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _setup(database_url: str, *, wal: bool) -> None:
    os.environ.update(
        {
            "DEBUG": "1",
            "SANDBOX_ENABLED": "1",
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    if wal and database_url.startswith("sqlite"):

        def pragmas(sender: Any, connection: Any, **kwargs: Any) -> None:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")

        connection_created.connect(pragmas)
    call_command("migrate", verbosity=0, interactive=False)


def _timed(label: str, calls: int, call: Callable[[int], Any], rows: list[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    durations = []
    queries = 0
    for n in range(calls):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call(n)
            durations.append((time.perf_counter() - started) * 1000)
        queries += len(captured.captured_queries)
    durations.sort()
    p95 = durations[min(len(durations) - 1, int(len(durations) * 0.95))]
    rows.append(
        f"| {label} | {calls} | {statistics.median(durations):.1f} | {p95:.1f} | "
        f"{max(durations):.1f} | {queries / calls:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--database-url", default="", help="an empty database (default: a new SQLite file)"
    )
    parser.add_argument("--wal", action="store_true", help="SQLite in WAL, synchronous=NORMAL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'pleo-sandbox.sqlite3'}"
        _setup(url, wal=args.wal)
        print(_measure(vendors=args.vendors, items=args.items, repeat=args.repeat))


def _item(value: int) -> dict[str, Any]:
    amount = {
        "inSupplierCurrency": {"currency": "NOK", "value": value},
        "inWalletCurrency": {"currency": "NOK", "value": value},
    }
    return {
        "type": "card_purchase",
        "date": "2026-04-20T10:00:00Z",
        "amount": amount,
        "accountingEntryLines": [{"lineAmount": amount}],
        "supplier": {"name": "Kaffebrenneriet"},
    }


class _Api:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get("/sandbox/pleo" + path, params or {}, **self.headers)

    def send(self, method: str, path: str, body: Any) -> Any:
        call = getattr(self.client, method.lower())
        return call("/sandbox/pleo" + path, body, content_type="application/json", **self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.send("POST", path, body)


def _token(company: Any) -> str:
    from datetime import timedelta

    from django.utils import timezone

    from integrations.sandbox.pleo.models import AccessToken, Grant

    grant = Grant.objects.create(client_id="demo-pleo-client", company=company)
    token = AccessToken.objects.create(
        token="bench-token", grant=grant, expires_at=timezone.now() + timedelta(days=1)
    )
    return token.token


def _measure(*, vendors: int, items: int, repeat: int) -> str:
    from django.test import Client

    from integrations.sandbox.pleo.models import Company
    from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID, pleo_seed, pleo_seed_records

    client = Client()
    pleo_seed("demo")
    company = Company.objects.get(pk=DEMO_COMPANY_ID)
    started = time.perf_counter()
    pleo_seed_records(
        company=company,
        data={
            "vendors": [
                {"name": f"Supplier {n}", "externalId": str(50_000 + n), "code": str(50_000 + n)}
                for n in range(vendors)
            ]
        },
    )
    seed_vendors = time.perf_counter() - started
    started = time.perf_counter()
    job = client.post(
        "/sandbox/pleo/_control/export-jobs",
        {"items": [_item(1000 + n) for n in range(items)]},
        content_type="application/json",
    ).json()
    seed_job = time.perf_counter() - started
    api = _Api(client, _token(company))
    search = f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}"
    rows = [
        f"Pleo sandbox at {vendors:,} vendors and a job of {items:,} items "
        f"(seeded in {seed_vendors:.1f} s and {seed_job:.1f} s)",
        "",
        "| call | n | p50 ms | p95 ms | max ms | queries/call |",
        "|---|---|---|---|---|---|",
    ]
    page_count = max(1, vendors // 1000)
    cursor: list[str | None] = [None]

    def vendor_page(n: int) -> None:
        query = f"&limit=1000&after={cursor[0]}" if cursor[0] else "&limit=1000"
        body = api.post(search + query, {}).json()
        cursor[0] = body["pagination"]["endCursor"] if body["pagination"]["hasNextPage"] else None

    _timed("POST /v1/vendors:search, pages of 1000 (walk)", page_count, vendor_page, rows)
    _timed(
        "POST /v1/vendors:search by 100 externalIds",
        repeat,
        lambda n: api.post(
            search, {"externalIds": [str(50_000 + n * 100 + k) for k in range(100)]}
        ),
        rows,
    )
    _timed(
        "POST /v1/vendors (create)",
        repeat,
        lambda n: api.post(
            "/v1/vendors",
            {
                "companyId": DEMO_COMPANY_ID,
                "name": f"New {n}",
                "defaultCurrency": "NOK",
                "externalId": f"new-{n}",
            },
        ),
        rows,
    )
    api.post("/v3/export-job-events", {"jobId": job["id"], "event": "started"})
    item_cursor: list[str | None] = [None]

    def item_page(n: int) -> None:
        params: dict[str, Any] = {"job_id": job["id"], "limit": 100}
        if item_cursor[0]:
            params["after"] = item_cursor[0]
        body = api.get("/v3/export-items", params).json()
        item_cursor[0] = body["pagination"]["endCursor"]

    _timed("GET /v3/export-items, pages of 100 (walk)", max(1, items // 100), item_page, rows)
    entries = [i["accountingEntryId"] for i in job["items"]]

    def update(n: int) -> None:
        batch = entries[(n * 100) % len(entries) :][:100]
        api.send(
            "PUT",
            f"/v3/export-jobs/{job['id']}/items",
            [{"accountingEntryId": e, "status": "successful", "externalId": "GL-1"} for e in batch],
        )

    _timed("PUT /v3/export-jobs/{id}/items, 100 per call", max(1, items // 100), update, rows)
    _timed(
        "GET /v3/export-jobs/{id}", repeat, lambda n: api.get(f"/v3/export-jobs/{job['id']}"), rows
    )
    _timed("GET /v3/export-jobs", repeat, lambda n: api.get("/v3/export-jobs"), rows)
    return "\n".join(rows)


if __name__ == "__main__":
    main()
