"""Shared machinery of the sandbox services (DESIGN §7).

`sandbox_endpoint` wraps every fake API view: it records the request, applies the configured
latency, the hourly request budget and injected faults. `control_urlpatterns` gives each service
the `_control/` endpoints that tests, demos and benchmarks use to inspect and steer it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Exists, F, Field, Model, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integrations.core.redaction import (
    FORM_SECRET_KEYS,
    REDACTED,
    is_secret_key,
    redact_headers,
    redact_value,
)
from integrations.sandbox.models import FaultRule, ReceivedRequest, ServiceSettings, fresh_stamp

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)
ErrorBody = Callable[[int, str], Any]

FAULT_PATTERN = re.compile(
    r"^(status:[1-5]\d\d|delay:\d+|reset|lose_response|malformed:(no_data|not_json|truncated))$"
)


class BadJson(ValueError):
    """The request body is not valid JSON."""


# Where the request's recording leaves the body it parsed, for the view's own `json_body`.
_PARSED = "_sandbox_parsed_json"


def json_body(request: HttpRequest) -> Any:
    """The parsed JSON body; None for an empty body."""
    if not request.body:
        return None
    # Recording parsed it already (a JSON body): the view takes that copy, once.
    parsed = request.__dict__.pop(_PARSED, _PARSED)
    if parsed is not _PARSED:
        return parsed
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"The request body is not valid JSON: {exc}") from exc


def default_error_body(status: int, message: str) -> Any:
    # Azure API Management's own answer shape, which fronts both services for gateway errors.
    return {"statusCode": status, "message": message}


def service_path(request: HttpRequest, service: str) -> str:
    """The path as the foreign service sees it: `/sandbox/visma/v1/account` → `/v1/account`."""
    marker = f"/sandbox/{service}"
    full = request.path
    index = full.find(marker)
    if index < 0:
        return full
    rest = full[index + len(marker) :]
    return rest or "/"


def _recorded_query(request: HttpRequest) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, values in request.GET.lists():
        if is_secret_key(key) or key.lower() in FORM_SECRET_KEYS:
            values = [REDACTED for _ in values]
        result[key] = values[0] if len(values) == 1 else values
    return result


def _recorded_body(request: HttpRequest) -> Any:
    content_type = request.content_type or ""
    raw = request.body
    if not raw:
        return None
    if "json" in content_type:
        try:
            parsed = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        # `redact_value` copies every object and list, so the view may have the parsed one.
        request.__dict__[_PARSED] = parsed
        return redact_value(parsed)
    if content_type == "application/x-www-form-urlencoded":
        # OAuth token requests: keep the grant visible, hide codes and secrets.
        pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {
            k: (REDACTED if is_secret_key(k) or k.lower() in FORM_SECRET_KEYS else v)
            for k, v in pairs
        }
    return None


def request_record(request: HttpRequest, service: str) -> ReceivedRequest:
    """The request as received (not saved yet: `sandbox_endpoint` saves it once answered)."""
    return ReceivedRequest(
        service=service,
        method=request.method or "GET",
        path=service_path(request, service),
        query=_recorded_query(request),
        headers=redact_headers(dict(request.headers)),
        body=_recorded_body(request),
        body_size=len(request.body),
    )


# The settings row the API request under way read when it arrived (None outside one).
_request_settings: ContextVar[ServiceSettings | None] = ContextVar(
    "sandbox_request_settings", default=None
)


def request_settings() -> ServiceSettings | None:
    """The service's settings as the current API request read them on arrival: its
    `reference_stamp` says whether what a process kept of the reference data still holds."""
    return _request_settings.get()


def reference_changed(service: str) -> None:
    """The service's reference data changed: every process reads it afresh from the next
    request on. Runs in the writer's transaction, so the new stamp and the change are seen
    together (and rolled back together)."""
    ServiceSettings.objects.filter(service=service).update(reference_stamp=fresh_stamp())


def settings_for(service: str) -> ServiceSettings:
    obj, _ = ServiceSettings.objects.get_or_create(service=service)
    return obj


@dataclass(frozen=True)
class _Kept:
    """A query's SQL built once, and how to read its rows back (as Django's model iterable
    does): where each parameter comes from (the index of an argument, or None and a constant),
    the model's columns, the annotations' positions and the columns' converters."""

    sql: str
    slots: list[tuple[int | None, Any]]
    model: type[Model]
    columns: slice
    attnames: list[str]
    annotations: dict[str, int]
    converters: dict[int, tuple[list[Any], Any]]


# By (name, database alias, which arguments are None): see `rows_compiled_once`; None: a query
# built each time.
_COMPILED: dict[tuple[Any, ...], _Kept | None] = {}


