"""What every Visma.net sandbox API view shares: the error format, bearer-token check,
update-DTO unwrapping, paging with `metadata` and the `lastModifiedDateTime` filter."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any, TypeVar

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.sandbox.common import (
    BadJson,
    json_body,
    rows_compiled_once,
    sandbox_endpoint,
    settings_columns,
    settings_picked,
)
from integrations.sandbox.models import ServiceSettings
from integrations.sandbox.visma.models import Company

SERVICE = "visma"
MAX_PAGE_SIZE = 1000
T = TypeVar("T")

# Fault codes the sandbox uses. Visma.net publishes only a few (12027: no licence for the
# company); the validation rules below have no published code, so these are the sandbox's own.
CODE_VALIDATION = "10000"
CODE_NOT_FOUND = "10404"
CODE_UNAUTHORIZED = "10401"
CODE_FORBIDDEN = "10403"


class VismaError(Exception):
    def __init__(self, message: str, *, status: int = 400, code: str = CODE_VALIDATION) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def response(self) -> JsonResponse:
        return JsonResponse(error_body(self.message, self.code), status=self.status)


def error_body(message: str, code: str = CODE_VALIDATION) -> dict[str, str]:
    return {
        "ExceptionType": "IPPException",
        "ExceptionMessage": message,
        "ExceptionFaultCode": code,
        "ExceptionMessageID": f"{code}_{uuid.uuid4()}",
        "ExceptionDetails": "",
    }


def gateway_error_body(status: int, message: str) -> dict[str, str]:
    return error_body(message, str(status))


def not_found(what: str) -> VismaError:
    return VismaError(f"{what} not found.", status=404, code=CODE_NOT_FOUND)


def _bearer_token(request: HttpRequest) -> str:
    """The request's bearer token ("": none)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


# On the request: what `_settings_and_caller` found for its token (a list of none or one
# company), for `_bearer_company`.
_CALLER = "_sandbox_visma_caller"


def _settings_and_caller(request: HttpRequest) -> ServiceSettings | None:
    """The service's settings and the token's company in one statement, the company kept on
    the request for the view's bearer check. None (settings read on their own): no token, or
    no company or settings row found with it."""
    token = _bearer_token(request)
    if not token:
        return None
    found = rows_compiled_once("visma-token-settings", _token_company_with_settings, token)
    setattr(request, _CALLER, found)
    return settings_picked(found[0]) if found else None


def _bearer_company(request: HttpRequest) -> tuple[Company, str]:
    token = _bearer_token(request)
    if not token:
        raise VismaError(
            "Authorization has been denied for this request: no bearer token.",
            status=401,
            code=CODE_UNAUTHORIZED,
        )
    found: list[Company] | None = getattr(request, _CALLER, None)
    if found is None:
        found = rows_compiled_once("visma-token", _token_company, token)
    if not found:
        raise VismaError(
            "Authorization has been denied for this request: the token is invalid or expired.",
            status=401,
            code=CODE_UNAUTHORIZED,
        )
    company = found[0]
    if company.tenant_type != "Company":
        # A Customer tenant id gets a token, but no ERP company answers to it: 401 (notes §1,
        # …/how-tos/fix401error; 12027 "No license for this company", S11).
        raise VismaError("No license for this company.", status=401, code="12027")
    return company, company.token_scopes  # type: ignore[attr-defined]


def _token_company(token: str) -> QuerySet[Company]:
    """The company of an access token still valid (the database's clock, as Visma Connect
    checks a token's lifetime on its own side), with the token's scopes."""
    return (
        Company.objects.filter(accesstoken__token=token, accesstoken__expires_at__gt=Now())
        .annotate(token_scopes=F("accesstoken__scopes"))
        .order_by("pk")[:1]
    )


def _token_company_with_settings(token: str) -> QuerySet[Company]:
    """`_token_company`, with the service's settings row (`settings_columns`)."""
    return _token_company(token).annotate(**settings_columns(SERVICE))


_SCOPE_FOR_METHOD = {"GET": "read", "POST": "create", "PUT": "update", "DELETE": "delete"}


def _check_scope(scopes: str, method: str, *, action: bool) -> None:
    # Actions (release) and attachments are POSTs that need the create or update scope.
    needed = {"create", "update"} if action else {_SCOPE_FOR_METHOD.get(method, "read")}
    granted = {s.rsplit(":", 1)[-1] for s in scopes.split() if ":" in s}
    if not needed & granted:
        raise VismaError(
            f"The token has no {' or '.join(sorted(needed))} scope for this request.",
            status=403,
            code=CODE_FORBIDDEN,
        )


