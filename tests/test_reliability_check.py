"""The campaign's checker finds each kind of damage in the sandboxes' state: a checker that
cannot fail would make a clean table worthless."""

from __future__ import annotations

from typing import Any

from integrations.exports.planner.text import item_reference
from reliability.check import findings_compute
from reliability.items import Expected

BOOKED = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PLANTED = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
JOB = "job-1"


def _journal(number: str, entry: str, *, debit: str = "100.00", credit: str = "100.00",
             attachments: int = 1) -> dict[str, Any]:  # fmt: skip
    reference = item_reference(entry)
    return {
        "batchNumber": number,
        "journalTransactionLines": [
            {"referenceNumber": reference, "debitAmountInCurrency": debit,
             "creditAmountInCurrency": "0",
             "attachments": [{"name": f"{reference}-1.pdf", "id": f"a{number}-{n}"}
                             for n in range(attachments)]},
            {"referenceNumber": reference, "debitAmountInCurrency": "0",
             "creditAmountInCurrency": credit},
        ],
    }  # fmt: skip


def _pleo(items: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    return {"exportJobs": [{"id": JOB, "status": status, "createdAt": "1", "items": items}]}


def _run(visma: dict[str, Any], pleo: dict[str, Any], unfinished: int = 0) -> dict[str, int]:
    expected = [
        Expected(entry_id=BOOKED, receipts=1, has_vat=True),
        Expected(entry_id=PLANTED, receipts=1, has_vat=True, failure_type="account_unknown"),
    ]
    findings = findings_compute(
        expected=expected, pleo=pleo, visma=visma, runs_unfinished=unfinished, job_ids=[JOB]
    )
    return {k: v for k, v in findings.counts.items() if v}


GOOD_PLEO = [
    {"accountingEntryId": BOOKED, "status": "successful", "externalId": "000001"},
    {"accountingEntryId": PLANTED, "status": "failed", "failureReasonType": "account_unknown"},
]
VAT = [{"documentNumber": "000001", "referenceNumber": item_reference(BOOKED)}]


def test_a_clean_state_has_no_finding() -> None:
    visma = {"journalTransactions": [_journal("000001", BOOKED)], "vatTransactions": VAT}
    assert _run(visma, _pleo(GOOD_PLEO)) == {}


def test_each_kind_of_damage_is_counted() -> None:
    visma = {
        "journalTransactions": [
            _journal("000001", BOOKED, attachments=2),
            _journal("000002", BOOKED, credit="99.99"),
            _journal("000003", PLANTED),
        ],
        "vatTransactions": [],
    }
    pleo = _pleo(
        [
            {"accountingEntryId": BOOKED, "status": "successful", "externalId": "000009"},
            {"accountingEntryId": PLANTED, "status": "successful", "externalId": "000003"},
        ],
        status="in_progress",
    )
    assert _run(visma, pleo, unfinished=1) == {
        # The booked item twice, the one that must fail once.
        "duplicates": 2,
        "wrong or missing Pleo statuses": 2,
        # Two receipts on the first journal, one on the second, one where none belongs.
        "attachments doubled": 3,
        "unbalanced documents": 1,
        "VAT missing from the VAT report": 1,
        "runs stuck": 1,
    }


def test_an_item_never_booked_is_missing_and_its_status_wrong() -> None:
    pleo = _pleo([{**GOOD_PLEO[0], "status": "in_progress"}, GOOD_PLEO[1]])
    assert _run({"journalTransactions": [], "vatTransactions": []}, pleo) == {
        "items missing": 1,
        "wrong or missing Pleo statuses": 1,
    }


def test_a_booked_item_without_its_receipt_misses_an_attachment() -> None:
    visma = {"journalTransactions": [_journal("000001", BOOKED, attachments=0)]}
    assert _run(visma, _pleo(GOOD_PLEO)) == {"attachments missing": 1}