def rows_compiled_once(
    name: str, queryset: Callable[..., QuerySet[M]], *args: str | int | None
) -> list[M]:
    """The rows of `queryset(*args)`, its SQL built once per process.

    Building a query's SQL from the ORM (filters, annotations, joins) costs more CPU than
    running it; the few queries that every request makes would otherwise be built anew each
    time. The first use builds the query twice, each time with other marks in place of the
    text and integer arguments: a parameter of the SQL that follows the marks takes that
    argument, one that stays the same is the query's own constant. A None argument
    (`IS NULL`) gives the query another shape, built once too. A query that changes an
    argument on the way in (a `contains` lookup, an integer out of its field's range) or
    follows a relation (`select_related`) is built each time. Annotations come back as
    attributes. On PostgreSQL a kept query is a prepared statement too (`statements_cursor`):
    the database parses and plans it once per session.
    """
    key = (name, connection.alias, tuple(arg is None for arg in args))
    if key not in _COMPILED:
        _COMPILED[key] = _compiled(queryset, args)
    kept = _COMPILED[key]
    if kept is None:
        return list(queryset(*args))
    params = [args[index] if index is not None else constant for index, constant in kept.slots]
    with statements_cursor() as cursor:
        cursor.execute(kept.sql, params)
        rows = cursor.fetchall()
    found: list[M] = []
    for row in rows:
        values = list(row)
        for position, (converters, expression) in kept.converters.items():
            for converter in converters:
                values[position] = converter(values[position], expression, connection)
        obj = kept.model.from_db(connection.alias, kept.attnames, values[kept.columns])
        for attribute, position in kept.annotations.items():
            setattr(obj, attribute, values[position])
        found.append(obj)  # type: ignore[arg-type]
    return found


def _compiled(
    queryset: Callable[..., QuerySet[M]], args: tuple[str | int | None, ...]
) -> _Kept | None:
    """The query built once (None: a query that cannot be kept); see `rows_compiled_once`."""

    def marks(avoid: list[Any]) -> list[Any]:
        # Integers within every integer field's range; each differs from the other build's.
        made: list[Any] = []
        for index, arg in enumerate(args):
            mark: Any = None
            while arg is not None and (mark is None or mark == avoid[index]):
                if isinstance(arg, int):
                    mark = 10_000 + secrets.randbelow(20_000)
                else:
                    mark = f"\x00{secrets.token_hex(8)}"
            made.append(mark)
        return made

    first = marks([None] * len(args))
    second = marks(first)
    compilers = [queryset(*m).query.get_compiler(using=connection.alias) for m in (first, second)]
    try:
        (sql, params), (sql_again, params_again) = (c.as_sql() for c in compilers)
    except EmptyResultSet:
        return None
    if sql != sql_again or len(params) != len(params_again):
        return None
    slots: list[tuple[int | None, Any]] = []
    for one, other in zip(params, params_again, strict=True):
        index = next((n for n, mark in enumerate(first) if mark is not None and one == mark), None)
        if index is not None and other == second[index]:
            slots.append((index, None))
        elif one == other:
            slots.append((None, one))
        else:
            return None  # an argument changed on the way in
    taken = {index for index, _ in slots if index is not None}
    if taken != {n for n, arg in enumerate(args) if arg is not None}:
        return None  # an argument did not reach the SQL as given
    compiler = compilers[0]
    info = compiler.klass_info
    if info is None or info.get("related_klass_infos"):
        return None
    fields = info["select_fields"]
    columns = slice(fields[0], fields[-1] + 1)
    return _Kept(
        sql=sql,
        slots=slots,
        model=info["model"],
        columns=columns,
        attnames=[column[0].target.attname for column in compiler.select[columns]],
        annotations=dict(compiler.annotation_col_map or {}),
        converters=compiler.get_converters([column[0] for column in compiler.select]),
    )


def _rules_active(service: str) -> QuerySet[FaultRule]:
    """The service's fault rules that may still apply (`times` null or not used up)."""
    return FaultRule.objects.filter(service=service).exclude(times=0)


def _settings_rows(service: str) -> QuerySet[ServiceSettings]:
    active = _rules_active(service)
    return ServiceSettings.objects.filter(service=service).annotate(faults_on=Exists(active))


def _settings_first(service: str) -> QuerySet[ServiceSettings]:
    return _settings_rows(service).order_by("pk")[:1]


def _settings_read(service: str, *, lock: bool = False) -> ServiceSettings:
    """The service's settings row, created on first use, with `faults_on`: whether any fault
    rule may still apply, so a request looks the rules up only when there are some."""
    if lock:
        found = _settings_rows(service).select_for_update(of=("self",)).first()
    else:
        found = next(iter(rows_compiled_once("settings", _settings_first, service)), None)
    if found is not None:
        return found
    obj = settings_for(service)
    obj.faults_on = _rules_active(service).exists()  # type: ignore[attr-defined]
    return obj


# The prefix of the annotations `settings_columns` adds to another model's query.
_SETTINGS_PREFIX = "service_settings__"


def settings_columns(service: str) -> dict[str, Any]:
    """Annotations that bring the service's settings row (every column, and `faults_on`)
    into another query of the request, so that a request whose first read is its caller's
    (a token's company) reads its settings in the same statement. `settings_picked` takes
    them back out."""
    row = ServiceSettings.objects.filter(service=service)
    columns: dict[str, Any] = {
        f"{_SETTINGS_PREFIX}{f.attname}": Subquery(row.values(f.attname)[:1])
        for f in ServiceSettings._meta.concrete_fields
    }
    columns[f"{_SETTINGS_PREFIX}faults_on"] = Exists(_rules_active(service))
    return columns


