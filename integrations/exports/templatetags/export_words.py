"""`{% load export_words %}`: failure reasons in finance staff's words, never Pleo's codes."""

from __future__ import annotations

from django import template

from integrations.pleo.enums import failure_reason_words, job_failure_reason_words

register = template.Library()


@register.filter
def reason_title(value: str) -> str:
    return failure_reason_words(value).title


@register.filter
def reason_fix(value: str) -> str:
    return failure_reason_words(value).fix


@register.filter
def job_reason_title(value: str) -> str:
    words = job_failure_reason_words(value)
    return words.title if words else "The export stopped"


@register.filter
def job_reason_fix(value: str) -> str:
    words = job_failure_reason_words(value)
    return words.fix if words else ""


@register.filter
def any_reason(rows: object) -> bool:
    """Whether a list of item rows has a row with a failure reason (else no Reason column)."""
    return any(
        row.item.status == "failed" or row.item.failure_reason
        for row in rows  # type: ignore[attr-defined]
    )
