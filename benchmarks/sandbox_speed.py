"""How fast the Visma.net sandbox answers at scale, over real HTTP.

    python -m benchmarks.sandbox_speed --url http://127.0.0.1:8000 [--suppliers 20000]
        [--documents 10000] [--samples 200]

Needs a running web app with the sandbox (`SANDBOX_ENABLED=1 manage.py serve --no-worker`).
Resets the Visma.net sandbox, seeds the demo company plus `--suppliers` suppliers, creates
`--documents` documents (half journals, half supplier invoices) through the API, then times
the calls the integration makes. For each kind of call it prints the wall time seen by the
client and the sandbox's own service time (`_control/service-time`), p50 and p95, in ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import requests

PERIOD = "202603"


def _w(value: Any) -> dict[str, Any]:
    return {"value": value}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Speed:
    def __init__(self, url: str) -> None:
        self.base = url.rstrip("/") + "/sandbox/visma"
        self.session = requests.Session()
        self.token = ""
        self.rows: list[tuple[str, int, float, float, float | None, float | None]] = []

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.session.request(
            method, f"{self.base}/_control/{path}", json=body, timeout=600
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def api(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        answer = self.session.request(
            method,
            f"{self.base}{path}",
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
        )
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path} → {answer.status_code}: {answer.text[:300]}")
        return answer

    def prepare(self, suppliers: int) -> None:
        self.control("POST", "reset", {})
        self.control("POST", "seed", {"preset": "demo"})
        self.control("POST", "budget", {"calls": None})
        form = {
            "grant_type": "client_credentials",
            "client_id": "demo-visma-client",
            "client_secret": "demo-visma-secret",
            "tenant_id": "demo-tenant",
            "scope": "vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update",
        }
        answer = self.session.post(f"{self.base}/connect/token", data=form, timeout=30)
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        started = time.perf_counter()
        for first in range(0, suppliers, 1000):
            chunk = [
                {"number": str(60000 + n), "name": f"Supplier {n}", "supplierClassId": "1",
                 "vatRegistrationId": f"NO{900000000 + n}MVA", "currencyId": "NOK"}
                for n in range(first, min(suppliers, first + 1000))
            ]  # fmt: skip
            self.control("POST", "seed", {"suppliers": chunk})
        print(f"seeded {suppliers} suppliers in {time.perf_counter() - started:.1f} s", flush=True)

    def measure(self, label: str, path: str, calls: list[Callable[[], Any]]) -> None:
        self.control("DELETE", "requests")
        walls = []
        for call in calls:
            started = time.perf_counter()
            call()
            walls.append((time.perf_counter() - started) * 1000)
        summary = self.control("GET", f"service-time?path={path}")
        self.rows.append(
            (label, len(calls), statistics.median(walls), _pct(walls, 0.95),
             summary["p50Ms"], summary["p95Ms"])
        )  # fmt: skip
        print(
            f"{label:<48} n={len(calls):>5}  wall p50 {self.rows[-1][2]:7.1f}  "
            f"p95 {self.rows[-1][3]:7.1f}  sandbox p50 {summary['p50Ms']}  p95 {summary['p95Ms']}",
            flush=True,
        )


def _journal(n: int) -> dict[str, Any]:
    ref = f"PLEO-{n:06d}"
    return {
        "transactionDate": _w("2026-03-14T00:00:00"), "financialPeriod": _w(PERIOD),
        "currencyId": _w("NOK"), "branch": _w("1"), "createVatTransaction": _w(True),
        "journalTransactionLines": [
            {"operation": "Insert", "lineNumber": _w(1), "accountNumber": _w("6540"),
             "referenceNumber": _w(ref), "debitAmountInCurrency": _w(400),
             "creditAmountInCurrency": _w(0), "vatCodeId": _w("1"), "vatId": _w("IN25"),
             "subaccount": [{"segmentId": 1, "segmentValue": "10"}]},
            {"operation": "Insert", "lineNumber": _w(2), "accountNumber": _w("2710"),
             "referenceNumber": _w(ref), "debitAmountInCurrency": _w(100),
             "creditAmountInCurrency": _w(0), "vatId": _w("IN25")},
            {"operation": "Insert", "lineNumber": _w(3), "accountNumber": _w("1925"),
             "referenceNumber": _w(ref), "debitAmountInCurrency": _w(0),
             "creditAmountInCurrency": _w(500)},
        ],
    }  # fmt: skip


def _invoice(n: int, supplier: str) -> dict[str, Any]:
    return {
        "documentType": _w("Invoice"), "supplierNumber": _w(supplier),
        "date": _w("2026-03-14T00:00:00"), "financialPeriod": _w(PERIOD),
        "supplierReference": _w(f"PLEO-{n:06d}"), "currencyId": _w("NOK"),
        "taxCalculationMode": _w("Gross"), "branchNumber": _w("1"), "cashAccount": _w("1925"),
        "paymentMethod": _w("PLEO"),
        "invoiceLines": [
            {"operation": "Insert", "lineNumber": _w(1), "quantity": _w(1),
             "unitCostInCurrency": _w(125), "accountNumber": _w("6800"), "vatCodeId": _w("1"),
             "subaccount": [{"segmentId": 1, "segmentValue": "30"}]}
        ],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--suppliers", type=int, default=20000)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    speed = Speed(args.url)
    speed.prepare(args.suppliers)
    numbers = [str(60000 + n) for n in range(args.suppliers)]
    half = args.documents // 2
    # Fill: the documents a month-end leaves behind, four at a time (not measured per call).
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: speed.api("POST", "/v2/journaltransaction", _journal(n)),
                      range(half)))  # fmt: skip
        list(pool.map(
            lambda n: speed.api("POST", "/v1/supplierInvoice", _invoice(n, numbers[n % 997])),
            range(half)))  # fmt: skip
    print(f"created {2 * half} documents in {time.perf_counter() - started:.1f} s", flush=True)
    k = args.samples
    speed.measure(
        "POST /v2/journaltransaction",
        "/v2/journaltransaction",
        [partial(speed.api, "POST", "/v2/journaltransaction", _journal(n))
         for n in range(half, half + k)],
    )  # fmt: skip
    speed.measure(
        "POST /v1/supplierInvoice",
        "/v1/supplierInvoice",
        [
            partial(speed.api, "POST", "/v1/supplierInvoice", _invoice(n, rng.choice(numbers)))
            for n in range(half, half + k)
        ],
    )
    speed.measure(
        "GET /v1/supplier/{number}",
        "/v1/supplier/",
        [lambda: speed.api("GET", f"/v1/supplier/{rng.choice(numbers)}") for _ in range(k)],
    )
    pages = max(1, args.suppliers // 500)
    speed.measure(
        "GET /v1/supplier?pageSize=500 (every page)",
        "/v1/supplier",
        [
            partial(speed.api, "GET", "/v1/supplier", pageSize=500, pageNumber=p)
            for p in range(1, pages + 1)
        ],
    )
    speed.measure(
        "GET /v1/supplier?lastModifiedDateTime (delta)",
        "/v1/supplier",
        [
            lambda: speed.api(
                "GET", "/v1/supplier", lastModifiedDateTime="2099-01-01",
                lastModifiedDateTimeCondition=">", pageSize=500, pageNumber=1,
            )
            for _ in range(k // 4)
        ],
    )  # fmt: skip
    speed.measure(
        "GET /v1/supplier?vatRegistrationId",
        "/v1/supplier",
        [
            lambda: speed.api("GET", "/v1/supplier", vatRegistrationId="NO900012345MVA")
            for _ in range(k // 4)
        ],
    )
    speed.measure(
        "POST /v1/supplier (auto-numbered)",
        "/v1/supplier",
        [
            partial(
                speed.api,
                "POST",
                "/v1/supplier",
                {"name": _w(f"New {n}"), "supplierClassId": _w("1")},
            )
            for n in range(k // 2)
        ],
    )
    speed.measure(
        "GET /v2/journaltransaction/{number}",
        "/v2/journaltransaction/",
        [
            lambda: speed.api("GET", f"/v2/journaltransaction/{rng.randint(1, half):06d}")
            for _ in range(k)
        ],
    )
    speed.measure(
        "GET /v2/journaltransaction?periodId (page of 500 lines)",
        "/v2/journaltransaction",
        [
            lambda: speed.api(
                "GET", "/v2/journaltransaction", periodId=PERIOD, pageSize=500,
                pageNumber=rng.randint(1, max(1, half * 3 // 500)),
            )
            for _ in range(k // 10)
        ],
    )  # fmt: skip
    speed.measure(
        "GET /v1/supplierInvoice/Invoice/{number}",
        "/v1/supplierInvoice/",
        [
            lambda: speed.api("GET", f"/v1/supplierInvoice/Invoice/{rng.randint(1, half):06d}")
            for _ in range(k)
        ],
    )
    speed.measure(
        "GET /v1/supplierInvoice?supplier",
        "/v1/supplierInvoice",
        [
            lambda: speed.api("GET", "/v1/supplierInvoice", supplier=rng.choice(numbers))
            for _ in range(k // 4)
        ],
    )
    speed.measure(
        "POST …/action/release (journal)",
        "/v2/journaltransaction/",
        [
            partial(speed.api, "POST", f"/v2/journaltransaction/{n:06d}/action/release")
            for n in range(1, k // 2 + 1)
        ],
    )


if __name__ == "__main__":
    main()
