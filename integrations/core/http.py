"""The one HTTP seam every remote client goes through.

* a `requests` session per client and a timeout on every call;
* retries with exponential backoff and full jitter for 429, 5xx and connection errors only,
  honouring `Retry-After` and `X-RateLimit-Reset`;
* errors raised by meaning (`errors.py`) carrying the remote error body;
* an `ApiCall` row for every attempt, with secrets redacted and links to what it served;
  inside `api_calls_buffered()` the rows are written in batches (one insert per batch);
* with a `Pacing` (`pacing.py`): the service's call budget is never overrun (a call waits for
  the window to reset, or raises `RateLimited` without sending when that is too long), and a
  request that failed twice in five minutes is not sent again before its time.

Requests that are not idempotent (POST unless the caller says otherwise) are never sent twice
once they may have reached the server: a timeout or 5xx on them raises `TransientError` with
`outcome_unknown=True`, and the caller looks the document up before trying again.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from requests_toolbelt import MultipartEncoder

from integrations.core import errors
from integrations.core.bulk import rows_insert
from integrations.core.context import current_links
from integrations.core.metrics import remote_call_observe
from integrations.core.models import ApiCall
from integrations.core.pacing import PROBE_WAIT, Pacing, repeat_refused, request_key
from integrations.core.receipts import Receipt
from integrations.core.redaction import redact_body, redact_headers, redact_query, redact_text

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Answers that do not make a request "failed" for the five-minute rule: 401 is answered by a
# new token, 404 is an answer (nothing there), 429 by waiting for the budget.
NOT_FAILURES = frozenset({401, 404, 429})
# A call waits for the budget's window at most this many times: the other calls of its work
# may take each window's budget before it (a deferral then, nothing sent).
BUDGET_WAITS = 6
# ApiCall rows written per insert inside `api_calls_buffered`, and the longest a row waits.
CALL_BATCH = 50
CALL_BATCH_SECONDS = 2.0


class ApiCallBuffer:
    """ApiCall rows written in batches: at CALL_BATCH rows, after CALL_BATCH_SECONDS, and when
    the buffer closes (also on an error). A crash loses at most the rows of the open batch.
    Shared by the threads of one export run."""

    def __init__(self, *, batch: int = CALL_BATCH, seconds: float = CALL_BATCH_SECONDS) -> None:
        self.batch = batch
        self.seconds = seconds
        self._lock = threading.Lock()
        self._rows: list[ApiCall] = []
        self._since = time.monotonic()

    def add(self, call: ApiCall) -> None:
        with self._lock:
            if not self._rows:
                self._since = time.monotonic()
            self._rows.append(call)
            due = len(self._rows) >= self.batch or time.monotonic() - self._since >= self.seconds
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        # The rows' keys are not read back: nothing refers to a buffered row.
        rows_insert(ApiCall, rows)


_call_buffer: ContextVar[ApiCallBuffer | None] = ContextVar("api_call_buffer", default=None)


@contextmanager
def api_calls_buffered(**options: Any) -> Iterator[ApiCallBuffer]:
    """Write the ApiCall rows of the calls made inside in batches rather than one by one.
    Threads started inside with a copy of this context share the buffer."""
    buffer = ApiCallBuffer(**options)
    token = _call_buffer.set(buffer)
    try:
        yield buffer
    finally:
        _call_buffer.reset(token)
        buffer.flush()


@dataclass(frozen=True)
class RemoteError:
    """What the remote service said about a failure, parsed from its error body."""

    message: str
    code: str = ""


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset`."""
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                current = now if now is not None else time.time()
                return max(0.0, when.timestamp() - current)
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            seconds = float(reset.strip())
        except ValueError:
            return None
        # Visma.net sends seconds until the window resets; some services send an epoch time.
        current = now if now is not None else time.time()
        if seconds > 1_000_000_000:
            seconds -= current
        return max(0.0, seconds)
    return None