ApiView = Callable[..., HttpResponse]


def visma_api(
    *methods: str, action: bool = False, refusal_500: bool = False
) -> Callable[[ApiView], ApiView]:
    """Wrap a view as a Visma.net API endpoint: recorded, rate limited, bearer-checked.

    The view receives `(request, company, **kwargs)`; raising `VismaError` answers in Visma's
    error format. `refusal_500`: a POST the contract says fails with "BadRequest or
    InternalServerError" (Supplier_Post, SupplierInvoice_Post, the supplier invoice actions);
    with the company setting `refusalStatus: 500` its 400 refusals answer 500, same body.
    """

    def decorator(view: ApiView) -> ApiView:
        @sandbox_endpoint(
            SERVICE,
            rate_limited=True,
            error_body=gateway_error_body,
            settings_with=_settings_and_caller,
        )
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                company, scopes = _bearer_company(request)
                if request.method not in methods:
                    raise VismaError(
                        f"The requested resource does not support http method '{request.method}'.",
                        status=405,
                    )
                _check_scope(scopes, request.method or "GET", action=action)
                try:
                    return view(request, company, **kwargs)
                except VismaError as exc:
                    if (
                        refusal_500
                        and request.method == "POST"
                        and exc.status == 400
                        and company.refusal_status == 500
                    ):
                        exc.status = 500
                    raise
            except VismaError as exc:
                return exc.response()

        return wrapper

    return decorator