def settings_picked(found: Model) -> ServiceSettings | None:
    """The settings row `settings_columns` brought into `found` (None: there is none yet)."""
    values = {
        name[len(_SETTINGS_PREFIX) :]: value
        for name, value in vars(found).items()
        if name.startswith(_SETTINGS_PREFIX)
    }
    if values.get("id") is None:
        return None
    faults_on = values.pop("faults_on")
    attnames = [f.attname for f in ServiceSettings._meta.concrete_fields]
    obj = ServiceSettings.from_db(connection.alias, attnames, [values[a] for a in attnames])
    obj.faults_on = bool(faults_on)  # type: ignore[attr-defined]
    return obj


def _window_reset(obj: ServiceSettings, now: Any) -> int:
    """Whole seconds until the budget's window ends (at least 1)."""
    if obj.window_start is None:
        return obj.window_seconds
    elapsed = (now - obj.window_start).total_seconds()
    return max(1, math.ceil(obj.window_seconds - elapsed))


def _rate_limit_take(
    service: str, read: ServiceSettings | None = None
) -> tuple[dict[str, str], int | None, ServiceSettings]:
    """Count this request against the budget (a fixed window, like Visma.net's
    "4-fixed-window" policy: docs.vismasoftware.no …/api-reference/rate-limits).

    Returns the X-RateLimit-* headers, the seconds to wait when the budget is spent (else
    None) and the service's settings row (`read`: as this request read it already).
    """
    now = timezone.now()
    obj = read if read is not None else _settings_read(service)
    if obj.hourly_budget is None:
        # No budget: nothing to count, so no lock that would make requests wait on each other.
        return {}, None, obj
    with transaction.atomic():
        obj = _settings_read(service, lock=True)
        if obj.hourly_budget is None:
            return {}, None, obj
        window = timedelta(seconds=obj.window_seconds)
        if obj.window_start is None or now - obj.window_start >= window:
            obj.window_start = now
            obj.window_count = 0
        reset = _window_reset(obj, now)
        blocked = obj.window_count >= obj.hourly_budget
        if not blocked:
            obj.window_count += 1
        obj.save(update_fields=["window_start", "window_count"])
        headers = {
            "X-RateLimit-Limit": str(obj.hourly_budget),
            "X-RateLimit-Remaining": str(max(0, obj.hourly_budget - obj.window_count)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Policy": f"{obj.hourly_budget};w={obj.window_seconds}",
        }
    return headers, (reset if blocked else None), obj


def fault_take(service: str, *, method: str, path: str) -> FaultRule | None:
    """The first rule matching this request; its `times` counter is used up atomically."""
    rules = _rules_active(service).order_by("id")
    for rule in rules:
        if not path.startswith(rule.path):
            continue
        if rule.method and rule.method.upper() != method.upper():
            continue
        matched = FaultRule.objects.filter(pk=rule.pk)
        if rule.times is not None:
            matched = matched.filter(times__gt=0)
            updated = matched.update(times=F("times") - 1, hits=F("hits") + 1)
        else:
            updated = matched.update(hits=F("hits") + 1)
        if updated:
            rule.refresh_from_db()
            return rule
    return None


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The client's socket where the server exposes it (gunicorn, Django's own server)."""
    sock = request.META.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return sock
    # Django's development/live server: wsgi.input is a LimitedStream over the socket file.
    stream: Any = request.META.get("wsgi.input")
    for _ in range(5):
        if stream is None:
            return None
        if isinstance(stream, socket.socket):
            return stream
        inner = getattr(stream, "_sock", None)
        if isinstance(inner, socket.socket):
            return inner
        following = getattr(stream, "raw", None)
        if following is None:
            following = getattr(getattr(stream, "_read", None), "__self__", None)
        stream = following
    return None


def _connection_drop(request: HttpRequest) -> HttpResponse:
    sock = _client_socket(request)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # Where the socket is out of reach, promise more bytes than are sent: the client sees a
    # truncated body, which `requests` reports as a broken connection.
    response = HttpResponse(b"{", content_type="application/json")
    response["Content-Length"] = "65536"
    return response


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for key, value in headers.items():
        response[key] = value
    return response


def malformed(response: HttpResponse, kind: str) -> HttpResponse:
    """The view's answer spoiled on its way out (the work behind it is done), as a flaky proxy
    or a broken deploy of the remote service would hand it over, with the view's status code.

    * `no_data`: a JSON object answer without its `data` member (a page that lacks its list);
      an answer that is not such an object passes unchanged.
    * `not_json`: an HTML page (the maintenance or login page a proxy serves) instead of JSON.
    * `truncated`: the first half of the body, with a matching `Content-Length`, so the HTTP
      exchange completes and only the JSON is cut off (`reset` covers the dropped connection).
    """
    raw = bytes(response.content) if not response.streaming else b""
    spoiled: HttpResponse
    if kind == "no_data":
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or "data" not in parsed:
            return response
        parsed.pop("data")
        spoiled = HttpResponse(
            json.dumps(parsed), status=response.status_code, content_type=response["Content-Type"]
        )
    elif kind == "not_json":
        page = b"<!DOCTYPE html><html><head><title>Service unavailable</title></head>"
        page += b"<body><h1>We'll be right back</h1></body></html>"
        spoiled = HttpResponse(page, status=response.status_code, content_type="text/html")
    else:
        content = raw[: len(raw) // 2]
        spoiled = HttpResponse(
            content,
            status=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
        )
        spoiled["Content-Length"] = str(len(content))
    return spoiled


def _names(model: type[Model], fields: Sequence[str]) -> tuple[str, str, list[str]]:
    """The model's table, primary key and `fields` columns, quoted for SQL text."""
    quote = connection.ops.quote_name
    meta = model._meta
    columns = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field), name
        columns.append(quote(str(field.column)))
    key = meta.pk.column if meta.pk is not None else "id"
    return quote(meta.db_table), quote(str(key)), columns


