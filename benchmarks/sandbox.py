"""The sandboxes' control API, as the benchmarks use it (integrations/sandbox/README.md)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import requests

from benchmarks.measure import endpoint_of
from benchmarks.report import Cell, table

# Visma.net's documented production budget per company and hour (sandbox README, "Budget").
VISMA_HOURLY_BUDGET = 15_000
SERVICES = ("visma", "pleo")


class Sandboxes:
    def __init__(self, base_url: str, *, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()

    def url(self, service: str, path: str) -> str:
        return f"{self.base_url}/sandbox/{service}/_control/{path}"

    def _post(self, service: str, path: str, body: Any, *, timeout: float = 120) -> Any:
        response = self.session.post(self.url(service, path), json=body, timeout=timeout)
        if response.status_code >= 400:
            raise RuntimeError(
                f"{service} _control/{path} answered {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def reset_and_seed_demo(self) -> None:
        for service in SERVICES:
            self._post(service, "reset", {})
            self._post(service, "seed", {"preset": "demo"})

    def latency(self, ms: int) -> None:
        for service in SERVICES:
            self._post(service, "latency", {"ms": ms})

    def pleo_webhooks_sync(self) -> None:
        """Deliver webhooks inline: a control call answers after its webhook was handled."""
        self._post("pleo", "webhooks", {"sync": True})

    def visma_budget_fresh(self) -> None:
        """A fresh one-hour window of the production budget, so each measured phase starts
        where a scheduled run would and a phase that needs more than the budget shows it."""
        self._post("visma", "budget", {"hourly": VISMA_HOURLY_BUDGET})

    def visma_budget_off(self) -> None:
        self._post("visma", "budget", {"calls": None})

    def visma_budget_window(self, calls: int, seconds: int) -> None:
        """A budget of `calls` per window of `seconds`, starting now."""
        self._post("visma", "budget", {"calls": calls, "seconds": seconds})

    def pleo_file_store(self, *, name: str, content_type: str, content_base64: str) -> str:
        """A receipt kept once in Pleo; items name it by the returned `fileId`."""
        body = {"name": name, "type": content_type, "content_base64": content_base64}
        return str(self._post("pleo", "files", body)["fileId"])

    def service_ms(self, service: str) -> float:
        """The service's own time over the requests recorded since `requests_forget()`."""
        response = self.session.get(self.url(service, "service-time"), timeout=300)
        response.raise_for_status()
        return float(response.json()["totalMs"] or 0)

    def requests_log(self) -> list[tuple[str, dict[str, Any]]]:
        """(service, request) for what each service received since `requests_forget()`."""
        rows: list[tuple[str, dict[str, Any]]] = []
        for service in SERVICES:
            response = self.session.get(self.url(service, "requests"), timeout=600)
            response.raise_for_status()
            rows.extend((service, row) for row in response.json()["requests"])
        return rows

    def visma_seed(
        self,
        records: Mapping[str, Sequence[dict[str, Any]]],
        *,
        chunk: int = 1000,
        modified_at: str | None = None,
    ) -> None:
        """Explicit records, `chunk` at a time (one request each keeps every request short);
        with `modified_at` (ISO 8601) they carry that time as their last change."""
        stamp = {"lastModifiedDateTime": modified_at} if modified_at else {}
        for kind, rows in records.items():
            for start in range(0, len(rows), chunk):
                self._post("visma", "seed", {kind: list(rows[start : start + chunk]), **stamp})

    def visma_state(self) -> dict[str, Any]:
        response = self.session.get(self.url("visma", "state"), timeout=300)
        response.raise_for_status()
        return dict(response.json())

    def pleo_state(self, company: str = "demo-company") -> dict[str, Any]:
        response = self.session.get(
            self.url("pleo", "state"), params={"companyId": company}, timeout=300
        )
        response.raise_for_status()
        return dict(response.json())

    def pleo_export_job_create(self, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return dict(self._post("pleo", "export-jobs", {"items": list(items)}, timeout=600))

    def requests_forget(self) -> None:
        for service in SERVICES:
            self.session.delete(self.url(service, "requests"), timeout=120).raise_for_status()

    def requests_received(self) -> Counter[tuple[str, str, str]]:
        """What each service received since `requests_forget()`, by (service, method,
        endpoint): the remote side's count, to check the integration's own ApiCall log."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for service in SERVICES:
            response = self.session.get(self.url(service, "requests"), timeout=600)
            response.raise_for_status()
            for row in response.json()["requests"]:
                counts[(service, row["method"], endpoint_of(row["path"]))] += 1
        return counts


ServiceTimes = dict[tuple[str, str, str], list[float]]


def service_times(log: Iterable[tuple[str, dict[str, Any]]]) -> ServiceTimes:
    """The sandboxes' own time (`serviceMs`) of each received request, by (service, method,
    endpoint), from `requests_log()`."""
    times: defaultdict[tuple[str, str, str], list[float]] = defaultdict(list)
    for service, row in log:
        if row.get("serviceMs") is not None:
            times[(service, row["method"], endpoint_of(row["path"]))].append(row["serviceMs"])
    return dict(times)


def _rank(values: Sequence[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def service_times_table(phases: Sequence[tuple[str, ServiceTimes]]) -> str:
    """p50 / p95 of the sandboxes' own time per endpoint and phase, in ms, and the total."""
    keys = sorted({key for _, times in phases for key in times})
    headers = ["service  method endpoint"]
    for label, _ in phases:
        headers += [f"{label[:3]} p50 ms", f"{label[:3]} p95 ms", f"{label[:3]} total s"]
    rows: list[list[Cell]] = []
    for key in keys:
        service, method, endpoint = key
        row: list[Cell] = [f"{service:<6} {method:<6} {endpoint}"]
        for _, times in phases:
            values = sorted(times.get(key, []))
            row += (
                [f"{_rank(values, 0.5):.1f}", f"{_rank(values, 0.95):.1f}",
                 f"{sum(values) / 1000:.2f}"]
                if values else ["", "", ""]
            )  # fmt: skip
        rows.append(row)
    return table(headers, rows)
