"""A web process keeps the reference data a document is checked against (accounts, VAT,
periods, currencies, branches, segments) across requests, and reads it afresh as soon as any of
it changes: a change made through the control API, the service's own API or the ORM is seen by
the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.visma.models import Account, FinancialPeriod, SegmentValue
from tests.sandbox.visma.conftest import Visma, assert_visma_error, journal_body, w

pytestmark = pytest.mark.django_db

REFERENCE_TABLES = (
    "sandbox_visma_account", "sandbox_visma_currency", "sandbox_visma_financialperiod",
    "sandbox_visma_branch", "sandbox_visma_segment", "sandbox_visma_segmentvalue",
    "sandbox_visma_vatcategory", "sandbox_visma_vat",
)  # fmt: skip


def _tables_read(visma: Visma) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        answer = visma.post("/v2/journaltransaction", journal_body())
    assert answer.status_code == 201, answer.content
    return {
        table
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        for table in REFERENCE_TABLES
        if f'"{table}"' in query["sql"].split(" WHERE ")[0]
    }


def test_a_second_document_reads_no_reference_table(visma: Visma) -> None:
    assert _tables_read(visma)  # the first one reads them
    assert _tables_read(visma) == set()


def test_a_period_closed_through_the_control_api_refuses_the_next_journal(visma: Visma) -> None:
    _tables_read(visma)
    closed = visma.control(
        "post",
        "seed",
        {"financialPeriods": [{"periodId": "202603", "closedInGeneralLedger": True}]},
    )
    assert closed.status_code == 200, closed.content
    answer = visma.post("/v2/journaltransaction", journal_body())
    assert_visma_error(answer, 400, "Financial period 202603 is closed in General Ledger.")


def test_rows_changed_through_the_orm_are_seen_by_the_next_request(visma: Visma) -> None:
    _tables_read(visma)
    account = Account.objects.get(company__tenant_id="demo-tenant", number="6540")
    account.active = False
    account.save()
    answer = visma.post("/v2/journaltransaction", journal_body())
    assert_visma_error(answer, 400, "Account '6540' is inactive.")

    account.active = True
    account.save()
    value = SegmentValue.objects.get(
        segment__dimension__company__tenant_id="demo-tenant", segment__segment_id=1, value_id="10"
    )
    value.delete()
    answer = visma.post("/v2/journaltransaction", journal_body())
    assert_visma_error(answer, 400, "Value '10' was not found")


def test_a_new_period_is_usable_at_once(visma: Visma) -> None:
    _tables_read(visma)
    company = Account.objects.get(company__tenant_id="demo-tenant", number="6540").company
    refused = visma.post("/v2/journaltransaction", journal_body(financialPeriod=w("209901")))
    assert_visma_error(refused, 400, "Financial period 209901 does not exist.")
    existing = FinancialPeriod.objects.filter(company=company).first()
    assert existing is not None
    FinancialPeriod.objects.create(
        company=company, period_id="209901", year=2099,
        start_date=existing.start_date.replace(year=2099, month=1),
        end_date=existing.end_date.replace(year=2099, month=1, day=31),
    )  # fmt: skip
    answer = visma.post(
        "/v2/journaltransaction",
        journal_body(financialPeriod=w("209901"), transactionDate=w("2099-01-14T00:00:00")),
    )
    assert answer.status_code == 201, answer.content
