from __future__ import annotations

import pytest

from integrations.core import errors
from integrations.core.remote_errors import (
    UNREACHABLE_RETRY_SECONDS,
    RemoteOutcome,
    remote_error_text,
    remote_outcome,
    remote_wait_seconds,
)


@pytest.mark.parametrize(
    ("exc", "outcome", "wait"),
    [
        (errors.Unauthorized("expired"), RemoteOutcome.SIGN_IN, UNREACHABLE_RETRY_SECONDS),
        (errors.Forbidden("no role"), RemoteOutcome.ACCESS, UNREACHABLE_RETRY_SECONDS),
        (errors.RateLimited("slow", retry_after=7), RemoteOutcome.LATER, 7),
        (errors.RateLimited("slow"), RemoteOutcome.LATER, UNREACHABLE_RETRY_SECONDS),
        (errors.TransientError("502"), RemoteOutcome.LATER, UNREACHABLE_RETRY_SECONDS),
        (errors.NotFound("gone"), RemoteOutcome.NOT_FOUND, UNREACHABLE_RETRY_SECONDS),
        (errors.ValidationFailed("bad"), RemoteOutcome.REFUSED, UNREACHABLE_RETRY_SECONDS),
        (errors.RefusedWithServerError("bad"), RemoteOutcome.REFUSED, UNREACHABLE_RETRY_SECONDS),
        (errors.UnexpectedAnswer("html"), RemoteOutcome.REFUSED, UNREACHABLE_RETRY_SECONDS),
    ],
)
def test_each_error_has_one_outcome(
    exc: errors.ApiError, outcome: RemoteOutcome, wait: float
) -> None:
    assert remote_outcome(exc) is outcome
    assert remote_wait_seconds(exc) == wait


def test_the_words_come_from_the_outcome_never_from_the_message() -> None:
    # A message that reads like another outcome does not change the outcome or the words.
    exc = errors.ValidationFailed("tenant unauthorized, try again later {service}")
    assert remote_error_text(exc, service="Visma.net") == (
        "Visma.net said: tenant unauthorized, try again later {service}"
    )
    later = errors.TransientError("timed out")
    fixes = {RemoteOutcome.LATER: "Run the check again ({message})."}
    assert remote_error_text(later, service="Pleo", fixes=fixes) == (
        "Run the check again (timed out)."
    )
    assert remote_error_text(exc, service="Pleo", fixes=fixes) == (
        "Pleo said: tenant unauthorized, try again later {service}"
    )
