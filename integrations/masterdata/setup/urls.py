"""Setup pages, included into the `masterdata` namespace (mounted under /setup/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from integrations.masterdata.setup import views

urlpatterns: list[URLPattern] = [
    path("", views.setup_index, name="setup_index"),
    path("<int:connection_id>/", views.setup_overview, name="setup_overview"),
    path("<int:connection_id>/accounts/", views.setup_accounts, name="setup_accounts"),
    path(
        "<int:connection_id>/accounts/create/",
        views.setup_accounts_create,
        name="setup_accounts_create",
    ),
    path("<int:connection_id>/tags/", views.setup_tags, name="setup_tags"),
    path("<int:connection_id>/categories/", views.setup_categories, name="setup_categories"),
]
