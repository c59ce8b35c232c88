from __future__ import annotations

from django.urls import URLPattern, path

from integrations.connections import views

app_name = "connections"
urlpatterns: list[URLPattern] = [
    path("", views.connection_list_view, name="list"),
    path("table/", views.connection_list_box_view, name="list_box"),
    path("<int:pk>/", views.connection_detail_view, name="detail"),
    path("<int:pk>/check/", views.connection_check_view, name="check"),
    path("<int:pk>/pleo/connect/", views.pleo_connect_view, name="pleo_connect"),
    path("<int:pk>/visma/service/", views.visma_service_view, name="visma_service"),
    path("<int:pk>/visma/interactive/", views.visma_interactive_view, name="visma_interactive"),
    path("<int:pk>/branch/", views.branch_choose_view, name="branch"),
    path("<int:pk>/disconnect/", views.disconnect_view, name="disconnect"),
    # "<int:pk>/export-settings/" (name "export_settings") is the setup pages' export settings
    # page, added to this namespace in config/urls.py: it judges by the mirror (masterdata).
    # Must match clients.PLEO_CALLBACK_PATH and clients.VISMA_CALLBACK_PATH.
    path("oauth/pleo/callback/", views.pleo_callback_view, name="pleo_callback"),
    path("oauth/visma/callback/", views.visma_callback_view, name="visma_callback"),
]
