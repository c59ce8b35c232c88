"""Reading a verified webhook body: strict JSON, both of Pleo's documented shapes.

Only called after the signature has been verified: an anonymous body is never parsed.

Pleo documents two shapes (notes/pleo-api.md §4): the flat `{"eventType", "eventId", "data"}`
of its older webhook page and of the Go client's header handling, and the one its current
webhook-events page shows, wrapped under `payload` beside copies of the three `webhook-*`
headers (read as `payload.data` by the Go client's `Payload[T]` and a Symfony parser). Both are
accepted; the signature covers the raw body either way.

The JSON is read strictly, because what we store must be storable everywhere (PostgreSQL's
`jsonb` refuses NUL characters and lone surrogates; `NaN`, `Infinity` and numbers such as
`1e999` are not JSON numbers at all) and because a deeply nested body would otherwise exhaust
the parser's stack.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32


class BodyRefused(Exception):
    """The verified body is not an event we can read; `reason` says why (answered with 400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookBody:
    event_type: str
    event_id: str
    data: dict[str, Any]
    wrapped: bool

    def event(self) -> dict[str, Any]:
        """The event as the handlers read it, whichever shape it came in."""
        return {"eventType": self.event_type, "eventId": self.event_id, "data": self.data}


def _refuse_constant(name: str) -> Any:
    raise BodyRefused(f"The body contains {name}, which is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(f"The number {text[:40]} is out of range.")
    return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BodyRefused("The body contains a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BodyRefused("The body contains a lone surrogate (\\ud800-\\udfff).") from exc


def _check_tree(value: Any) -> None:
    """Depth and text checks without recursion (the depth limit is what this enforces)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise BodyRefused(f"The body is nested deeper than {MAX_DEPTH} levels.")
            if isinstance(node, dict):
                for key, child in node.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            _check_text(node)


def _nesting_exceeds(text: str, limit: int) -> bool:
    """True when brackets outside strings nest deeper than `limit`: checked before parsing so a
    hostile depth never reaches the parser's recursion."""
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def body_parse(body: bytes) -> Any:
    """Strict JSON from a verified body, or `BodyRefused`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused("The body is not UTF-8.") from exc
    if _nesting_exceeds(text, MAX_DEPTH):
        raise BodyRefused(f"The body is nested deeper than {MAX_DEPTH} levels.")
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BodyRefused:
        raise
    except (ValueError, RecursionError) as exc:
        # ValueError covers malformed JSON and integers past Python's digit limit.
        raise BodyRefused("The body is not valid JSON.") from exc
    _check_tree(parsed)
    return parsed


def webhook_body_read(body: bytes) -> WebhookBody:
    """The event in a verified body, flat or wrapped under `payload`, or `BodyRefused`."""
    parsed = body_parse(body)
    if not isinstance(parsed, dict):
        raise BodyRefused("The body is not a JSON object.")
    wrapped = "eventType" not in parsed and isinstance(parsed.get("payload"), dict)
    event = parsed["payload"] if wrapped else parsed
    event_type = event.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise BodyRefused("The body is not a JSON event with an eventType.")
    data = event.get("data")
    if not isinstance(data, dict):
        raise BodyRefused("The event has no data object.")
    event_id = event.get("eventId")
    if event_id is not None and not isinstance(event_id, str | int):
        raise BodyRefused("The event's eventId is not a string.")
    return WebhookBody(
        event_type=event_type,
        event_id="" if event_id is None else str(event_id),
        data=data,
        wrapped=wrapped,
    )
