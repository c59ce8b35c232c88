"""The spend-type table: one row per Pleo type, read by the planner and the pages alike."""

from __future__ import annotations

from integrations.exports.planner import PlanFailure, plan_item
from integrations.exports.planner.spend_types import SPEND_TYPES, Booking, spend_type_label
from integrations.exports.selectors import expense_type_label
from integrations.pleo.enums import EXPORT_ITEM_TYPES
from tests.exports.planner_factories import demo_config, item


def test_every_type_of_pleos_spec_has_one_row() -> None:
    assert set(SPEND_TYPES) == set(EXPORT_ITEM_TYPES)


def test_the_pages_label_a_type_from_its_row() -> None:
    for name, row in SPEND_TYPES.items():
        assert expense_type_label(name) == row.label
    assert len({row.label for row in SPEND_TYPES.values()}) == len(SPEND_TYPES)
    # A type Pleo adds later is still shown readably until it has a row.
    assert spend_type_label("balance_amendment") == "Balance amendment"


def test_only_spending_from_the_wallet_or_back_to_it_becomes_a_supplier_document() -> None:
    for row in SPEND_TYPES.values():
        if row.invoice_document_type is not None:
            assert row.booking in (Booking.SPEND_FROM_WALLET, Booking.RETURNED_TO_WALLET)


def test_a_type_that_is_not_exported_fails_with_its_rows_reason() -> None:
    for row in SPEND_TYPES.values():
        if row.exported:
            continue
        result = plan_item(item(type=row.name), demo_config())
        assert result == PlanFailure("validation_failure", row.not_exported_because)
