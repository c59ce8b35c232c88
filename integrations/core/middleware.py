"""Friendly error pages for people, also in development.

With `DEBUG` off Django renders `templates/404.html` itself. With `DEBUG` on (the demo, a developer's
machine) it answers a page not found with its technical page, which lists every URL pattern: a
finance user trying the demo should see the same plain page as in production.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Machine-facing paths keep their own (JSON) answers.
_MACHINE_PREFIXES = ("/api/", "/sandbox/", "/healthz", "/metrics")


class FriendlyNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(_MACHINE_PREFIXES)
        ):
            return render(request, "404.html", status=404)
        return response
