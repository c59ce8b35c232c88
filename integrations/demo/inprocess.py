"""A `requests` transport that hands requests for this installation's own address to its WSGI
application in the same process, instead of the network.

Used by `demo_connect`: `make demo` prepares the demo before the web server runs, yet the
connect flows must go through the sandbox's real OAuth endpoints. The clients keep sending
ordinary HTTP requests (same code path, same ApiCall rows); only the transport differs. Requests
for any other host still go over the network.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def _keep_db_connection() -> Iterator[None]:
    # Django closes "old" database connections when a request starts and ends. In-process, that
    # is the caller's connection, possibly inside a transaction: keep it open (as Django's test
    # client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class WsgiAdapter(BaseAdapter):
    def __init__(self, app: WsgiApp | None = None) -> None:
        super().__init__()
        self.app: WsgiApp = app or WSGIHandler()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if hasattr(body, "read"):  # a streamed upload (a receipt): read it whole
            body = body.read()
        elif not isinstance(body, bytes):  # an iterable body
            body = b"".join(body)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method or "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(url.path or "/").encode().decode("latin-1"),
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "localhost",
            "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme or "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        environ.setdefault("HTTP_HOST", url.netloc)

        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        with _keep_db_connection():
            result = self.app(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return self._response(request, captured["status"], captured["headers"], content)

    @staticmethod
    def _response(
        request: requests.PreparedRequest,
        status: str,
        headers: list[tuple[str, str]],
        content: bytes,
    ) -> requests.Response:
        code, _, reason = status.partition(" ")
        response = requests.Response()
        response.status_code = int(code)
        response.reason = reason
        header_map: Mapping[str, str] = CaseInsensitiveDict(headers)
        response.headers = CaseInsensitiveDict(header_map)
        response.raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=dict(headers),
            status=int(code),
            preload_content=False,
        )
        response._content = content
        response.url = request.url or ""
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        pass


def in_process_session(*, base_url: str, app: WsgiApp | None = None) -> requests.Session:
    """A session whose requests under `base_url` are served in-process by the WSGI app."""
    session = requests.Session()
    session.mount(base_url.rstrip("/") + "/", WsgiAdapter(app))
    return session
