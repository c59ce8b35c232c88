"""Vendors both ways: a supplier created in Visma.net from our page becomes an active Pleo vendor;
a vendor created in Pleo (`v1.vendor.created`) becomes a Visma.net supplier — or is matched to the
existing one with the same VAT registration id or name — and is activated in Pleo with its number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.connections.models import AccountMapping, Connection
from integrations.connections.selectors import connection_get_for_pleo_company
from integrations.connections.services import connection_pleo_client, connection_visma_client
from integrations.core import errors
from integrations.core.context import call_links
from integrations.masterdata.models import (
    HandledPleoVendor,
    VismaCashAccount,
    VismaCreditTerm,
    VismaCurrency,
    VismaPaymentMethod,
    VismaSupplier,
    VismaSupplierClass,
    VismaVatZone,
)
from integrations.masterdata.selectors import base_currency_for_connection
from integrations.masterdata.sync.desired import vendor_desired
from integrations.masterdata.sync.read import supplier_store
from integrations.pleo.client import PleoClient
from integrations.pleo.types import Vendor
from integrations.visma.client import VismaClient
from integrations.visma.types import Supplier, SupplierInput

logger = logging.getLogger(__name__)

# A vendor still `processing` after this lost its worker (a handler makes a handful of calls, each
# bounded by the remote timeouts): another delivery takes the claim over. Handling again is safe:
# the supplier is looked up in Visma.net before one is created.
VENDOR_CLAIM_STALE = timedelta(minutes=10)


@dataclass(frozen=True)
class VendorData:
    """What a finance user fills in to create a supplier (the Vendors page form)."""

    name: str
    supplier_class_id: str
    address_line1: str = ""
    postal_code: str = ""
    city: str = ""
    country_id: str = ""
    credit_terms_id: str = ""
    payment_method_id: str = ""
    cash_account: str = ""
    vat_zone_id: str = ""
    currency_id: str = ""
    corporate_id: str = ""
    vat_registration_id: str = ""

    @classmethod
    def from_mapping(cls, data: Any) -> VendorData:
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v or "").strip() for k, v in dict(data).items() if k in names})


class VendorInputError(ValueError):
    """The data was refused; `errors` maps each field to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def name_key(name: str) -> str:
    """Names compared the way people read them: case and spacing do not count."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def vat_key(vat_id: str | None) -> str:
    return re.sub(r"[\s.\-]", "", vat_id or "").upper()


def supplier_find_duplicate(
    *, connection: Connection, vat_registration_id: str | None, name: str
) -> VismaSupplier | None:
    """An existing supplier with the same VAT registration id, else the same name (active ones
    first)."""
    suppliers = list(VismaSupplier.objects.filter(connection=connection).order_by("-active", "id"))
    wanted_vat = vat_key(vat_registration_id)
    if wanted_vat:
        for s in suppliers:
            if vat_key(s.vat_registration_id) == wanted_vat:
                return s
    wanted_name = name_key(name)
    for s in suppliers:
        if wanted_name and name_key(s.name) == wanted_name:
            return s
    return None


def wallet_cash_account(*, connection: Connection, currency: str | None) -> str:
    """The Pleo Wallet account of the account mapping for the currency, if Visma.net knows it
    as a cash account."""
    mapping = AccountMapping.objects.filter(connection=connection).first()
    if mapping is None or not currency:
        return ""
    number = str((mapping.wallet_accounts or {}).get(currency.upper(), ""))
    known = VismaCashAccount.objects.filter(connection=connection, number=number).exists()
    return number if number and known else ""


def vendor_validate(*, connection: Connection, data: VendorData) -> VendorData:
    """Check every choice against the mirrored lists; returns the data with defaults filled."""
    problems: dict[str, str] = {}
    if not data.name:
        problems["name"] = "A name is required."
    elif len(data.name) > 255:
        problems["name"] = "At most 255 characters."

    def known(field: str, value: str, model: Any, key: str, *, required: bool = False) -> None:
        if not value:
            if required:
                problems[field] = "Choose one."
            return
        row = model.objects.filter(connection=connection, **{key: value}).first()
        if row is None:
            problems[field] = f"{value!r} is not in Visma.net (sync the reference data first)."
        elif not row.active:
            problems[field] = f"{value!r} is inactive in Visma.net."

    known("supplier_class_id", data.supplier_class_id, VismaSupplierClass, "supplier_class_id", required=True)  # fmt: skip
    known("credit_terms_id", data.credit_terms_id, VismaCreditTerm, "credit_terms_id")
    known("payment_method_id", data.payment_method_id, VismaPaymentMethod, "payment_method_id")
    known("cash_account", data.cash_account, VismaCashAccount, "number")
    known("vat_zone_id", data.vat_zone_id, VismaVatZone, "vat_zone_id")
    known("currency_id", data.currency_id, VismaCurrency, "currency_id")
    if data.payment_method_id and "payment_method_id" not in problems:
        method = VismaPaymentMethod.objects.get(
            connection=connection, payment_method_id=data.payment_method_id
        )
        if not method.use_in_ap:
            problems["payment_method_id"] = "This payment method is not for supplier payments."
    if data.country_id and not re.fullmatch(r"[A-Za-z]{2}", data.country_id):
        problems["country_id"] = "Use the two-letter country code (e.g. NO)."
    duplicate = supplier_find_duplicate(
        connection=connection, vat_registration_id=data.vat_registration_id, name=data.name
    )
    if duplicate is not None and data.name:
        field = (
            "vat_registration_id"
            if vat_key(data.vat_registration_id)
            and vat_key(duplicate.vat_registration_id) == vat_key(data.vat_registration_id)
            else "name"
        )
        problems[field] = f"Supplier {duplicate.number} ({duplicate.name}) already exists."
    if problems:
        raise VendorInputError(problems)
    currency = data.currency_id or base_currency_for_connection(connection=connection) or ""
    cash = data.cash_account or wallet_cash_account(connection=connection, currency=currency)
    return VendorData(
        **{
            **{f.name: getattr(data, f.name) for f in fields(VendorData)},
            "country_id": data.country_id.upper(),
            "cash_account": cash,
        }
    )


def _supplier_input(data: VendorData) -> SupplierInput:
    return SupplierInput(
        name=data.name,
        supplier_class_id=data.supplier_class_id,
        currency_id=data.currency_id or None,
        credit_terms_id=data.credit_terms_id or None,
        payment_method_id=data.payment_method_id or None,
        cash_account=data.cash_account or None,
        vat_zone_id=data.vat_zone_id or None,
        vat_registration_id=data.vat_registration_id or None,
        corporate_id=data.corporate_id or None,
        address_line1=data.address_line1 or None,
        postal_code=data.postal_code or None,
        city=data.city or None,
        country_id=data.country_id or None,
    )


def _visma_supplier_create(*, visma: VismaClient, data: VendorData) -> Supplier:
    try:
        # Reference: specs/visma-net/openapi-subset.json POST /v1/supplier (201 + Location)
        number = visma.supplier_create(_supplier_input(data))
    except errors.TransientError as exc:
        if not exc.outcome_unknown:
            raise
        # The POST may have reached Visma.net: look for it before anyone creates it twice.
        # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier?name=
        found = [s for s in visma.suppliers_list(name=data.name) if name_key(s.name) == name_key(data.name)]  # fmt: skip
        if not found:
            raise
        return found[0]
    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier/{supplierCd}
    return visma.supplier_get(number)


def _pleo_vendor_activate(*, pleo: PleoClient, vendor_id: str, supplier: VismaSupplier) -> None:
    # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors/{id}:activate
    pleo.vendor_activate(vendor_id, external_id=supplier.number, code=supplier.number)
    VismaSupplier.objects.filter(pk=supplier.pk).update(
        pleo_id=vendor_id, pleo_state="ACTIVE", pleo_state_hash="", pleo_error=""
    )


def _pleo_draft_match(*, pleo: PleoClient, supplier: VismaSupplier) -> Vendor | None:
    # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors:search
    drafts = pleo.vendors_search(states=["DRAFT"])
    for v in drafts:
        if vat_key(supplier.vat_registration_id) and vat_key(v.tax_registration_number) == vat_key(
            supplier.vat_registration_id
        ):
            return v
    for v in drafts:
        if name_key(v.name) == name_key(supplier.name):
            return v
    return None


def vendor_push_to_pleo(
    *, pleo: PleoClient, connection: Connection, supplier: VismaSupplier
) -> str:
    """Activate a matching DRAFT Pleo vendor with the supplier's number, else create it."""
    draft = _pleo_draft_match(pleo=pleo, supplier=supplier)
    if draft is not None:
        _pleo_vendor_activate(pleo=pleo, vendor_id=draft.id, supplier=supplier)
        return draft.id
    desired = vendor_desired(
        supplier, base_currency=base_currency_for_connection(connection=connection)
    )
    f = desired.fields
    if not f["defaultCurrency"]:
        raise ValueError("no currency: the supplier has none and the company base is unknown")
    # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors
    vendor = pleo.vendor_create(
        name=f["name"],
        default_currency=f["defaultCurrency"],
        code=f["code"],
        external_id=f["externalId"],
        country=f["country"],
        registration_number=f["registrationNumber"],
        tax_registration_number=f["taxRegistrationNumber"],
    )
    if vendor.state != "ACTIVE":
        pleo.vendor_activate(vendor.id, external_id=supplier.number, code=supplier.number)
    VismaSupplier.objects.filter(pk=supplier.pk).update(
        pleo_id=vendor.id, pleo_state="ACTIVE", pleo_state_hash=desired.state_hash, pleo_error=""
    )
    return vendor.id


