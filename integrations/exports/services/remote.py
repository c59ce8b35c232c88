"""One map from a remote error to what the export does about it.

The clients raise errors by meaning (`integrations.core.errors`); this is the one place that
turns a meaning into an action, instead of each step repeating "rate-limited → defer":

| error                                  | action                                             |
|----------------------------------------|----------------------------------------------------|
| Unauthorized, Forbidden                | re-authorise: the job fails, the connection page   |
|                                        | says sign in again                                 |
| RateLimited                            | defer for Retry-After (or a minute)                |
| TransientError (5xx, timeout, network) | defer a minute; a create whose outcome is unknown  |
|                                        | is looked up first (poster)                        |
| anything else (the request was refused)| fail the item with Visma.net's words               |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from integrations.core import errors
from integrations.exports.services.context import UNREACHABLE_RETRY_SECONDS, RunDeferred
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
    if isinstance(exc, errors.Unauthorized | errors.Forbidden):
        return RemoteAction(Action.REAUTHORISE)
    if isinstance(exc, errors.RateLimited):
        return RemoteAction(Action.DEFER, exc.retry_after or UNREACHABLE_RETRY_SECONDS)
    if isinstance(exc, errors.TransientError):
        return RemoteAction(Action.DEFER, UNREACHABLE_RETRY_SECONDS)
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
