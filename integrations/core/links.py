"""Links built from remote data are shown only when they are `https` (DESIGN §6).

A URL another service sent us (an export item's `_links.web`, a document address) could be
`javascript:…`, `data:…` or plain `http`; rendered as a link it would run script in our origin
or send a finance user off unencrypted. Such a value is shown as no link at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def https_url(value: Any) -> str:
    """`value` when it is an absolute https URL with a host, else ""."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if any(ord(char) < 0x20 or char in " \\" for char in text):
        # Control characters and backslashes let browsers read a URL differently than we do.
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() != "https" or not parts.hostname:
        return ""
    return text
