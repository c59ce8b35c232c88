"""One map from a remote error to what to do about it, and the words people read.

The clients raise errors by meaning (`errors`); this is the one place that sorts a meaning into
an outcome. Every caller decides by the outcome (never by a message text) and words it with the
table below, giving its own fix where the advice depends on the place (which page, which button):

| error                                   | outcome   | what the caller does             |
|-----------------------------------------|-----------|----------------------------------|
| Unauthorized (401)                      | SIGN_IN   | ask for the sign-in again        |
| Forbidden (403)                         | ACCESS    | ask for a user or role with access|
| RateLimited (429)                       | LATER     | wait Retry-After (or a minute)   |
| TransientError (5xx, timeout, network)  | LATER     | wait a minute, then try again    |
| NotFound (404, 410)                     | NOT_FOUND | say what is gone                 |
| anything else (the request was refused) | REFUSED   | show the service's own words     |

The export turns these outcomes into its actions in `exports.services.remote`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from integrations.core import errors

# How long to wait before trying again after a service could not be reached, or rate-limited us
# without a Retry-After.
UNREACHABLE_RETRY_SECONDS = 60


class RemoteOutcome(StrEnum):
    SIGN_IN = "sign_in"
    ACCESS = "access"
    LATER = "later"
    NOT_FOUND = "not_found"
    REFUSED = "refused"


# The words when the caller has no better fix. Placeholders: {service}, {message} (what the
# service said) and {error} (that and the request it answered).
WORDS: Mapping[RemoteOutcome, str] = {
    RemoteOutcome.SIGN_IN: "{service} no longer accepts the sign-in ({message}): connect "
    "{service} again.",
    RemoteOutcome.ACCESS: "{service} refuses access to the user who connected ({message}): "
    "connect again as a user with access.",
    RemoteOutcome.LATER: "{service} did not answer in time ({message}). Try again in a few "
    "minutes.",
    RemoteOutcome.NOT_FOUND: "{service} does not know it: {message}",
    RemoteOutcome.REFUSED: "{service} said: {message}",
}


def remote_outcome(exc: errors.ApiError) -> RemoteOutcome:
    if isinstance(exc, errors.Unauthorized):
        return RemoteOutcome.SIGN_IN
    if isinstance(exc, errors.Forbidden):
        return RemoteOutcome.ACCESS
    if isinstance(exc, errors.TransientError):  # RateLimited included
        return RemoteOutcome.LATER
    if isinstance(exc, errors.NotFound):
        return RemoteOutcome.NOT_FOUND
    return RemoteOutcome.REFUSED


def remote_wait_seconds(exc: errors.ApiError) -> float:
    """How long to wait before trying again (for LATER): Retry-After when the service gave it."""
    if isinstance(exc, errors.RateLimited) and exc.retry_after:
        return exc.retry_after
    return UNREACHABLE_RETRY_SECONDS


def remote_error_text(
    exc: errors.ApiError, *, service: str, fixes: Mapping[RemoteOutcome, str] | None = None
) -> str:
    """What to tell a person about `exc`: the caller's fix for its outcome, else `WORDS`."""
    outcome = remote_outcome(exc)
    template = (fixes or {}).get(outcome) or WORDS[outcome]
    return template.format(service=service, message=exc.message, error=str(exc))
