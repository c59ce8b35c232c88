"""Dates and times in the words of the pages ("29 Nov 2026, 18:34", config/formats), for text
built in Python (setup steps, sign-in states, e-mail subjects): one format everywhere."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone


def when_text(at: datetime) -> str:
    """A moment in the site's time zone, as every page writes it."""
    if timezone.is_aware(at):
        at = timezone.localtime(at)
    return formats.date_format(at, "DATETIME_FORMAT")


def day_text(day: date | datetime) -> str:
    if isinstance(day, datetime) and timezone.is_aware(day):
        day = timezone.localtime(day)
    return formats.date_format(day, "DATE_FORMAT")
