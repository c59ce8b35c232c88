"""Benchmark: the admin's export item list at 100,000 items.

Items are inserted directly (bulk, as a month-end of runs would leave them: several
connections and runs, a mix of statuses and failure reasons), the statistics refreshed as
autovacuum would, then the changelist is rendered through Django's full request path (session,
middleware, access scoping, template) for a superuser and for a member of one connection, on
its first page, filtered by status and by failure reason, and on a far page. Each view is
rendered `repeat` times; the table shows the median and the slowest, and the queries of one
rendering.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.report import Cell, heading, table

VIEWS = {
    "first page": "",
    "status failed": "?status__exact=failed",
    "reason receipt upload": "?failure_reason_type__exact=receipt_upload_failure",
    # What support staff paste: an expense's accounting entry id, a Visma.net number, or a word
    # of a failure; the last matches thousands of items.
    "search an entry id": "?q=00031336-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "search a Visma.net number": "?q=131336",
    "search a word": "?q=receipt",
}
CONNECTIONS = 4
ITEMS_PER_RUN = 1_000
STATUSES = ("successful",) * 17 + ("failed", "pending", "skipped")


@dataclass
class AdminView:
    user: str
    view: str
    queries: int
    rows: int
    shown_count: int
    seconds: list[float] = field(default_factory=list)


@dataclass
class AdminReport:
    items: int
    database: str
    seed_seconds: float = 0.0
    views: list[AdminView] = field(default_factory=list)


def _seed(items: int) -> None:
    from django.db import connection

    from integrations.connections.models import Connection
    from integrations.exports.models import ExportItem, ExportRun

    connections = [
        Connection.objects.create(
            name=f"Company {n} AS", pleo_company_id=f"company-{n}", status="connected"
        )
        for n in range(CONNECTIONS)
    ]
    # Bulk inserts skip ExportRun.save, which numbers a connection's runs #1, #2, …: the
    # numbers are given here the same way (run n is its connection's run n // CONNECTIONS + 1).
    runs = ExportRun.objects.bulk_create(
        ExportRun(
            connection=connections[n % CONNECTIONS],
            number=n // CONNECTIONS + 1,
            pleo_job_id=f"job-{n}",
            status="completed_with_errors",
            items_total=ITEMS_PER_RUN,
        )
        for n in range(max(1, items // ITEMS_PER_RUN))
    )
    batch: list[ExportItem] = []
    for i in range(items):
        run = runs[i % len(runs)]
        # Statuses in runs of 7 items, so every run and connection gets each status.
        status = STATUSES[i // 7 % len(STATUSES)]
        batch.append(
            ExportItem(
                run=run,
                connection_id=run.connection_id,
                accounting_entry_id=f"{i:08d}-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                item_type=("card_purchase", "out_of_pocket")[i % 2],
                payload={"id": i, "note": "x" * 400},
                status=status,
                failure_reason_type="receipt_upload_failure" if status == "failed" else "",
                failure_reason="The receipt could not be uploaded" if status == "failed" else "",
                visma_number=str(100000 + i) if status == "successful" else "",
            )
        )
        if len(batch) == 5_000:
            ExportItem.objects.bulk_create(batch)
            batch = []
    ExportItem.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def admin_benchmark(*, items: int, repeat: int = 5) -> AdminReport:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from integrations.connections.models import Connection, ConnectionMembership
    from integrations.core.roles import SUPPORT, roles_sync

    # The test client's instrumented rendering: each response carries the changelist.
    setup_test_environment()
    report = AdminReport(items=items, database=connection.vendor)
    started = time.perf_counter()
    _seed(items)
    report.seed_seconds = time.perf_counter() - started
    roles_sync()
    superuser = User.objects.create_superuser("bench-root", password="unused-pw-1234")
    member = User.objects.create_user("bench-support", password="unused-pw-1234", is_staff=True)
    member.groups.add(Group.objects.get(name=SUPPORT))
    ConnectionMembership.objects.create(
        connection=Connection.objects.order_by("pk")[0], user=member
    )
    url = reverse("admin:exports_exportitem_changelist")
    views = {**VIEWS, "a middle page": f"?p={max(1, items // 100 // 8)}"}
    for user, who in ((superuser, "superuser"), (member, "member of 1 of 4")):
        client = Client()
        client.force_login(user)
        for name, query in views.items():
            client.get(url + query)  # warm: templates compiled, connection open
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url + query)
            if response.status_code != 200:
                raise RuntimeError(f"{url + query} answered {response.status_code}")
            changelist = response.context["cl"]
            view = AdminView(
                user=who,
                view=name,
                queries=len(captured),
                rows=len(changelist.result_list),
                shown_count=changelist.result_count,
            )
            for _ in range(repeat):
                begun = time.perf_counter()
                client.get(url + query)
                view.seconds.append(time.perf_counter() - begun)
            report.views.append(view)
    return report


def admin_report_text(report: AdminReport, *, command: str, context: Sequence[str]) -> str:
    rows: list[list[Cell]] = [
        [v.user, v.view, v.rows, v.shown_count, v.queries,
         round(statistics.median(v.seconds) * 1000, 1), round(max(v.seconds) * 1000, 1),
         v.queries <= 10 and max(v.seconds) < 1.0]
        for v in report.views
    ]  # fmt: skip
    return "\n".join(
        [
            heading(
                f"admin: the export item list at {report.items:,} items ({report.database})",
                command=command,
                context=[
                    *context,
                    f"Seeding {report.items:,} items in {CONNECTIONS} connections took "
                    f"{report.seed_seconds:.1f} s (not in the figures). Rendered through "
                    "Django's test client (whole request: session, middleware, scoping, "
                    "template); 5 renderings per view after one warm-up.",
                ],
            ),
            "",
            table(
                [
                    "user",
                    "view",
                    "rows",
                    "count shown",
                    "queries",
                    "median ms",
                    "max ms",
                    "≤ 10 queries and < 1 s",
                ],
                rows,
            ),
        ]
    )
