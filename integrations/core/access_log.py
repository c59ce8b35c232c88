"""Access logs without secrets: OAuth `code` and `state` (and any token-like query parameter)
never reach a log line.

Providers send the user back to our callback with `?code=…&state=…`, and the next page's
`Referer` repeats that address. Gunicorn's access log writes the request line and the referrer
whole, and Django's development server logs the request line: both go through `redact_text`.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from integrations.core.redaction import redact_text

# Atoms of gunicorn's access log format that carry the address or its query string.
_URL_ATOMS = ("r", "q", "f", "{referer}i", "{raw_uri}e", "{query_string}e", "{request_uri}e")
_HEADER_ATOMS = ("{authorization}i", "{cookie}i", "{proxy-authorization}i", "{set-cookie}o")


# Set in a request's WSGI environ by an application that keeps its own log of requests (the
# sandbox's stand-ins keep theirs, with their service time): the access log leaves it out.
NOT_LOGGED = "integrations.access_log.not_logged"


class RedactingAccessLogger(GunicornLogger):
    """Gunicorn's logger with the request line, query string and referrer redacted."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if environ.get(NOT_LOGGED):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_text(atoms[name])
        for name in _HEADER_ATOMS:
            if name in atoms:
                atoms[name] = "***"
        return atoms


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message with secrets redacted (the development server's request
    lines, and anything else that would carry a token or an OAuth code)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
