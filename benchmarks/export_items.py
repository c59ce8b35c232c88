"""Pleo export items (ExportItemV3, specs/pleo/pleo-export-items-v3-api-openapi.yml) for the
export benchmark: card purchases with one receipt each, split purchases over two categories and
out-of-pocket expenses, on the demo company's categories, tax codes and tags as the sync wrote
them to the Pleo sandbox."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CURRENCY = "NOK"  # the demo company's wallet currency (minor unit: 1/100)
# Pleo category (by the Visma.net account it was synced from) and its tax code, as the demo maps
# them: office supplies and equipment 25 %, meals 15 %, travel 12 %.
CATEGORIES = {"office": ("6800", "1"), "equipment": ("6540", "1"), "meals": ("7350", "11"),
              "travel": ("7140", "13")}  # fmt: skip
PDF = b"%PDF-1.4\n% receipt {index}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class PleoCompany:
    """What an item refers to in Pleo: chart accounts, tax codes and tags, by their ids."""

    accounts: dict[str, dict[str, Any]]  # Visma account number -> Pleo chart account
    tax_codes: dict[str, dict[str, Any]]  # tax code (Visma VAT category) -> Pleo tax code
    tags: list[dict[str, str]]  # TagV3: id, code, groupCode

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PleoCompany:
        tags = [
            {"id": tag["id"], "code": tag["code"], "groupCode": group["code"]}
            for group in state["tagGroups"]
            if not group["archived"]
            for tag in group["tags"]
            if not tag["archived"]
        ]
        return cls(
            accounts={a["externalId"]: a for a in state["chartOfAccounts"] if a["externalId"]},
            tax_codes={t["code"]: t for t in state["taxCodes"] if t["code"]},
            tags=tags,
        )


def _money(minor: int) -> dict[str, Any]:
    return {"currency": CURRENCY, "value": minor}


def _amounts(minor: int) -> dict[str, Any]:
    return {"inSupplierCurrency": _money(minor), "inWalletCurrency": _money(minor)}


def _line(company: PleoCompany, category: str, gross: int, tags: list[dict[str, str]]) -> Any:
    account_number, tax_code = CATEGORIES[category]
    account = company.accounts[account_number]
    code = company.tax_codes[tax_code]
    rate = Decimal(str(code["rate"]))
    # VAT included in the gross amount, rounded to the minor unit.
    vat = int((Decimal(gross) * rate / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {
        "accountingEntryLineId": str(uuid.uuid4()),
        "lineAmount": _amounts(gross),
        "netAmount": _amounts(gross - vat),
        "account": {
            "id": account["id"],
            "name": account["name"],
            "code": account["code"],
            "identifier": account["code"],
        },
        "tags": tags,
        "tax": {
            "id": code["id"],
            "code": code["code"],
            "rate": float(rate),
            "type": "inclusive",
            "amount": _amounts(vat),
        },
    }


def _receipt(index: int) -> dict[str, Any]:
    # A distinct file per item: each is downloaded from Pleo and uploaded to Visma.net.
    return {
        "name": f"receipt-{index}.pdf",
        "type": "application/pdf",
        "content_base64": base64.b64encode(PDF.replace(b"{index}", str(index).encode())).decode(),
    }


def export_item(company: PleoCompany, index: int) -> dict[str, Any]:
    """Item `index` of a mixed job: 3 in 5 card purchases, 1 in 5 split over two categories,
    1 in 5 out of pocket; every other one tagged; each with one receipt."""
    kind = index % 5
    gross = 10_000 + (index * 137) % 90_000  # 100.00 to 999.99 NOK
    tags = [company.tags[index % len(company.tags)]] if company.tags and index % 2 else []
    if kind == 3:
        first = gross * 2 // 3
        lines = [
            _line(company, "office", first, tags),
            _line(company, "meals", gross - first, tags),
        ]
        type_, note = "card_purchase", "Team lunch and printer paper"
    elif kind == 4:
        lines = [_line(company, "travel", gross, tags)]
        type_, note = "out_of_pocket", "Taxi to the airport"
    else:
        category = ("office", "equipment", "office")[kind]
        lines = [_line(company, category, gross, tags)]
        type_, note = "card_purchase", f"Purchase {index}"
    day = 1 + index % 28
    return {
        "accountingEntryId": str(uuid.uuid4()),
        "type": type_,
        "date": f"2026-03-{day:02d}T10:15:00Z",
        "amount": _amounts(gross),
        "accountingEntryLines": lines,
        "note": note,
        "files": [_receipt(index)],
        "supplier": {"name": f"Shop {index % 40}", "country": "NO"},
        "user": {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"user-{index % 25}")),
            "name": f"Employee {index % 25}",
            "code": f"E{index % 25:03d}",
        },
    }


def export_items(company: PleoCompany, count: int) -> list[dict[str, Any]]:
    return [export_item(company, i) for i in range(count)]
