"""The Visma.net sandbox's writes in as few statements as their meaning allows: a journal
transaction and its lines in one statement after its number, an upload and its document's
change time in one. What is stored is the same as the ORM would store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.common import row_with_children_insert
from integrations.sandbox.visma.models import JournalLine, JournalTransaction
from tests.sandbox.visma.conftest import Visma, journal_body, w

pytestmark = pytest.mark.django_db


def _body() -> dict:
    body = journal_body(description=w('Pleo "8f3c" — Ærø\nline two'))
    first, second = body["journalTransactionLines"]
    first["debitAmountInCurrency"] = w(1234.56)
    first["transactionDescription"] = w("Kaffe & kake, 'office'")
    second["creditAmountInCurrency"] = w(1234.56)
    return body


def test_a_batch_and_its_lines_are_stored_as_given(visma: Visma) -> None:
    answer = visma.post("/v2/journaltransaction", _body())
    assert answer.status_code == 201, answer.content
    number = answer["Location"].rsplit("/", 1)[1]
    journal = JournalTransaction.objects.get(batch_number=number)
    assert journal.description == 'Pleo "8f3c" — Ærø\nline two'
    assert journal.transaction_date == date(2026, 3, 14)
    assert (journal.financial_period, journal.currency_id, journal.branch) == ("202603", "NOK", "1")
    assert (journal.status, journal.released, journal.hold) == ("Balanced", False, False)
    lines = list(journal.lines.order_by("line_number"))
    assert [line.line_number for line in lines] == [1, 2]
    first, second = lines
    assert first.account_number == "6540"
    # Completed with the other segments' defaults, a list of objects as sent.
    assert first.subaccount == [
        {"segmentId": 1, "segmentValue": "10"},
        {"segmentId": 2, "segmentValue": "000"},
    ]
    assert first.reference_number == "PLEO-8f3c"
    assert first.description == "Kaffe & kake, 'office'"
    assert (first.debit, first.credit) == (Decimal("1234.56"), Decimal(0))
    assert first.vat_code_id == "1"
    assert (second.account_number, second.credit) == ("1925", Decimal("1234.56"))
    # Read back through the API as through the database.
    read = visma.get(f"/v2/journaltransaction/{number}").json()
    assert [line["lineNumber"] for line in read["journalTransactionLines"]] == [1, 2]


@pytest.mark.postgres
def test_a_batch_whose_line_cannot_be_stored_leaves_nothing(visma: Visma) -> None:
    journal = JournalTransaction(
        company_id=visma_company_id(),
        batch_number="990001",
        transaction_date=date(2026, 3, 14),
        financial_period="202603",
        currency_id="NOK",
    )
    lines = [
        JournalLine(line_number=1, account_number="6540", debit=Decimal(1)),
        # Longer than the column allows: the database refuses the statement.
        JournalLine(line_number=2, account_number="1" * 40, credit=Decimal(1)),
    ]
    with pytest.raises(DatabaseError), transaction.atomic():
        row_with_children_insert(journal, lines, "journal")
    assert not JournalTransaction.objects.filter(batch_number="990001").exists()
    assert not JournalLine.objects.filter(account_number="6540", debit=Decimal(1)).exists()


def visma_company_id() -> int:
    from integrations.sandbox.visma.models import Company

    return int(Company.objects.get(tenant_id="demo-tenant").pk)


def test_an_upload_moves_its_document_s_change_time(visma: Visma) -> None:
    visma.post("/v2/journaltransaction", journal_body())
    before = JournalTransaction.objects.get(batch_number="000001").last_modified
    path = "/v2/journaltransaction/module/GL/000001/attachment"
    assert visma.upload(path, "r.pdf", b"%PDF-1 first").status_code == 201
    after = JournalTransaction.objects.get(batch_number="000001").last_modified
    assert after > before
    listed = visma.get("/v2/journaltransaction", lastModifiedDateTime="2000-01-01").json()
    assert [j["batchNumber"] for j in listed] == ["000001"]


@pytest.mark.postgres
def test_a_journal_s_create_is_one_statement_after_its_number(visma: Visma) -> None:
    visma.control("post", "budget", {"hourly": None})
    visma.post("/v2/journaltransaction", journal_body())  # the session's first use
    with CaptureQueriesContext(connection) as captured:
        answer = visma.post("/v2/journaltransaction", journal_body())
    assert answer.status_code == 201, answer.content
    # Inside the test's transaction the session's commit setting is set again each time.
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET ")]
    # The service's settings with the token's company, the batch number, the batch with its
    # lines, the request's record: no BEGIN, no second INSERT, no COMMIT.
    assert len(statements) == 4, statements
    (written,) = [s for s in statements if "sandbox_visma_journalline" in s]
    assert written.startswith("WITH parent AS (INSERT INTO")
    assert "sandbox_visma_journaltransaction" in written
    assert JournalLine.objects.filter(journal__batch_number="000002").count() == 2


def test_the_settings_read_with_the_token_see_each_change_at_once(visma: Visma) -> None:
    """A call with a token reads the service's settings in its token's statement: a budget,
    a fault rule or a removed settings row is seen by the very next call."""
    from integrations.sandbox.models import ServiceSettings

    visma.control("post", "budget", {"hourly": 3})
    first = visma.get("/v1/account")
    assert (first.status_code, first["X-RateLimit-Remaining"]) == (200, "2")
    # An unknown token: settings read on their own, the call still counted, then refused.
    visma_other = Visma(client=visma.client, token="not-a-token")
    refused = visma_other.get("/v1/account")
    assert (refused.status_code, refused["X-RateLimit-Remaining"]) == (401, "1")
    visma.control("post", "faults", {"path": "/v1/account", "fault": "status:503", "times": 1})
    assert visma.get("/v1/account").status_code == 503
    visma.control("post", "budget", {"hourly": None})
    unlimited = visma.get("/v1/account")
    assert unlimited.status_code == 200 and "X-RateLimit-Limit" not in unlimited
    # No settings row (a database emptied by hand): the call creates it, as before.
    ServiceSettings.objects.filter(service="visma").delete()
    assert visma.get("/v1/account").status_code == 200
    assert ServiceSettings.objects.filter(service="visma").exists()


@pytest.mark.postgres
def test_a_receipt_is_stored_compressed_with_lz4_and_read_back_whole(visma: Visma) -> None:
    """pglz would cost the server about a millisecond per 100 KB receipt (`storage`)."""
    from integrations.sandbox.storage import lz4_available
    from integrations.sandbox.visma.models import Attachment

    if not lz4_available(connection):
        pytest.skip("this PostgreSQL server is built without lz4")
    visma.post("/v2/journaltransaction", journal_body())
    content = b"%PDF-1.4\n" + b"% scan line 7 " * 8000
    path = "/v2/journaltransaction/module/GL/000001/attachment"
    assert visma.upload(path, "r.pdf", content).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(content) FROM sandbox_visma_attachment")
        assert cursor.fetchall() == [("lz4",)]
    assert bytes(Attachment.objects.get().content) == content
