"""The Pleo sandbox's HTTP plumbing: error shape, bearer auth, JSON bodies, cursor pages.

Reference: ../shared/specs/pleo/*.yml: `ExceptionInfo{type,message}`, `CursorPageInfo`,
cursors matching `^[A-Z2-7=~]+$`, bodies as `application/json;charset=UTF-8`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.sandbox.common import BadJson, json_body, sandbox_endpoint
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.models import AccessToken, Company

JSON_TYPE = "application/json;charset=UTF-8"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# The paged listings' parameters (e.g. pleo-export-items-v3-api-openapi.yml, getExportItemsV3):
# the cursors `before`/`after`, or `offset`, exclusive with them; `limit`; the sorting keys.
PAGING_PARAMS = {"before", "after", "offset", "limit", "sorting_keys", "sorting_order"}

T = TypeVar("T")
ApiView = Callable[..., HttpResponse]


class ApiError(Exception):
    """An answer in Pleo's error shape, raised anywhere inside an API view."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def error_body(status: int, message: str) -> dict[str, str]:
    """Pleo's `ExceptionInfo` for gateway-level answers (faults, rate limits)."""
    kinds = {401: "UNAUTHORIZED", 429: "TOO_MANY_REQUESTS", 504: "GATEWAY_TIMEOUT"}
    return {
        "type": kinds.get(status, "ERROR" if status < 500 else "INTERNAL_SERVER_ERROR"),
        "message": message,
    }


def respond(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, content_type=JSON_TYPE)


