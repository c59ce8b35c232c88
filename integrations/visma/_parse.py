"""Reading one field of a Visma.net read DTO, with an error that names the record and field.

Visma.net read DTOs are plain JSON (notes §3); every field is optional in the spec, so each
parser decides which ones it cannot do without and says so clearly when one is missing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class Fields:
    """Typed access to one JSON object; every failure is a `ValueError` naming the field."""

    def __init__(self, data: Any, record: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{record}: expected a JSON object, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.record = record

    def _fail(self, key: str, problem: str) -> ValueError:
        return ValueError(f"{self.record}: field '{key}' {problem}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def req_str(self, key: str) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            raise self._fail(key, "is missing")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self._fail(key, f"must be a string, got {value!r}")
        return str(value)

    def opt_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self._fail(key, f"must be a string, got {value!r}")
        return str(value)

    def text(self, key: str) -> str:
        """A string that may be absent (descriptions): absent becomes ""."""
        return self.opt_str(key) or ""

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._fail(key, f"must be true or false, got {value!r}")
        return value

    def req_int(self, key: str) -> int:
        value = self.opt_int(key)
        if value is None:
            raise self._fail(key, "is missing")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._fail(key, f"must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise self._fail(key, f"must be an integer, got {value!r}")

    def req_decimal(self, key: str, default: Decimal | None = None) -> Decimal:
        value = self.opt_decimal(key)
        if value is None:
            if default is not None:
                return default
            raise self._fail(key, "is missing")
        return value

    def opt_decimal(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._fail(key, f"must be a number, got {value!r}")
        try:
            # str() first: a float parsed from JSON keeps its short decimal form (0.1 not 0.1000…).
            result = Decimal(str(value))
        except InvalidOperation as exc:
            raise self._fail(key, f"must be a number, got {value!r}") from exc
        if not result.is_finite():
            raise self._fail(key, f"must be a finite number, got {value!r}")
        return result

    def opt_datetime(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        return parse_datetime(value, field=f"{self.record}: field '{key}'")

    def opt_date(self, key: str) -> date | None:
        moment = self.opt_datetime(key)
        return moment.date() if moment is not None else None

    def req_date(self, key: str) -> date:
        value = self.opt_date(key)
        if value is None:
            raise self._fail(key, "is missing")
        return value

    def obj(self, key: str) -> Fields | None:
        value = self.data.get(key)
        if value is None:
            return None
        return Fields(value, f"{self.record}.{key}")

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(key, f"must be a list, got {type(value).__name__}")
        return value

    def nested_str(self, key: str, inner: str) -> str | None:
        """`{"supplierClass": {"id": "1"}}` → "1"; referenced entities come back as objects."""
        sub = self.obj(key)
        return sub.opt_str(inner) if sub is not None else None


def parse_datetime(value: Any, *, field: str) -> datetime:
    """Visma.net sends `2026-01-10T09:12:00.11` without a zone; we read it as UTC so the value
    we send back as `lastModifiedDateTime` is exactly the one we received."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a date-time string, got {value!r}")
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{field} is not an ISO date-time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
