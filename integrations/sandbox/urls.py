from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("visma/", include("integrations.sandbox.visma.urls")),
    path("pleo/", include("integrations.sandbox.pleo.urls")),
]
