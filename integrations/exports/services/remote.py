"""What the export does about each outcome of the one remote-error map (`core.remote_errors`),
instead of each step repeating "rate-limited → defer":

| outcome            | action                                                               |
|--------------------|----------------------------------------------------------------------|
| SIGN_IN, ACCESS    | re-authorise: the job fails, the connection page says sign in again  |
| LATER              | defer for Retry-After (or a minute); a create whose outcome is       |
|                    | unknown is looked up first (poster)                                  |
| NOT_FOUND, REFUSED | fail the item with Visma.net's words                                 |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from integrations.core import errors
from integrations.core.remote_errors import RemoteOutcome, remote_outcome, remote_wait_seconds
from integrations.exports.services.context import RunDeferred
from integrations.pleo.enums import FailureReason


class Action(StrEnum):
    REAUTHORISE = "reauthorise"
    DEFER = "defer"
    FAIL = "fail"


@dataclass(frozen=True)
class RemoteAction:
    action: Action
    wait_seconds: float = 0.0  # for DEFER
    reason: FailureReason = FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE  # for FAIL


def remote_action(exc: errors.ApiError) -> RemoteAction:
    outcome = remote_outcome(exc)
    if outcome in (RemoteOutcome.SIGN_IN, RemoteOutcome.ACCESS):
        return RemoteAction(Action.REAUTHORISE)
    if outcome is RemoteOutcome.LATER:
        return RemoteAction(Action.DEFER, remote_wait_seconds(exc))
    return RemoteAction(Action.FAIL)


def remote_error_raise(exc: errors.ApiError) -> RemoteAction:
    """Carry out the map for a step that cannot handle the error itself: an auth error is raised
    again (the run fails the job), a deferral becomes `RunDeferred`. Returns the action when the
    step should fail its item (FAIL)."""
    action = remote_action(exc)
    if action.action is Action.REAUTHORISE:
        raise exc
    if action.action is Action.DEFER:
        raise RunDeferred(action.wait_seconds, str(exc)) from exc
    return action


def remote_deferral(exc: errors.RateLimited | errors.TransientError) -> RunDeferred:
    """The deferral the map gives a rate limit or an unreachable service, to raise."""
    return RunDeferred(remote_action(exc).wait_seconds, str(exc))
