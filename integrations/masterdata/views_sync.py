"""The sync page: last runs per kind with counts and failure reasons, "Sync now", and a small
JSON status the page polls for its live progress bar."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from integrations.connections.models import Connection
from integrations.core.access import connection_member_required
from integrations.core.roles import finance_required
from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync.start import sync_start
from integrations.masterdata.sync_kinds import ALL, SYNC_KIND_CHOICES, run_covers

RUNS_PER_KIND = 3
RECENT_RUNS = 200


@connection_member_required
@finance_required
@require_http_methods(["GET", "HEAD", "POST"])
def sync_page(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    if request.method == "POST":
        kind = request.POST.get("kind", ALL)
        if kind not in dict(SYNC_KIND_CHOICES):
            messages.error(request, f"Unknown kind of sync: {kind!r}.")
            return redirect("masterdata:sync", connection_id=connection.pk)
        run = sync_start(
            connection=connection,
            kinds=[kind],
            full=request.POST.get("full") == "on",
            triggered_by=request.user.get_username(),
        )
        messages.success(request, f"Sync #{run.pk} ({run.get_kind_display()}) queued.")
        return redirect("masterdata:sync", connection_id=connection.pk)

    runs = SyncRun.objects.filter(connection=connection)
    # One read of the recent runs; a card shows every run that synced its kind, a sync of
    # everything included, as the setup overview counts them.
    recent = list(runs.order_by("-queued_at", "-id")[:RECENT_RUNS])
    by_kind = [
        (
            value,
            label,
            [r for r in recent if run_covers(run_kind=r.kind, run_kinds=r.kinds, kind=value)][
                :RUNS_PER_KIND
            ],
        )
        for value, label in SYNC_KIND_CHOICES
    ]
    # An empty state elsewhere links here with the kind that fills it.
    chosen = request.GET.get("kind", ALL)
    active = next(
        (r for r in recent if r.status in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)), None
    )
    return render(
        request,
        "masterdata/sync_page.html",
        {
            "connection": connection,
            "by_kind": by_kind,
            "active": active,
            "kinds": SYNC_KIND_CHOICES,
            "chosen_kind": chosen if chosen in dict(SYNC_KIND_CHOICES) else ALL,
        },
    )


def sync_run_json(run: SyncRun) -> dict[str, object]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "finished": run.finished,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": run.progress_percent,
        "created": run.created,
        "updated": run.updated,
        "archived": run.archived,
        "unarchived": run.unarchived,
        "unchanged": run.unchanged,
        "failed": run.failed,
    }


@connection_member_required
@finance_required
@require_GET
def sync_status(request: HttpRequest, connection_id: int, run_id: int) -> JsonResponse:
    run = get_object_or_404(SyncRun, pk=run_id, connection_id=connection_id)
    return JsonResponse(sync_run_json(run))