def vendor_create_in_visma(
    *,
    connection: Connection,
    data: VendorData | dict[str, Any],
    by: str = "",
    visma: VismaClient | None = None,
    pleo: PleoClient | None = None,
) -> VismaSupplier:
    """Create the supplier in Visma.net, mirror it, then create or activate the Pleo vendor.
    Raises `VendorInputError` for refused input. If Pleo fails after Visma.net succeeded, the
    supplier is kept with `pleo_error` set; the next vendor sync pushes it."""
    vendor = data if isinstance(data, VendorData) else VendorData.from_mapping(data)
    clean = vendor_validate(connection=connection, data=vendor)
    with call_links(connection_id=connection.pk):
        visma = visma or connection_visma_client(connection=connection)
        created = _visma_supplier_create(visma=visma, data=clean)
        supplier = supplier_store(connection=connection, supplier=created)
        logger.info("Supplier %s created in Visma.net by %s", supplier.number, by or "?")
        try:
            pleo = pleo or connection_pleo_client(connection=connection)
            vendor_push_to_pleo(pleo=pleo, connection=connection, supplier=supplier)
        except Exception as exc:
            logger.warning("Pleo vendor for supplier %s not written: %s", supplier.number, exc)
            VismaSupplier.objects.filter(pk=supplier.pk).update(pleo_error=str(exc)[:500])
    supplier.refresh_from_db()
    return supplier


