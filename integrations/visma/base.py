"""The Visma.net API seam shared by every part of the client: authentication, error bodies,
list and paging helpers, created-resource ids.

Reference: ../shared/notes/visma-net-api.md §3-5 and the spec
(`../shared/specs/visma-net/openapi-subset.json`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import requests

from integrations.core import errors
from integrations.core.http import ApiClient, RemoteError
from integrations.core.pagination import iter_page_numbers
from integrations.visma.auth import VismaConnect

# Visma.net caps an oversize pageSize silently (the effective size is `metadata.maxPageSize`);
# 500 stays under the caps seen in practice.
PAGE_SIZE = 500
# What ASP.NET Web API answers for an unhandled exception when it hides the details: no refusal.
GENERIC_SERVER_ERROR = "An error has occurred."


def path_segment(value: str) -> str:
    return quote(str(value), safe="")


def since_param(moment: datetime) -> str:
    """`lastModifiedDateTime` in the `yyyy-MM-ddTHH:mm:ss.FFF` form; aware values are turned
    into UTC, the zone `types` reads Visma.net's zone-less stamps in."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")


def modified_params(modified_since: datetime | None) -> dict[str, str]:
    # The two are "mutually inclusive" in the spec: never send one without the other.
    if modified_since is None:
        return {}
    return {
        "lastModifiedDateTime": since_param(modified_since),
        "lastModifiedDateTimeCondition": ">=",
    }


def location_id(response: requests.Response) -> str:
    """The id of a created resource: the last segment of the `Location` header (201, empty
    body). Without it the document exists but we cannot name it, so the caller must look it
    up before creating it again."""
    location = response.headers.get("Location", "")
    path = urlsplit(location).path.rstrip("/")
    last = unquote(path.rsplit("/", 1)[-1]) if path else ""
    if not last:
        raise errors.PermanentError(
            "Visma.net created the resource but sent no Location header to identify it",
            service="visma",
            method=response.request.method or "",
            url=response.url,
            status=response.status_code,
            outcome_unknown=True,
        )
    return last


class VismaApi(ApiClient):
    """The Visma.net seam: bearer token, one re-auth on 401, error bodies, paging helpers."""

    service: ClassVar[str] = "visma"
    page_size: ClassVar[int] = PAGE_SIZE

    def __init__(
        self,
        *,
        base_url: str,
        auth: VismaConnect,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(base_url, session=session, sleep=sleep, max_wait=max_wait)
        self.auth = auth
        # The token each thread last sent, so a 401 invalidates that token and not one
        # another thread has just fetched.
        self._sent = threading.local()

    # -- ApiClient hooks -------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        token = self.auth.access_token()
        self._sent.token = token
        return {"Authorization": f"Bearer {token}"}

    def on_unauthorized(self) -> bool:
        # A 401 usually means the token died early (or was revoked): fetch a new one once.
        self.auth.invalidate(token=getattr(self._sent, "token", None))
        return True

    def is_refusal(self, response: requests.Response) -> bool:
        """A 500 whose body is one of Visma.net's error shapes is a refusal with Visma's message
        (notes §5: the spec says a refused POST answers "BadRequest or InternalServerError").
        A 502/503/504, an empty, HTML or truncated 5xx, and ASP.NET's message-less "An error
        has occurred." stay transient: the request may or may not have been carried out."""
        if response.status_code != 500:
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        if not isinstance(body, dict):
            return False
        if body.get("ExceptionMessage") or body.get("ExceptionFaultCode"):
            return True
        # `{"Message": …}` is Visma's second shape; `{"statusCode", "message"}` is the gateway's.
        message = body.get("Message")
        return isinstance(message, str) and message.strip() not in ("", GENERIC_SERVER_ERROR)

    def parse_error(self, response: requests.Response) -> RemoteError:
        """Visma.net error bodies come in three shapes (notes §5):
        `{"ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID"}`,
        `{"Message": ...}` and plain text. The message id is what Visma support asks for."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return RemoteError(text[:500] or response.reason or f"HTTP {response.status_code}")
        if isinstance(body, dict):
            if "ExceptionMessage" in body or "ExceptionFaultCode" in body:
                message = str(body.get("ExceptionMessage") or body.get("ExceptionType") or "")
                message_id = body.get("ExceptionMessageID")
                if message_id:
                    message = f"{message} [message id {message_id}]"
                code = body.get("ExceptionFaultCode") or body.get("ExceptionType") or ""
                return RemoteError(message[:500], str(code))
            if body.get("Message") or body.get("message"):
                return RemoteError(str(body.get("Message") or body.get("message"))[:500])
        return super().parse_error(response)

    # -- small helpers ---------------------------------------------------------------------
    # Every answer is checked against what the spec promises; anything else (an HTML page, a
    # cut-off body, the wrong shape) is an `UnexpectedAnswer` naming the endpoint, never a raw
    # exception and never "nothing there".

    def unexpected_answer(self, path: str, what: str) -> errors.UnexpectedAnswer:
        return errors.UnexpectedAnswer(
            f"Visma.net's answer to {path} {what}",
            service=self.service,
            url=self.url(path) if path.startswith("/") else "",
        )

    def _json(self, response: requests.Response, path: str) -> Any:
        try:
            # Decimal, not float: amounts must keep their exact cents.
            return response.json(parse_float=Decimal)
        except (ValueError, RecursionError) as exc:
            raise self.unexpected_answer(
                path, "is not JSON (an HTML page or a cut-off body)"
            ) from exc

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._json(self.request("GET", path, params=params), path)

    def _list(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self._get(path, params)
        if not isinstance(body, list):
            raise self.unexpected_answer(path, f"is {type(body).__name__}, not a list")
        if not all(isinstance(row, dict) for row in body):
            raise self.unexpected_answer(path, "is a list of something else than records")
        return body

    def _paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        def fetch(page_number: int, page_size: int) -> list[dict[str, Any]]:
            query = {**(params or {}), "pageNumber": page_number, "pageSize": page_size}
            return self._list(path, query)

        return iter_page_numbers(fetch, page_size=self.page_size)

    def _one(self, body: Any, cls: Any, path: str = "") -> Any:
        """`cls.from_api(body)`, a reading failure turned into `UnexpectedAnswer`."""
        try:
            return cls.from_api(body)
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
            raise self.unexpected_answer(
                path or cls.__name__, f"is not what the API describes: {exc}"
            ) from exc

    def _parse(
        self, rows: list[dict[str, Any]] | Iterator[dict[str, Any]], cls: Any, path: str = ""
    ) -> list[Any]:
        return [self._one(row, cls, path) for row in rows]
