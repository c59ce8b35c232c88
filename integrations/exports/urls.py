"""Exports pages, mounted under /exports/."""

from __future__ import annotations

from django.urls import URLPattern, path

from integrations.exports import views, views_dashboard

app_name = "exports"
urlpatterns: list[URLPattern] = [
    path("", views.exports_index, name="index"),
    path("runs/", views.exports_index_runs, name="index_runs"),
    path("<int:connection_id>/", views.connection_exports, name="connection"),
    path("<int:connection_id>/runs/", views.connection_runs, name="connection_runs"),
    path(
        "<int:connection_id>/dashboard/",
        views_dashboard.connection_dashboard_view,
        name="dashboard",
    ),
    path("<int:connection_id>/pending/", views.pending_jobs, name="pending"),
    path("<int:connection_id>/pending/<str:job_id>/", views.pending_job_preview, name="preview"),
    path("run/<int:run_id>/", views.run_detail, name="run"),
    path("run/<int:run_id>/status.json", views.run_status, name="run_status"),
    path("run/<int:run_id>/retry/", views.run_retry, name="run_retry"),
]
