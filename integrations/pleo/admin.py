from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.core.access import ConnectionScopedAdmin
from integrations.pleo.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(ConnectionScopedAdmin):
    # Deliveries matched to no connection (rejected, unknown company) are for superusers only.
    connection_field = "connection_id"
    list_display = (
        "received_at",
        "event_type",
        "status",
        "connection_id",
        "delivery_id",
        "rejection_reason",
    )
    list_filter = ("status", "event_type", "accepted")
    search_fields = ("delivery_id", "event_id", "rejection_reason", "error")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["process_again"]

    @admin.action(description="Process the selected failed events again", permissions=["retry"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        from django_q.tasks import async_task

        failed = list(
            queryset.filter(accepted=True, status=WebhookEvent.Status.FAILED).values_list(
                "id", flat=True
            )
        )
        for event_id in failed:
            async_task("integrations.pleo.tasks.webhook_event_process", event_id)
        self.message_user(request, f"{len(failed)} failed event(s) queued again.", messages.SUCCESS)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pleo.retry_webhookevent")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
