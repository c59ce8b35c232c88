"""Which VAT id of a VAT category a journal line is booked with (DESIGN §5)."""

from __future__ import annotations

import pytest

from integrations.masterdata.vat import VatFacts, purchase_vat_id


def facts(vat_id: str, type: str = "Vat", *, reverse: bool = False, claimable: str = "",
          active: bool = True) -> VatFacts:  # fmt: skip
    return VatFacts(vat_id, type, reverse, claimable, active)


VATS = {
    v.vat_id: v
    for v in (
        facts("IN25", claimable="2710"),
        facts("OUT25", "Sales"),
        facts("GEN25"),
        facts("RC25", reverse=True, claimable="2710"),
        facts("USE25", "Use"),
        facts("OLD25", claimable="2710", active=False),
        facts("WH10", "Withholding"),
    )
}


@pytest.mark.parametrize(
    ("vat_ids", "reverse", "expected"),
    [
        (["IN25"], False, "IN25"),
        (["OUT25", "IN25"], False, "IN25"),  # the sales VAT of the same category is skipped
        (["GEN25", "IN25"], False, "IN25"),  # one with an input VAT account is preferred
        (["GEN25"], False, "GEN25"),
        (["OUT25"], False, None),  # a sales-only category has no purchase VAT
        (["WH10"], False, None),
        (["OLD25"], False, None),  # past its end date
        ([], False, None),
        (["IN25", "RC25"], True, "RC25"),  # reverse charge: the reverse VAT
        (["USE25"], True, "USE25"),
        (["IN25", "RC25"], False, "IN25"),
        (["IN25"], True, "IN25"),  # a reverse-charge category without a reverse VAT
        (["NEW1"], False, "NEW1"),  # not mirrored yet: the category's word is taken
    ],
)
def test_purchase_vat_id(vat_ids: list[str], reverse: bool, expected: str | None) -> None:
    assert purchase_vat_id(vat_ids, VATS, reverse_charge=reverse) == expected