def _insert_statement(
    model: type[Model], *, binary: str | None = None, returning: bool = False
) -> tuple[str, list[Field[Any, Any]]]:
    """`INSERT INTO table (every column but the key) VALUES (…)`, `RETURNING key` when asked,
    and the fields in their order: `%b` (a binary parameter) for the column `binary`, `%s` for
    the others. Only the model's own table and column names go into the text; values are
    parameters."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table, key, columns = _names(model, [f.name for f in fields])
    marks = ["%b" if f.name == binary else "%s" for f in fields]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names quoted
        f"VALUES ({', '.join(marks)})" + (f" RETURNING {key}" if returning else "")
    )
    return sql, fields


# The request record's INSERT by database alias, built once: every sandbox request makes one.
_RECORD_INSERT: dict[str, tuple[str, list[Field[Any, Any]]]] = {}


def _record_insert(record: ReceivedRequest) -> None:
    """`record.save(force_insert=True)`, its SQL built once per process (the ORM would build it
    anew for each request). No model signal listens to the request log."""
    kept = _RECORD_INSERT.get(connection.alias)
    if kept is None:
        kept = _RECORD_INSERT[connection.alias] = _insert_statement(ReceivedRequest)
    sql, fields = kept
    params = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    with statements_cursor() as cursor:
        cursor.execute(sql, params)


# Set in the WSGI environ by the server setup that closes each response once it is sent
# (`integrations.sandbox.wsgi.served_apart`, under gunicorn): the request record may be written
# then. Elsewhere (Django's test server, whose test may end and empty the database as soon as
# the answer is read) it is written before the answer.
RECORD_AFTER_ANSWER = "integrations.sandbox.record_after_answer"
# Request records of this process answered but not written yet (see `_record_after`).
_unwritten = 0
_unwritten_changed = threading.Condition()
# The longest a reader of the request log waits for them.
RECORDS_WAIT_SECONDS = 5.0


def _record_after(response: HttpResponse, record: ReceivedRequest) -> None:
    """Write `record` once the answer has gone out: the web server closes the response after
    sending it, and the response runs its closers then. The request log is the stand-in's
    own bookkeeping, like a gateway's access log, not part of the service's work, so a caller
    does not wait for it. Readers of the log (`records_settled`) wait for these writes."""
    global _unwritten
    with _unwritten_changed:
        _unwritten += 1

    def write() -> None:
        global _unwritten
        try:
            _record_insert(record)
        except DatabaseError:
            # The answer is out already: a lost log line must not turn into an error.
            logger.exception(
                "Sandbox request record not written: %s %s", record.method, record.path
            )
        finally:
            with _unwritten_changed:
                _unwritten -= 1
                _unwritten_changed.notify_all()

    # What `HttpResponseBase.close()` runs (Django keeps a response's file closers there).
    response._resource_closers.append(write)  # type: ignore[attr-defined]


def records_settled(timeout: float = RECORDS_WAIT_SECONDS) -> None:
    """Wait until every request this process answered is in the request log (a caller that
    reads or clears the log right after its last call would otherwise miss or keep one)."""
    with _unwritten_changed:
        _unwritten_changed.wait_for(lambda: _unwritten <= 0, timeout=timeout)


def _server_bound_cursor() -> Any:
    """A cursor on the request's PostgreSQL connection (its transaction) that sends values as
    parameters of their own (Django's cursors put them in the SQL text), and whose statements
    the server prepares: it parses and plans each statement once per database session, then
    only binds and runs it.

    The stand-ins' every request runs the same few statements (its settings, the caller's
    company or file, its record). In an export benchmark, planning alone took about a third
    of the database's time on statements (pg_stat_statements), parsing more. Django's own cursors bind
    client-side and never prepare (psycopg prepares only on a server-binding cursor, which
    only the sandbox opens), so the product's statements are left as they are: the threshold
    set here only concerns this module's cursors."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold != 0:
        # Prepared at first use (psycopg keeps at most `prepared_max` per session, 100).
        raw.prepare_threshold = 0
    return psycopg.Cursor(raw)


