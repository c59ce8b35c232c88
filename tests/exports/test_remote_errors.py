"""The one map from a remote error to what the export does about it."""

from __future__ import annotations

import pytest

from integrations.core import errors
from integrations.exports.services.context import UNREACHABLE_RETRY_SECONDS, RunDeferred
from integrations.exports.services.remote import (
    Action,
    remote_action,
    remote_deferral,
    remote_error_raise,
)


@pytest.mark.parametrize(
    ("error", "action", "wait"),
    [
        (errors.Unauthorized("expired", service="visma"), Action.REAUTHORISE, 0.0),
        (errors.Forbidden("no role", service="visma"), Action.REAUTHORISE, 0.0),
        (errors.RateLimited("slow down", retry_after=42.0), Action.DEFER, 42.0),
        (errors.RateLimited("slow down"), Action.DEFER, UNREACHABLE_RETRY_SECONDS),
        (errors.TransientError("503"), Action.DEFER, UNREACHABLE_RETRY_SECONDS),
        (errors.ValidationFailed("Subaccount is required"), Action.FAIL, 0.0),
        (errors.NotFound("gone"), Action.FAIL, 0.0),
    ],
)
def test_each_error_has_one_action(error: errors.ApiError, action: Action, wait: float) -> None:
    result = remote_action(error)
    assert (result.action, result.wait_seconds) == (action, wait)


def test_carrying_out_the_map() -> None:
    with pytest.raises(errors.Unauthorized):
        remote_error_raise(errors.Unauthorized("expired"))
    with pytest.raises(RunDeferred) as deferred:
        remote_error_raise(errors.RateLimited("slow down", retry_after=7.0))
    assert deferred.value.seconds == 7.0
    refused = remote_error_raise(errors.ValidationFailed("no"))
    assert refused.reason == "accounting_system_validation_failure"
    assert remote_deferral(errors.TransientError("503")).seconds == UNREACHABLE_RETRY_SECONDS
