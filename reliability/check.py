"""Compare what the sandboxes hold after the campaign with what must be there.

Documents are found by the item's reference (`item_reference`: on every journal line and in a
supplier invoice's `supplierReference`), receipts by their file name (unique per item), Pleo's
verdict on the latest job that holds the item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integrations.exports.planner.text import item_reference
from reliability.items import Expected

FAILURE_COLUMNS = (
    "duplicates",
    "items missing",
    "wrong or missing Pleo statuses",
    "attachments missing",
    "attachments doubled",
    "unbalanced documents",
    "VAT missing from the VAT report",
    "runs stuck",
)
TERMINAL_JOB_STATUSES = frozenset({"completed", "completed_with_errors", "failed"})


@dataclass
class Findings:
    counts: Counter[str] = field(default_factory=Counter)
    documents: int = 0
    journals: int = 0
    invoices: int = 0
    vat_report: bool = False
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, column: str, example: str, n: int = 1) -> None:
        self.counts[column] += n
        if len(self.examples[column]) < 5:
            self.examples[column].append(example)

    @property
    def failed(self) -> bool:
        return any(self.counts[c] for c in FAILURE_COLUMNS)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _documents(visma: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("journal", j) for j in visma.get("journalTransactions", [])] + [
        ("invoice", i) for i in visma.get("supplierInvoices", [])
    ]


def _doc_id(kind: str, doc: Mapping[str, Any]) -> str:
    if kind == "journal":
        return f"journal {doc.get('batchNumber')}"
    return f"invoice {doc.get('documentType')} {doc.get('referenceNumber')}"


def _references(kind: str, doc: Mapping[str, Any]) -> set[str]:
    if kind == "journal":
        return {
            str(line["referenceNumber"])
            for line in doc.get("journalTransactionLines", [])
            if line.get("referenceNumber")
        }
    return {str(doc["supplierReference"])} if doc.get("supplierReference") else set()


def _attachments(kind: str, doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, id) of the document's attachments, on the header and on its lines. A file sent
    again under the same name is a new revision of the same attachment (same id)."""
    found = [(a["name"], a["id"]) for a in doc.get("attachments") or []]
    lines = doc.get("journalTransactionLines" if kind == "journal" else "invoiceLines") or []
    for line in lines:
        found += [(a["name"], a["id"]) for a in line.get("attachments") or []]
    return found


def _receipt_owner(name: str) -> str:
    """The item reference an attachment belongs to: the export names a receipt
    `<reference>-<position>.<ext>`."""
    return name.rsplit("-", 1)[0] if "-" in name else name


def _balanced(kind: str, doc: Mapping[str, Any]) -> bool:
    if kind == "journal":
        lines = doc.get("journalTransactionLines", [])
        debit = sum((_amount(line.get("debitAmountInCurrency")) for line in lines), Decimal(0))
        credit = sum((_amount(line.get("creditAmountInCurrency")) for line in lines), Decimal(0))
        return debit == credit and debit > 0
    lines = doc.get("invoiceLines", [])
    total = sum((_amount(line.get("costInCurrency")) for line in lines), Decimal(0))
    return total == _amount(doc.get("amount")) and total > 0