class _PreparedDebugCursor(CursorDebugWrapper):
    """Django's debug cursor (DEBUG on, or a test capturing queries), logging a statement as
    given: psycopg keeps no text of a prepared statement's run on the cursor, where Django
    reads it back from."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)


def statements_cursor() -> Any:
    """A cursor for a statement every request makes, its SQL built once: on PostgreSQL
    prepared (`_server_bound_cursor`) and wrapped as Django wraps its own, so the statement
    is counted and logged like any other; elsewhere Django's cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    raw = _server_bound_cursor()
    if connection.queries_logged:
        return _PreparedDebugCursor(raw, connection)
    return CursorWrapper(raw, connection)


def bytes_write(row: Model, field: str, content: bytes) -> None:
    """Store `content` in the binary column `field` of a saved row.

    On PostgreSQL the bytes go as a binary parameter of their own statement: the ORM's
    client-side binding would send them as a hex literal twice their size, which both sides
    spend CPU on (a receipt of 100 KB costs about 1.5 ms more). Elsewhere, through the ORM.
    """
    model = type(row)
    if connection.vendor != "postgresql":
        model._default_manager.filter(pk=row.pk).update(**{field: content})
    else:
        table, key, (column,) = _names(model, [field])
        # Only the model's own table and column names go into the text; values are parameters.
        with _server_bound_cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {column} = %b WHERE {key} = %s",  # noqa: S608
                (content, row.pk),
            )
    setattr(row, field, content)


def row_insert_with_bytes(
    row: Model, field: str, content: bytes, *, modified: Model | None = None
) -> None:
    """Insert the new `row` (a model with an automatic key) with `content` in its binary
    column `field`, in one statement; with `modified`, that saved row's `last_modified`
    moves to now in the same statement.

    On PostgreSQL the bytes go as a binary parameter, as in `bytes_write`: where a row was
    first inserted empty and its bytes written after, the 100 KB were written twice (a new row
    version and its stored chunks again). The other values are prepared by their fields, as
    the ORM's insert would; `modified`'s UPDATE is a data-changing `WITH` clause of the
    INSERT's statement (one round trip). No model signal listens to the rows this is used
    for. Elsewhere, through the ORM."""
    setattr(row, field, content)
    if connection.vendor != "postgresql":
        row.save(force_insert=True)
        if modified is not None:
            modified.last_modified = timezone.now()  # type: ignore[attr-defined]
            modified.save(update_fields=["last_modified"])
        return
    sql, fields = _insert_statement(type(row), binary=field, returning=True)
    values = [
        content if f.name == field else f.get_db_prep_save(f.pre_save(row, True), connection)
        for f in fields
    ]
    changed_at = timezone.now()
    if modified is not None:
        table, key, (column,) = _names(type(modified), ["last_modified"])
        sql = (
            f"WITH touched AS (UPDATE {table} SET {column} = %s WHERE {key} = %s) "  # noqa: S608
            + sql
        )
        values = [changed_at, modified.pk, *values]
    with _server_bound_cursor() as cursor:
        cursor.execute(sql, values)
        (row.pk,) = cursor.fetchone()
    if modified is not None:
        modified.last_modified = changed_at  # type: ignore[attr-defined]
    row._state.adding = False
    row._state.db = connection.alias


def _json_ready(field: Field[Any, Any], row: Model) -> Any:
    """`row`'s value of `field` as a JSON value that PostgreSQL's input function for the
    field's column type reads back as the same value (`row_with_children_insert`)."""
    if field.get_internal_type() == "JSONField":
        return getattr(row, field.attname)
    value = field.get_db_prep_save(field.pre_save(row, True), connection)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime | time_of_day):
        return value.isoformat()
    return value


# The parent-with-children INSERT by (alias, parent model, child model, key field), built once.
_FAMILY_INSERT: dict[
    tuple[str, type[Model], type[Model], str], tuple[str, list[Any], list[Any]]
] = {}