# -- Pleo → Visma.net ------------------------------------------------------------------------


def _supplier_defaults(*, connection: Connection, currency: str | None) -> dict[str, str]:
    """Supplier class and payment method of the default vendor (else the first class Visma.net
    has), cash account from the Pleo Wallet mapping."""
    mapping = AccountMapping.objects.filter(connection=connection).first()
    template = None
    if mapping and mapping.default_vendor_number:
        template = VismaSupplier.objects.filter(
            connection=connection, number=mapping.default_vendor_number
        ).first()
    supplier_class = template.supplier_class_id if template else ""
    if not supplier_class:
        first = VismaSupplierClass.objects.filter(connection=connection, active=True).first()
        supplier_class = first.supplier_class_id if first else ""
    if not supplier_class:
        raise ValueError("No supplier class is known: sync the reference data first.")
    payment_method = template.payment_method_id if template else ""
    if not payment_method:
        cls = VismaSupplierClass.objects.filter(
            connection=connection, supplier_class_id=supplier_class
        ).first()
        payment_method = cls.payment_method_id if cls else ""
    return {
        "supplier_class_id": supplier_class,
        "payment_method_id": payment_method,
        "cash_account": wallet_cash_account(connection=connection, currency=currency),
    }


def _visma_match(
    *, visma: VismaClient, connection: Connection, vendor: Vendor
) -> VismaSupplier | None:
    local = supplier_find_duplicate(
        connection=connection, vat_registration_id=vendor.tax_registration_number, name=vendor.name
    )
    if local is not None:
        return local
    # The mirror may be an hour old: ask Visma.net too before creating a second supplier.
    candidates: list[Supplier] = []
    if vat_key(vendor.tax_registration_number):
        # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier?vatRegistrationId=
        candidates = visma.suppliers_list(vat_registration_id=vendor.tax_registration_number)
    if not candidates:
        # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier?name=
        candidates = [
            s
            for s in visma.suppliers_list(name=vendor.name)
            if name_key(s.name) == name_key(vendor.name)
        ]
    if not candidates:
        return None
    return supplier_store(connection=connection, supplier=candidates[0])


