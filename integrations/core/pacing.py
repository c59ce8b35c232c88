"""What a remote service allows one company, shared by every thread that calls it for them.

* `CallBudget`: the service's call budget as its `X-RateLimit-Remaining`/`X-RateLimit-Reset`
  headers last showed it (Visma.net: a fixed window per company and client, "4-fixed-window";
  docs.vismasoftware.no …/api-reference/rate-limits). A call takes one unit before it goes; when
  none is left, the caller waits for the window to reset instead of spending a 429, and a wait
  longer than the caller accepts is a `RateLimited` error raised without sending anything.
* `FailedRequests`: Visma.net's developer knowledge base (community.visma.com ta-p/271133) asks
  that the same failed request be sent at most twice in five minutes. A request whose identical
  copies failed twice within that time is not sent again until the older failure has aged out;
  the caller gets a `RateLimited` error saying how long to wait (a deferral, never a failure).

Both are kept per company in this process (`pacing_for`); every answer brings the budget back in
step with the service, so workers in other processes only make the view less exact, never wrong
for long.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.core import errors

# How long a failed request is remembered, and how often it may fail within that time.
FAILED_REQUEST_WINDOW_SECONDS = 300.0
FAILED_REQUEST_MAX = 2


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


# How long a call waits while another finds the size of a new window.
PROBE_WAIT = 0.05


class CallBudget:
    """The calls left in the service's current window, counted down by the calls under way."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: float | None = None  # None: no budget known (no headers seen)
        # The fewest calls left that an answer of the current window showed: the service's
        # latest count (its count only goes down within a window, whatever order the answers
        # arrive in).
        self._seen: float | None = None
        self._reset_at = 0.0
        self._in_flight = 0
        # Before the first answer, and after a known window has ended, one call finds the
        # window's size before others go: sent together blind, they could overrun it.
        self._probing = True
        self._probe_sent = False

    def take(self) -> float:
        """Take one call; returns 0, or the seconds to wait for the window to reset (nothing
        taken then: call again after waiting)."""
        with self._lock:
            now = self._clock()
            if self._remaining is not None and now >= self._reset_at:
                self._remaining = None  # a new window: its size comes with the next answer
                self._seen = None
                self._probing = True
                self._probe_sent = False
            if self._probing:
                if self._probe_sent:
                    return PROBE_WAIT
                self._probe_sent = True
            if self._remaining is not None and self._remaining <= 0:
                if self._in_flight:
                    # The calls under way were counted as not yet seen by the service; their
                    # answers may show some already were, leaving calls in this window.
                    return PROBE_WAIT
                return max(0.0, self._reset_at - now)
            if self._remaining is not None:
                self._remaining -= 1
            self._in_flight += 1
            return 0.0

    def now(self) -> float:
        return self._clock()

    def take_anyway(self) -> None:
        with self._lock:
            self._in_flight += 1

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """The call taken has been answered (headers) or failed without an answer (None)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._probing = False
            if headers is None:
                return
            remaining = _header_number(headers, "X-RateLimit-Remaining")
            reset = _header_number(headers, "X-RateLimit-Reset")
            if remaining is None or reset is None:
                return
            now = self._clock()
            if reset > 1_000_000_000:
                # An epoch time rather than seconds (some services): the same instant.
                reset -= time.time()
            reset_at = now + max(0.0, reset)
            if self._seen is not None and abs(reset_at - self._reset_at) < 1.0:
                # Answers of one window can arrive out of order: an earlier call's answer
                # (more left) must not give back calls a later one already counted.
                self._seen = min(self._seen, remaining)
                self._reset_at = max(self._reset_at, reset_at)
            else:
                self._seen = remaining
                self._reset_at = reset_at
            # Every call answered is in the count `_seen` comes from (it was counted before the
            # call that showed it, or it showed it). The calls still under way may not be: as
            # many are kept back, and given back as their answers arrive, so the window is
            # used to its last call without ever overrunning it.
            self._remaining = self._seen - self._in_flight

    @property
    def remaining(self) -> float | None:
        with self._lock:
            return self._remaining


def request_key(
    method: str,
    url: str,
    params: Any = None,
    json_body: Any = None,
    data: Any = None,
    files: Mapping[str, Any] | None = None,
) -> str:
    """The same request, by its method, address, query and body (a file by name and size)."""
    digest = hashlib.sha256()
    digest.update(f"{method.upper()} {url}\n".encode())
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        digest.update(repr(sorted((str(k), str(v)) for k, v in items)).encode())
    if json_body is not None:
        digest.update(json.dumps(json_body, sort_keys=True, default=str).encode())
    if isinstance(data, bytes):
        digest.update(data)
    elif isinstance(data, Mapping):
        digest.update(repr(sorted((str(k), str(v)) for k, v in data.items())).encode())
    for name, value in sorted((files or {}).items()):
        described = value[0] if isinstance(value, tuple) else type(value).__name__
        digest.update(f"file {name}={described}".encode())
    return digest.hexdigest()


class FailedRequests:
    """When each request failed lately, to send none of them more often than the service asks."""

    def __init__(
        self,
        *,
        window: float = FAILED_REQUEST_WINDOW_SECONDS,
        limit: int = FAILED_REQUEST_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def wait_before(self, key: str) -> float:
        """0 when the request may go, else the seconds until it may."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if times is None or len(times) < self.limit:
                return 0.0
            return self.window - (now - times[-self.limit])

    def failed(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            if len(self._failures) > 10_000:
                # Keep the memory small: forget what has aged out everywhere.
                for stale in [k for k in self._failures if self._recent(k, now) is None]:
                    self._failures.pop(stale, None)
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class Pacing:
    """What one company's calls to one service share."""

    budget: CallBudget = field(default_factory=CallBudget)
    failed: FailedRequests = field(default_factory=FailedRequests)


_registry: dict[Hashable, Pacing] = {}
_registry_lock = threading.Lock()


def pacing_for(key: Hashable) -> Pacing:
    """The pacing of one company at one service (e.g. `("visma", connection_id)`) in this
    process, shared by every client and thread working for it."""
    with _registry_lock:
        found = _registry.get(key)
        if found is None:
            found = _registry[key] = Pacing()
        return found


def pacing_forget() -> None:
    """Drop every company's pacing (tests start from a clean view)."""
    with _registry_lock:
        _registry.clear()


def repeat_refused(*, service: str, method: str, url: str, wait: float) -> errors.RateLimited:
    return errors.RateLimited(
        f"{service} refused this request twice within "
        f"{FAILED_REQUEST_WINDOW_SECONDS / 60:.0f} minutes; it is not sent again for "
        f"{wait:.0f} seconds, as the service asks",
        service=service,
        method=method,
        url=url,
        retry_after=wait,
    )