def row_with_children_insert(row: Model, children: Sequence[Model], parent_field: str) -> None:
    """Insert the new `row` (a model with an automatic key) and its new `children` (rows of
    one model whose foreign key `parent_field` is to be `row`) all or nothing.

    On PostgreSQL in one statement, without BEGIN and COMMIT around it (three round trips
    fewer than the ORM's transaction): the parent's INSERT in a `WITH` clause and the
    children's rows from one JSON parameter (`jsonb_to_recordset`), each column typed as the
    table has it, so the text is the same for any number of children and is prepared once
    per session. Values are prepared by their fields, as the ORM's insert would. No model
    signal listens to the rows this is used for; the children's own keys are not read back.
    Elsewhere, through the ORM in a transaction.
    """
    child_model = type(children[0]) if children else None
    if connection.vendor != "postgresql" or child_model is None:
        with transaction.atomic():
            row.save(force_insert=True)
            for child in children:
                setattr(child, parent_field, row)
            if child_model is not None:
                child_model._default_manager.bulk_create(children)
        return
    key = (connection.alias, type(row), child_model, parent_field)
    kept = _FAMILY_INSERT.get(key)
    if kept is None:
        parent_sql, parent_fields = _insert_statement(type(row), returning=True)
        link = child_model._meta.get_field(parent_field)
        child_fields = [
            f for f in child_model._meta.concrete_fields if not f.primary_key and f is not link
        ]
        table, _, columns = _names(child_model, [f.name for f in child_fields])
        _, parent_key, _ = _names(type(row), [])
        (link_column,) = _names(child_model, [parent_field])[2]
        typed = ", ".join(f"c{n} {f.db_type(connection)}" for n, f in enumerate(child_fields))
        picked = ", ".join(f"x.c{n}" for n in range(len(child_fields)))
        sql = (
            f"WITH parent AS ({parent_sql}), "  # noqa: S608 - names quoted, values parameters
            f"children AS (INSERT INTO {table} ({link_column}, {', '.join(columns)}) "
            f"SELECT parent.{parent_key}, {picked} FROM parent, "
            f"jsonb_to_recordset(%s) AS x({typed})) "
            f"SELECT {parent_key} FROM parent"
        )
        kept = _FAMILY_INSERT[key] = (sql, parent_fields, child_fields)
    sql, parent_fields, child_fields = kept
    from psycopg.types.json import Jsonb

    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in parent_fields]
    rows = [
        {f"c{n}": _json_ready(f, child) for n, f in enumerate(child_fields)} for child in children
    ]
    with statements_cursor() as cursor:
        cursor.execute(sql, [*values, Jsonb(rows)])
        (row.pk,) = cursor.fetchone()
    row._state.adding = False
    row._state.db = connection.alias
    for child in children:
        # Linked to their parent; their own keys are not read back.
        setattr(child, parent_field, row)


def columns_read(model: type[M], pk: Any, fields: Sequence[str]) -> tuple[Any, ...] | None:
    """The values of `fields` of the row `pk` (None: no such row). On PostgreSQL the row
    comes back in binary form: a binary column as its bytes, not as hex text that both sides
    would encode and decode."""
    if connection.vendor != "postgresql":
        found = model._default_manager.filter(pk=pk).values_list(*fields).first()
        return None if found is None else tuple(found)
    table, key, columns = _names(model, fields)
    with _server_bound_cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = %s",  # noqa: S608
            (pk,),
            binary=True,
        )
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def quick_commits() -> None:
    """On PostgreSQL, the commits that follow on this database session do not wait for the write-ahead log to reach
    the disk (`synchronous_commit` off).

    What the stand-in stores must be seen at once by every reader, which it still is; it need
    not survive a crash of the database server. Waiting for the disk on each of the few
    commits of a request would make the disk's time look like the remote service's own.
    Other databases (SQLite in tests) keep their setting.

    The setting stays on the database session for the sandbox requests that follow on it (two
    statements fewer per request); the first request to anything else on that session sets it
    back first (`commits_as_configured`, on every request's start).
    """
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        if getattr(connection, _QUICK_ON, None) is not connection.connection:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            # Inside a transaction (tests) the SET ends with it: set again next time.
            if not connection.in_atomic_block:
                setattr(connection, _QUICK_ON, connection.connection)


# On the thread's database wrapper: the database session `quick_commits` set (None: none).
_QUICK_ON = "_sandbox_quick_commits_on"


