"""Admin for support staff: export runs and items, read-only, so "what happened to expense X" is
answered from one page: its status and reason, the Visma.net number, links to Pleo and
Visma.net, the planned document, its receipts and every API call made for it (with the redacted
request and response). Failed items can be retried with the current mappings.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from integrations.core import errors
from integrations.core.access import ConnectionScopedAdmin
from integrations.core.admin_paging import EstimatedCountPaginator, RecentRelatedFilter
from integrations.core.links import https_url
from integrations.core.models import ApiCall
from integrations.exports import services as export_services
from integrations.exports.models import AttachmentUpload, ExportDocument, ExportItem, ExportRun
from integrations.exports.selectors import pleo_web_url

RETRY_PERMISSION = "exports.retry_exportitem"
# Long enough for a Visma.net error body or a planned line list; the full row is one click away.
EXCERPT_CHARS = 4000
CALLS_SHOWN = 100


class ReadOnlyAdmin(ConnectionScopedAdmin):
    """Runs, items and uploads are a record of what happened: nobody edits them here; each user
    sees those of their connections."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def action_checkbox(self, obj: Model) -> SafeString:
        """Django's markup for the row's checkbox, written directly: rendering a widget
        template for each row took a third of a 100-row list's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


class ReadOnlyTabular(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _calls_link(label: str, **filters: int) -> SafeString:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html(
        '<a href="{}?{}">{}</a>', reverse("admin:core_apicall_changelist"), query, label
    )


def _pre(text: str) -> SafeString:
    if len(text) > EXCERPT_CHARS:
        text = text[:EXCERPT_CHARS] + "\n… (cut; the full excerpt is on the API call's page)"
    return format_html('<pre style="white-space:pre-wrap;max-width:60em">{}</pre>', text)


def api_calls_table(calls: QuerySet[ApiCall]) -> SafeString:
    """The calls as a table, oldest first, each with its redacted request and response."""
    rows = list(calls.order_by("created_at", "id")[:CALLS_SHOWN])
    if not rows:
        return format_html("<p>{}</p>", "No API call was made for this yet.")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td>"
        "<td>{} ms</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                format_html(
                    '<a href="{}">#{}</a>',
                    reverse("admin:core_apicall_change", args=[call.pk]),
                    call.pk,
                ),
                call.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                call.get_service_display(),
                call.method,
                call.path,
                call.status_code if call.status_code is not None else "no answer",
                call.duration_ms,
                call.error or "",
                _pre(call.request_excerpt or ""),
                _pre(call.response_excerpt or ""),
            )
            for call in rows
        ),
    )
    return format_html(
        '<table class="api-calls"><thead><tr><th>Call</th><th>At</th><th>Service</th>'
        "<th>Request</th><th>Status</th><th>Duration</th><th>Error</th>"
        "<th>Request body</th><th>Response body</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


# -- runs ------------------------------------------------------------------------------------


class ExportItemInline(ReadOnlyTabular):
    model = ExportItem
    fields = (
        "accounting_entry_id",
        "item_type",
        "status",
        "step",
        "failure_reason_type",
        "failure_reason",
        "visma_number",
    )
    readonly_fields = fields
    ordering = ("id",)


class ExportDocumentInline(ReadOnlyTabular):
    model = ExportDocument
    fields = ("reference", "financial_period", "step", "visma_number", "attempts", "last_error")
    readonly_fields = fields


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdmin):
    list_display = (
        "pleo_job_id",
        "connection",
        "number",
        "status",
        "created_at",
        "finished_at",
        "items_total",
        "items_done",
        "successful_count",
        "failed_count",
    )
    list_filter = ("status", "connection", "created_at")
    list_select_related = ("connection",)
    date_hierarchy = "created_at"
    search_fields = ("pleo_job_id", "failure_reason", "last_error")
    readonly_fields = (
        *(f.name for f in ExportRun._meta.fields),
        "successful_count",
        "failed_count",
        "api_calls",
    )
    inlines = [ExportItemInline, ExportDocumentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExportRun]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                successful=Count("items", filter=Q(items__status=ExportItem.Status.SUCCESSFUL)),
                failed=Count("items", filter=Q(items__status=ExportItem.Status.FAILED)),
            )
        )

    @admin.display(description="successful", ordering="successful")
    def successful_count(self, obj: ExportRun) -> int:
        return int(getattr(obj, "successful", 0))

    @admin.display(description="failed", ordering="failed")
    def failed_count(self, obj: ExportRun) -> int:
        return int(getattr(obj, "failed", 0))

    @admin.display(description="API calls")
    def api_calls(self, obj: ExportRun) -> SafeString:
        count = ApiCall.objects.filter(export_run_id=obj.pk).count()
        return _calls_link(f"All {count} API calls of this run", export_run_id=obj.pk)


# -- items -----------------------------------------------------------------------------------


class AttachmentUploadInline(ReadOnlyTabular):
    model = AttachmentUpload
    fields = (
        "filename",
        "size",
        "content_type",
        "status",
        "visma_attachment_id",
        "line_number",
        "failure_reason_type",
        "error",
        "attempts",
    )
    readonly_fields = fields


class ItemChangeList(ChangeList):
    """The list shows none of the item's JSON (Pleo's payload, the plan): it is not read."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer("payload", "plan", "run__job_payload")
        )


