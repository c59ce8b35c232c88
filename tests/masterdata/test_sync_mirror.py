"""The one mirror reader: read since the cursor, write only what changed (in bulk), deactivate
what a whole read no longer returns, save the cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from integrations.connections.models import Connection
from integrations.masterdata.models import SyncCursor, VismaSupplier, VismaVat, VismaVatCategory
from integrations.masterdata.sync.mirror import OVERLAP, mirror_read
from integrations.masterdata.sync.read import SUPPLIERS, VAT_CATEGORIES, VATS
from integrations.visma.types import Supplier, Vat, VatCategory, VatCategoryLine
from tests.masterdata.fakes import supplier

pytestmark = pytest.mark.django_db

MODIFIED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class ListingVisma:
    """Answers `suppliers_list` with what it holds; remembers each `modified_since` asked."""

    def __init__(self, suppliers: list[Supplier]) -> None:
        self.suppliers = suppliers
        self.asked: list[datetime | None] = []

    def suppliers_list(self, *, modified_since: datetime | None = None) -> list[Supplier]:
        self.asked.append(modified_since)
        return list(self.suppliers)


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "masterdata_vismasupplier" in q["sql"]
    ]


def _first_read(connection: Connection, records: list[Supplier]) -> ListingVisma:
    visma = ListingVisma(records)
    mirror_read(SUPPLIERS, client=visma, connection=connection, full=True)  # type: ignore[arg-type]
    return visma


BASE = [
    supplier("10", "Acme AS", last_modified=MODIFIED),
    supplier("11", "Fjord AS", last_modified=MODIFIED),
    supplier("12", "Gone AS", last_modified=MODIFIED),
]


@pytest.mark.parametrize(
    ("case", "second_read", "full", "expect"),
    [
        # new: one row inserted, nothing else written
        ("new", [*BASE, supplier("13", "New AS")], True,
         {"created": 1, "updated": 0, "unchanged": 3, "deactivated": 0, "writes": 1}),
        # changed: only the renamed row is updated
        ("changed", [BASE[0], replace(BASE[1], name="Fjord Holding AS"), BASE[2]], True,
         {"created": 0, "updated": 1, "unchanged": 2, "deactivated": 0, "writes": 1}),
        # unchanged: no mirror write at all
        ("unchanged", BASE, True,
         {"created": 0, "updated": 0, "unchanged": 3, "deactivated": 0, "writes": 0}),
        ("unchanged delta", BASE, False,
         {"created": 0, "updated": 0, "unchanged": 3, "deactivated": 0, "writes": 0}),
        # missing from a whole read: deactivated
        ("missing", BASE[:2], True,
         {"created": 0, "updated": 0, "unchanged": 2, "deactivated": 1, "writes": 1}),
        # missing from a delta read: it simply did not change, so it stays active
        ("missing delta", BASE[:2], False,
         {"created": 0, "updated": 0, "unchanged": 2, "deactivated": 0, "writes": 0}),
    ],
)  # fmt: skip
def test_mirror_read_writes_only_what_changed(
    connection: Connection,
    case: str,
    second_read: list[Supplier],
    full: bool,
    expect: dict[str, int],
) -> None:
    _first_read(connection, BASE)
    visma = ListingVisma(second_read)
    with CaptureQueriesContext(db_connection) as captured:
        outcome = mirror_read(SUPPLIERS, client=visma, connection=connection, full=full)  # type: ignore[arg-type]

    got = {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "deactivated": outcome.deactivated,
        "writes": len(_writes(captured)),
    }
    assert got == expect, case
    rows = {s.number: s for s in VismaSupplier.objects.filter(connection=connection)}
    assert rows["12"].active is (case not in ("missing",))
    if case == "changed":
        assert rows["11"].name == "Fjord Holding AS"
    if case == "new":
        assert rows["13"].name == "New AS" and rows["13"].active


def test_the_cursor_is_saved_and_the_next_read_asks_since_it(connection: Connection) -> None:
    before = datetime.now(tz=UTC)
    visma = _first_read(connection, BASE)
    assert visma.asked == [None]
    cursor = SyncCursor.objects.get(connection=connection, record_type="suppliers")
    assert cursor.read_started_at >= before

    mirror_read(SUPPLIERS, client=visma, connection=connection, full=False)  # type: ignore[arg-type]
    assert visma.asked[1] == cursor.read_started_at - OVERLAP
    # A full read asks for everything whatever the cursor says.
    mirror_read(SUPPLIERS, client=visma, connection=connection, full=True)  # type: ignore[arg-type]
    assert visma.asked[2] is None


def test_a_failed_read_keeps_the_cursor(connection: Connection) -> None:
    _first_read(connection, BASE)
    saved = SyncCursor.objects.get(connection=connection, record_type="suppliers").read_started_at

    class Broken(ListingVisma):
        def suppliers_list(self, *, modified_since: datetime | None = None) -> list[Supplier]:
            raise RuntimeError("Visma.net is down")

    with pytest.raises(RuntimeError):
        mirror_read(SUPPLIERS, client=Broken([]), connection=connection, full=False)  # type: ignore[arg-type]
    after = SyncCursor.objects.get(connection=connection, record_type="suppliers").read_started_at
    assert after == saved


def test_an_unchanged_reread_of_many_rows_reads_one_query_per_chunk_and_writes_none(
    connection: Connection,
) -> None:
    many = [supplier(str(1000 + i), f"Supplier {i}", last_modified=MODIFIED) for i in range(2500)]
    _first_read(connection, many)
    assert VismaSupplier.objects.filter(connection=connection).count() == 2500
    with CaptureQueriesContext(db_connection) as captured:
        mirror_read(SUPPLIERS, client=ListingVisma(many), connection=connection, full=False)  # type: ignore[arg-type]
    assert _writes(captured) == []
    selects = [
        q for q in captured.captured_queries if 'FROM "masterdata_vismasupplier"' in q["sql"]
    ]
    assert len(selects) == 3  # chunks of 1,000


def _category(category_id: str, vat_id: str, rate: str) -> VatCategory:
    return VatCategory(
        id=category_id,
        description=f"Category {category_id}",
        active=True,
        lines=(VatCategoryLine(vat_id=vat_id, description="", type="", rate=Decimal(rate)),),
        last_modified=MODIFIED,
    )


def test_a_category_takes_its_reverse_charge_from_the_vats_read_before_it(
    connection: Connection,
) -> None:
    common: dict[str, Any] = {
        "type": "Vat",
        "deductible_vat": True,
        "pending_vat": False,
        "category_id": None,
        "not_valid_after": None,
        "last_modified": MODIFIED,
        "claimable_account": "2710",
    }
    vats = [
        Vat(id="IN25", description="Input 25", reverse_vat=False, **common),
        Vat(id="RC25", description="Reverse 25", reverse_vat=True, payable_account="2700",
            **common),
    ]  # fmt: skip

    class TaxVisma:
        def vats_list(self) -> list[Vat]:
            return vats

        def vat_categories_list(self, *, modified_since: Any = None) -> list[VatCategory]:
            return [_category("1", "IN25", "25"), _category("86", "RC25", "25")]

    for spec in (VATS, VAT_CATEGORIES):
        mirror_read(spec, client=TaxVisma(), connection=connection, full=True)  # type: ignore[arg-type]
    assert set(VismaVat.objects.values_list("vat_id", flat=True)) == {"IN25", "RC25"}
    categories = {c.vat_category_id: c for c in VismaVatCategory.objects.all()}
    assert not categories["1"].reverse_charge and categories["86"].reverse_charge
    assert categories["1"].rate == Decimal("25") and categories["86"].vat_ids == ["RC25"]

    # Read again unchanged: the decimal rate and the JSON columns compare equal, nothing written.
    with CaptureQueriesContext(db_connection) as captured:
        for spec in (VATS, VAT_CATEGORIES):
            mirror_read(spec, client=TaxVisma(), connection=connection, full=True)  # type: ignore[arg-type]
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
        and ("masterdata_vismavat" in q["sql"])
    ]
    assert writes == []


def test_the_page_counters_visma_puts_on_each_record_are_not_the_record(
    connection: Connection,
) -> None:
    def listed(record: Supplier, total: int) -> Supplier:
        raw = {"number": record.number, "name": record.name, "metadata": {"totalCount": total}}
        return replace(record, raw=raw)

    _first_read(connection, [listed(s, 3) for s in BASE])
    row = VismaSupplier.objects.get(connection=connection, number="10")
    assert row.raw == {"number": "10", "name": "Acme AS"}

    # A delta read answers with another total: the records are the same, nothing is written.
    visma = ListingVisma([listed(BASE[0], 1)])
    with CaptureQueriesContext(db_connection) as captured:
        outcome = mirror_read(SUPPLIERS, client=visma, connection=connection, full=False)  # type: ignore[arg-type]
    assert (outcome.unchanged, outcome.updated) == (1, 0)
    assert _writes(captured) == []
