"""Strip secrets from what we log about remote calls."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

REDACTED = "***"
EXCERPT_LIMIT = 4000

SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code_verifier",
        "password",
        "secret",
        "secretkey",
        "token",
        "webhook-signature",
        "x-api-key",
    }
)
_SECRET_PATTERN = re.compile(r"(secret|password|token|signature)", re.IGNORECASE)


# In OAuth forms and query strings `code` is an authorization code; in JSON it is an account or
# vendor code that support staff need to see.
FORM_SECRET_KEYS = frozenset({"code", "state"})


def is_secret_key(key: str) -> bool:
    # The same few hundred keys (JSON fields, headers) come back on every call logged: short
    # ones are remembered, so what a caller may send cannot grow the memory much.
    if len(key) <= 64:
        return _secret_key_kept(key)
    return _secret_key(key)


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or bool(_SECRET_PATTERN.search(lowered))


_secret_key_kept = functools.lru_cache(maxsize=4096)(_secret_key)


def redact_query(pairs: Mapping[str, Any] | list[tuple[str, Any]] | None) -> str:
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs or [])
    return urlencode(
        [
            (k, REDACTED if is_secret_key(k) or k.lower() in FORM_SECRET_KEYS else v)
            for k, v in items
        ],
        doseq=True,
    )


def redact_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if is_secret_key(k) else redact_value(v)) for k, v in values.items()}


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _redacted_head(value: Any, budget: int) -> tuple[Any, bool]:
    """`redact_value(value)` without the list items and mapping entries that begin past the
    first `budget` characters of its JSON text (as `json.dumps` writes it); and whether any
    were left out. Up to `budget` characters, both texts are the same."""
    if isinstance(value, Mapping):
        kept: dict[str, Any] = {}
        used = 1  # "{"
        for key, item in value.items():
            if used - 2 >= budget:  # the ", " before the next one lies past the budget
                return kept, True
            prefix = _json_size(str(key)) + 2  # the key and ": "
            if is_secret_key(key):
                kept[key], cut = REDACTED, False
            else:
                kept[key], cut = _redacted_head(item, budget - used - prefix)
            if cut:
                return kept, True
            used += prefix + _json_size(kept[key]) + 2  # ", "
        return kept, False
    if isinstance(value, list):
        items: list[Any] = []
        used = 1  # "["
        for item in value:
            if used - 2 >= budget:  # the ", " before the next one lies past the budget
                return items, True
            head, cut = _redacted_head(item, budget - used)
            items.append(head)
            if cut:
                return items, True
            used += _json_size(head) + 2  # ", "
        return items, False
    return value, False


def redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


# Credentials written as `Bearer …` / `Basic …` wherever they appear.
# Not a `token = …` pair: that is the pair pattern's, which redacts the value after the `=`.
_SCHEME_CREDENTIALS = re.compile(r"\b(Bearer|Basic|Token)\s+(?![=:])[^\s\"',;&\\]+", re.IGNORECASE)
# A `key: value` or `key=value` pair in any text: JSON (also cut off, or escaped inside another
# JSON string), form bodies, query strings, log-like text. The value is a quoted string (possibly
# unterminated) or a bare word.
_PAIR = re.compile(
    r"""(?P<q>\\*["']?)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,80})(?P=q)\s*(?P<sep>[:=])\s*"""
    r"""(?P<value>\\*"(?:[^"\\]|\\[^"])*|'[^']*|[^\s&,;}\]"'\\]+)"""
)


# Every text `redact_text` could change holds one of these: a credential scheme, or a key that
# `is_secret_key` refuses (every SECRET_KEYS entry holds one of the words, and so does every key
# the pattern refuses). `code` and `state` are secrets only before an `=`.
_MAY_HOLD_SECRET = re.compile(
    r"bearer|basic|token|secret|password|signature|authorization|cookie|code_verifier|x-api-key",
    re.IGNORECASE,
)
_FORM_SECRET = re.compile(r"code|state", re.IGNORECASE)


def redact_text(text: str) -> str:
    """Redact secrets in text that is not (or not only) parseable JSON: truncated JSON, form
    bodies, query strings, JSON or forms inside string values, error messages."""
    if not _MAY_HOLD_SECRET.search(text) and not ("=" in text and _FORM_SECRET.search(text)):
        # Nothing to redact: spares the pair-by-pair scan of every logged body.
        return text
    text = _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    out: list[str] = []
    position = 0
    while (match := _PAIR.search(text, position)) is not None:
        key, sep = match.group("key"), match.group("sep")
        value_start = match.start("value")
        out.append(text[position:value_start])
        if is_secret_key(key) or (sep == "=" and key.lower() in FORM_SECRET_KEYS):
            opening = re.match(r"""\\*["']""", match.group("value"))
            out.append((opening.group(0) if opening else "") + REDACTED)
            position = match.end("value")
        else:
            # Not a secret: look inside its value too (a form or JSON inside a string).
            position = value_start
    out.append(text[position:])
    return "".join(out)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if is_secret_key(k) else v) for k, v in headers.items()}


def redact_body(body: bytes | str | None, content_type: str = "") -> str:
    """A redacted, truncated text excerpt of a request or response body."""
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, bytes):
        if "json" not in content_type and "text" not in content_type and "form" not in content_type:
            return f"<{len(body)} bytes of {content_type or 'binary data'}>"
        text = body.decode("utf-8", errors="replace")
    else:
        text = body
    if "x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(text, keep_blank_values=True)
        text = redact_query(pairs)
    else:
        with contextlib.suppress(ValueError, TypeError, RecursionError):
            parsed = json.loads(text)
            if len(text) <= EXCERPT_LIMIT:
                text = json.dumps(redact_value(parsed), ensure_ascii=False)
            else:
                # Only the excerpt's beginning is kept: what lies past it (most of a page of
                # 50 expenses) is neither redacted nor written out.
                head, left_out = _redacted_head(parsed, EXCERPT_LIMIT)
                whole = len(text)
                text = json.dumps(head, ensure_ascii=False)
                if left_out:
                    return _excerpt(text, more=max(whole, len(text)) - EXCERPT_LIMIT)
    return _excerpt(text, more=len(text) - EXCERPT_LIMIT)


def _excerpt(text: str, *, more: int) -> str:
    if more > 0:
        text = text[:EXCERPT_LIMIT]
    # Whatever the parse above could not reach: text that is not JSON (cut off, HTML, plain),
    # secrets inside string values, and a value cut in two by the excerpt limit.
    text = redact_text(text)
    if more > 0:
        text += f"… ({more} more characters)"
    return text
