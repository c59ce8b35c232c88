"""OAuth `code` and `state` stay out of the access logs (gunicorn and the development server)."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from integrations.core.access_log import NOT_LOGGED, RedactingAccessLogger, RedactSecretsFilter

CALLBACK = "/connections/oauth/pleo/callback/?code=AUTHCODE123&state=STATE456"


def _gunicorn_line() -> str:
    config = Config()
    logger = RedactingAccessLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": CALLBACK,
        "PATH_INFO": "/connections/oauth/pleo/callback/",
        "QUERY_STRING": "code=AUTHCODE123&state=STATE456",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.5",
        "HTTP_REFERER": f"https://integration.example{CALLBACK}",
        "HTTP_USER_AGENT": "Firefox",
    }
    response = SimpleNamespace(status="302 Found", headers=[], sent=0)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    # gunicorn's default format plus the query string, as an operator might configure it.
    line: str = (config.access_log_format + ' "%(q)s"') % SafeAtoms(atoms)
    return line


def _redacting(handler: logging.Handler) -> bool:
    return any(isinstance(f, RedactSecretsFilter) for f in handler.filters)


def test_gunicorn_access_line_has_no_oauth_code_or_state() -> None:
    line = _gunicorn_line()

    assert "AUTHCODE123" not in line and "STATE456" not in line
    assert "GET /connections/oauth/pleo/callback/?code=***&state=*** HTTP/1.1" in line
    assert "302" in line and "203.0.113.5" in line


def test_development_server_request_lines_are_redacted() -> None:
    # django.server is routed through the console handler and its filter (settings.LOGGING).
    server_logger = logging.getLogger("django.server")
    [handler] = [h for h in server_logger.handlers if _redacting(h)]
    stream = io.StringIO()
    original = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        # The shape WSGIRequestHandler.log_message uses.
        server_logger.info('"%s" %s %s', f"GET {CALLBACK} HTTP/1.1", "302", "0")
    finally:
        handler.setStream(original)  # type: ignore[attr-defined]

    written = stream.getvalue()
    assert "callback/?code=***&state=***" in written
    assert "AUTHCODE123" not in written and "STATE456" not in written


def test_other_log_lines_lose_their_tokens_too() -> None:
    root = logging.getLogger()
    [handler] = [h for h in root.handlers if _redacting(h)]
    record = logging.LogRecord(
        "integrations.x",
        logging.INFO,
        __file__,
        1,
        "refreshing with %s",
        ("refresh_token=r-1",),
        None,
    )

    handler.filter(record)

    assert record.getMessage() == "refreshing with refresh_token=***"


def test_a_request_marked_not_logged_leaves_no_access_line() -> None:
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingAccessLogger(config)
    lines: list[str] = []
    logger.access_log.info = lambda fmt, atoms: lines.append(fmt % atoms)  # type: ignore[method-assign]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/sandbox/visma/x",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=0)
    request = SimpleNamespace(headers=[])

    logger.access(response, request, environ, timedelta(milliseconds=3))
    assert len(lines) == 1
    logger.access(response, request, {**environ, NOT_LOGGED: True}, timedelta(milliseconds=3))
    assert len(lines) == 1