def _latest_pleo_items(pleo: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """Each accounting entry's item in the most recent job holding it, with the job status."""
    latest: dict[str, tuple[str, dict[str, Any], str]] = {}
    for job in pleo.get("exportJobs", []):
        for item in job.get("items", []):
            entry = str(item["accountingEntryId"])
            key = str(job.get("createdAt") or "")
            if entry not in latest or key >= latest[entry][0]:
                latest[entry] = (key, item, str(job["status"]))
    return {entry: (item, status) for entry, (_, item, status) in latest.items()}


def _vat_keys(visma: Mapping[str, Any]) -> set[str] | None:
    """What the VAT report names (`vatTransactions`: each row's document number and reference),
    or None when the service shows no VAT report."""
    rows = visma.get("vatTransactions")
    if rows is None:
        return None
    found: set[str] = set()
    for row in rows:
        for key in ("documentNumber", "referenceNumber"):
            if row.get(key):
                found.add(str(row[key]))
    return found


def findings_compute(
    *,
    expected: Iterable[Expected],
    pleo: Mapping[str, Any],
    visma: Mapping[str, Any],
    runs_unfinished: int,
    job_ids: Iterable[str],
) -> Findings:
    findings = Findings()
    documents = _documents(visma)
    findings.journals = sum(1 for kind, _ in documents if kind == "journal")
    findings.invoices = len(documents) - findings.journals
    findings.documents = len(documents)

    by_reference: dict[str, list[str]] = defaultdict(list)
    attachments: dict[str, set[str]] = defaultdict(set)
    numbers: dict[str, str] = {}
    for kind, doc in documents:
        doc_id = _doc_id(kind, doc)
        numbers[doc_id] = str(doc.get("batchNumber") or doc.get("referenceNumber") or "")
        for reference in _references(kind, doc):
            by_reference[reference].append(doc_id)
        for name, attachment_id in _attachments(kind, doc):
            attachments[_receipt_owner(name)].add(f"{doc_id}/{attachment_id}")
        if not _balanced(kind, doc):
            findings.add("unbalanced documents", doc_id)

    vat_keys = _vat_keys(visma)
    findings.vat_report = vat_keys is not None
    pleo_items = _latest_pleo_items(pleo)
    for item in expected:
        reference = item_reference(item.entry_id)
        docs = by_reference.get(reference, [])
        label = f"{item.entry_id} ({reference})"
        pleo_item, _ = pleo_items.get(item.entry_id, ({}, ""))
        status = pleo_item.get("status")
        if item.failure_type:
            if docs:
                findings.add("duplicates", f"{label}: must fail but is booked in {docs}", len(docs))
            if attachments.get(reference):
                findings.add("attachments doubled", f"{label}: attached though it must fail")
            if status != "failed" or pleo_item.get("failureReasonType") != item.failure_type:
                findings.add(
                    "wrong or missing Pleo statuses",
                    f"{label}: expected failed/{item.failure_type}, Pleo has {status}/"
                    f"{pleo_item.get('failureReasonType')}: {pleo_item.get('failureReason')}",
                )
            continue
        if not docs:
            findings.add("items missing", f"{label}: no Visma.net document")
        elif len(set(docs)) > 1 or len(docs) > 1:
            findings.add("duplicates", f"{label}: {docs}", len(docs) - 1)
        if status != "successful" or not pleo_item.get("externalId"):
            findings.add(
                "wrong or missing Pleo statuses",
                f"{label}: expected successful, Pleo has {status}/"
                f"{pleo_item.get('failureReasonType')}: {pleo_item.get('failureReason')}",
            )
        elif docs and str(pleo_item["externalId"]) not in {numbers[d] for d in docs}:
            findings.add(
                "wrong or missing Pleo statuses",
                f"{label}: Pleo's externalId {pleo_item['externalId']} is none of {docs}",
            )
        copies = len(attachments.get(reference, ()))
        if docs and copies < item.receipts:
            findings.add("attachments missing", f"{label}: {copies} of {item.receipts} receipts")
        elif copies > item.receipts:
            findings.add(
                "attachments doubled",
                f"{label}: {sorted(attachments[reference])}",
                copies - item.receipts,
            )
        reported = vat_keys is None or (
            reference in vat_keys or any(numbers[d] in vat_keys for d in docs)
        )
        if item.has_vat and docs and not reported:
            findings.add("VAT missing from the VAT report", f"{label}: {docs}")

    jobs = {str(j["id"]): str(j["status"]) for j in pleo.get("exportJobs", [])}
    open_jobs = [j for j in job_ids if jobs.get(j) not in TERMINAL_JOB_STATUSES]
    stuck = max(runs_unfinished, len(open_jobs))
    if stuck:
        findings.add(
            "runs stuck",
            f"{runs_unfinished} runs unfinished; Pleo jobs open: "
            + ", ".join(f"{j} ({jobs.get(j)})" for j in open_jobs[:5]),
            stuck,
        )
    return findings
