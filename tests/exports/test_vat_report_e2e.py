"""The README's sample export reaches Visma.net's VAT report (DESIGN §5), over HTTP against both
sandboxes: the Visma.net sandbox's `vatTransactions` (its VAT report, filled only by journals
created as VAT transactions) hold the input VAT of every expense with VAT, and the reverse-charge
expense shows both sides."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from integrations.connections.models import Connection
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.planner import item_reference
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, run_for, settings_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-export-job.json"


def _sample_items() -> list[dict[str, Any]]:
    return list(json.loads(SAMPLE.read_text())["items"])


def _expected(items: list[dict[str, Any]]) -> set[tuple[str, str, str, str, Decimal]]:
    """(reference, VAT id, VAT category, side, VAT amount) for each expense line with VAT, from
    the sample itself: Pleo's tax amount where it gives one, else the rate of the demo VAT."""
    rates = {"1": ("IN25", "25"), "11": ("IN15", "15"), "13": ("IN12", "12"), "86": ("RC25", "25")}
    expected = set()
    for item in items:
        reference = item_reference(item["accountingEntryId"])
        for entry in item["accountingEntryLines"]:
            tax = entry.get("tax") or {}
            if tax.get("code") not in rates:
                continue
            vat_id, rate = rates[tax["code"]]
            gross = Decimal(entry["lineAmount"]["inWalletCurrency"]["value"]) / 100
            if tax.get("amount"):
                vat = Decimal(tax["amount"]["inWalletCurrency"]["value"]) / 100
            elif tax.get("type") == "reverse":
                vat = gross * Decimal(rate) / 100
            else:
                vat = gross * Decimal(rate) / (100 + Decimal(rate))
            vat = vat.quantize(Decimal("0.01"))
            expected.add((reference, vat_id, tax["code"], "input", vat))
            if tax.get("type") == "reverse":
                expected.add((reference, vat_id, tax["code"], "output", vat))
    return expected


def _report(sandbox: Sandbox) -> set[tuple[str, str, str, str, Decimal]]:
    return {
        (
            t["referenceNumber"],
            t["vatId"],
            t["vatCategoryId"],
            t["side"],
            Decimal(str(t["vatAmountInCurrency"])).quantize(Decimal("0.01")),
        )
        for t in sandbox.visma_state()["vatTransactions"]
    }


@pytest.mark.parametrize("one_journal_per_export", [False, True], ids=["per expense", "per export"])
def test_the_readme_sample_reaches_the_vat_report(
    sandbox: Sandbox, demo: Connection, one_journal_per_export: bool
) -> None:
    settings_change(demo, one_journal_per_export=one_journal_per_export)

    job = sandbox.job_create(_sample_items())

    # The items as Pleo serves them, with the ids the sandbox gave them.
    expected = _expected(job["items"])
    # The sample has a 25 % purchase, a reverse-charge purchase and a 12 % out-of-pocket
    # expense with VAT, and mileage without.
    assert {(vat_id, side) for _, vat_id, _, side, _ in expected} == {
        ("IN25", "input"), ("RC25", "input"), ("RC25", "output"), ("IN12", "input")
    }  # fmt: skip
    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED
    assert ExportItem.objects.filter(run=run, status=ExportItem.Status.SUCCESSFUL).count() == 4
    assert _report(sandbox) == expected
    journals = sandbox.visma_state()["journalTransactions"]
    assert any(j["createVatTransaction"] for j in journals)
    if not one_journal_per_export:
        # The mileage expense has no VAT: its journal is sent as before, not a VAT transaction.
        plain = [j for j in journals if not j["createVatTransaction"]]
        assert [line["accountNumber"] for j in plain for line in j["journalTransactionLines"]] == [
            "7100",
            "2915",
        ]


def test_the_vat_report_of_the_reverse_charge_expense_nets_to_zero(
    sandbox: Sandbox, demo: Connection
) -> None:
    [reverse] = [
        i for i in _sample_items() if i["accountingEntryLines"][0]["tax"]["type"] == "reverse"
    ]

    sandbox.job_create([reverse])

    entries = sandbox.visma_state()["vatTransactions"]
    assert sorted(t["side"] for t in entries) == ["input", "output"]
    assert {t["vatId"] for t in entries} == {"RC25"}
    assert all(t["reverseVat"] for t in entries)
    amounts = {t["side"]: Decimal(str(t["vatAmountInCurrency"])) for t in entries}
    assert amounts["input"] == amounts["output"] > 0


def test_vat_entry_from_general_ledger_off_fails_the_item_naming_cs100000(
    sandbox: Sandbox, demo: Connection
) -> None:
    sandbox.post(
        "visma", "_control/seed", {"companySettings": {"vatEntryFromGeneralLedger": False}}
    )
    [with_vat] = [i for i in _sample_items() if i["type"] == "card_purchase"][:1]

    job = sandbox.job_create([with_vat])

    [item] = ExportItem.objects.filter(run=run_for(job))
    assert item.status == ExportItem.Status.FAILED
    assert item.failure_reason_type == "invalid_configuration"
    assert "Enable/disable functionalities (CS100000)" in item.failure_reason
    state = sandbox.visma_state()
    assert state["journalTransactions"] == [] and state["vatTransactions"] == []
    [reported] = sandbox.job_items(job["id"]).values()
    assert (reported["status"], reported["failureReasonType"]) == (
        "failed",
        "invalid_configuration",
    )
