"""Prometheus metrics at /metrics, for operators.

Two kinds, chosen for being right when several processes (gunicorn workers, django-q2
workers, on one or more machines) do the work:

* **State read from the database at scrape time** (`DatabaseCollector`s): exports and items
  by outcome, runs deferred or parked, the task queue's depth, the Visma.net request budget
  last reported. One cheap aggregate query each; every process and machine agrees, and a
  restart loses nothing.
* **Events counted in the process that saw them**: remote calls by service, endpoint, method and
  status with their durations (here, fed by the HTTP seam), and django-prometheus's request
  metrics. With several processes set `PROMETHEUS_MULTIPROC_DIR` to a directory shared by the
  web and worker processes of a machine: each process writes its counts there and a scrape
  adds them up (prometheus_client's multiprocess mode). Scrape each machine.

Reachable only from `METRICS_ALLOWED_IPS` (addresses or networks) or with
`Authorization: Bearer <METRICS_TOKEN>`; everyone else gets 403, signed in or not.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from integrations.core.client_address import client_address

PREFIX = "pleo_visma"

REMOTE_CALLS = Counter(
    f"{PREFIX}_remote_calls",
    "Requests to Pleo and Visma.net (each attempt), by outcome.",
    ["service", "endpoint", "method", "status"],
)
REMOTE_CALL_SECONDS = Histogram(
    f"{PREFIX}_remote_call_duration_seconds",
    "Time from sending a request to Pleo or Visma.net to its answer (or failure).",
    ["service", "endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# Path segments that are ids (numbers, uuids, long tokens) become "{id}", so an endpoint
# label names the operation, not the record (one series per supplier would be unbounded).
_ID = re.compile(r"^(\d+|[0-9a-fA-F-]{16,}|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{5,})$")


def endpoint_of(path: str) -> str:
    return "/".join("{id}" if _ID.match(part) else part for part in path.split("/")) or "/"


def remote_call_observe(
    *, service: str, method: str, path: str, status: int | None, seconds: float
) -> None:
    endpoint = endpoint_of(path)
    REMOTE_CALLS.labels(service, endpoint, method, str(status) if status else "none").inc()
    REMOTE_CALL_SECONDS.labels(service, endpoint).observe(seconds)


# -- state read at scrape time ---------------------------------------------------------------

_database_collectors: list[Collector] = []


def database_collector_register(collector: Collector) -> None:
    """Apps add what they know (exports registers its runs and items) without core importing
    them; the collectors run at each scrape, in the process that answers it."""
    if all(type(c) is not type(collector) for c in _database_collectors):
        _database_collectors.append(collector)


class CoreCollector(Collector):
    """The task queue's depth and the Visma.net request budget last reported per connection."""

    # The most recent Visma.net answers looked at for the budget: a bounded, indexed read.
    BUDGET_SCAN = 500

    def collect(self) -> Iterator[Metric]:
        from django_q.brokers import get_broker

        from integrations.core.models import ApiCall
        from integrations.core.rate_limits import header_number

        queue = GaugeMetricFamily(
            f"{PREFIX}_queue_depth", "Tasks waiting in the django-q2 queue (all workers)."
        )
        queue.add_metric([], float(get_broker().queue_size() or 0))
        yield queue

        budget = GaugeMetricFamily(
            f"{PREFIX}_visma_budget_remaining",
            "Requests left in Visma.net's rate-limit window (X-RateLimit-Remaining of the "
            "latest answer), per connection.",
            labels=["connection"],
        )
        seen_at = GaugeMetricFamily(
            f"{PREFIX}_visma_budget_observed_timestamp_seconds",
            "When that answer came (a stale value means no call since).",
            labels=["connection"],
        )
        rows = (
            ApiCall.objects.filter(service=ApiCall.Service.VISMA, status_code__isnull=False)
            .order_by("-id")
            .values("connection_id", "response_headers", "created_at")[: self.BUDGET_SCAN]
        )
        done: set[str] = set()
        for row in rows:
            connection = str(row["connection_id"] or "")
            remaining = header_number(row["response_headers"], "X-RateLimit-Remaining")
            if connection in done or remaining is None:
                continue
            done.add(connection)
            budget.add_metric([connection], remaining)
            seen_at.add_metric([connection], row["created_at"].timestamp())
        yield budget
        yield seen_at


class _Collected(Collector):
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(_Collected([CoreCollector(), *_database_collectors]))
    return generate_latest(counted) + generate_latest(state)


# -- the endpoint ----------------------------------------------------------------------------


def metrics_allowed(request: HttpRequest) -> bool:
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    given = str(request.META.get("HTTP_AUTHORIZATION", ""))
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), token.encode())
    address = client_address(request)
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    for allowed in getattr(settings, "METRICS_ALLOWED_IPS", ()):
        try:
            if ip in ipaddress.ip_network(str(allowed).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
