"""The pure sync diff and the desired-state builders, table-driven per record type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.masterdata.models import (
    VismaAccount,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.masterdata.sync.desired import (
    account_desired,
    rate_fraction,
    tag_desired,
    tag_group_desired,
    tax_code_desired,
    vendor_desired,
)
from integrations.masterdata.sync.diff import (
    Action,
    Current,
    Desired,
    diff_records,
    needs_push,
)


def _account(active: bool = True, description: str = "Office supplies") -> Desired:
    return account_desired(
        VismaAccount(number="6800", description=description, active=active, tax_category="1")
    )


def _account_in_pleo(archived: bool = False, name: str = "Office supplies") -> Current:
    return Current(
        key="6800",
        pleo_id="p-1",
        fields={"name": name, "code": "6800", "taxCodeExternalId": "1"},
        archived=archived,
    )


def _tax(active: bool = True, rate: str = "25", reverse: bool = False) -> Desired:
    category = VismaVatCategory(
        vat_category_id="1",
        description="Input VAT high",
        active=active,
        rate=Decimal(rate),
        reverse_charge=reverse,
    )
    return tax_code_desired(category, ingoing_account="2710", outgoing_account="2700")


def _tax_in_pleo(archived: bool = False, rate: str = "0.25", type: str = "inclusive") -> Current:
    return Current(
        key="1",
        pleo_id="t-1",
        fields={
            "name": "Input VAT high",
            "code": "1",
            # Pleo answers a JSON float.
            "rate": float(rate),
            "type": type,
            "ingoingTaxAccount": None,
            "outgoingTaxAccount": "",
        },
        archived=archived,
    )


def _group(active: bool = True, synced: bool = True) -> Desired:
    segment = VismaSegment(
        dimension_id="SUBACCOUNT", segment_id=1, description="Department", active=active
    )
    return tag_group_desired(segment, synced=synced)


def _group_in_pleo(archived: bool = False, code: str = "department") -> Current:
    return Current(
        key=code.lower(),
        pleo_id="g-1",
        fields={"code": code, "name": "Department"},
        archived=archived,
    )


def _tag(active: bool = True, description: str = "Sales") -> Desired:
    return tag_desired(VismaSegmentValue(value_id="10", description=description, active=active))


def _tag_in_pleo(archived: bool = False, name: str = "Sales") -> Current:
    return Current(key="10", pleo_id="x-1", fields={"code": "10", "name": name}, archived=archived)


def _vendor(active: bool = True, name: str = "Acme AS", currency: str = "") -> Desired:
    supplier = VismaSupplier(
        number="50001",
        name=name,
        active=active,
        currency_id=currency,
        country_id="no",
        vat_registration_id="NO999999999MVA",
    )
    return vendor_desired(supplier, base_currency="NOK")


def _vendor_in_pleo(state: str = "ACTIVE", name: str = "Acme AS") -> Current:
    return Current(
        key="50001",
        pleo_id="v-1",
        fields={
            "name": name,
            "code": "50001",
            "externalId": "50001",
            "defaultCurrency": "NOK",
            "country": "NO",
            "registrationNumber": None,
            "taxRegistrationNumber": "NO999999999MVA",
            "state": state,
        },
        archived=state == "ARCHIVED",
    )


CASES: list[tuple[str, Desired, list[Current], Action, tuple[str, ...]]] = [
    ("account new", _account(), [], Action.CREATE, ()),
    ("account same", _account(), [_account_in_pleo()], Action.UNCHANGED, ()),
    ("account renamed", _account(description="Office"), [_account_in_pleo()], Action.UPDATE, ("name",)),
    ("account inactive", _account(active=False), [_account_in_pleo()], Action.ARCHIVE, ()),
    ("account reactivated", _account(), [_account_in_pleo(archived=True)], Action.UNARCHIVE, ()),
    ("account inactive, archived", _account(active=False), [_account_in_pleo(archived=True)], Action.UNCHANGED, ()),
    ("tax new", _tax(), [], Action.CREATE, ()),
    ("tax same (float rate)", _tax(), [_tax_in_pleo()], Action.UNCHANGED, ()),
    ("tax rate changed", _tax(rate="15"), [_tax_in_pleo()], Action.UPDATE, ("rate",)),
    ("tax inactive", _tax(active=False), [_tax_in_pleo()], Action.ARCHIVE, ()),
    ("tax reactivated", _tax(), [_tax_in_pleo(archived=True)], Action.UNARCHIVE, ()),
    ("tax now reverse", _tax(reverse=True), [_tax_in_pleo()], Action.UPDATE, ("ingoingTaxAccount", "outgoingTaxAccount", "type")),
    ("group new", _group(), [], Action.CREATE, ()),
    ("group same, code case differs", _group(), [_group_in_pleo(code="DEPARTMENT")], Action.UNCHANGED, ()),
    ("group code case only in Pleo", _group(), [_group_in_pleo()], Action.UPDATE, ("code",)),
    ("group no longer synced", _group(synced=False), [_group_in_pleo(code="DEPARTMENT")], Action.ARCHIVE, ()),
    ("group synced again", _group(), [_group_in_pleo(code="DEPARTMENT", archived=True)], Action.UNARCHIVE, ()),
    ("tag new", _tag(), [], Action.CREATE, ()),
    ("tag same", _tag(), [_tag_in_pleo()], Action.UNCHANGED, ()),
    ("tag renamed", _tag(description="Sales Nordics"), [_tag_in_pleo()], Action.UPDATE, ("name",)),
    ("tag inactive", _tag(active=False), [_tag_in_pleo()], Action.ARCHIVE, ()),
    ("tag reactivated", _tag(), [_tag_in_pleo(archived=True)], Action.UNARCHIVE, ()),
    ("vendor new", _vendor(), [], Action.CREATE, ()),
    ("vendor same", _vendor(), [_vendor_in_pleo()], Action.UNCHANGED, ()),
    ("vendor renamed", _vendor(name="Acme Norge AS"), [_vendor_in_pleo()], Action.UPDATE, ("name",)),
    ("vendor own currency", _vendor(currency="EUR"), [_vendor_in_pleo()], Action.UPDATE, ("defaultCurrency",)),
    ("vendor DRAFT in Pleo", _vendor(), [_vendor_in_pleo(state="DRAFT")], Action.UPDATE, ("state",)),
    ("vendor inactive", _vendor(active=False), [_vendor_in_pleo()], Action.ARCHIVE, ("state",)),
    ("vendor reactivated", _vendor(), [_vendor_in_pleo(state="ARCHIVED")], Action.UNARCHIVE, ("state",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("desired", "current", "action", "changed"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_diff_per_record_type(
    desired: Desired, current: list[Current], action: Action, changed: tuple[str, ...]
) -> None:
    [op] = diff_records([desired], current)
    assert op.action == action
    assert op.changed_fields == changed
    if action == Action.CREATE:
        assert op.pleo_id is None
    else:
        assert op.pleo_id == current[0].pleo_id


def test_diff_keeps_order_and_ignores_pleo_only_records() -> None:
    orphan = Current(key="9999", pleo_id="p-9", fields={"name": "Manual"}, archived=False)
    other = account_desired(VismaAccount(number="1920", description="Bank", active=True))
    ops = diff_records([_account(), other], [orphan, _account_in_pleo()])
    # Never delete or archive what Pleo has and the mirror does not know.
    assert [(op.desired.key, op.action) for op in ops] == [
        ("6800", Action.UNCHANGED),
        ("1920", Action.CREATE),
    ]


def test_diff_prefers_the_live_twin() -> None:
    dead = Current(key="10", pleo_id="old", fields={"code": "10", "name": "Sales"}, archived=True)
    live = _tag_in_pleo()
    [op] = diff_records([_tag()], [dead, live])
    assert (op.action, op.pleo_id) == (Action.UNCHANGED, "x-1")


@pytest.mark.parametrize(
    ("pleo_id", "stored", "expected"),
    [("", "", True), ("p-1", "stale", True), ("p-1", None, False)],
)
def test_needs_push_compares_what_we_last_wrote(
    pleo_id: str, stored: str | None, expected: bool
) -> None:
    desired = _account()
    pushed = desired.state_hash if stored is None else stored
    assert needs_push(desired, pleo_id=pleo_id, pushed_hash=pushed) is expected


def test_state_hash_follows_fields_and_archived() -> None:
    assert _account().state_hash == _account().state_hash
    assert _account().state_hash != _account(description="Other").state_hash
    assert _account().state_hash != _account(active=False).state_hash
    # A rate of 25 % hashes the same however the Decimal is written.
    assert _tax(rate="25").state_hash == _tax(rate="25.000").state_hash


@pytest.mark.parametrize(
    ("percent", "fraction"),
    [(Decimal("25"), Decimal("0.25")), (Decimal("12.5"), Decimal("0.125")), (None, Decimal(0))],
)
def test_rate_fraction(percent: Decimal | None, fraction: Decimal) -> None:
    assert rate_fraction(percent) == fraction


def test_tax_code_reverse_carries_both_accounts_else_none() -> None:
    fields: dict[str, Any] = dict(_tax(reverse=True).fields)
    assert (fields["type"], fields["ingoingTaxAccount"], fields["outgoingTaxAccount"]) == (
        "reverse",
        "2710",
        "2700",
    )
    plain = _tax().fields
    assert (plain["type"], plain["ingoingTaxAccount"], plain["outgoingTaxAccount"]) == (
        "inclusive",
        None,
        None,
    )


def test_vendor_currency_falls_back_to_base_and_country_is_upper() -> None:
    fields = _vendor().fields
    assert fields["defaultCurrency"] == "NOK"
    assert fields["country"] == "NO"
    assert fields["externalId"] == fields["code"] == "50001"


def test_account_tax_code_follows_the_category_mapping_when_one_exists() -> None:
    pushed = VismaAccount(number="6800", active=True, tax_category="1", pleo_id="p-1")
    # The Categories page chose VAT category 11 (or none) for Pleo account p-1.
    chosen = account_desired(pushed, category_tax_codes={"p-1": "11"})
    assert chosen.fields["taxCodeExternalId"] == "11"
    assert account_desired(pushed, category_tax_codes={"p-1": None}).fields["taxCodeExternalId"] is None  # fmt: skip
    # Another category's choice, or an account not yet in Pleo: the account's own VAT category.
    assert account_desired(pushed, category_tax_codes={"p-2": "11"}).fields["taxCodeExternalId"] == "1"  # fmt: skip
    unpushed = VismaAccount(number="6900", active=True, tax_category="1", pleo_id="")
    assert account_desired(unpushed, category_tax_codes={"": "11"}).fields["taxCodeExternalId"] == "1"  # fmt: skip
    assert account_desired(pushed).fields["taxCodeExternalId"] == "1"
