"""Background tasks of the connections (django-q2): they take ids and are safe to run twice."""

from __future__ import annotations

import logging

from integrations.connections.models import Connection
from integrations.connections.notices import sign_in_notices_send

logger = logging.getLogger(__name__)


def sign_in_notices_send_all() -> int:
    """The daily schedule: e-mail the finance contacts of every connection whose sign-in ends
    within the warning time, once per end. Returns how many e-mails were sent."""
    sent = 0
    for connection in Connection.objects.exclude(status=Connection.Status.DISCONNECTED):
        try:
            sent += len(sign_in_notices_send(connection=connection))
        except Exception:
            # One connection's mail failing must not stop the others; the next day tries again.
            logger.exception("Sign-in notice for connection %s failed", connection.pk)
    return sent
