"""The dashboard of one connection: exports per day, last and next sync of each kind, how long
each sign-in lasts, Visma.net's call budget left and the last webhook received.

Each block is one read (the syncs two: runs and schedules), so the page costs the same few
queries whatever the history holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString

from integrations.connections.models import Connection
from integrations.connections.token_health import TokenHealth, token_health
from integrations.core.rate_limits import RateBudget, rate_budget_last
from integrations.exports.chart import DayCount, exports_chart_svg
from integrations.exports.models import ExportItem
from integrations.masterdata.sync_times import SyncTime, sync_times_for_connection
from integrations.pleo.events import ALIASES, EXPORT_JOB_CREATED, VENDOR_CREATED
from integrations.pleo.models import WebhookEvent

DAYS = 30


# The events we subscribe to, in the dashboard's words.
WEBHOOK_WORDS = {
    EXPORT_JOB_CREATED: "Someone clicked Export in Pleo",
    VENDOR_CREATED: "A vendor was added in Pleo",
}


@dataclass(frozen=True)
class LastWebhook:
    event_type: str
    received_at: datetime
    status: str

    @property
    def label(self) -> str:
        return (
            WEBHOOK_WORDS.get(ALIASES.get(self.event_type, self.event_type))
            or "A notification from Pleo"
        )

    @property
    def status_label(self) -> str:
        return str(dict(WebhookEvent.Status.choices).get(self.status, self.status))


@dataclass(frozen=True)
class Dashboard:
    days: list[DayCount]
    chart: SafeString
    syncs: list[SyncTime]
    tokens: list[TokenHealth]
    budget: RateBudget | None
    webhook: LastWebhook | None

    @property
    def exported(self) -> int:
        return sum(d.successful for d in self.days)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.days)


def exports_per_day(
    *, connection: Connection, days: int = DAYS, today: date | None = None
) -> list[DayCount]:
    """Items that ended successful or failed, per day of their outcome (reported to Pleo, else
    last changed), the last `days` days in the site's time zone, empty days included."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        ExportItem.objects.filter(
            connection=connection,
            status__in=[ExportItem.Status.SUCCESSFUL, ExportItem.Status.FAILED],
        )
        .annotate(at=Coalesce("pleo_reported_at", "updated_at"))
        .filter(at__gte=since)
        .annotate(day=TruncDate("at"))
        .values("day")
        .annotate(
            successful=Count("id", filter=Q(status=ExportItem.Status.SUCCESSFUL)),
            failed=Count("id", filter=Q(status=ExportItem.Status.FAILED)),
        )
    )
    counts = {row["day"]: (row["successful"], row["failed"]) for row in rows}
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        successful, failed = counts.get(day, (0, 0))
        result.append(DayCount(day=day, successful=successful, failed=failed))
    return result


def last_webhook(*, connection: Connection) -> LastWebhook | None:
    row = (
        WebhookEvent.objects.filter(connection_id=connection.pk, accepted=True)
        .order_by("-received_at", "-id")
        .values("event_type", "received_at", "status")
        .first()
    )
    if row is None:
        return None
    return LastWebhook(
        event_type=row["event_type"], received_at=row["received_at"], status=row["status"]
    )


def connection_dashboard(*, connection: Connection) -> Dashboard:
    days = exports_per_day(connection=connection)
    return Dashboard(
        days=days,
        chart=exports_chart_svg(days, title=f"Exports per day, {connection.name}"),
        syncs=sync_times_for_connection(connection=connection),
        tokens=token_health(connection=connection),
        budget=rate_budget_last(connection_id=connection.pk),
        webhook=last_webhook(connection=connection),
    )
