"""A large Visma.net company, generated deterministically and seeded through the sandbox's
control API on top of its `demo` preset (which brings the branch, periods, payment methods,
supplier classes, VAT zones and the SUBACCOUNT dimension the records refer to)."""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass
from typing import Any

# The demo preset's SUBACCOUNT segments: (segment id, value length). The control API adds
# values to existing segments but cannot add a segment, so values are spread over these two.
SEGMENTS = ((1, 2), (2, 3))
# Taken by the demo preset; generated values avoid them.
PRESET_VALUES = {1: {"00", "10", "20", "30"}, 2: {"000", "100", "200"}}
PRESET_VAT_CATEGORIES = ("0", "1", "11", "13", "86")


@dataclass(frozen=True)
class Scale:
    name: str
    accounts: int
    suppliers: int
    values_per_segment: int
    vat_categories: int
    export_items: int

    @property
    def segment_values(self) -> int:
        return self.values_per_segment * len(SEGMENTS)

    def describe(self) -> str:
        return (
            f"{self.accounts:,} accounts, {self.suppliers:,} suppliers, {len(SEGMENTS)} segments "
            f"x {self.values_per_segment:,} values, {self.vat_categories:,} VAT categories "
            f"(seeded on top of the demo preset); {self.export_items:,} export items"
        )


# The brief's large company has 3 segments x 200 values; the sandbox's demo dimension has two
# segments, so the same 600 values are spread as 2 x 300. `small` is a tenth of `large`.
SCALES = {
    "tiny": Scale("tiny", accounts=20, suppliers=50, values_per_segment=5, vat_categories=3,
                  export_items=10),
    "small": Scale("small", accounts=200, suppliers=2_000, values_per_segment=30,
                   vat_categories=3, export_items=100),
    "large": Scale("large", accounts=2_000, suppliers=20_000, values_per_segment=300,
                   vat_categories=30, export_items=1_000),
}  # fmt: skip

ACCOUNT_TYPES = ("Expense", "Expense", "Expense", "Expense", "Asset", "Liability", "Income")
CURRENCIES = ("NOK", "NOK", "NOK", "EUR", "SEK", "USD")
CITIES = (("Oslo", "0150", "NO"), ("Bergen", "5003", "NO"), ("Trondheim", "7010", "NO"),
          ("Stockholm", "11120", "SE"), ("Dublin", "D02", "IE"), ("Berlin", "10115", "DE"))  # fmt: skip


def vat_category_ids(scale: Scale) -> list[str]:
    return [str(100 + i) for i in range(scale.vat_categories)]


def _vat_categories(scale: Scale) -> list[dict[str, Any]]:
    rates = (25, 15, 12, 6, 0)
    return [
        {
            "vatCategoryId": category_id,
            "description": f"VAT category {category_id}",
            "active": True,
            "rate": rates[i % len(rates)],
            "reverseVat": i % 10 == 9,
        }
        for i, category_id in enumerate(vat_category_ids(scale))
    ]


def account_number(i: int) -> str:
    # 3000-4999 and up: clear of the preset's accounts.
    return str(3000 + i)


def _accounts(scale: Scale) -> list[dict[str, Any]]:
    tax_categories = [*PRESET_VAT_CATEGORIES, *vat_category_ids(scale)]
    rows = []
    for i in range(scale.accounts):
        type_ = ACCOUNT_TYPES[i % len(ACCOUNT_TYPES)]
        rows.append(
            {
                "number": account_number(i),
                "description": f"{type_} account {i}",
                "type": type_,
                "active": i % 50 != 49,  # 2 % inactive
                "taxCategory": tax_categories[i % len(tax_categories)]
                if type_ == "Expense"
                else "",
                "currency": "",
            }
        )
    return rows


def segment_value_ids(segment_id: int, length: int, count: int) -> list[str]:
    alphabet = string.digits + string.ascii_uppercase
    values = (
        "".join(chars)
        for chars in itertools.product(alphabet, repeat=length)
        if "".join(chars) not in PRESET_VALUES.get(segment_id, set())
    )
    return list(itertools.islice(values, count))


def _segment_values(scale: Scale) -> list[dict[str, Any]]:
    return [
        {
            "segmentId": segment_id,
            "valueId": value_id,
            "description": f"Segment {segment_id} value {value_id}",
            "active": True,
        }
        for segment_id, length in SEGMENTS
        for value_id in segment_value_ids(segment_id, length, scale.values_per_segment)
    ]


def supplier_number(i: int) -> str:
    return str(60000 + i)


def supplier_record(i: int, *, name_suffix: str = "") -> dict[str, Any]:
    city, postal_code, country = CITIES[i % len(CITIES)]
    domestic = country == "NO"
    row: dict[str, Any] = {
        "number": supplier_number(i),
        "name": f"Supplier {i:05d} {'AS' if domestic else 'Ltd'}{name_suffix}",
        "status": "Inactive" if i % 100 == 99 else "Active",
        "supplierClassId": "1" if domestic else "2",
        "paymentMethodId": "MANUAL",
        "creditTermsId": ("14", "30")[i % 2],
        "vatZoneId": "NO" if domestic else "EU",
        "currencyId": CURRENCIES[i % len(CURRENCIES)],
        "mainAddress": {
            "addressLine1": f"Street {i % 97 + 1}",
            "postalCode": postal_code,
            "city": city,
            "countryId": country,
        },
    }
    if i % 3 == 0:
        row["corporateId"] = f"9{i:08d}"
        row["vatRegistrationId"] = f"{country}9{i:08d}{'MVA' if domestic else ''}"
    return row


def company_records(scale: Scale) -> dict[str, list[dict[str, Any]]]:
    """Seed records in dependency order: VAT categories before the accounts naming them."""
    return {
        "vatCategories": _vat_categories(scale),
        "accounts": _accounts(scale),
        "segmentValues": _segment_values(scale),
        "suppliers": [supplier_record(i) for i in range(scale.suppliers)],
    }


def suppliers_changed(scale: Scale, *, percent: int = 1) -> list[dict[str, Any]]:
    """`percent` % of the seeded suppliers (at least one), renamed as a person would."""
    count = max(1, scale.suppliers * percent // 100)
    step = max(1, scale.suppliers // count)
    return [supplier_record(i, name_suffix=" (renamed)") for i in range(0, step * count, step)]
