from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from integrations.core.access import ConnectionScopedAdmin
from integrations.core.models import ApiCall


class StatusClassFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("ok", "Succeeded"),
            ("4xx", "Refused (4xx)"),
            ("5xx", "Server error (5xx)"),
            ("none", "No answer"),
        ]

    def queryset(self, request: HttpRequest, queryset):  # type: ignore[no-untyped-def]
        value = self.value()
        if value == "ok":
            return queryset.filter(status_code__lt=400)
        if value == "4xx":
            return queryset.filter(status_code__gte=400, status_code__lt=500)
        if value == "5xx":
            return queryset.filter(status_code__gte=500)
        if value == "none":
            return queryset.filter(status_code__isnull=True)
        return queryset


@admin.register(ApiCall)
class ApiCallAdmin(ConnectionScopedAdmin):
    # Calls made for no connection (none today) are for superusers only.
    connection_field = "connection_id"
    list_display = (
        "created_at",
        "service",
        "method",
        "path",
        "status_code",
        "duration_ms",
        "attempt",
        "error",
    )
    list_filter = ("service", StatusClassFilter, "method")
    search_fields = ("path", "url", "error", "request_excerpt", "response_excerpt")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ApiCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
