"""Configuration API routes; included under /api/ by the project's URL configuration."""

from __future__ import annotations

from django.urls import URLPattern, path

from integrations.masterdata.setup import api

urlpatterns: list[URLPattern] = [
    path(
        "connections/<int:connection_id>/export-settings/",
        api.ExportSettingsAPI.as_view(),
        name="api_export_settings",
    ),
    path(
        "connections/<int:connection_id>/account-mapping/",
        api.AccountMappingAPI.as_view(),
        name="api_account_mapping",
    ),
    path(
        "connections/<int:connection_id>/tag-settings/",
        api.TagSettingsAPI.as_view(),
        name="api_tag_settings",
    ),
    path(
        "connections/<int:connection_id>/category-mappings/",
        api.CategoryMappingsAPI.as_view(),
        name="api_category_mappings",
    ),
    path(
        "connections/<int:connection_id>/syncs/",
        api.SyncRunsAPI.as_view(),
        name="api_syncs",
    ),
    path(
        "connections/<int:connection_id>/syncs/<int:run_id>/",
        api.SyncRunDetailAPI.as_view(),
        name="api_sync_detail",
    ),
]