class ApiClient:
    """Base class for the remote clients. Subclasses set `service` and may override
    `auth_headers`, `parse_error` and `on_unauthorized`."""

    service: ClassVar[str] = ""
    max_attempts: ClassVar[int] = 5
    backoff_base: ClassVar[float] = 0.5
    backoff_cap: ClassVar[float] = 30.0

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        # What the environment says of proxies and certificate bundles (HTTPS_PROXY, NO_PROXY,
        # REQUESTS_CA_BUNDLE) is read once per host (`_environment`), where requests would
        # read it, and look for ~/.netrc, on every call.
        self._trust_env = self.session.trust_env
        self.session.trust_env = False
        self._environments: dict[str, dict[str, Any]] = {}
        self.timeout = timeout or (settings.REMOTE_CONNECT_TIMEOUT, settings.REMOTE_READ_TIMEOUT)
        self.max_wait = settings.REMOTE_MAX_RETRY_WAIT if max_wait is None else max_wait
        self.sleep = sleep
        # The company's budget and failed-request memory at this service, when it has them.
        self.pacing: Pacing | None = None
        # Calls under way at once, shared by the clients of one piece of work (an export run's
        # Pleo and Visma.net clients take from the same slots); None: no bound.
        self.call_slots: threading.Semaphore | None = None

    # -- hooks for subclasses -------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def parse_error(self, response: requests.Response) -> RemoteError:
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return RemoteError(text[:500] or response.reason or f"HTTP {response.status_code}")
        if isinstance(body, dict):
            message = body.get("message") or body.get("Message") or body.get("error_description")
            code = body.get("type") or body.get("code") or body.get("error") or ""
            return RemoteError(str(message or body)[:500], str(code))
        return RemoteError(str(body)[:500])

    def is_refusal(self, response: requests.Response) -> bool:
        """True when a 5xx answer is in fact a refusal carrying the service's message."""
        return False

    def on_unauthorized(self) -> bool:
        """Called once on a 401; return True to retry the call (e.g. after a token refresh)."""
        return False

    # -- the call ------------------------------------------------------------------------

    def _environment(self, url: str) -> dict[str, Any]:
        """The proxies and certificate bundle the environment gives `url`'s host."""
        if not self._trust_env:
            return {}
        split = urlsplit(url)
        host = f"{split.scheme}://{split.netloc}"
        found = self._environments.get(host)
        if found is None:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = {"proxies": requests.utils.get_environ_proxies(url), "verify": bundle or None}
            self._environments[host] = found
        return found

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
        timeout: tuple[float, float] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        method = method.upper()
        url = self.url(path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        refreshed = False
        attempt = 0
        pacing = self.pacing
        key = request_key(method, url, params, json, data, files) if pacing is not None else ""
        while True:
            attempt += 1
            all_headers = {**self.default_headers(), **(headers or {})}
            if authenticate:
                all_headers.update(self.auth_headers())
            body, body_files = data, files
            streamed = _streamed_multipart(files)
            if streamed is not None:
                # A receipt is read from its spool as the request goes out, from its first
                # byte again at each attempt; never joined into one piece of memory.
                body, body_files = streamed, None
                all_headers["Content-Type"] = streamed.content_type
            # The body is encoded (JSON, a multipart form) before the call takes its slot.
            prepared = self.session.prepare_request(
                requests.Request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=body,
                    files=body_files,
                    headers=all_headers,
                )
            )
            slots = self.call_slots
            if pacing is not None:
                # Returns holding a slot (when there are slots) and the budget's unit together:
                # a call never takes the budget and then waits for a slot.
                self._pace(pacing, key, method, url, slots)
            elif slots is not None:
                slots.acquire()
            response: requests.Response | None = None
            failure: Exception | None = None
            sent = False
            # A slot is held while the call is under way only: never while waiting for the
            # budget's window or before a retry, so other calls go meanwhile.
            with _releasing(slots):
                started = time.monotonic()
                try:
                    response = self.session.send(
                        prepared,
                        timeout=timeout or self.timeout,
                        stream=stream,
                        allow_redirects=True,
                        **self._environment(url),
                    )
                    sent = True
                except requests.exceptions.ConnectTimeout as exc:
                    failure = exc
                except requests.exceptions.ConnectionError as exc:
                    failure = exc
                    # A dropped connection may have happened after the server read the request.
                    sent = not _is_connect_failure(exc)
                except requests.exceptions.Timeout as exc:
                    failure = exc
                    sent = True
                duration_ms = int((time.monotonic() - started) * 1000)
            call = self._log_call(
                method,
                url,
                params,
                all_headers,
                json,
                data,
                files,
                response,
                failure,
                duration_ms,
                attempt,
                stream,
            )
            if pacing is not None:
                pacing.budget.observe(response.headers if response is not None else None)
                if response is None or (
                    response.status_code >= 400 and response.status_code not in NOT_FAILURES
                ):
                    pacing.failed.failed(key)
                elif response.status_code < 400:
                    pacing.failed.succeeded(key)
            # Visma.net asks not to send the same failed request more than twice in 5 minutes.
            repeat_allowed = pacing is None or pacing.failed.wait_before(key) <= 0

            if response is None:
                assert failure is not None
                unknown = sent and not idempotent
                err: errors.ApiError = errors.TransientError(
                    f"{self.service} could not be reached: {type(failure).__name__}",
                    service=self.service,
                    method=method,
                    url=url,
                    outcome_unknown=unknown,
                    api_call_id=call.id,
                )
                if not unknown and repeat_allowed and self._wait_before_retry(attempt, None):
                    continue
                raise err from failure

            status = response.status_code
            if status < 400:
                return response
            if status == 401 and authenticate and not refreshed and self.on_unauthorized():
                refreshed = True
                continue
            retry_after = parse_retry_after(response.headers)
            err = self._error_for(response, retry_after, call.id, idempotent)
            # 429 means the request was not processed: safe to send again whatever the method.
            # A refusal is not retried: the same request would be refused again.
            refused = isinstance(err, errors.RefusedWithServerError)
            retryable = status == 429 or (status >= 500 and idempotent and not refused)
            if retryable and repeat_allowed and self._wait_before_retry(attempt, retry_after):
                continue
            raise err

    def _pace(
        self,
        pacing: Pacing,
        key: str,
        method: str,
        url: str,
        slots: threading.Semaphore | None = None,
    ) -> None:
        """Wait for the budget when it is spent; raise `RateLimited` (nothing sent) when the
        wait is longer than this client accepts or the request failed twice lately. With
        `slots`, returns holding one: the budget is taken only by a call that goes at once."""
        wait = pacing.failed.wait_before(key)
        if wait > 0:
            raise repeat_refused(service=self.service, method=method, url=url, wait=wait)
        windows = 0
        probed = 0.0
        began = pacing.budget.now()
        while True:
            if slots is not None:
                slots.acquire()
            wait = pacing.budget.take()
            if wait <= 0:
                return
            if slots is not None:
                slots.release()
            if wait > self.max_wait:
                raise self._budget_spent(
                    f"{self.service}'s call budget is spent until its window resets in "
                    f"{wait:.0f} seconds",
                    method,
                    url,
                    wait,
                )
            if wait <= PROBE_WAIT:
                # Another call is finding the new window's size: a short wait, bounded.
                probed += wait
                if probed > self.max_wait:
                    break
            else:
                windows += 1
                if windows > BUDGET_WAITS:
                    if pacing.budget.now() - began < PROBE_WAIT:
                        break  # a clock that does not move (tests): send, the answer will tell
                    raise self._budget_spent(
                        f"{self.service}'s call budget was taken by other calls through "
                        f"{BUDGET_WAITS} windows",
                        method,
                        url,
                        wait,
                    )
                logger.info(
                    "%s: call budget spent, waiting %.1fs for its window", self.service, wait
                )
            self.sleep(wait)
        # Still spent after the waits a clock that did not move allows: send, the answer will
        # tell.
        if slots is not None:
            slots.acquire()
        pacing.budget.take_anyway()

    def _budget_spent(self, message: str, method: str, url: str, wait: float) -> errors.RateLimited:
        """Nothing was sent: the caller may try again in `wait` seconds (a deferral)."""
        return errors.RateLimited(
            message, service=self.service, method=method, url=url, retry_after=wait
        )

    def _wait_before_retry(self, attempt: int, retry_after: float | None) -> bool:
        if attempt >= self.max_attempts:
            return False
        if retry_after is not None:
            delay = retry_after
        else:
            # Exponential backoff with full jitter.
            delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
        if delay > self.max_wait:
            return False
        logger.info("%s: retrying in %.1fs (attempt %d)", self.service, delay, attempt + 1)
        self.sleep(delay)
        return True

    def _error_for(
        self,
        response: requests.Response,
        retry_after: float | None,
        call_id: int | None,
        idempotent: bool,
    ) -> errors.ApiError:
        status = response.status_code
        remote = self.parse_error(response)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:2000]
        cls: type[errors.ApiError]
        if status == 401:
            cls = errors.Unauthorized
        elif status == 403:
            cls = errors.Forbidden
        elif status in (404, 410):
            cls = errors.NotFound
        elif status == 409:
            cls = errors.Conflict
        elif status == 429:
            cls = errors.RateLimited
        elif status in (400, 413, 422):
            cls = errors.ValidationFailed
        elif status >= 500 and self.is_refusal(response):
            cls = errors.RefusedWithServerError
        elif status >= 500:
            cls = errors.TransientError
        else:
            cls = errors.PermanentError
        return cls(
            remote.message,
            service=self.service,
            method=response.request.method or "",
            url=response.url,
            status=status,
            body=body,
            code=remote.code,
            retry_after=retry_after,
            outcome_unknown=status >= 500 and not idempotent and cls is errors.TransientError,
            api_call_id=call_id,
        )

    def _log_call(
        self,
        method: str,
        url: str,
        params: Any,
        headers: Mapping[str, str],
        json_body: Any,
        data: Any,
        files: Any,
        response: requests.Response | None,
        failure: Exception | None,
        duration_ms: int,
        attempt: int,
        stream: bool,
    ) -> ApiCall:
        request_excerpt = ""
        if json_body is not None:
            request_excerpt = redact_body(jsonlib.dumps(json_body, default=str), "application/json")
        elif files:
            request_excerpt = (
                "<multipart upload: "
                + ", ".join(f"{name}={_describe_file(value)}" for name, value in files.items())
                + ">"
            )
        elif isinstance(data, Mapping):
            request_excerpt = redact_query(data)
        elif isinstance(data, bytes):
            request_excerpt = f"<{len(data)} bytes>"
        split = urlsplit(url)
        query = redact_query(params) if params else ""
        if split.query:
            query = "&".join(q for q in (redact_query(parse_qsl(split.query)), query) if q)
        shown_url = f"{split.scheme}://{split.netloc}{split.path}" + (f"?{query}" if query else "")
        response_excerpt = ""
        response_headers: dict[str, str] = {}
        if response is not None:
            response_headers = redact_headers(dict(response.headers))
            content_type = response.headers.get("Content-Type", "")
            if stream and response.status_code < 400:
                # Leave the body to the caller; file downloads are streamed.
                size = response.headers.get("Content-Length", "?")
                response_excerpt = f"<streamed {size} bytes of {content_type or 'data'}>"
            else:
                response_excerpt = redact_body(response.content, content_type)
        error = ""
        if failure is not None:
            # requests puts the address, query string included, into its messages.
            error = redact_text(f"{type(failure).__name__}: {failure}")[:500]
        elif response is not None and response.status_code >= 400:
            error = f"HTTP {response.status_code}"
        call = ApiCall(
            created_at=timezone.now(),
            service=self.service,
            method=method,
            url=shown_url[:2000],
            path=split.path[:1000],
            status_code=response.status_code if response is not None else None,
            duration_ms=duration_ms,
            attempt=attempt,
            error=error,
            request_headers=redact_headers(dict(headers)),
            request_excerpt=request_excerpt,
            response_headers=response_headers,
            response_excerpt=response_excerpt,
            **current_links(),
        )
        buffer = _call_buffer.get()
        if buffer is None:
            call.save()
        else:
            buffer.add(call)
        remote_call_observe(
            service=self.service,
            method=method,
            path=split.path,
            status=call.status_code,
            seconds=duration_ms / 1000,
        )
        level = logging.WARNING if error else logging.DEBUG
        logger.log(
            level,
            "%s %s %s -> %s in %dms",
            self.service,
            method,
            split.path,
            call.status_code or error,
            duration_ms,
        )
        return call