def error_response(status: int, type_: str, message: str) -> JsonResponse:
    return respond({"type": type_, "message": message}, status=status)


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_company(request: HttpRequest) -> Company | None:
    """The company of a valid bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = (
        AccessToken.objects.select_related("grant__company")
        .filter(token=token.strip(), revoked_at__isnull=True, grant__revoked_at__isnull=True)
        .first()
    )
    if row is None or row.expires_at <= clock.now():
        return None
    return row.grant.company


def pleo_api(view: ApiView) -> ApiView:
    """Every Pleo API view: recorded and fault-injected, bearer-checked, errors in Pleo's shape.

    The view is called as `view(request, company, **kwargs)`.
    """

    @sandbox_endpoint("pleo", error_body=error_body)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = token_company(request)
        if company is None:
            response = error_response(401, "UNAUTHORIZED", "Missing, invalid or expired token.")
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        try:
            return view(request, company, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.type, exc.message)

    return wrapper


def methods(**handlers: ApiView) -> ApiView:
    """One URL, one handler per HTTP method (`get=…, post=…`); others get 405."""

    def view(request: HttpRequest, company: Company, **kwargs: Any) -> HttpResponse:
        handler = handlers.get((request.method or "GET").lower())
        if handler is None:
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported here.")
        return handler(request, company, **kwargs)

    return view


# ---- request parsing ----------------------------------------------------------------------


def body_object(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json_body(request)
    except BadJson as exc:
        raise ApiError(400, "JSON_MAPPING_EXCEPTION", str(exc)) from exc
    if not isinstance(data, dict):
        raise ApiError(400, "VALIDATION_FAILED", "The request body must be a JSON object.")
    return data


def body_array(request: HttpRequest) -> list[Any]:
    try:
        data = json_body(request)
    except BadJson as exc:
        raise ApiError(400, "JSON_MAPPING_EXCEPTION", str(exc)) from exc
    if not isinstance(data, list):
        raise ApiError(400, "VALIDATION_FAILED", "The request body must be a JSON array.")
    return data


def require(data: dict[str, Any], *fields: str) -> None:
    missing = [f for f in fields if data.get(f) is None]
    if missing:
        raise ApiError(400, "VALIDATION_FAILED", f"Missing required fields: {', '.join(missing)}.")


def check_type(data: dict[str, Any], field: str, kind: type | tuple[type, ...]) -> None:
    value = data.get(field)
    if value is None:
        return
    bad_bool = isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)
    )
    if bad_bool or not isinstance(value, kind):
        raise ApiError(400, "VALIDATION_FAILED", f"Field {field} has the wrong type.")


def check_length(data: dict[str, Any], field: str, maximum: int, *, minimum: int = 0) -> None:
    value = data.get(field)
    if isinstance(value, str) and not minimum <= len(value) <= maximum:
        raise ApiError(
            400,
            "VALIDATION_FAILED",
            f"Field {field} must be {minimum} to {maximum} characters long.",
        )


def parse_uuid(value: str, *, not_found: tuple[str, str]) -> UUID:
    """A path id; anything that is not a UUID cannot exist, so it is a 404."""
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise ApiError(404, *not_found) from exc


def check_company(company: Company, given: Any) -> None:
    """A token belongs to one company: naming another one is forbidden."""
    if given in (None, ""):
        return
    if str(given) != str(company.id):
        raise ApiError(403, "FORBIDDEN", "The token does not give access to this company.")


def query_bool(request: HttpRequest, name: str) -> bool | None:
    value = request.GET.get(name)
    if value is None or value == "":
        return None
    return value.lower() in ("1", "true", "yes")


# ---- cursor pagination --------------------------------------------------------------------


def cursor_encode(index: int) -> str:
    return base64.b32encode(f"i{index}".encode()).decode()


def cursor_decode(cursor: str) -> int:
    try:
        text = base64.b32decode(cursor.encode()).decode()
        if not text.startswith("i"):
            raise ValueError(cursor)
        return int(text[1:])
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "VALIDATION_FAILED", f"Invalid cursor {cursor!r}.") from exc


def paginate(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[T],
    serialize: Callable[[T], dict[str, Any]],
    *,
    positions: str | None = None,
    total: int | None = None,
) -> dict[str, Any]:
    """A `CursorPaginatedResponse…`: `{data, pagination}` over an ordered query or sequence.

    A query is counted and sliced in the database (its ordering backed by an index), so no
    request loads the whole table. `positions` names a field that numbers the query's rows
    0, 1, 2, … in its order (a job's items): a page is then the rows of that range, read from
    the index at the same cost at the first and at the 10,000th row; an OFFSET would step over
    every row before the page. `total`, when the caller knows it, spares the count.
    """
    after = request.GET.get("after") or None
    before = request.GET.get("before") or None
    offset_raw = request.GET.get("offset") or None
    if sum(x is not None for x in (after, before, offset_raw)) > 1:
        raise ApiError(
            400, "VALIDATION_FAILED", "Use only one of before, after and offset at a time."
        )
    try:
        limit = int(request.GET.get("limit") or DEFAULT_LIMIT)
        offset = int(offset_raw) if offset_raw is not None else None
    except ValueError as exc:
        raise ApiError(400, "VALIDATION_FAILED", "limit and offset must be integers.") from exc
    if limit < 0 or (offset is not None and offset < 0):
        raise ApiError(400, "VALIDATION_FAILED", "limit and offset must not be negative.")
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    if total is None:
        total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    if after is not None:
        start = cursor_decode(after) + 1
        stop = start + limit
    elif before is not None:
        stop = min(cursor_decode(before), total)
        start = max(0, stop - limit)
    else:
        start = offset or 0
        stop = start + limit
    start, stop = min(start, total), min(stop, total)
    if stop <= start:
        page: list[Any] = []
    elif positions is not None and isinstance(rows, QuerySet):
        page = list(rows.filter(**{f"{positions}__gte": start, f"{positions}__lt": stop}))
    else:
        page = list(rows[start:stop])
    current: dict[str, Any] = {
        "parameters": {
            key: values for key, values in request.GET.lists() if key not in PAGING_PARAMS
        },
        "limit": limit,
        "sortingKeys": request.GET.getlist("sorting_keys"),
        "sortingOrder": request.GET.getlist("sorting_order"),
    }
    if after is not None:
        current["after"] = after
    if before is not None:
        current["before"] = before
    if offset is not None:
        current["offset"] = offset
    pagination: dict[str, Any] = {
        "hasNextPage": stop < total,
        "hasPreviousPage": start > 0,
        "total": total,
        "currentRequestPagination": current,
    }
    if page:
        pagination["startCursor"] = cursor_encode(start)
        pagination["endCursor"] = cursor_encode(stop - 1)
    return {"data": [serialize(row) for row in page], "pagination": pagination}
