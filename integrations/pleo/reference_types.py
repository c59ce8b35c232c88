"""Pleo reference data we push from the ERP (accounts, tax codes, tags, vendors) and webhook
subscriptions. Re-exported from `integrations.pleo.types`; import them from there."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integrations.pleo.parsing import (
    as_list,
    as_required_object,
    opt_bool,
    opt_decimal,
    opt_str,
    required,
)


def _archived(obj: dict[str, Any], where: str) -> bool:
    return bool(opt_bool(obj.get("archived"), f"{where}.archived"))


@dataclass(frozen=True)
class ChartAccount:
    """`BookkeepingAccountRestModelV1` (pleo-accounts-api-openapi.yml)."""

    id: str
    external_id: str | None
    name: str
    code: str | None
    archived: bool
    tax_code_external_id: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ChartAccount:
        obj = as_required_object(data, "account")
        where = f"account {obj.get('id')}"
        return cls(
            id=str(required(obj, "id", where)),
            external_id=opt_str(obj.get("externalId")),
            name=str(obj.get("name") or ""),
            code=opt_str(obj.get("code")),
            archived=_archived(obj, where),
            tax_code_external_id=opt_str(obj.get("taxCodeExternalId")),
        )


@dataclass(frozen=True)
class TaxCode:
    """`TaxCodeModel` (pleo-tax-codes-api-openapi.yml). `rate` is a fraction: 0.25 is 25 %."""

    id: str
    code: str | None
    name: str
    rate: Decimal
    type: str  # inclusive | exclusive | reverse
    archived: bool
    ingoing_tax_account: str | None
    outgoing_tax_account: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TaxCode:
        obj = as_required_object(data, "tax code")
        where = f"tax code {obj.get('id')}"
        rate = opt_decimal(required(obj, "rate", where), f"{where}.rate")
        assert rate is not None
        return cls(
            id=str(required(obj, "id", where)),
            code=opt_str(obj.get("code")),
            name=str(obj.get("name") or ""),
            rate=rate,
            type=str(required(obj, "type", where)),
            archived=_archived(obj, where),
            ingoing_tax_account=opt_str(obj.get("ingoingTaxAccount")),
            outgoing_tax_account=opt_str(obj.get("outgoingTaxAccount")),
        )


@dataclass(frozen=True)
class TagGroup:
    """`TagGroupModel` (pleo-tag-groups-api-openapi.yml): an ERP dimension."""

    id: str
    code: str | None
    name: str
    archived: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TagGroup:
        obj = as_required_object(data, "tag group")
        where = f"tag group {obj.get('id')}"
        return cls(
            id=str(required(obj, "id", where)),
            code=opt_str(obj.get("code")),
            name=str(obj.get("name") or ""),
            archived=_archived(obj, where),
        )


@dataclass(frozen=True)
class Tag:
    """`TagModel` (pleo-tags-api-openapi.yml): one value of a dimension."""

    id: str
    group_id: str
    code: str | None
    name: str | None
    archived: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Tag:
        obj = as_required_object(data, "tag")
        where = f"tag {obj.get('id')}"
        return cls(
            id=str(required(obj, "id", where)),
            group_id=str(required(obj, "groupId", where)),
            code=opt_str(obj.get("code")),
            name=opt_str(obj.get("name")),
            archived=_archived(obj, where),
        )


@dataclass(frozen=True)
class Vendor:
    """`VendorResponse` (pleo-external-vendors-api-openapi.yml)."""

    id: str
    company_id: str
    name: str
    state: str  # DRAFT | ACTIVE | ARCHIVED
    code: str | None
    external_id: str | None
    default_currency: str | None
    country: str | None
    registration_number: str | None
    tax_registration_number: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Vendor:
        obj = as_required_object(data, "vendor")
        where = f"vendor {obj.get('id')}"
        return cls(
            id=str(required(obj, "id", where)),
            company_id=str(required(obj, "companyId", where)),
            name=str(obj.get("name") or ""),
            state=str(required(obj, "state", where)),
            code=opt_str(obj.get("code")),
            external_id=opt_str(obj.get("externalId")),
            default_currency=opt_str(obj.get("defaultCurrency")),
            country=opt_str(obj.get("country")),
            registration_number=opt_str(obj.get("registrationNumber")),
            tax_registration_number=opt_str(obj.get("taxRegistrationNumber")),
        )


@dataclass(frozen=True)
class Subscription:
    """`SubscriptionModel` (pleo-subscriptions-api-openapi.yml)."""

    id: str
    endpoint_url: str
    event_types: tuple[str, ...]
    status: str  # ACTIVE | INACTIVE

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Subscription:
        obj = as_required_object(data, "subscription")
        where = f"subscription {obj.get('id')}"
        return cls(
            id=str(required(obj, "id", where)),
            endpoint_url=str(required(obj, "endpointUrl", where)),
            event_types=tuple(
                str(e) for e in as_list(obj.get("eventTypes"), f"{where}.eventTypes")
            ),
            status=str(obj.get("status") or ""),
        )


@dataclass(frozen=True)
class Company:
    """A Pleo company as `GET /v1/companies` lists it: `{id, name, organizationId,
    registrationNumber, address}` (Pleo's API reference, "Search for Companies"; the public Go
    client's `companies/types.go` reads the same fields). Only the id and name are kept."""

    id: str
    name: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Company:
        obj = as_required_object(data, "company")
        where = f"company {obj.get('id')}"
        return cls(id=str(required(obj, "id", where)), name=str(obj.get("name") or "").strip())
