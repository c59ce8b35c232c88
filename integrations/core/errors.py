"""Errors raised by the remote clients, by meaning rather than by status code."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A remote call failed. Carries what the remote service said."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        method: str = "",
        url: str = "",
        status: int | None = None,
        body: Any = None,
        code: str = "",
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        api_call_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.code = code
        self.retry_after = retry_after
        # True when the request may have been carried out although we have no answer (a timeout
        # or a 5xx after the body was sent): the caller must look before it sends again.
        self.outcome_unknown = outcome_unknown
        self.api_call_id = api_call_id

    def __str__(self) -> str:
        where = f"{self.service} {self.method} {self.url}".strip()
        status = f" -> {self.status}" if self.status else ""
        return f"{self.message} ({where}{status})" if where else self.message


class Unauthorized(ApiError):
    """401: the token is missing, expired or revoked."""


class Forbidden(ApiError):
    """403: the token works but lacks a role or scope."""


class NotFound(ApiError):
    """404/410: the resource does not exist."""


class Conflict(ApiError):
    """409: the resource exists already or is busy."""


class ValidationFailed(ApiError):
    """400/413/422: the remote service refused what we sent."""


class RefusedWithServerError(ValidationFailed):
    """A 5xx whose body carries the service's own error message: a refusal that the service
    answers with a server status (Visma.net documents "BadRequest or InternalServerError" for a
    refused POST). Not sent again; the caller may look once for what it asked to create."""


class PermanentError(ApiError):
    """Any other 4xx: retrying the same request will not help."""


class TransientError(ApiError):
    """5xx, timeouts and connection errors: worth retrying later."""

    retryable = True


class RateLimited(TransientError):
    """429: the budget is spent; `retry_after` says how long to wait."""


class UnexpectedAnswer(PermanentError):
    """A success status whose body is not what the service's spec promises: not JSON (an HTML
    page, a cut-off body) or the wrong shape. An error, never read as "nothing there"."""