def commits_as_configured(
    sender: Any = None, environ: Mapping[str, Any] | None = None, **kwargs: Any
) -> None:
    """`request_started`: a request to anything but the sandbox commits as the server is
    configured, on a session where sandbox requests had `quick_commits`."""
    if environ is not None and str(environ.get("PATH_INFO", "")).startswith("/sandbox/"):
        return
    session = getattr(connection, _QUICK_ON, None)
    if session is None:
        return
    setattr(connection, _QUICK_ON, None)
    if session is connection.connection:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def sandbox_endpoint(
    service: str,
    *,
    rate_limited: bool = False,
    error_body: ErrorBody | None = None,
    settings_with: Callable[[HttpRequest], ServiceSettings | None] | None = None,
) -> Callable[[View], View]:
    """Decorator for every sandbox API view (not for `_control/` views).

    Order, like a real gateway in front of a service: record → budget (429) → latency →
    injected fault → the view. `error_body(status, message)` gives the service's error shape.
    `settings_with(request)`: the service's settings read together with what its view reads
    first (`settings_columns`), kept on the request for the view; None when it could not
    (then they are read on their own).
    """
    make_error = error_body or default_error_body

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            started = time.perf_counter()
            quick_commits()
            record = request_record(request, service)
            # A view that crashes is recorded as the 500 the client will see.
            record.status = 500
            # Seconds spent sleeping on purpose (latency, delay faults): not service time.
            record.slept = 0.0  # type: ignore[attr-defined]
            response: HttpResponse | None = None
            try:
                response = _handle(request, record, view, args, kwargs)
                return response
            finally:
                spent = time.perf_counter() - started - record.slept  # type: ignore[attr-defined]
                record.service_ms = round(spent * 1000, 3)
                # One INSERT once answered; `at` keeps the arrival time (the log's order).
                if response is not None and request.META.get(RECORD_AFTER_ANSWER):
                    _record_after(response, record)
                else:
                    _record_insert(record)

        def _handle(
            request: HttpRequest,
            record: ReceivedRequest,
            view: View,
            args: tuple[Any, ...],
            kwargs: dict[str, Any],
        ) -> HttpResponse:
            headers: dict[str, str] = {}
            response: HttpResponse
            settings_row = settings_with(request) if settings_with is not None else None
            if rate_limited:
                headers, wait, settings_row = _rate_limit_take(service, settings_row)
                if wait is not None:
                    response = JsonResponse(
                        make_error(429, f"Rate limit is exceeded. Try again in {wait} seconds."),
                        status=429,
                        safe=False,
                    )
                    response["Retry-After"] = str(wait)
                    record.status = 429
                    return _with_headers(response, headers)
            if settings_row is None:
                settings_row = _settings_read(service)
            latency = settings_row.latency_ms
            if latency:
                # A sleep holds a thread, not a CPU: the other requests run meanwhile.
                time.sleep(latency / 1000)
                record.slept += latency / 1000  # type: ignore[attr-defined]
            rule = (
                fault_take(service, method=record.method, path=record.path)
                if settings_row.faults_on  # type: ignore[attr-defined]
                else None
            )
            if rule is not None and rule.fault.startswith("delay:"):
                delay = int(rule.fault.split(":", 1)[1]) / 1000
                time.sleep(delay)
                record.slept += delay  # type: ignore[attr-defined]
                rule = None
            if rule is not None and rule.fault.startswith("status:"):
                code = int(rule.fault.split(":", 1)[1])
                response = JsonResponse(
                    make_error(code, f"Injected fault: status {code}"), status=code, safe=False
                )
                if rule.retry_after is not None:
                    response["Retry-After"] = str(rule.retry_after)
                record.status = code
                return _with_headers(response, headers)
            if rule is not None and rule.fault == "reset":
                record.status = None
                return _connection_drop(request)
            seen = _request_settings.set(settings_row)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _request_settings.reset(seen)
            if rule is not None and rule.fault == "lose_response":
                # The work is done and committed; only the answer is lost on the way back.
                response = JsonResponse(make_error(504, "Gateway Timeout"), status=504, safe=False)
            if rule is not None and rule.fault.startswith("malformed:"):
                response = malformed(response, rule.fault.split(":", 1)[1])
            record.status = response.status_code
            return _with_headers(response, headers)

        return wrapper

    return decorator


# ---- control API ---------------------------------------------------------------------------


def control_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _control_requests(service: str) -> View:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        records_settled()
        if request.method == "DELETE":
            ReceivedRequest.objects.filter(service=service).delete()
            return HttpResponse(status=204)
        if request.method != "GET":
            return control_error("Use GET or DELETE.", 405)
        rows = ReceivedRequest.objects.filter(service=service)
        if request.GET.get("path"):
            rows = rows.filter(path__startswith=request.GET["path"])
        if request.GET.get("method"):
            rows = rows.filter(method=request.GET["method"].upper())
        return JsonResponse({"requests": [row.as_json() for row in rows]})

    return view


def fault_create(*, service: str, data: Any) -> FaultRule:
    """Validate and store one fault rule from its JSON form."""
    if not isinstance(data, dict):
        raise ValueError("A fault rule is a JSON object.")
    fault = str(data.get("fault", ""))
    if not FAULT_PATTERN.match(fault):
        raise ValueError(
            "fault must be one of status:<code>, delay:<ms>, reset, lose_response, "
            f"malformed:no_data|not_json|truncated; got {fault!r}."
        )
    rule_path = str(data.get("path") or "/")
    if not rule_path.startswith("/"):
        raise ValueError("path must start with '/'.")
    times = data.get("times", 1)
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ValueError("times must be a positive integer, or null for every request.")
    retry_after = data.get("retry_after", data.get("retryAfter"))
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ValueError("retry_after must be a number of seconds.")
    return FaultRule.objects.create(
        service=service,
        path=rule_path,
        method=str(data.get("method") or "").upper(),
        fault=fault,
        times=times,
        retry_after=retry_after,
    )


def _control_faults(service: str) -> View:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method == "DELETE":
            FaultRule.objects.filter(service=service).delete()
            return HttpResponse(status=204)
        if request.method == "POST":
            try:
                data = json_body(request)
                items = data["faults"] if isinstance(data, dict) and "faults" in data else [data]
                with transaction.atomic():
                    rules = [fault_create(service=service, data=item) for item in items]
            except (BadJson, ValueError, TypeError) as exc:
                return control_error(str(exc))
            payload = rules[0].as_json() if len(rules) == 1 else [r.as_json() for r in rules]
            return JsonResponse(payload, status=201, safe=False)
        if request.method != "GET":
            return control_error("Use GET, POST or DELETE.", 405)
        rules_now = FaultRule.objects.filter(service=service)
        return JsonResponse({"faults": [r.as_json() for r in rules_now]})

    return view


