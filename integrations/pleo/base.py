"""What every Pleo API call shares: bearer auth, JSON headers, error bodies and cursor paging."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, TypeVar

import requests

from integrations.core import errors
from integrations.core.http import ApiClient, RemoteError
from integrations.core.pagination import MAX_PAGES, PagesUneven, PaginationError, iter_cursor
from integrations.core.parallel import ordered_side_by_side
from integrations.pleo.auth import PleoOAuth

# The specs declare every body as `application/json;charset=UTF-8`.
JSON = "application/json;charset=UTF-8"

T = TypeVar("T")


class PleoApiBase(ApiClient):
    service = "pleo"

    def __init__(
        self,
        *,
        base_url: str,
        auth: PleoOAuth,
        company_id: str,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(base_url, session=session, sleep=sleep, max_wait=max_wait)
        self.auth = auth
        self.company_id = company_id
        # The token each thread last sent: a 401 invalidates that one, not one another thread
        # (of the same export run) has just fetched.
        self._sent = threading.local()

    # -- ApiClient hooks ---------------------------------------------------------------------

    def default_headers(self) -> dict[str, str]:
        return {"Accept": JSON}

    def auth_headers(self) -> dict[str, str]:
        token = self.auth.access_token()
        self._sent.token = token
        return {"Authorization": f"Bearer {token}"}

    def on_unauthorized(self) -> bool:
        # The token may have been revoked or expired early: refresh once and try again. A token
        # another worker refreshed meanwhile is used as it is.
        self.auth.invalidate(access_token=getattr(self._sent, "token", None))
        return True

    def parse_error(self, response: requests.Response) -> RemoteError:
        """Pleo errors are `ExceptionInfo` bodies: `{"type": "EXPORT_NOT_FOUND", "message": …}`."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return RemoteError(text[:500] or response.reason or f"HTTP {response.status_code}")
        if isinstance(body, dict) and ("type" in body or "message" in body):
            code = str(body.get("type") or "")
            message = str(body.get("message") or code or f"HTTP {response.status_code}")
            return RemoteError(message[:500], code)
        return super().parse_error(response)

    # -- helpers -----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        headers = {"Content-Type": JSON} if json is not None else None
        return self.request(
            method, path, params=params, json=json, headers=headers, idempotent=idempotent
        )

    def call_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        response = self.call(method, path, params=params, json=json, idempotent=idempotent)
        try:
            body = response.json()
        except ValueError as exc:
            raise self.bad_answer(response, "is not JSON") from exc
        if not isinstance(body, dict):
            raise self.bad_answer(response, "is not a JSON object")
        return body

    def call_data(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """A single resource: `{"data": {…}}`."""
        response = self.call(method, path, params=params, json=json, idempotent=idempotent)
        try:
            body = response.json()
        except ValueError as exc:
            raise self.bad_answer(response, "is not JSON") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise self.bad_answer(response, "has no `data` object")
        return data

    def paged(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, Any]] | None = None,
        json: Any = None,
        at_once: int = 1,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a paged listing: `after=endCursor` while `hasNextPage`.

        With `at_once` > 1, the pages after the first are read side by side instead, by
        `offset`: the spec's third way to page, exclusive with the cursors (e.g.
        pleo-export-items-v3-api-openapi.yml, getExportItemsV3). The first page, read as
        ever, says where each other page starts (its size) and where the listing ends
        (`pagination.total`); those pages are asked for with the same `limit`, at most
        `at_once` under way (each call still takes a slot of the connection), and their
        records come back in order. Without a total the rest is read by cursor. Pleo does not
        say that offset pages line up with the cursor's: a page holding more or fewer records
        than its place calls for raises `PagesUneven`, and the caller reads by cursor."""

        def fetch(
            cursor: str | None, offset: int | None = None, limit: int | None = None
        ) -> dict[str, Any]:
            query = list(params or [])
            if cursor:
                query.append(("after", cursor))
            if offset is not None:
                query += [("offset", offset), ("limit", limit)]
            # Searches are POSTs that change nothing: safe to send again.
            response = self.call(method, path, params=query, json=json, idempotent=True)
            try:
                body = response.json()
            except ValueError as exc:
                raise self.bad_answer(response, "is not JSON") from exc
            # A page without its `data` list is a broken answer, never "nothing there": read
            # as empty, it would end an export job with its expenses silently left out.
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise self.bad_answer(response, "has no `data` list")
            return body

        records: Iterator[Any]
        if at_once <= 1:
            records = iter_cursor(fetch)
        else:
            first = fetch(None)
            pagination = first.get("pagination")
            pagination = pagination if isinstance(pagination, dict) else {}
            total, size = pagination.get("total"), len(first["data"])
            if (
                not pagination.get("hasNextPage")
                or not isinstance(total, int)
                or isinstance(total, bool)
                or size == 0
                or total <= size
            ):
                records = iter_cursor(fetch, first=first)
            else:
                records = chain(
                    first["data"],
                    self._offset_pages(
                        lambda offset: fetch(None, offset, size),
                        path=path,
                        size=size,
                        total=total,
                        at_once=at_once,
                    ),
                )
        for record in records:
            if not isinstance(record, dict):
                raise errors.UnexpectedAnswer(
                    f"Pleo's answer to {path} lists a record that is not an object",
                    service=self.service,
                    url=self.url(path),
                )
            yield record

    def _offset_pages(
        self,
        read: Callable[[int], dict[str, Any]],
        *,
        path: str,
        size: int,
        total: int,
        at_once: int,
    ) -> Iterator[Any]:
        offsets = range(size, total, size)
        if len(offsets) >= MAX_PAGES:
            raise PaginationError(f"{total} records at {size} a page is past {MAX_PAGES} pages")
        pages = ordered_side_by_side(read, offsets, at_once=at_once)
        for offset, page in zip(offsets, pages, strict=True):
            due = min(size, total - offset)
            if len(page["data"]) != due:
                raise PagesUneven(
                    f"Pleo's page of {path} at offset {offset} held {len(page['data'])} records "
                    f"where {due} were due ({total} in all, {size} a page)"
                )
            yield from page["data"]

    # Every answer is checked against what the spec promises; anything else (an HTML page, a
    # cut-off body, the wrong shape) is an `UnexpectedAnswer`, as from the Visma.net client:
    # never a raw exception and never "nothing there".

    def bad_answer(self, response: requests.Response, what: str) -> errors.UnexpectedAnswer:
        return errors.UnexpectedAnswer(
            f"Pleo's answer {what}",
            service=self.service,
            method=response.request.method or "",
            url=response.url,
            status=response.status_code,
            body=response.text[:2000],
        )

    def parsed(self, read: Callable[[Any], T], data: Any, what: str) -> T:
        """`read(data)` (a type's `from_api`), a reading failure turned into `UnexpectedAnswer`
        naming the record (`what`) Pleo sent."""
        try:
            return read(data)
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
            raise errors.UnexpectedAnswer(
                f"Pleo sent {what} that is not what the API describes: {exc}",
                service=self.service,
            ) from exc
