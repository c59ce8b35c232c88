"""Admin for the mappings chosen on the setup pages: read-only, with their history.

Changes go through the setup pages or the API, which validate against the mirror; the admin
shows what is set and who changed it (support staff's view of the setup).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from integrations.core.admin_history import AuditedReadOnlyAdmin
from integrations.masterdata.models import CategoryMapping, SegmentSetting


class ReadOnlyHistoryAdmin(AuditedReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(
            request.user.is_active and request.user.is_staff
        ) and super().has_view_permission(request, obj)


@admin.register(CategoryMapping)
class CategoryMappingAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "pleo_account_name",
        "pleo_account_code",
        "visma_account_number",
        "default_vat_category",
        "connection",
        "updated_at",
    )
    list_filter = ("connection",)
    list_select_related = ("connection",)
    search_fields = ("pleo_account_name", "pleo_account_code", "visma_account_number")
    history_list_display = ("visma_account_number", "default_vat_category")


@admin.register(SegmentSetting)
class SegmentSettingAdmin(ReadOnlyHistoryAdmin):
    list_display = ("segment", "synced", "default_value", "pleo_tag_group_id", "connection")
    list_filter = ("connection", "synced")
    list_select_related = ("connection", "segment")
    history_list_display = ("synced", "default_value")
