"""Admin for audited settings: the history is shown, never replayed.

django-simple-history's history page saves a POSTed form for anyone who may *view* the history,
and a revert would skip the checks the setup pages run against the mirrored Visma.net data. So
audited settings are changed on the setup pages (or the JSON API) only; the admin shows them and
their history read-only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from integrations.core.access import ConnectionScopedAdmin


class AuditedReadOnlyAdmin(ConnectionScopedAdmin, SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("The history is read-only: change settings on the setup pages.")
        return super().history_form_view(request, object_id, version_id, extra_context)
