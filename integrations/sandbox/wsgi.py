"""The sandbox served beside the product by the same WSGI server, as the other services it
stands in for: requests under `/sandbox/` go through a handler of their own, without the
product's middleware.

The product's middleware (security headers and HTTPS redirect, static files, CSRF, messages,
edit history, the sign-in lock-out, request metrics) guards and counts the product's pages;
Visma.net and Pleo are not behind it. Run for every stand-in call, it cost about a tenth of the
web app's CPU in an export benchmark. The handler keeps sessions and authentication, which the
consent pages' template context (`request.user`) reads; both are lazy and cost nothing on an
API call. Every sandbox view is CSRF-exempt already.

Django's test client and live server build their own handlers from `settings.MIDDLEWARE`; this
split applies to `config.wsgi.application` (gunicorn: `make demo`, `manage.py serve`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from integrations.core.access_log import NOT_LOGGED
from integrations.sandbox.common import RECORD_AFTER_ANSWER

PREFIX = "/sandbox/"
Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SandboxHandler(WSGIHandler):
    """Django's WSGI handler with the sandbox's own, short middleware chain."""

    middleware = (SessionMiddleware, AuthenticationMiddleware)

    def load_middleware(self, is_async: bool = False) -> None:
        # As `BaseHandler.load_middleware` builds the chain, for middleware that has no view,
        # template-response or exception hooks (neither of the two above has any).
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler: Any = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for middleware in reversed(self.middleware):
            handler = convert_exception_to_response(middleware(handler))
        self._middleware_chain = handler

    def get_response(self, request: Any) -> Any:
        # No `SELECT 1` before a stand-in's first query (CONN_HEALTH_CHECKS, for the product's
        # pages): a round trip on every call of an export. A connection the database dropped
        # fails that one request; Django closes it and the next request connects anew.
        for conn in connections.all(initialized_only=True):
            conn.health_check_done = True  # type: ignore[attr-defined]
        return super().get_response(request)


def served_apart(product: Application) -> Application:
    """A WSGI application that hands `/sandbox/…` to the sandbox's handler and anything else to
    `product`."""
    sandbox = SandboxHandler()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith(PREFIX):
            # The stand-ins log their requests themselves (`_control/requests`), not in the web
            # server's access log: an export of 10,000 items would write 30,000 lines there.
            environ[NOT_LOGGED] = True
            # Their own request log is written once each answer has gone out.
            environ[RECORD_AFTER_ANSWER] = True
            return sandbox(environ, start_response)
        return product(environ, start_response)

    return application
