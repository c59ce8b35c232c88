"""Finance words: failure reasons as short titles with their fix (never Pleo's codes), one date
format on every page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from integrations.connections.fixes import FixPage, FixTarget
from integrations.connections.models import Connection
from integrations.exports.models import ExportRun
from integrations.pleo.enums import (
    FAILURE_REASON_WORDS,
    JOB_FAILURE_REASON_WORDS,
    FailureReason,
    JobFailureReason,
    failure_reason_words,
)
from tests.exports import ui_factories as f


def test_every_failure_reason_has_a_title_and_a_fix() -> None:
    assert set(FAILURE_REASON_WORDS) == set(FailureReason)
    assert set(JOB_FAILURE_REASON_WORDS) == set(JobFailureReason)
    for reason, words in [*FAILURE_REASON_WORDS.items(), *JOB_FAILURE_REASON_WORDS.items()]:
        assert words.title and words.fix, reason
        # Plain words: no code, no underscore.
        assert reason.value not in words.title and "_" not in words.title + words.fix, reason
    assert len({w.title for w in FAILURE_REASON_WORDS.values()}) == len(FailureReason)


def test_an_unknown_stored_reason_reads_as_unexpected() -> None:
    assert (
        failure_reason_words("gone_since") == FAILURE_REASON_WORDS[FailureReason.UNEXPECTED_FAILURE]
    )
    assert failure_reason_words("") == FAILURE_REASON_WORDS[FailureReason.UNEXPECTED_FAILURE]


@pytest.fixture
def connection(db: None) -> Connection:
    return f.connection_make()


@pytest.fixture
def finance_client(db: None) -> Client:
    client = Client()
    user: User = f.finance()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_run_page_speaks_in_titles_and_fixes_not_codes(
    connection: Connection, finance_client: Client
) -> None:
    run = f.run_make(
        connection,
        status=ExportRun.Status.FAILED,
        failure_reason_type=JobFailureReason.JOB_EXPIRED,
        failure_reason="Pleo reports the job as failed",
    )
    f.item_make(run, "e-1", status="failed", reason_type="account_unknown",
                reason="Account 7140 is inactive in Visma.net",
                fix=FixTarget(FixPage.CATEGORIES, "account_cat-1"))  # fmt: skip
    f.item_make(run, "e-2", status="failed", reason_type="accounting_system_validation_failure",
                reason="The financial period 202603 is closed")  # fmt: skip
    html = finance_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    for code in ("account_unknown", "accounting_system_validation_failure", "job_expired"):
        assert code not in html
    for reason in (
        FailureReason.ACCOUNT_UNKNOWN,
        FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE,
    ):
        words = FAILURE_REASON_WORDS[reason]
        assert escape(words.title) in html and escape(words.fix) in html
    assert escape(JOB_FAILURE_REASON_WORDS[JobFailureReason.JOB_EXPIRED].title) in html
    # The item's own message is still there: it names the account.
    assert "Account 7140 is inactive in Visma.net" in html


@pytest.mark.django_db
def test_dates_read_the_same_on_every_page(connection: Connection, finance_client: Client) -> None:
    run = f.run_make(connection)
    ExportRun.objects.filter(pk=run.pk).update(
        created_at=datetime(2026, 11, 29, 18, 34, tzinfo=UTC),
        finished_at=datetime(2026, 11, 29, 18, 36, tzinfo=UTC),
    )
    f.item_make(run, "e-1", status="failed", reason_type="tag_unknown", reason="Tag x",
                date="2026-11-28T09:00:00Z")  # fmt: skip
    pages = [
        reverse("exports:run", args=[run.pk]),
        reverse("exports:connection", args=[connection.pk]),
        reverse("exports:index"),
        reverse("home"),
    ]
    for url in pages:
        html = finance_client.get(url).content.decode()
        assert "p.m." not in html and "a.m." not in html, url
    run_html = finance_client.get(pages[0]).content.decode()
    assert "29 Nov 2026, 18:34" in run_html and "29 Nov 2026, 18:36" in run_html
    assert "28 Nov 2026" in run_html
    assert "2026-11-2" not in run_html.replace("2026-11-28T", "")
    listing = finance_client.get(pages[1]).content.decode()
    assert "29 Nov 2026, 18:34" in listing
