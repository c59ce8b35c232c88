"""Small readers for Pleo JSON: each raises ValueError naming the field it could not read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def as_object(data: Any, name: str, *, required: bool = False) -> dict[str, Any] | None:
    if data is None:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be an object, got {type(data).__name__}")
    return data


def as_required_object(data: Any, name: str) -> dict[str, Any]:
    obj = as_object(data, name, required=True)
    assert obj is not None
    return obj


def required(data: dict[str, Any], key: str, where: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise ValueError(f"{where}.{key} is missing")
    return value


def opt_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def opt_datetime(value: Any, name: str) -> datetime | None:
    """ISO 8601; Python 3.11 reads Pleo's trailing "Z" and plain dates (YYYY-MM-DD) too."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a date-time string, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} is not an ISO 8601 date-time: {value!r}") from exc


def opt_decimal(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        # str() first so 0.25 stays 0.25 instead of the binary float's expansion.
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return value


def opt_bool(value: Any, name: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{name} must be an array")
    return value


def iso_utc(value: datetime) -> str:
    """The spec's date-time pattern YYYY-MM-DDTHH:mi:ssZ: whole seconds, UTC, "Z"."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"
