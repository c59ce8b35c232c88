"""One click from a failure to its fix and back.

A link to the setup page that fixes a failure carries the address to come back to
(`?next=/exports/run/12/&back_run=3`). The setup page remembers it for itself in the session,
so after saving (the form posts, then the page is shown again without the query) it still
offers "Back to run #3". Only an address on this site is ever offered: anything else
(another host, a scheme, `//evil`) is dropped as if it were not there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

NEXT = "next"
BACK_RUN = "back_run"
SESSION_KEY = "return_to"
# A remembered return stays this long for its page; a later visit without it does not see it.
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class ReturnLink:
    url: str
    label: str


def with_return(url: str, *, back: str, run_number: int | None = None) -> str:
    """`url` carrying the address to come back to (and the run's number for the label)."""
    params: dict[str, Any] = {NEXT: back}
    if run_number is not None:
        params[BACK_RUN] = run_number
    path, _, fragment = url.partition("#")
    joined = f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"
    return f"{joined}#{fragment}" if fragment else joined


def safe_return_address(request: HttpRequest, value: Any) -> str:
    """`value` when it is an address on this site (a path), else ""."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if allowed else ""


def _label(run: Any) -> str:
    text = str(run or "")
    return f"Back to run #{text}" if text.isdigit() and len(text) < 10 else "Back"


def return_link(request: HttpRequest) -> ReturnLink | None:
    """The way back offered on this page: given in its address now, or remembered for it."""
    session = getattr(request, "session", None)
    url = safe_return_address(request, request.GET.get(NEXT))
    if url:
        link = ReturnLink(url=url, label=_label(request.GET.get(BACK_RUN)))
        if session is not None:
            session[SESSION_KEY] = {
                "page": request.path,
                "url": link.url,
                "label": link.label,
                "at": time.time(),
            }
        return link
    remembered = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(remembered, dict) or remembered.get("page") != request.path:
        return None
    if time.time() - float(remembered.get("at") or 0) > KEEP_SECONDS:
        return None
    url = safe_return_address(request, remembered.get("url"))
    return ReturnLink(url=url, label=str(remembered.get("label") or "Back")) if url else None