@contextmanager
def _releasing(slots: threading.Semaphore | None) -> Iterator[None]:
    """Release the slot the caller holds (if any) when the block ends, however it ends."""
    try:
        yield
    finally:
        if slots is not None:
            slots.release()


def _is_connect_failure(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never established (nothing reached the server)."""
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NewConnectionError",
            "Connection refused",
            "NameResolutionError",
            "Failed to resolve",
        )
    )


def _describe_file(value: Any) -> str:
    if isinstance(value, tuple):
        name = value[0]
        content = value[1] if len(value) > 1 else b""
        if isinstance(content, Receipt):
            size: int | str = content.size
        else:
            size = len(content) if isinstance(content, bytes | str) else "?"
        return f"{name} ({size} bytes)"
    return type(value).__name__


def _holds_receipt(value: Any) -> bool:
    """A file part given as `(name, Receipt, …)`."""
    return isinstance(value, tuple) and len(value) > 1 and isinstance(value[1], Receipt)


def _streamed_multipart(files: Mapping[str, Any] | None) -> MultipartEncoder | None:
    """The multipart body of `files` as a stream, when one of them is a `Receipt` (requests'
    own encoding would read every file into one piece of memory first); else None."""
    if not files or not any(_holds_receipt(value) for value in files.values()):
        return None
    fields = {
        name: (value[0], value[1].reader(), *value[2:]) if _holds_receipt(value) else value
        for name, value in files.items()
    }
    return MultipartEncoder(fields=fields)