def _control_latency(service: str) -> View:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        obj = settings_for(service)
        if request.method == "POST":
            try:
                data = json_body(request)
            except BadJson as exc:
                return control_error(str(exc))
            ms = data.get("ms") if isinstance(data, dict) else None
            if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
                return control_error('Send {"ms": <non-negative integer>}.')
            obj.latency_ms = ms
            obj.save(update_fields=["latency_ms"])
        elif request.method != "GET":
            return control_error("Use GET or POST.", 405)
        return JsonResponse({"ms": obj.latency_ms})

    return view


def budget_json(obj: ServiceSettings) -> dict[str, Any]:
    """`calls` per `seconds`; `hourly` is the same budget when the window is one hour."""
    now = timezone.now()
    spent = obj.window_start is None or (now - obj.window_start).total_seconds() >= (
        obj.window_seconds
    )
    used = 0 if spent else obj.window_count
    calls = obj.hourly_budget
    return {
        "hourly": calls if obj.window_seconds == 3600 else None,
        "calls": calls,
        "seconds": obj.window_seconds,
        "remaining": None if calls is None else max(0, calls - used),
        "reset": None if calls is None or spent else _window_reset(obj, now),
    }


def service_time_summary(service: str, *, path_prefix: str = "") -> dict[str, Any]:
    """The sandbox's own time over the recorded requests (see `ReceivedRequest.service_ms`)."""
    records_settled()
    rows = ReceivedRequest.objects.filter(service=service, service_ms__isnull=False)
    if path_prefix:
        rows = rows.filter(path__startswith=path_prefix)
    values: list[float] = sorted(
        v for v in rows.values_list("service_ms", flat=True) if v is not None
    )
    if not values:
        return {"requests": 0, "totalMs": 0.0, "meanMs": None, "p50Ms": None, "p95Ms": None,
                "p99Ms": None, "maxMs": None}  # fmt: skip

    def rank(q: float) -> float:
        return round(values[min(len(values) - 1, math.ceil(q * len(values)) - 1)], 3)

    total = sum(values)
    return {
        "requests": len(values),
        "totalMs": round(total, 3),
        "meanMs": round(total / len(values), 3),
        "p50Ms": rank(0.5),
        "p95Ms": rank(0.95),
        "p99Ms": rank(0.99),
        "maxMs": round(values[-1], 3),
    }


def _control_service_time(service: str) -> View:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "GET":
            return control_error("Use GET.", 405)
        return JsonResponse(service_time_summary(service, path_prefix=request.GET.get("path", "")))

    return view


def _control_budget(service: str) -> View:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        obj = settings_for(service)
        if request.method == "POST":
            try:
                data = json_body(request)
            except BadJson as exc:
                return control_error(str(exc))
            usage = (
                'Send {"hourly": <calls per hour>}, {"calls": <calls>, "seconds": <window>} '
                'or {"hourly": null} / {"calls": null} for no budget.'
            )
            if not isinstance(data, dict) or not ({"hourly", "calls"} & set(data)):
                return control_error(usage)
            calls = data["calls"] if "calls" in data else data["hourly"]
            seconds = data.get("seconds", 3600) if "calls" in data else 3600
            if calls is not None and (
                not isinstance(calls, int) or isinstance(calls, bool) or calls < 0
            ):
                return control_error("calls (hourly) must be a non-negative integer or null.")
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
                return control_error("seconds must be a positive integer.")
            # A new budget starts a fresh window so tests know exactly what is left.
            obj.hourly_budget = calls
            obj.window_seconds = seconds
            obj.window_start = None
            obj.window_count = 0
            obj.save(
                update_fields=["hourly_budget", "window_seconds", "window_start", "window_count"]
            )
        elif request.method != "GET":
            return control_error("Use GET or POST.", 405)
        return JsonResponse(budget_json(obj))

    return view


def control_urlpatterns(service: str) -> list[URLPattern]:
    """`_control/requests`, `_control/faults`, `_control/latency`, `_control/budget`,
    `_control/service-time`."""
    return [
        path(
            "_control/requests",
            _control_requests(service),
            name=f"sandbox-{service}-control-requests",
        ),
        path("_control/faults", _control_faults(service), name=f"sandbox-{service}-control-faults"),
        path(
            "_control/latency", _control_latency(service), name=f"sandbox-{service}-control-latency"
        ),
        path("_control/budget", _control_budget(service), name=f"sandbox-{service}-control-budget"),
        path(
            "_control/service-time",
            _control_service_time(service),
            name=f"sandbox-{service}-control-service-time",
        ),
    ]


def sandbox_reset_common(service: str) -> None:
    """Forget recorded requests, faults, latency and budget usage of one service."""
    records_settled()
    ReceivedRequest.objects.filter(service=service).delete()
    FaultRule.objects.filter(service=service).delete()
    ServiceSettings.objects.filter(service=service).delete()
