"""A tiny fake service ("echo") to exercise the shared sandbox machinery on its own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from integrations.sandbox.common import BadJson, control_urlpatterns, json_body, sandbox_endpoint
from integrations.sandbox.models import ReceivedRequest

SERVICE = "echo"


@sandbox_endpoint(SERVICE, rate_limited=True)
def things(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # A side effect the tests can observe: lose_response must still do the work.
        ReceivedRequest.objects.create(service="echo-work", method="POST", path="/work")
        try:
            return JsonResponse({"got": json_body(request)}, status=201)
        except BadJson:
            return JsonResponse({"error": "not JSON"}, status=400)
    return JsonResponse({"ok": True})


@sandbox_endpoint(SERVICE)
def unlimited(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


service_patterns = [
    path("v1/things", things),
    path("v1/unlimited", unlimited),
    *control_urlpatterns(SERVICE),
]

urlpatterns = [path("sandbox/echo/", include(service_patterns))]
