"""Export state for /metrics, read from the database at each scrape (see `core.metrics`): the
same figures whichever process answers, and nothing lost when a worker restarts."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from integrations.core.metrics import PREFIX
from integrations.exports.models import ExportItem, ExportRun


class ExportCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            f"{PREFIX}_export_runs",
            "Export runs (one per Pleo export job) by status.",
            labels=["status"],
        )
        by_status = dict(
            ExportRun.objects.values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in ExportRun.Status.values:
            runs.add_metric([status], float(by_status.get(status, 0)))
        yield runs

        waiting = GaugeMetricFamily(
            f"{PREFIX}_export_runs_waiting",
            "Runs not being worked: deferred (handed back until a rate-limit window passes) or "
            "parked (stopped after repeated errors, a person must look).",
            labels=["reason"],
        )
        counts = ExportRun.objects.aggregate(
            deferred=Count(
                "id",
                filter=Q(not_before__gt=timezone.now())
                & ~Q(status__in=ExportRun.FINISHED_STATUSES),
            ),
            parked=Count("id", filter=Q(status=ExportRun.Status.PARKED)),
        )
        waiting.add_metric(["deferred"], float(counts["deferred"]))
        waiting.add_metric(["parked"], float(counts["parked"]))
        yield waiting

        items = GaugeMetricFamily(
            f"{PREFIX}_export_items", "Exported expenses (items) by outcome.", labels=["status"]
        )
        by_outcome = dict(
            ExportItem.objects.values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in ExportItem.Status.values:
            items.add_metric([status], float(by_outcome.get(status, 0)))
        yield items
