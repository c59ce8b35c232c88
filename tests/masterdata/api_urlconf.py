"""The project's URLs plus the configuration API under /api/, for the API tests until the
project's URL configuration includes it (the first matching pattern wins, so a later include
there changes nothing here)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *project_urlpatterns,
    path("api/", include("integrations.masterdata.setup.api_urls")),
]
