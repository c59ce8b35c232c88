from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from integrations.core import metrics as core_metrics
from integrations.core import views as core_views

admin.site.site_header = "Pleo ⇄ Visma.net — support"
admin.site.site_title = "Pleo ⇄ Visma.net"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_metrics.metrics_view, name="metrics"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("connections/", include("integrations.connections.urls")),
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
