"""E-mails to a connection's finance contacts: when an export ends with failures (built in
`exports.notify`) and before a sign-in ends (here, from a daily schedule).

Sent through Django's e-mail framework (plain text and HTML; the backend is a setting, the demo
prints to the console). Each is sent once per subject: the `Notice` row is claimed with a
conditional update before sending and marked sent after, so a task delivered twice, or run by
two workers at once, sends one e-mail. Links are absolute, on PUBLIC_BASE_URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations.connections.models import Connection, ConnectionMembership, Notice
from integrations.connections.token_health import token_health
from integrations.core.dates import day_text
from integrations.core.roles import FINANCE

logger = logging.getLogger(__name__)

# A claim older than this belongs to a sender that died before it could send.
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Mail:
    subject: str
    template: str  # rendered as <template>.txt and <template>.html
    context: dict[str, object]


def absolute_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def finance_contacts(*, connection: Connection) -> list[str]:
    """The e-mail addresses of the connection's members in the finance group (one query)."""
    emails = (
        ConnectionMembership.objects.filter(
            connection=connection, user__is_active=True, user__groups__name=FINANCE
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return list(emails)


def notice_send(*, connection: Connection, kind: str, key: str, mail: Mail) -> Notice | None:
    """Send `mail` to the finance contacts unless this notice was sent (or is being sent)
    already. Returns the notice when this call sent it."""
    recipients = finance_contacts(connection=connection)
    if not recipients:
        logger.info(
            "Connection %s has no finance contact with an e-mail: %s not sent", connection.pk, kind
        )
        return None
    notice, _ = Notice.objects.get_or_create(connection=connection, kind=kind, key=key)
    now = timezone.now()
    claimed = (
        Notice.objects.filter(pk=notice.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )
    if not claimed:
        return None
    context = {"connection": connection, **mail.context}
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=render_to_string(f"{mail.template}.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string(f"{mail.template}.html", context), "text/html")
    try:
        message.send()
    except Exception as exc:
        # Let a later attempt send it: release the claim, keep why.
        Notice.objects.filter(pk=notice.pk).update(claimed_at=None, error=str(exc)[:2000])
        raise
    Notice.objects.filter(pk=notice.pk).update(
        sent_at=timezone.now(), subject=mail.subject[:300], recipients=recipients, error=""
    )
    notice.refresh_from_db()
    return notice


def sign_in_notices_send(*, connection: Connection) -> list[Notice]:
    """One e-mail per sign-in that ends within the warning time (or has ended), once per end."""
    sent: list[Notice] = []
    page = absolute_url(reverse("connections:detail", args=[connection.pk]))
    for health in token_health(connection=connection):
        if not health.needs_reconnect or health.ends_at is None:
            continue
        ends = timezone.localtime(health.ends_at)
        verb = "has ended" if health.state == "expired" else f"ends {day_text(ends)}"
        mail = Mail(
            subject=f"{connection.name}: the {health.label} sign-in {verb}, connect it again",
            template="connections/mail/sign_in_ending",
            context={"health": health, "ends": ends, "link": page + health.anchor},
        )
        notice = notice_send(
            connection=connection,
            kind=Notice.Kind.SIGN_IN_ENDING,
            key=f"{health.service}:{health.ends_at.isoformat()}",
            mail=mail,
        )
        if notice is not None:
            sent.append(notice)
    return sent
