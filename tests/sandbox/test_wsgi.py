"""The WSGI application that gunicorn serves (`config.wsgi.application`): the sandbox's
requests go through a handler of their own, without the product's middleware; everything else
as before. Requests reach it in-process (the demo's transport), as they would over HTTP."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from requests_toolbelt import MultipartEncoder

from integrations.core.receipts import Receipt
from integrations.demo.inprocess import in_process_session
from integrations.sandbox.pleo.oauth import DEMO_CLIENT_ID

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1"


@pytest.fixture
def served() -> requests.Session:
    from config.wsgi import application

    return in_process_session(base_url=BASE, app=application)


def test_a_sandbox_api_call_is_answered_without_the_products_middleware(
    served: requests.Session,
) -> None:
    answer = served.post(
        f"{BASE}/sandbox/visma/connect/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"
    # The product's clickjacking and security headers are the product's, not Visma.net's.
    assert "X-Frame-Options" not in answer.headers
    assert "X-Content-Type-Options" not in answer.headers


def test_a_sandbox_consent_page_renders_with_its_template_context(
    served: requests.Session,
) -> None:
    answer = served.get(
        f"{BASE}/sandbox/pleo/oauth/authorize",
        params={"response_type": "code", "client_id": DEMO_CLIENT_ID, "redirect_uri": "ftp://x"},
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "redirect_uri is missing or not an http(s) address." in answer.text


def test_the_products_pages_keep_their_middleware(served: requests.Session) -> None:
    answer = served.get(f"{BASE}/healthz")
    assert answer.status_code == 200
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_in_process_transport_hands_a_streamed_receipt_over_whole() -> None:
    seen: dict[str, bytes] = {}

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["body"] = environ["wsgi.input"].read()
        start_response("204 No Content", [])
        return []

    session = in_process_session(base_url=BASE, app=echo)
    with Receipt.of(b"%PDF-1.7 whole", "application/pdf") as receipt:
        body = MultipartEncoder(fields={"file": ("r.pdf", receipt.reader(), "application/pdf")})
        answer = session.post(f"{BASE}/upload", data=body)
    assert answer.status_code == 204
    assert b"%PDF-1.7 whole" in seen["body"] and b'filename="r.pdf"' in seen["body"]


def test_only_the_sandboxs_requests_are_left_out_of_the_access_log() -> None:
    from integrations.core.access_log import NOT_LOGGED
    from integrations.sandbox.wsgi import served_apart

    seen: list[dict[str, Any]] = []

    def product(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [b""]

    application = served_apart(product)
    page = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}
    application(page, lambda *a: None)
    assert seen == [page] and NOT_LOGGED not in page

    stand_in = {
        "PATH_INFO": "/sandbox/visma/_control/state",
        "REQUEST_METHOD": "GET",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    application(stand_in, lambda *a: None)
    assert stand_in[NOT_LOGGED] is True and len(seen) == 1


@pytest.mark.django_db(transaction=True)
def test_a_sandbox_call_skips_the_connection_health_check_that_a_product_page_runs(
    served: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connections

    connection = connections["default"]
    checks: list[str] = []
    usable = type(connection).is_usable
    monkeypatch.setattr(
        type(connection), "is_usable", lambda self: checks.append(self.alias) or usable(self)
    )
    connection.ensure_connection()
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    # What a request's start does to a connection kept from the last one (the in-process
    # transport leaves connections alone, as Django's test client does).
    connection.health_check_done = False

    answer = served.post(
        f"{BASE}/sandbox/visma/connect/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert answer.status_code == 400 and checks == []

    connection.health_check_done = False
    assert served.get(f"{BASE}/healthz").status_code == 200
    assert checks == ["default"]
