"""Vendors both ways, with in-memory clients: validation against the mirror, page → Visma.net →
Pleo, and the `v1.vendor.created` handler (matching, creating, repeated deliveries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from integrations.connections.models import Connection
from integrations.masterdata import vendors as vendors_module
from integrations.masterdata.models import HandledPleoVendor, VismaSupplier
from integrations.masterdata.vendors import (
    VendorData,
    VendorInputError,
    vendor_create_in_visma,
    vendor_created_handler,
    vendor_from_pleo,
    vendor_validate,
)
from tests.masterdata.fakes import FakePleo, FakeVisma, supplier

VALID = {
    "name": "Nordic Paper AS",
    "address_line1": "Storgata 1",
    "postal_code": "0155",
    "city": "Oslo",
    "country_id": "no",
    "supplier_class_id": "STD",
    "credit_terms_id": "30D",
    "payment_method_id": "BANK",
    "cash_account": "",
    "vat_zone_id": "NO",
    "currency_id": "NOK",
    "corporate_id": "912345678",
    "vat_registration_id": "NO912345678MVA",
}


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeVisma, FakePleo]:
    visma, pleo = FakeVisma(), FakePleo()
    monkeypatch.setattr(vendors_module, "connection_visma_client", lambda **_: visma)
    monkeypatch.setattr(vendors_module, "connection_pleo_client", lambda **_: pleo)
    return visma, pleo


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"name": ""}, "name", "required"),
        ({"supplier_class_id": "NOPE"}, "supplier_class_id", "not in Visma.net"),
        ({"payment_method_id": "CASH"}, "payment_method_id", "not for supplier payments"),
        ({"cash_account": "9999"}, "cash_account", "not in Visma.net"),
        ({"currency_id": "SEK"}, "currency_id", "not in Visma.net"),
        ({"country_id": "Norway"}, "country_id", "two-letter"),
        ({"name": "ACME as"}, "name", "Supplier 50001"),
        ({"vat_registration_id": "no999999999mva"}, "vat_registration_id", "Supplier 50001"),
    ],
)
def test_validation_refuses_with_the_reason(
    reference: Connection, change: dict[str, str], field: str, reason: str
) -> None:
    with pytest.raises(VendorInputError) as refused:
        vendor_validate(connection=reference, data=VendorData.from_mapping(VALID | change))
    assert reason in refused.value.errors[field]


def test_validation_defaults_the_cash_account_to_the_wallet_account(reference: Connection) -> None:
    clean = vendor_validate(connection=reference, data=VendorData.from_mapping(VALID))
    assert (clean.cash_account, clean.country_id) == ("1925", "NO")


def test_create_in_visma_then_active_in_pleo(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    created = vendor_create_in_visma(connection=reference, data=VALID, by="fiona")
    assert created.number == "70001"
    assert visma.created[0].cash_account == "1925"
    [vendor] = pleo.vendors.values()
    assert (vendor.state, vendor.external_id, vendor.code) == ("ACTIVE", "70001", "70001")
    assert (created.pleo_id, created.pleo_state, created.pleo_error) == (vendor.id, "ACTIVE", "")


def test_create_in_visma_activates_a_matching_draft(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    _, pleo = fakes
    draft = pleo.draft("nordic  paper as")
    pleo.vendors[draft.id] = draft
    created = vendor_create_in_visma(connection=reference, data=VALID)
    assert pleo.writes == [("activate", draft.id)]
    assert pleo.vendors[draft.id].external_id == created.number


def test_pleo_vendor_matched_by_vat_id_is_activated_without_a_new_supplier(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    draft = pleo.draft("Acme Norway", tax="NO999999999MVA")
    pleo.vendors[draft.id] = draft
    assert vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id) == "matched"
    assert visma.created == []
    assert (pleo.vendors[draft.id].state, pleo.vendors[draft.id].external_id) == ("ACTIVE", "50001")


def test_pleo_vendor_matched_in_visma_when_the_mirror_is_behind(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    visma.suppliers["50077"] = supplier("50077", "Fresh Supplier AS")
    draft = pleo.draft("Fresh Supplier AS")
    pleo.vendors[draft.id] = draft
    assert vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id) == "matched"
    assert VismaSupplier.objects.filter(connection=reference, number="50077").exists()
    assert visma.created == []


def test_new_pleo_vendor_creates_the_supplier_once(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    draft = pleo.draft("Brand New AS", tax="SE556677889901", currency="EUR")
    pleo.vendors[draft.id] = draft
    event: dict[str, Any] = {"eventType": "v1.vendor.created", "data": {"id": draft.id}}
    vendor_created_handler(connection_id=reference.pk, event=event)
    [made] = visma.created
    assert (made.name, made.supplier_class_id, made.payment_method_id) == ("Brand New AS", "STD", "BANK")  # fmt: skip
    assert (made.currency_id, made.cash_account, made.vat_registration_id) == ("EUR", None, "SE556677889901")  # fmt: skip
    assert pleo.vendors[draft.id].state == "ACTIVE"
    assert pleo.vendors[draft.id].external_id == "70001"
    writes = list(pleo.writes)
    # The second delivery of the same event changes nothing.
    vendor_created_handler(connection_id=reference.pk, event=event)
    assert len(visma.created) == 1 and pleo.writes == writes
    handled = HandledPleoVendor.objects.get(pleo_vendor_id=draft.id)
    assert (handled.outcome, handled.supplier_number) == ("created", "70001")


def test_already_active_vendor_is_left_alone(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    vendor = pleo.vendor_create(name="Known", default_currency="NOK", external_id="50001")
    pleo.writes.clear()
    assert vendor_from_pleo(connection=reference, pleo_vendor_id=vendor.id) == "already_active"
    assert visma.created == [] and pleo.writes == []


def test_a_failed_attempt_can_be_retried(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo], monkeypatch: pytest.MonkeyPatch
) -> None:
    visma, pleo = fakes
    draft = pleo.draft("Flaky AS")
    pleo.vendors[draft.id] = draft

    def broken(*a: Any, **kw: Any) -> None:
        raise RuntimeError("Pleo is down")

    monkeypatch.setattr(pleo, "vendor_activate", broken)
    with pytest.raises(RuntimeError):
        vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id)
    monkeypatch.undo()
    monkeypatch.setattr(vendors_module, "connection_visma_client", lambda **_: visma)
    monkeypatch.setattr(vendors_module, "connection_pleo_client", lambda **_: pleo)
    # The supplier made the first time is found again, not created twice.
    assert vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id) == "matched"
    assert len(visma.created) == 1


# -- the page -------------------------------------------------------------------------------


def _client(user: User | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def _post(client: Client, url: str, data: dict[str, str]) -> Any:
    client.get(url)
    token = client.cookies["csrftoken"].value
    return client.post(url, data | {"csrfmiddlewaretoken": token})


def test_page_lists_and_searches_suppliers(reference: Connection, support_user: User) -> None:
    VismaSupplier.objects.create(connection=reference, number="50002", name="Other Ltd")
    client = _client(support_user)
    url = f"/setup/{reference.pk}/vendors/"
    page = client.get(url).content.decode()
    assert "Acme  AS" in page and "Other Ltd" in page
    found = client.get(url, {"q": "999 999"}).content.decode()
    assert "Acme  AS" in found and "Other Ltd" not in found
    assert "Only finance staff can create vendors" in found


def test_page_creates_a_vendor(
    reference: Connection, finance_user: User, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    response = _post(_client(finance_user), f"/setup/{reference.pk}/vendors/", VALID)
    assert response.status_code == 302
    assert VismaSupplier.objects.get(connection=reference, number="70001").pleo_state == "ACTIVE"


def test_page_refuses_invalid_input_with_the_reason(
    reference: Connection, finance_user: User, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    response = _post(
        _client(finance_user),
        f"/setup/{reference.pk}/vendors/",
        VALID | {"name": "acme as"},
    )
    assert response.status_code == 400
    assert "Supplier 50001 (Acme  AS) already exists." in response.content.decode()
    assert fakes[0].created == []


def test_page_rights(reference: Connection, support_user: User) -> None:
    url = f"/setup/{reference.pk}/vendors/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    support = _client(support_user)
    support.get(url)
    token = support.cookies["csrftoken"].value
    assert support.post(url, VALID | {"csrfmiddlewaretoken": token}).status_code == 403
    assert VismaSupplier.objects.filter(connection=reference).count() == 1


def test_page_post_without_csrf_is_refused(reference: Connection, finance_user: User) -> None:
    response = _client(finance_user).post(f"/setup/{reference.pk}/vendors/", VALID)
    assert response.status_code == 403


def _claim_left(connection: Connection, vendor_id: str, minutes_ago: int) -> None:
    HandledPleoVendor.objects.create(
        connection=connection, pleo_vendor_id=vendor_id, outcome="processing"
    )
    HandledPleoVendor.objects.filter(pleo_vendor_id=vendor_id).update(
        handled_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_a_claim_left_by_a_stopped_worker_is_taken_over(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    draft = pleo.draft("Left Behind AS")
    pleo.vendors[draft.id] = draft
    _claim_left(reference, draft.id, minutes_ago=11)

    assert vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id) == "created"

    assert [s.name for s in visma.created] == ["Left Behind AS"]
    assert pleo.vendors[draft.id].state == "ACTIVE"
    handled = HandledPleoVendor.objects.get(pleo_vendor_id=draft.id)
    assert (
        handled.outcome == "created"
        and handled.supplier_number == pleo.vendors[draft.id].external_id
    )


def test_a_claim_of_a_live_worker_is_left_alone(
    reference: Connection, fakes: tuple[FakeVisma, FakePleo]
) -> None:
    visma, pleo = fakes
    draft = pleo.draft("Busy AS")
    pleo.vendors[draft.id] = draft
    _claim_left(reference, draft.id, minutes_ago=1)

    assert vendor_from_pleo(connection=reference, pleo_vendor_id=draft.id) == "already_handled"

    assert visma.created == [] and pleo.vendors[draft.id].state == "DRAFT"
    assert HandledPleoVendor.objects.get(pleo_vendor_id=draft.id).outcome == "processing"
