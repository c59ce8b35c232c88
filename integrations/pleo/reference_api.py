"""Pleo reference data the ERP owns (chart of accounts, tax codes, tag groups and tags, vendors)
and webhook subscriptions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from integrations.core import errors
from integrations.pleo.base import PleoApiBase
from integrations.pleo.types import (
    ChartAccount,
    Company,
    Subscription,
    Tag,
    TagGroup,
    TaxCode,
    Vendor,
)

# POST /v1/chart-of-accounts/batch takes 1-1000 items.
ACCOUNT_BATCH = 1000
# VendorSearchRequestV1: at most 100 values per list.
VENDOR_SEARCH_LIST = 100

_ACCOUNT_KEYS = {
    "external_id": "externalId",
    "tax_code_external_id": "taxCodeExternalId",
}


def _account_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A batch item in the API's shape; snake_case keys are accepted too."""
    return {_ACCOUNT_KEYS.get(key, key): value for key, value in item.items()}


def _rate(rate: Decimal) -> float:
    # JSON has no decimal type; a tax rate such as 0.25 survives a float exactly enough.
    return float(rate)


class PleoReferenceApi(PleoApiBase):
    # -- chart of accounts (pleo-accounts-api-openapi.yml) ------------------------------------

    def chart_accounts_search(
        self, *, external_ids: Sequence[str] | None = None, archived: bool | None = None
    ) -> list[ChartAccount]:
        """All accounts (archived too unless `archived` says otherwise), optionally only those
        with these external ids. The search takes one `externalId`, so the filter is ours."""
        body: dict[str, Any] = {
            "companyId": self.company_id,
            "excludeIfAssignedToCategory": False,
            "excludeIfAssignedToContraAccount": False,
        }
        if archived is not None:
            body["archived"] = archived
        # Reference: pleo-accounts-api-openapi.yml, operationId searchAccountsV1
        accounts = [
            self.parsed(ChartAccount.from_api, a, "a ChartAccount")
            for a in self.paged("POST", "/v1/chart-of-accounts:search", json=body)
        ]
        if external_ids is not None:
            wanted = set(external_ids)
            accounts = [a for a in accounts if a.external_id in wanted]
        return accounts

    def chart_account_get(self, account_id: str) -> ChartAccount:
        # Reference: pleo-accounts-api-openapi.yml, operationId getAccountV1
        return self.parsed(
            ChartAccount.from_api,
            self.call_data("GET", f"/v1/chart-of-accounts/{account_id}"),
            "a ChartAccount",
        )

    def chart_account_create(
        self,
        *,
        external_id: str,
        name: str,
        code: str | None,
        archived: bool,
        tax_code_external_id: str | None,
    ) -> ChartAccount:
        """201 creates; 200 means Pleo matched an existing account; 409 raises `Conflict`."""
        body = {
            "companyId": self.company_id,
            "externalId": external_id,
            "name": name,
            "code": code,
            "archived": archived,
            "taxCodeExternalId": tax_code_external_id,
        }
        # Reference: pleo-accounts-api-openapi.yml, operationId createAccountV1
        return self.parsed(
            ChartAccount.from_api,
            self.call_data("POST", "/v1/chart-of-accounts", json=body),
            "a ChartAccount",
        )

    def chart_accounts_create_batch(
        self, items: Sequence[Mapping[str, Any]]
    ) -> tuple[list[ChartAccount], list[tuple[dict[str, Any], list[str]]]]:
        """Create many accounts, 1000 per call. Returns (created, [(request item, reasons)])."""
        created: list[ChartAccount] = []
        failed: list[tuple[dict[str, Any], list[str]]] = []
        for start in range(0, len(items), ACCOUNT_BATCH):
            batch = [_account_item(item) for item in items[start : start + ACCOUNT_BATCH]]
            # Reference: pleo-accounts-api-openapi.yml, operationId createAccountsBatchV1
            data = self.call_data(
                "POST",
                "/v1/chart-of-accounts/batch",
                json={"companyId": self.company_id, "items": batch},
            )
            created += [
                self.parsed(ChartAccount.from_api, a, "a ChartAccount")
                for a in data.get("created") or []
            ]
            for failure in data.get("failed") or []:
                request = failure.get("request") if isinstance(failure, dict) else None
                reasons = failure.get("reasons") if isinstance(failure, dict) else None
                failed.append((dict(request or {}), [str(r) for r in reasons or ["OTHER"]]))
        return created, failed

    def chart_account_update(
        self,
        account_id: str,
        *,
        name: str,
        code: str | None,
        archived: bool,
        tax_code_external_id: str | None,
    ) -> ChartAccount:
        """The external id cannot change; archive instead of deleting (DELETE answers 409 for
        accounts in use)."""
        body = {
            "name": name,
            "code": code,
            "archived": archived,
            "taxCodeExternalId": tax_code_external_id,
        }
        # Reference: pleo-accounts-api-openapi.yml, operationId updateAccountV1
        return self.parsed(
            ChartAccount.from_api,
            self.call_data("PUT", f"/v1/chart-of-accounts/{account_id}", json=body),
            "a ChartAccount",
        )

    # -- tax codes (pleo-tax-codes-api-openapi.yml) -------------------------------------------

    def tax_codes_search(self, *, archived: bool | None = None) -> list[TaxCode]:
        body: dict[str, Any] = {}
        if archived is not None:
            body["archived"] = archived
        # Reference: pleo-tax-codes-api-openapi.yml, operationId getTaxCodes
        return [
            self.parsed(TaxCode.from_api, t, "a TaxCode")
            for t in self.paged(
                "POST", "/v0/tax-codes:search", params=[("company_id", self.company_id)], json=body
            )
        ]

    def _tax_code_body(
        self,
        *,
        name: str,
        rate: Decimal,
        type: str,
        archived: bool,
        code: str | None,
        ingoing_tax_account: str | None,
        outgoing_tax_account: str | None,
    ) -> dict[str, Any]:
        return {
            "companyId": self.company_id,
            "name": name,
            "rate": _rate(rate),
            "type": type,
            "archived": archived,
            "code": code,
            "ingoingTaxAccount": ingoing_tax_account,
            "outgoingTaxAccount": outgoing_tax_account,
        }

    def tax_code_create(
        self,
        *,
        name: str,
        rate: Decimal,
        type: str,
        archived: bool = False,
        code: str | None = None,
        ingoing_tax_account: str | None = None,
        outgoing_tax_account: str | None = None,
    ) -> TaxCode:
        """`rate` is a fraction (0.25 for 25 %); `type` inclusive | exclusive | reverse."""
        body = self._tax_code_body(
            name=name,
            rate=rate,
            type=type,
            archived=archived,
            code=code,
            ingoing_tax_account=ingoing_tax_account,
            outgoing_tax_account=outgoing_tax_account,
        )
        # Reference: pleo-tax-codes-api-openapi.yml, operationId createTaxCode
        return self.parsed(
            TaxCode.from_api, self.call_data("POST", "/v0/tax-codes", json=body), "a TaxCode"
        )

    def tax_code_update(
        self,
        tax_code_id: str,
        *,
        name: str,
        rate: Decimal,
        type: str,
        archived: bool,
        code: str | None = None,
        ingoing_tax_account: str | None = None,
        outgoing_tax_account: str | None = None,
    ) -> TaxCode:
        body = self._tax_code_body(
            name=name,
            rate=rate,
            type=type,
            archived=archived,
            code=code,
            ingoing_tax_account=ingoing_tax_account,
            outgoing_tax_account=outgoing_tax_account,
        )
        # Reference: pleo-tax-codes-api-openapi.yml, operationId updateTaxCode
        return self.parsed(
            TaxCode.from_api,
            self.call_data("PUT", f"/v0/tax-codes/{tax_code_id}", json=body),
            "a TaxCode",
        )

    # -- tag groups and tags (pleo-tag-groups-api-openapi.yml, pleo-tags-api-openapi.yml) ----

    def tag_groups_list(self, *, include_archived: bool = True) -> list[TagGroup]:
        params = {"company_id": self.company_id, "include_archived": _flag(include_archived)}
        # Reference: pleo-tag-groups-api-openapi.yml, operationId getTagGroups (not paged)
        body = self.call_json("GET", "/v0/tag-groups", params=params)
        groups = body.get("data")
        if not isinstance(groups, list):
            raise errors.UnexpectedAnswer(
                "Pleo's answer to /v0/tag-groups has no `data` list", service=self.service
            )
        return [self.parsed(TagGroup.from_api, g, "a TagGroup") for g in groups]

    def tag_group_create(self, *, code: str, name: str, archived: bool = False) -> TagGroup:
        body = {"code": code, "name": name, "archived": archived, "metadata": {}}
        # Reference: pleo-tag-groups-api-openapi.yml, operationId createTagGroup
        return self.parsed(
            TagGroup.from_api,
            self.call_data(
                "POST", "/v0/tag-groups", params={"company_id": self.company_id}, json=body
            ),
            "a TagGroup",
        )

    def tag_group_update(
        self,
        group_id: str,
        *,
        code: str,
        name: str,
        archived: bool,
        metadata: Mapping[str, str] | None = None,
    ) -> TagGroup:
        """PUT replaces all four fields (`TagGroupUpdateModel`), metadata included."""
        body = {"code": code, "name": name, "archived": archived, "metadata": dict(metadata or {})}
        # Reference: pleo-tag-groups-api-openapi.yml, operationId updateTagGroup
        return self.parsed(
            TagGroup.from_api,
            self.call_data("PUT", f"/v0/tag-groups/{group_id}", json=body),
            "a TagGroup",
        )

    def tags_list(self, group_id: str, *, include_archived: bool = True) -> list[Tag]:
        params = [("include_archived", _flag(include_archived))]
        # Reference: pleo-tags-api-openapi.yml, operationId getTags
        return [
            self.parsed(Tag.from_api, t, "a Tag")
            for t in self.paged("GET", f"/v0/tag-groups/{group_id}/tags", params=params)
        ]

    def tag_create(
        self, group_id: str, *, code: str, name: str | None, archived: bool = False
    ) -> Tag:
        body: dict[str, Any] = {"code": code, "archived": archived}
        if name is not None:
            body["name"] = name
        # Reference: pleo-tags-api-openapi.yml, operationId createTag (201)
        return self.parsed(
            Tag.from_api,
            self.call_data("POST", f"/v0/tag-groups/{group_id}/tags", json=body),
            "a Tag",
        )

    def tag_update(self, tag_id: str, *, code: str, name: str | None, archived: bool) -> Tag:
        body: dict[str, Any] = {"code": code, "archived": archived}
        if name is not None:
            body["name"] = name
        # Reference: pleo-tags-api-openapi.yml, operationId updateTag
        return self.parsed(
            Tag.from_api, self.call_data("PUT", f"/v0/tags/{tag_id}", json=body), "a Tag"
        )

    # -- vendors (pleo-external-vendors-api-openapi.yml) -------------------------------------

    def vendors_search(
        self,
        *,
        external_ids: Sequence[str] | None = None,
        codes: Sequence[str] | None = None,
        tax_registration_numbers: Sequence[str] | None = None,
        states: Sequence[str] | None = None,
        name: str | None = None,
    ) -> list[Vendor]:
        """Vendors matching all given filters; lists over 100 values are searched in chunks."""
        lists = {
            "externalIds": list(external_ids) if external_ids is not None else None,
            "codes": list(codes) if codes is not None else None,
            "taxRegistrationNumbers": (
                list(tax_registration_numbers) if tax_registration_numbers is not None else None
            ),
        }
        present = {key: values for key, values in lists.items() if values is not None}
        if any(not values for values in present.values()):
            return []  # an empty list filter matches nothing; Pleo would ignore it instead
        chunked = [
            [
                (key, values[i : i + VENDOR_SEARCH_LIST])
                for i in range(0, len(values), VENDOR_SEARCH_LIST)
            ]
            for key, values in present.items()
        ]
        found: dict[str, Vendor] = {}
        for combination in itertools.product(*chunked):
            body: dict[str, Any] = dict(combination)
            if states is not None:
                body["states"] = list(states)
            if name is not None:
                body["name"] = name
            # Reference: pleo-external-vendors-api-openapi.yml, operationId searchVendors
            # A page as long as a chunk of ids (the default is shorter), so a chunk is one call.
            params = [("company_id", self.company_id), ("limit", VENDOR_SEARCH_LIST)]
            for raw in self.paged("POST", "/v1/vendors:search", params=params, json=body):
                vendor = self.parsed(Vendor.from_api, raw, "a Vendor")
                found.setdefault(vendor.id, vendor)
        return list(found.values())

    def vendor_get(self, vendor_id: str) -> Vendor:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId getVendorById
        return self.parsed(
            Vendor.from_api, self.call_data("GET", f"/v1/vendors/{vendor_id}"), "a Vendor"
        )

    def vendor_create(
        self,
        *,
        name: str,
        default_currency: str,
        code: str | None = None,
        external_id: str | None = None,
        country: str | None = None,
        registration_number: str | None = None,
        tax_registration_number: str | None = None,
    ) -> Vendor:
        """409 (`Conflict`) when the vendor exists already."""
        body = _compact(
            {
                "companyId": self.company_id,
                "name": name,
                "defaultCurrency": default_currency,
                "code": code,
                "externalId": external_id,
                "country": country,
                "registrationNumber": registration_number,
                "taxRegistrationNumber": tax_registration_number,
            }
        )
        # Reference: pleo-external-vendors-api-openapi.yml, operationId postVendor (201)
        return self.parsed(
            Vendor.from_api, self.call_data("POST", "/v1/vendors", json=body), "a Vendor"
        )

    def vendor_update(
        self,
        vendor_id: str,
        *,
        name: str,
        default_currency: str,
        external_id: str,
        state: str,
        code: str | None = None,
        country: str | None = None,
        registration_number: str | None = None,
        tax_registration_number: str | None = None,
    ) -> Vendor:
        body = _compact(
            {
                "companyId": self.company_id,
                "name": name,
                "defaultCurrency": default_currency,
                "externalId": external_id,
                "state": state,
                "code": code,
                "country": country,
                "registrationNumber": registration_number,
                "taxRegistrationNumber": tax_registration_number,
            }
        )
        # Reference: pleo-external-vendors-api-openapi.yml, operationId updateVendor
        return self.parsed(
            Vendor.from_api,
            self.call_data("PUT", f"/v1/vendors/{vendor_id}", json=body),
            "a Vendor",
        )

    def vendor_activate(self, vendor_id: str, *, external_id: str, code: str | None = None) -> None:
        """Mark a DRAFT vendor as created in the ERP under `external_id` (204)."""
        body = _compact({"externalId": external_id, "code": code})
        # Reference: pleo-external-vendors-api-openapi.yml, operationId activateVendor
        # Activating with the same external id again leaves the same state: safe to re-send.
        self.call("POST", f"/v1/vendors/{vendor_id}:activate", json=body, idempotent=True)

    def vendor_archive(self, vendor_id: str) -> None:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId archiveVendorById (204)
        self.call("POST", f"/v1/vendors/{vendor_id}:archive", idempotent=True)

    # -- the company -------------------------------------------------------------------------

    def company_find(self, company_id: str) -> Company | None:
        """The company the token is for, by its id, from the companies the token may read;
        None when the listing does not name it."""
        # Reference: developers.pleo.io API reference, "Search for Companies"
        # (`GET /v1/companies` → `{data: [{id, name, organizationId, …}], pagination}`, scope
        # `companies:read`); the public Go client `companies/operations.go` calls it the same way.
        # The specs kept with the project do not include it, hence the narrow reading.
        for record in self.paged("GET", "/v1/companies"):
            if str(record.get("id") or "") == company_id:
                return self.parsed(Company.from_api, record, "a Company")
        return None

    # -- webhook subscriptions (pleo-subscriptions-api-openapi.yml) --------------------------

    def subscriptions_list(self) -> list[Subscription]:
        # Reference: pleo-subscriptions-api-openapi.yml, operationId getSubscriptions
        return [
            self.parsed(Subscription.from_api, s, "a Subscription")
            for s in self.paged("GET", "/v1/subscriptions")
        ]

    def subscription_create(self, *, endpoint_url: str, event_types: Sequence[str]) -> Subscription:
        body = {"endpointUrl": endpoint_url, "eventTypes": list(event_types), "status": "ACTIVE"}
        # Reference: pleo-subscriptions-api-openapi.yml, operationId createSubscription (200)
        return self.parsed(
            Subscription.from_api,
            self.call_data("POST", "/v1/subscriptions", json=body),
            "a Subscription",
        )

    def subscription_delete(self, subscription_id: str) -> None:
        # Reference: pleo-subscriptions-api-openapi.yml, operationId deleteSubscription (204)
        self.call("DELETE", f"/v1/subscriptions/{subscription_id}")

    def subscription_secret(self, subscription_id: str) -> str:
        """The `whsec_…` key Pleo signs this subscription's deliveries with."""
        # Reference: pleo-subscriptions-api-openapi.yml, operationId getSubscriptionSecret
        data = self.call_data("GET", f"/v1/subscriptions/{subscription_id}/secret")
        secret = data.get("secretKey")
        if not isinstance(secret, str) or not secret:
            raise errors.UnexpectedAnswer(
                "Pleo sent no secret for the webhook subscription", service=self.service
            )
        return secret


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    # Vendor fields are plain strings in the spec (not nullable): leave out what we do not know.
    return {key: value for key, value in body.items() if value is not None}
