"""Releases answered Queued/InProcess that settle later, and refusals answered 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.sandbox.visma.models import JournalTransaction
from tests.sandbox.visma.conftest import (
    Visma,
    assert_visma_error,
    invoice_body,
    journal_body,
    w,
)

pytestmark = pytest.mark.django_db


def settings(visma: Visma, **values: Any) -> Any:
    answer = visma.control("post", "seed", {"companySettings": values})
    assert answer.status_code == 200, answer.content
    return visma.control("get", "state").json()["companySettings"]


def test_settings_are_checked_and_shown(visma: Visma) -> None:
    assert visma.control("get", "state").json()["companySettings"] == {
        "vatEntryFromGeneralLedger": True,
        "releaseAnswer": "Done",
        "releaseSettlesAfterPolls": 2,
        "releaseSettlesAfterSeconds": None,
        "releaseOutcome": "Released",
        "refusalStatus": 400,
    }
    for bad in (
        {"releaseAnswer": "Later"},
        {"releaseOutcome": "Maybe"},
        {"refusalStatus": 503},
        {"releaseSettlesAfterPolls": -1},
        {"releaseSettlesAfterSeconds": "soon"},
        {"nope": 1},
    ):
        answer = visma.control("post", "seed", {"companySettings": bad})
        assert answer.status_code == 400, bad
        assert next(iter(bad)) in answer.json()["error"]


def test_a_queued_journal_release_settles_after_the_polls(visma: Visma) -> None:
    settings(visma, releaseAnswer="Queued", releaseSettlesAfterPolls=2)
    visma.post("/v2/journaltransaction", journal_body())
    released = visma.post("/v2/journaltransaction/000001/action/release").json()
    assert released["actionResult"] == "Queued" and "errorInfo" not in released
    again = visma.post("/v2/journaltransaction/000001/action/release").json()
    assert again["actionResult"] == "InProcess"
    # Two reads still show the batch as it was, the third shows it posted.
    statuses = [visma.get("/v2/journaltransaction/000001").json()["status"] for _ in range(3)]
    assert statuses == ["Balanced", "Balanced", "Posted"]
    done = visma.post("/v2/journaltransaction/000001/action/release").json()
    assert done["actionResult"] == "Failed" and "already released" in done["errorInfo"]


def test_a_release_that_fails_in_the_background(visma: Visma) -> None:
    settings(visma, releaseAnswer="InProcess", releaseSettlesAfterPolls=0, releaseOutcome="Failed")
    visma.post("/v1/supplierInvoice", invoice_body())
    answer = visma.post("/v1/supplierInvoice/Invoice/000001/action/release").json()
    assert answer["actionResult"] == "InProcess"
    assert visma.get("/v1/supplierInvoice/Invoice/000001").json()["status"] == "Balanced"
    assert visma.get("/v1/supplierInvoice/000001").json()["status"] == "Balanced"
    # It can be released again; a failed release reaches no VAT report.
    assert visma.control("get", "state").json()["vatTransactions"] == []
    settings(visma, releaseAnswer="Done")
    assert visma.post("/v1/supplierInvoice/Invoice/000001/action/release").json()[
        "actionResult"
    ] == ("Done")
    assert visma.get("/v1/supplierInvoice/000001").json()["status"] == "Open"


def test_a_release_settles_after_its_time_also_in_lists(visma: Visma) -> None:
    settings(visma, releaseAnswer="Queued", releaseSettlesAfterPolls=100,
             releaseSettlesAfterSeconds=30)  # fmt: skip
    visma.post("/v2/journaltransaction", journal_body())
    visma.post("/v2/journaltransaction/000001/action/release")
    listed = visma.get("/v2/journaltransaction", periodId="202603").json()
    assert listed[0]["status"] == "Balanced"
    # The time passes.
    JournalTransaction.objects.update(release_due_at=timezone.now() - timedelta(seconds=1))
    listed = visma.get("/v2/journaltransaction", periodId="202603").json()
    assert listed[0]["status"] == "Posted"


def test_refusals_answer_500_where_visma_does(visma: Visma) -> None:
    settings(visma, refusalStatus=500)
    # Supplier_Post and SupplierInvoice_Post: "BadRequest or InternalServerError".
    assert_visma_error(visma.post("/v1/supplier", {"supplierClassId": w("1")}), 500,
                       "Name is required.")  # fmt: skip
    assert_visma_error(
        visma.post("/v1/supplierInvoice", invoice_body(supplierNumber=w("59999"))),
        500,
        "Supplier '59999' was not found.",
    )
    assert visma.control("get", "state").json()["supplierInvoices"] == []
    # Journals answer 400 as before; reads and a missing document are not refusals.
    assert_visma_error(
        visma.post("/v2/journaltransaction", journal_body(currencyId=w("XXX"))), 400, "XXX"
    )
    assert_visma_error(visma.get("/v1/supplierInvoice/424242"), 404, "not found")
    # A supplier invoice action that fails is the error itself.
    visma.post("/v1/supplierInvoice", invoice_body(hold=w(True)))
    assert_visma_error(
        visma.post("/v1/supplierInvoice/Invoice/000001/action/release"), 500, "on hold"
    )
    # Back to 400, and the release's failure as an action result.
    settings(visma, refusalStatus=400)
    assert_visma_error(visma.post("/v1/supplier", {"supplierClassId": w("1")}), 400, "Name")
    failed = visma.post("/v1/supplierInvoice/Invoice/000001/action/release")
    assert failed.status_code == 200 and failed.json()["actionResult"] == "Failed"