def vendor_from_pleo(
    *,
    connection: Connection,
    pleo_vendor_id: str,
    visma: VismaClient | None = None,
    pleo: PleoClient | None = None,
) -> str:
    """Handle a vendor created in Pleo. Returns the outcome: already_handled, already_active,
    archived, matched or created. Safe to repeat: the first call claims the vendor id."""
    try:
        with transaction.atomic():  # a savepoint: the duplicate does not break an outer block
            claim = HandledPleoVendor.objects.create(
                connection=connection, pleo_vendor_id=pleo_vendor_id, outcome="processing"
            )
    except IntegrityError:
        taken = _vendor_claim_take_over(connection=connection, pleo_vendor_id=pleo_vendor_id)
        if taken is None:
            return "already_handled"
        claim = taken
    try:
        with call_links(connection_id=connection.pk):
            pleo = pleo or connection_pleo_client(connection=connection)
            # Reference: pleo-external-vendors-api-openapi.yml GET /v1/vendors/{id}
            vendor = pleo.vendor_get(pleo_vendor_id)
            if vendor.state == "ACTIVE" and vendor.external_id:
                outcome, number = "already_active", vendor.external_id
            elif vendor.state == "ARCHIVED":
                outcome, number = "archived", ""
            else:
                visma = visma or connection_visma_client(connection=connection)
                supplier = _visma_match(visma=visma, connection=connection, vendor=vendor)
                outcome = "matched"
                if supplier is None:
                    supplier = _supplier_create_for_vendor(
                        visma=visma, connection=connection, vendor=vendor
                    )
                    outcome = "created"
                _pleo_vendor_activate(pleo=pleo, vendor_id=vendor.id, supplier=supplier)
                number = supplier.number
    except Exception:
        # Let a later delivery (or a retry of the event) try again.
        claim.delete()
        raise
    HandledPleoVendor.objects.filter(pk=claim.pk).update(outcome=outcome, supplier_number=number)
    return outcome


def _vendor_claim_take_over(
    *, connection: Connection, pleo_vendor_id: str
) -> HandledPleoVendor | None:
    """The claim of a worker that stopped while handling the vendor (still `processing` after
    VENDOR_CLAIM_STALE), taken over; None when the vendor is handled or being handled. The
    conditional update lets one worker only take it: the others see the new time."""
    claim = HandledPleoVendor.objects.filter(
        connection=connection, pleo_vendor_id=pleo_vendor_id
    ).first()
    if claim is None or claim.outcome != "processing":
        return None
    if claim.handled_at > timezone.now() - VENDOR_CLAIM_STALE:
        return None
    now = timezone.now()
    taken = HandledPleoVendor.objects.filter(
        pk=claim.pk, outcome="processing", handled_at=claim.handled_at
    ).update(handled_at=now)
    if not taken:
        return None
    logger.warning("Vendor %s: taking over a claim left since %s", pleo_vendor_id, claim.handled_at)
    claim.handled_at = now
    return claim


def _supplier_create_for_vendor(
    *, visma: VismaClient, connection: Connection, vendor: Vendor
) -> VismaSupplier:
    currency = (vendor.default_currency or "").upper()
    if (
        currency
        and not VismaCurrency.objects.filter(connection=connection, currency_id=currency).exists()
    ):
        currency = ""
    defaults = _supplier_defaults(
        connection=connection,
        currency=currency or base_currency_for_connection(connection=connection),
    )
    data = VendorData(
        name=vendor.name[:255],
        country_id=(vendor.country or "").upper()[:2],
        corporate_id=vendor.registration_number or "",
        vat_registration_id=vendor.tax_registration_number or "",
        currency_id=currency,
        **defaults,
    )
    created = _visma_supplier_create(visma=visma, data=data)
    return supplier_store(connection=connection, supplier=created)


def vendor_created_handler(*, connection_id: int | None, event: dict[str, Any]) -> None:
    """`v1.vendor.created`: the event's data is the vendor."""
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict) or not data.get("id"):
        raise ValueError("v1.vendor.created without data.id")
    connection = None
    if connection_id is not None:
        connection = Connection.objects.filter(id=connection_id).first()
    if connection is None:
        connection = connection_get_for_pleo_company(company_id=str(data.get("companyId") or ""))
    if connection is None:
        raise ValueError("No connection for the vendor's Pleo company")
    outcome = vendor_from_pleo(connection=connection, pleo_vendor_id=str(data["id"]))
    logger.info("Pleo vendor %s: %s", data["id"], outcome)
