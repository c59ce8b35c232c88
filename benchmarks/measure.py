"""Measuring one phase: wall time, remote calls (the integration's `ApiCall` log), database
queries made by the benchmark process, and peak memory.

Peak memory is the process's peak resident set (Linux `VmHWM`, reset at the start of each phase
through `/proc/self/clear_refs`), always; and the peak of Python allocations (tracemalloc) when
tracing is on. Tracing is off by default: it made a sync six times slower, remote waits included,
which would make every other figure wrong.

Database queries are counted with `connection.execute_wrapper`, not `CaptureQueriesContext`:
the latter keeps at most 9,000 queries (Django's `queries_log` limit) and silently undercounts a
large sync.
"""

from __future__ import annotations

import re
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_SANDBOX_PREFIX = re.compile(r"^/sandbox/(visma|pleo)(?=/)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"(?<=/)\d+(?=/|:|$)")


def endpoint_of(path: str) -> str:
    """`/sandbox/pleo/v1/vendors/<uuid>:activate` → `/v1/vendors/{id}:activate`: the path as
    the remote service sees it, with record ids folded so calls group by endpoint."""
    path = _SANDBOX_PREFIX.sub("", path)
    path = _UUID.sub("{id}", path)
    return _NUMBER.sub("{id}", path)


def is_write(method: str, endpoint: str) -> bool:
    # Pleo searches are POSTs (`…:search`) that change nothing.
    return method not in ("GET", "HEAD") and not endpoint.endswith(":search")


@dataclass
class Figures:
    """What one measured phase did; `records` is what the phase processed (its unit named by
    `unit`), used for the per-record ratios."""

    label: str
    seconds: float = 0.0
    records: int = 0
    unit: str = "records"
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    remote_ms: Counter[str] = field(default_factory=Counter)
    failed_calls: int = 0
    db_queries: int = 0
    peak_rss_bytes: int = 0
    peak_heap_bytes: int = 0
    received: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    query_kinds: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)

    def calls_to(self, service: str, *, writes_only: bool = False) -> int:
        return sum(
            n
            for (svc, method, endpoint), n in self.calls.items()
            if svc == service and (not writes_only or is_write(method, endpoint))
        )

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def per_record(self, value: float) -> float:
        return value / self.records if self.records else 0.0


_STATUS = "/proc/self/status"


def _peak_rss_reset() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        return False
    return True


def _peak_rss() -> int:
    try:
        with open(_STATUS) as handle:
            found = re.search(r"VmHWM:\s+(\d+) kB", handle.read())
        if found:
            return int(found.group(1)) * 1024
    except OSError:
        pass
    # Elsewhere: the peak since the process started (kB on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?([\w.]+)", re.IGNORECASE)


def query_kind(sql: str) -> str:
    """`SELECT masterdata_vismasupplier`: the statement and its first table, to see which
    query runs once per record."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    found = _TABLE.search(sql)
    return f"{verb} {found.group(1)}" if found else verb


@contextmanager
def _count_queries(kinds: Counter[str]) -> Iterator[Callable[[], int]]:
    from django.db import connection

    count = 0

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        nonlocal count
        count += 1
        kinds[query_kind(sql)] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield lambda: count


@contextmanager
def measure(figures: Figures) -> Iterator[Figures]:
    """Fill `figures` with what the `with` body does. Remote calls are the ApiCall rows written
    meanwhile (each retry is its own row), by service, method and endpoint."""
    from integrations.core.models import ApiCall

    first_call_id = ApiCall.objects.order_by("-id").values_list("id", flat=True).first() or 0
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    _peak_rss_reset()
    with _count_queries(figures.query_kinds) as queries:
        started = time.perf_counter()
        try:
            yield figures
        finally:
            figures.seconds = time.perf_counter() - started
            figures.db_queries = queries()
    figures.peak_rss_bytes = _peak_rss()
    if tracing:
        figures.peak_heap_bytes = tracemalloc.get_traced_memory()[1]
    for service, method, path, status, duration in ApiCall.objects.filter(
        id__gt=first_call_id
    ).values_list("service", "method", "path", "status_code", "duration_ms"):
        figures.calls[(service, method, endpoint_of(path))] += 1
        figures.remote_ms[service] += duration
        if status is None or status >= 400:
            figures.failed_calls += 1