def request_dto(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json_body(request)
    except BadJson as exc:
        raise VismaError(str(exc)) from exc
    if not isinstance(data, dict):
        raise VismaError("The request body must be a JSON object.")
    return data


def absolute_url(request: HttpRequest, api_path: str) -> str:
    """The absolute URL of an API path (`/v1/…`) on the host and mount point of this request."""
    full = request.path
    cut = min((i for i in (full.find("/v1/"), full.find("/v2/")) if i >= 0), default=0)
    return request.build_absolute_uri(full[:cut] + api_path)


def created(request: HttpRequest, api_path: str) -> HttpResponse:
    """201 with an empty body and the new resource's absolute URL, like Visma.net."""
    response = HttpResponse(status=201)
    # No body, so no content type (Django would default to text/html).
    del response["Content-Type"]
    response["Location"] = absolute_url(request, api_path)
    return response


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def json_answer(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


# ---- formats ----------------------------------------------------------------------------------


def dt(value: datetime | date | None) -> str | None:
    """Visma.net sends local times without an offset; the sandbox keeps UTC and says so with Z,
    which is what the published contract (date-time) requires."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    return f"{value.isoformat()}T00:00:00Z"


def amount(value: Decimal) -> float:
    return float(value)


def prune(value: Any) -> Any:
    """Drop nulls: Visma.net leaves unset fields out of its read DTOs."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


# ---- update DTOs ------------------------------------------------------------------------------


def wrapped(dto: dict[str, Any], field: str, *, where: str = "") -> Any:
    """The value of a wrapped field (`{"field": {"value": …}}`); None when absent."""
    if field not in dto or dto[field] is None:
        return None
    item = dto[field]
    if not isinstance(item, dict) or "value" not in item:
        place = f"{where}: " if where else ""
        raise VismaError(
            f"{place}Field '{field}' must be an object of the form {{\"value\": …}} "
            f"(update DTO), got {item!r}."
        )
    return item["value"]


def check_wrapping(dto: dict[str, Any], *, plain: Sequence[str] = (), where: str = "") -> None:
    """Every field except the plain ones (line arrays, `operation`, `subaccount`) is wrapped."""
    for key in dto:
        if key in plain:
            continue
        wrapped(dto, key, where=where)


def text(value: Any, field: str, *, where: str = "") -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise VismaError(f"{where + ': ' if where else ''}Field '{field}' must be a string.")
    return str(value)


def decimal_value(value: Any, field: str, *, where: str = "") -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise VismaError(f"{where + ': ' if where else ''}Field '{field}' must be a number.")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise VismaError(
            f"{where + ': ' if where else ''}Field '{field}' must be a number, got {value!r}."
        ) from exc


def bool_value(value: Any, field: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise VismaError(f"Field '{field}' must be true or false.")
    return value


def date_value(value: Any, field: str, *, where: str = "") -> date | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError as exc:
        raise VismaError(
            f"{where + ': ' if where else ''}Field '{field}' is not a valid date: {value!r}."
        ) from exc


# ---- lists ------------------------------------------------------------------------------------

_CONDITIONS = {">", "<", ">=", "<="}


def parse_filter_time(value: str, field: str = "lastModifiedDateTime") -> datetime:
    """`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss[.FFF]` or with a `T`, read as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise VismaError(
            f"'{value}' is not a valid {field}: use yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss[.FFF]."
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def modified_filter(
    request: HttpRequest, *, condition_required: bool = True
) -> Callable[[datetime], bool] | None:
    """A predicate from `lastModifiedDateTime` + `lastModifiedDateTimeCondition`, or None."""
    raw = request.GET.get("lastModifiedDateTime")
    if not raw:
        return None
    when = parse_filter_time(raw)
    condition = request.GET.get("lastModifiedDateTimeCondition")
    if condition is None:
        if condition_required:
            raise VismaError(
                "lastModifiedDateTimeCondition is required with lastModifiedDateTime "
                "(one of >, <, >=, <=)."
            )
        condition = ">="
    condition = condition.strip()
    if condition not in _CONDITIONS:
        raise VismaError(f"lastModifiedDateTimeCondition '{condition}' is not one of >, <, >=, <=.")
    compare: Callable[[datetime], bool] = {
        ">": when.__lt__,
        "<": when.__gt__,
        ">=": when.__le__,
        "<=": when.__ge__,
    }[condition]

    def keep(value: datetime) -> bool:
        # Compare at the precision the API shows (milliseconds), so a time read from a record
        # filters exactly as a client expects.
        return compare(value.replace(microsecond=value.microsecond // 1000 * 1000))

    return keep


def _ceil_ms(when: datetime) -> datetime:
    """The first millisecond boundary at or after `when`."""
    floor = when.replace(microsecond=when.microsecond // 1000 * 1000)
    return floor if floor == when else floor + timedelta(milliseconds=1)


def modified_q(
    request: HttpRequest, *, field: str = "last_modified", condition_required: bool = True
) -> Q | None:
    """`modified_filter` as a database condition, so a list filters with its index instead of
    reading every row: the record's time, cut to milliseconds, compared with the asked one."""
    raw = request.GET.get("lastModifiedDateTime")
    if not raw:
        return None
    when = parse_filter_time(raw)
    condition = request.GET.get("lastModifiedDateTimeCondition")
    if condition is None:
        if condition_required:
            raise VismaError(
                "lastModifiedDateTimeCondition is required with lastModifiedDateTime "
                "(one of >, <, >=, <=)."
            )
        condition = ">="
    condition = condition.strip()
    if condition not in _CONDITIONS:
        raise VismaError(f"lastModifiedDateTimeCondition '{condition}' is not one of >, <, >=, <=.")
    floor = when.replace(microsecond=when.microsecond // 1000 * 1000)
    # ms(t) > w ⇔ t ≥ the first boundary above w; ms(t) ≥ w ⇔ t ≥ ceil(w);
    # ms(t) < w ⇔ t < ceil(w); ms(t) ≤ w ⇔ t < floor(w) + 1 ms.
    bound = {
        ">": ("gte", floor + timedelta(milliseconds=1)),
        ">=": ("gte", _ceil_ms(when)),
        "<": ("lt", _ceil_ms(when)),
        "<=": ("lt", floor + timedelta(milliseconds=1)),
    }[condition]
    return Q(**{f"{field}__{bound[0]}": bound[1]})


def page_params(request: HttpRequest) -> tuple[int, int]:
    try:
        number = int(request.GET.get("pageNumber") or 1)
        size = int(request.GET.get("pageSize") or MAX_PAGE_SIZE)
    except ValueError as exc:
        raise VismaError("pageNumber and pageSize must be whole numbers.") from exc
    if number < 1 or size < 1:
        raise VismaError("pageNumber and pageSize must be 1 or more.")
    # An oversize page is capped silently, like Visma.net.
    return number, min(size, MAX_PAGE_SIZE)


def paged(
    request: HttpRequest,
    records: Sequence[Any] | QuerySet[Any],
    shape: Callable[[Any], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One page of records, each with `metadata{totalCount, maxPageSize}`. With `shape`,
    `records` are rows and only the page's rows are shaped (a shape may query per row)."""
    number, size = page_params(request)
    # A queryset is counted and sliced in the database (COUNT, LIMIT/OFFSET).
    total = records.count() if isinstance(records, QuerySet) else len(records)
    chunk = records[(number - 1) * size : number * size]
    if shape is not None:
        chunk = [shape(row) for row in chunk]
    meta = {"totalCount": total, "maxPageSize": MAX_PAGE_SIZE}
    return [{**record, "metadata": meta} for record in chunk]
