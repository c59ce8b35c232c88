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


# -- django-q2's admin: superusers only ----------------------------------------------------------
# Its tasks, results, failures and schedules name runs and connections in their arguments and
# tracebacks and cannot be narrowed to one connection, so only superusers see them.


class SuperuserOnlyAdmin:
    def _superuser(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._superuser(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return self._superuser(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._superuser(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


def _django_q_superuser_only() -> None:
    import django_q.admin  # noqa: F401  (registers django-q2's admins first)
    from django_q import models as q_models

    for model in (q_models.Success, q_models.Failure, q_models.Schedule, q_models.OrmQ):
        current = admin.site._registry.get(model)
        if current is None or isinstance(current, SuperuserOnlyAdmin):
            continue
        base = type(current)
        admin.site.unregister(model)
        admin.site.register(model, type(base.__name__, (SuperuserOnlyAdmin, base), {}))


_django_q_superuser_only()
