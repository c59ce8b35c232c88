"""Control API, faults and rate limits on the Visma.net sandbox, seeding."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from integrations.sandbox.visma.models import Company, JournalTransaction
from integrations.sandbox.visma.presets import visma_seed
from tests.sandbox.visma.conftest import Visma, assert_visma_error, journal_body


def test_state_has_every_section_in_read_shapes(visma: Visma) -> None:
    state = visma.control("get", "state").json()
    for key in ("accounts", "vatCategories", "dimensions", "suppliers", "paymentMethods",
                "branches", "financialPeriods", "journalTransactions", "supplierInvoices",
                "attachments"):  # fmt: skip
        assert key in state
    accounts = {a["accountCD"]: a for a in state["accounts"]}
    assert accounts["1926"]["currency"] == "EUR"
    assert accounts["6999"]["active"] is False
    assert accounts["7350"]["taxCategory"] == "11"
    assert len(state["financialPeriods"]) == 36
    closed = [p["period"] for p in state["financialPeriods"] if p["closedInGeneralLedger"]]
    assert closed == ["202601"]
    vats = visma.get("/v1/vat").json()
    assert [v["vatId"] for v in vats if v["reverseVat"]] == ["RC25"]
    categories = {c["vatCategoryId"]: c for c in state["vatCategories"]}
    assert categories["86"]["vatCategoryLines"][0]["vatRates"][0]["vatRate"] == 25.0


def test_reset_and_seed(visma: Visma) -> None:
    visma.post("/v2/journaltransaction", journal_body())
    assert visma.control("post", "reset").status_code == 200
    assert Company.objects.count() == 0
    empty = visma.control("get", "state").json()
    assert empty["accounts"] == [] and empty["tenantId"] is None
    seeded = visma.control("post", "seed", {"preset": "demo"})
    assert seeded.status_code == 200
    assert len(visma.control("get", "state").json()["suppliers"]) == 4
    explicit = visma.control(
        "post",
        "seed",
        {"accounts": [{"number": "7000", "description": "Fuel", "type": "Expense",
                       "taxCategory": "1"}],
         "suppliers": [{"number": "50010", "name": "Shell", "supplierClassId": "1"}]},
    )  # fmt: skip
    assert explicit.json()["records"] == {"accounts": 1, "suppliers": 1}
    numbers = [a["accountCD"] for a in visma.control("get", "state").json()["accounts"]]
    assert "7000" in numbers
    assert visma.control("post", "seed", {"preset": "nope"}).status_code == 400


@pytest.mark.django_db
def test_seed_command_keeps_existing_data() -> None:
    out = StringIO()
    call_command("sandbox_seed", "--preset", "demo", stdout=out, stderr=StringIO())
    assert "Visma.net sandbox: seeded" in out.getvalue()
    company = Company.objects.get(tenant_id="demo-tenant")
    JournalTransaction.objects.create(
        company=company, batch_number="X", transaction_date="2026-03-01", financial_period="202603",
        currency_id="NOK",
    )  # fmt: skip
    out = StringIO()
    call_command(
        "sandbox_seed", "--preset", "demo", "--keep-existing", stdout=out, stderr=StringIO()
    )
    assert "kept existing data" in out.getvalue()
    assert JournalTransaction.objects.filter(batch_number="X").exists()
    call_command("sandbox_seed", "--preset", "demo", stdout=StringIO(), stderr=StringIO())
    assert not JournalTransaction.objects.filter(batch_number="X").exists()


def test_lose_response_creates_the_batch_but_answers_504(visma: Visma) -> None:
    visma.control(
        "post", "faults",
        {"path": "/v2/journaltransaction", "method": "POST", "fault": "lose_response", "times": 1},
    )  # fmt: skip
    lost = visma.post("/v2/journaltransaction", journal_body())
    assert lost.status_code == 504
    assert lost.json()["ExceptionType"] == "IPPException"
    found = visma.get("/v2/journaltransaction", periodId="202603").json()
    assert [j["batchNumber"] for j in found] == ["000001"]


def test_status_and_delay_faults(visma: Visma) -> None:
    visma.control(
        "post", "faults",
        {"path": "/v1/account", "fault": "status:503", "retry_after": 2, "times": 1},
    )  # fmt: skip
    failed = visma.get("/v1/account")
    assert failed.status_code == 503 and failed["Retry-After"] == "2"
    assert visma.get("/v1/account").status_code == 200
    visma.control("post", "faults", {"path": "/v1/account", "fault": "delay:50"})
    assert visma.get("/v1/account").status_code == 200
    faults = visma.control("get", "faults").json()["faults"]
    assert [f["hits"] for f in faults] == [1, 1]


def test_rate_limit_headers_and_429(visma: Visma) -> None:
    first = visma.get("/v1/branch")
    assert first["X-RateLimit-Limit"] == "15000"
    visma.control("post", "budget", {"hourly": 2})
    assert visma.get("/v1/branch")["X-RateLimit-Remaining"] == "1"
    assert visma.get("/v1/branch")["X-RateLimit-Remaining"] == "0"
    blocked = visma.get("/v1/branch")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert_visma_error(blocked, 429, "Rate limit")


@pytest.mark.django_db
def test_seed_refuses_unknown_preset() -> None:
    with pytest.raises(ValueError, match="Unknown preset"):
        visma_seed("other")
