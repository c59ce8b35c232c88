"""Errors of the connect flows, each with a message a finance user can act on."""

from __future__ import annotations


class ConnectionSetupError(Exception):
    """A connect step could not be completed; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OAuthStateError(ConnectionSetupError):
    """The OAuth `state` is unknown, expired, already used or belongs to someone else."""
