"""Supplier-ledger master data read from Visma.net: suppliers, supplier classes, payment
methods, credit terms, cash accounts (see `types`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.visma._parse import Fields


@dataclass(frozen=True)
class Supplier:
    """SupplierDto (`GET /v1/supplier`)."""

    number: str
    internal_id: int | None
    name: str
    status: str
    active: bool
    supplier_class_id: str | None
    payment_method_id: str | None
    credit_terms_id: str | None
    vat_zone_id: str | None
    currency_id: str | None
    cash_account: str | None
    vat_registration_id: str | None
    corporate_id: str | None
    address_line1: str | None
    postal_code: str | None
    city: str | None
    country_id: str | None
    last_modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Supplier:
        f = Fields(data, "Visma supplier")
        address = f.obj("mainAddress")
        status = f.text("status")
        return cls(
            number=f.req_str("number"),
            internal_id=f.opt_int("internalId"),
            name=f.text("name"),
            status=status,
            active=status == "Active",
            supplier_class_id=f.nested_str("supplierClass", "id"),
            payment_method_id=f.nested_str("paymentMethod", "id"),
            credit_terms_id=f.nested_str("creditTerms", "id"),
            vat_zone_id=f.nested_str("vatZone", "id"),
            currency_id=f.opt_str("currencyId"),
            cash_account=f.opt_str("cashAccount"),
            vat_registration_id=f.opt_str("vatRegistrationId"),
            corporate_id=f.opt_str("corporateId"),
            address_line1=address.opt_str("addressLine1") if address else None,
            postal_code=address.opt_str("postalCode") if address else None,
            city=address.opt_str("city") if address else None,
            country_id=address.nested_str("country", "id") if address else None,
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class SupplierClass:
    """SupplierClassDto (`GET /v1/supplier/supplierClass`)."""

    id: str
    description: str
    payment_method_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SupplierClass:
        f = Fields(data, "Visma supplier class")
        return cls(
            id=f.req_str("id"),
            description=f.text("description"),
            payment_method_id=f.opt_str("paymentMethodId"),
            raw=data,
        )


@dataclass(frozen=True)
class PaymentMethod:
    """PaymentMethodDto (`GET /v1/paymentmethod`)."""

    id: str
    description: str
    active: bool
    use_in_ap: bool
    # PaymentMethodDto.meansOfPayment: CreditCard | CashOrCheck | DirectDeposit.
    means_of_payment: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PaymentMethod:
        f = Fields(data, "Visma payment method")
        return cls(
            id=f.req_str("paymentMethodID"),
            description=f.text("description"),
            active=f.flag("active"),
            use_in_ap=f.flag("useInAP"),
            means_of_payment=f.opt_str("meansOfPayment"),
            raw=data,
        )


@dataclass(frozen=True)
class CreditTerm:
    """CreditTermDto (records of `GET /v1/creditTerm`)."""

    id: str
    description: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CreditTerm:
        f = Fields(data, "Visma credit term")
        return cls(id=f.req_str("termsId"), description=f.text("description"), raw=data)


@dataclass(frozen=True)
class CashAccount:
    """CashAccountDto (`GET /v1/cashaccount`)."""

    number: str
    description: str
    currency: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CashAccount:
        f = Fields(data, "Visma cash account")
        return cls(
            number=f.req_str("number"),
            description=f.text("description"),
            currency=f.opt_str("currency"),
            raw=data,
        )
