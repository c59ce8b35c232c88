"""The call budget a remote service announces in its `X-RateLimit-*` answer headers.

Every answer's headers are kept on its `ApiCall` row (the HTTP seam writes that row anyway), so
the budget left is read back from the latest answer that carried them: no write of its own.
Visma.net sends `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds until the fixed window
ends) on its answers (docs.vismasoftware.no, api-reference/rate-limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from integrations.core.models import ApiCall

# The most recent answers of a connection looked at: a bounded read of an indexed column.
BUDGET_SCAN = 50


@dataclass(frozen=True)
class RateBudget:
    limit: int | None
    remaining: int
    resets_at: datetime | None
    seen_at: datetime  # when the answer carrying it came

    @property
    def used_percent(self) -> int | None:
        if not self.limit:
            return None
        return max(0, min(100, round(100 * (self.limit - self.remaining) / self.limit)))


def header_number(headers: Any, name: str) -> float | None:
    """A numeric header from a stored header dict, whatever the case of its name."""
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def rate_budget_from_headers(headers: Any, *, seen_at: datetime) -> RateBudget | None:
    remaining = header_number(headers, "X-RateLimit-Remaining")
    if remaining is None:
        return None
    limit = header_number(headers, "X-RateLimit-Limit")
    reset = header_number(headers, "X-RateLimit-Reset")
    resets_at = None
    if reset is not None:
        # Seconds until the window resets; some services send an epoch time instead.
        resets_at = (
            datetime.fromtimestamp(reset, tz=seen_at.tzinfo)
            if reset > 1_000_000_000
            else seen_at + timedelta(seconds=reset)
        )
    return RateBudget(
        limit=int(limit) if limit is not None else None,
        remaining=int(remaining),
        resets_at=resets_at,
        seen_at=seen_at,
    )


def rate_budget_last(
    *, connection_id: int, service: str = ApiCall.Service.VISMA
) -> RateBudget | None:
    """The budget the latest answer to this connection's calls announced (one query), or None
    when no recent answer carried the headers."""
    rows = (
        ApiCall.objects.filter(
            connection_id=connection_id, service=service, status_code__isnull=False
        )
        .order_by("-id")
        .values_list("response_headers", "created_at")[:BUDGET_SCAN]
    )
    for headers, created_at in rows:
        budget = rate_budget_from_headers(headers, seen_at=created_at)
        if budget is not None:
            return budget
    return None