@admin.register(ExportItem)
class ExportItemAdmin(ReadOnlyAdmin):
    """A month-end leaves hundreds of thousands of items: the list is a fixed handful of
    queries (no per-row read, no second full count, an estimated count on PostgreSQL) on
    indexes that serve its default order and filters (models.ExportItem.Meta)."""

    list_display = (
        "accounting_entry_id",
        "item_type",
        "status",
        "failure_reason_type",
        "visma_number",
        "run",
        "connection",
        "updated_at",
    )
    list_filter = (
        "status",
        "failure_reason_type",
        ("connection", RecentRelatedFilter),
        ("run", RecentRelatedFilter),
    )
    list_select_related = ("run", "connection")
    show_full_result_count = False
    # Counts beside each filter choice would each read every matching item.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    search_fields = (
        "accounting_entry_id",
        "visma_number",
        "reference",
        "failure_reason",
        "last_error",
    )
    actions = ["retry_failed"]
    inlines = [AttachmentUploadInline]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ItemChangeList

    fieldsets = (
        (
            "What happened",
            {
                "fields": (
                    "accounting_entry_id",
                    "item_type",
                    "status",
                    "step",
                    "failure_reason_type",
                    "failure_reason",
                    "last_error",
                    "visma_document_type",
                    "visma_number",
                    "links",
                    "reference",
                    "financial_period",
                    "supplier_number",
                    "run",
                    "connection",
                    "document",
                    "line_number",
                    "released_at",
                    "pleo_reported_at",
                    "reported_status",
                    "attempts",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        ("API calls made for this item", {"fields": ("api_calls",)}),
        ("Planned document", {"fields": ("plan_pretty",)}),
        ("The item as Pleo sent it", {"fields": ("payload_pretty",), "classes": ("collapse",)}),
    )
    readonly_fields = (
        *(f.name for f in ExportItem._meta.fields if f.name not in ("plan", "payload")),
        "links",
        "api_calls",
        "plan_pretty",
        "payload_pretty",
    )

    @admin.display(description="Pleo and Visma.net")
    def links(self, obj: ExportItem) -> SafeString:
        parts: list[SafeString] = []
        # Both addresses come from remote data: shown as links only when https.
        pleo = https_url(pleo_web_url(obj.payload))
        if pleo:
            parts.append(format_html('<a href="{}" rel="noopener">Open in Pleo</a>', pleo))
        visma = https_url(obj.visma_url)
        if visma:
            parts.append(
                format_html(
                    '<a href="{}" rel="noopener">Open {} in Visma.net</a>',
                    visma,
                    obj.visma_number or "the document",
                )
            )
        if not parts:
            return format_html("{}", "—")
        return format_html_join(" · ", "{}", ((p,) for p in parts))

    @admin.display(description="API calls")
    def api_calls(self, obj: ExportItem) -> SafeString:
        calls = ApiCall.objects.filter(export_item_id=obj.pk)
        run_link = _calls_link("all API calls of its run", export_run_id=obj.run_id)
        return format_html("{}<p>See also {}.</p>", api_calls_table(calls), run_link)

    @admin.display(description="Planned document")
    def plan_pretty(self, obj: ExportItem) -> SafeString:
        if not obj.plan:
            return format_html("{}", "Not planned (yet).")
        return _pre(json.dumps(obj.plan, indent=2, ensure_ascii=False, sort_keys=True))

    @admin.display(description="Payload")
    def payload_pretty(self, obj: ExportItem) -> SafeString:
        return _pre(json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    @admin.action(description="Retry failed items with the current mappings", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[ExportItem]) -> None:
        item_ids = list(
            queryset.filter(status=ExportItem.Status.FAILED)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        if not item_ids:
            self.message_user(request, "None of the chosen items has failed.", messages.WARNING)
            return
        try:
            result = export_services.export_items_retry(
                item_ids=item_ids, by=request.user.get_username()
            )
        except export_services.ExportRetryError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        except errors.ApiError as exc:
            self.message_user(request, export_services.retry_error_text(exc), messages.ERROR)
            return
        jobs = ", ".join(run.pleo_job_id for run in result.runs)
        self.message_user(
            request,
            f"Retry of {len(item_ids) - len(result.skipped)} failed item(s) started with the "
            f"current mappings (new Pleo job {jobs}).",
        )
        for item_id, why in result.skipped:
            self.message_user(request, f"Item {item_id} was not retried: {why}.", messages.WARNING)


@admin.register(ExportDocument)
class ExportDocumentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "visma_number", "step", "financial_period", "run", "connection")
    list_filter = ("step", "connection")
    list_select_related = ("run", "connection")
    search_fields = ("reference", "visma_number")
    readonly_fields = [f.name for f in ExportDocument._meta.fields]


@admin.register(AttachmentUpload)
class AttachmentUploadAdmin(ReadOnlyAdmin):
    connection_field = "item__connection"
    list_display = ("filename", "item", "status", "size", "visma_attachment_id", "updated_at")
    list_filter = ("status", "failure_reason_type")
    list_select_related = ("item",)
    search_fields = ("filename", "item__accounting_entry_id", "visma_attachment_id", "error")
    readonly_fields = [f.name for f in AttachmentUpload._meta.fields]
