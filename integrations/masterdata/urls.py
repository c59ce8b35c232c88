from __future__ import annotations

from django.urls import URLPattern

app_name = "masterdata"
urlpatterns: list[URLPattern] = []

# Setup pages: overview, accounts, tags, categories (integrations/masterdata/setup/).
from integrations.masterdata.setup.urls import urlpatterns as _setup_urlpatterns  # noqa: E402

urlpatterns += _setup_urlpatterns

# Sync status and the Vendors page (views_sync.py, views_vendors.py).
from django.urls import path  # noqa: E402

from integrations.masterdata import views_sync, views_vendors  # noqa: E402

urlpatterns += [
    path("<int:connection_id>/sync/", views_sync.sync_page, name="sync"),
    path(
        "<int:connection_id>/sync/<int:run_id>/status.json",
        views_sync.sync_status,
        name="sync_status",
    ),
    path("<int:connection_id>/vendors/", views_vendors.vendors_page, name="vendors"),
]
