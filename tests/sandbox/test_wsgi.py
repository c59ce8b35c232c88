"""The WSGI application that gunicorn serves (`config.wsgi.application`): the sandbox's
requests go through a handler of their own, without the product's middleware; everything else
as before."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from integrations.sandbox.pleo.oauth import DEMO_CLIENT_ID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _connections_kept() -> Iterator[None]:
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _call(
    path: str, *, method: str = "GET", query: dict[str, str] | None = None, form: Any = None
) -> tuple[int, dict[str, str], bytes]:
    from config.wsgi import application

    body = urlencode(form).encode() if form is not None else b""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(query or {}),
            "CONTENT_TYPE": "application/x-www-form-urlencoded" if form is not None else "",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = {name.lower(): value for name, value in headers}

    chunks = application(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


def test_a_sandbox_api_call_is_answered_without_the_products_middleware() -> None:
    status, headers, content = _call(
        "/sandbox/visma/connect/token",
        method="POST",
        form={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert status == 400
    assert json.loads(content)["error"] == "invalid_client"
    # The product's clickjacking and security headers are the product's, not Visma.net's.
    assert "x-frame-options" not in headers
    assert "x-content-type-options" not in headers


def test_a_sandbox_consent_page_renders_with_its_template_context() -> None:
    status, headers, content = _call(
        "/sandbox/pleo/oauth/authorize",
        query={"response_type": "code", "client_id": DEMO_CLIENT_ID, "redirect_uri": "ftp://x"},
    )
    assert status == 400
    assert headers["content-type"].startswith("text/html")
    assert b"redirect_uri is missing or not an http(s) address." in content


def test_the_products_pages_keep_their_middleware() -> None:
    status, headers, _ = _call("/healthz")
    assert status == 200
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
