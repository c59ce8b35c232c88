from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from integrations.connections import urls as connection_urls
from integrations.core import metrics as core_metrics
from integrations.core import views as core_views
from integrations.masterdata.setup import views_export_settings

# The connection pages, and the export settings page at its address among them: the page judges
# by the Visma.net mirror, so it lives with the setup pages (connections never imports them).
connection_pages = [
    *connection_urls.urlpatterns,
    path(
        "<int:pk>/export-settings/",
        views_export_settings.export_settings_view,
        name="export_settings",
    ),
]

admin.site.site_header = "Pleo ⇄ Visma.net — support"
admin.site.site_title = "Pleo ⇄ Visma.net"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", core_views.home, name="home"),
    path("home/connections/", core_views.home_connections, name="home_connections"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_metrics.metrics_view, name="metrics"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("connections/", include((connection_pages, "connections"))),
    path("setup/", include("integrations.masterdata.urls")),
    path("exports/", include("integrations.exports.urls")),
    path("api/pleo/", include("integrations.pleo.urls")),
    path("api/", include("integrations.masterdata.setup.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Signed-in users only (SPECTACULAR_SETTINGS SERVE_PERMISSIONS); the docs page, read in a
    # browser, sends a stranger to the login page.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))
