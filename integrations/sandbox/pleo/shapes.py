"""The official read shapes of everything the Pleo sandbox holds.

Reference: ../shared/specs/pleo/: ExportJobV3, ExportJobItemV3 (export-api-v3), ExportItemV3
(export-items-v3), BookkeepingAccountRestModelV1 (accounts), TaxCodeModel (tax-codes),
TagGroupModel (tag-groups), TagModel (tags), VendorResponse (external-vendors),
SubscriptionModel (subscriptions).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from integrations.sandbox.pleo.api import iso
from integrations.sandbox.pleo.files import file_link
from integrations.sandbox.pleo.models import (
    ChartAccount,
    ExportJob,
    ExportJobItem,
    Subscription,
    Tag,
    TagGroup,
    TaxCode,
    Vendor,
    WebhookDelivery,
)


def job_shape(job: ExportJob) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(job.id),
        "companyId": str(job.company_id),
        "status": job.status,
        "createdAt": iso(job.created_at),
        "createdBy": str(job.created_by) if job.created_by else None,
        "expiresIn": job.expires_in,
        "isInteractive": job.is_interactive,
        "vendorBasedBookkeeping": job.vendor_based_bookkeeping,
        "numberOfItems": job.number_of_items,
        "lastUpdatedAt": iso(job.last_updated_at),
        "startedAt": iso(job.started_at),
        "completedAt": iso(job.completed_at),
        "expiredAt": iso(job.expired_at),
        "failureReason": job.failure_reason,
    }
    # failureReasonType is a plain (non-nullable) string in the spec: omit it until set.
    if job.failure_reason_type:
        data["failureReasonType"] = job.failure_reason_type
    return data


def job_item_shape(item: ExportJobItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accountingEntryId": str(item.accounting_entry_id),
        "exportJobId": str(item.job_id),
        "status": item.status,
        "exportedAt": iso(item.exported_at),
        "externalId": item.external_id,
        "externalUrl": item.external_url,
        "failureReason": item.failure_reason,
    }
    if item.failure_reason_type:
        data["failureReasonType"] = item.failure_reason_type
    return data


def export_item_shape(item: ExportJobItem, request: HttpRequest) -> dict[str, Any]:
    """The ExportItemV3, with stored receipts behind freshly signed links."""
    # Shallow: only `files` is replaced, and the payload is the row's own freshly read copy.
    data = dict(item.payload)
    files = data.get("files")
    if isinstance(files, list):
        data["files"] = [_file_shape(f, request) for f in files]
    return data


def _file_shape(entry: Any, request: HttpRequest) -> Any:
    if isinstance(entry, dict) and entry.get("fileId"):
        return {
            "url": file_link(request, entry["fileId"]),
            "type": entry.get("type") or "application/octet-stream",
            "size": entry.get("size") or 0,
        }
    return entry


def account_shape(account: ChartAccount) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "companyId": str(account.company_id),
        "externalId": account.external_id,
        "name": account.name,
        "code": account.code,
        "archived": account.archived,
        "metadata": account.metadata,
        "taxCodeExternalId": account.tax_code_external_id,
    }


def tax_code_shape(tax_code: TaxCode) -> dict[str, Any]:
    return {
        "id": str(tax_code.id),
        "companyId": str(tax_code.company_id),
        "name": tax_code.name,
        "code": tax_code.code,
        # A JSON number, as in the spec (0.25 for 25 %).
        "rate": float(tax_code.rate),
        "type": tax_code.type,
        "archived": tax_code.archived,
        "ingoingTaxAccount": tax_code.ingoing_tax_account,
        "outgoingTaxAccount": tax_code.outgoing_tax_account,
        "accountingIntegrationSystem": None,
        "createdAt": iso(tax_code.created_at),
        "updatedAt": iso(tax_code.updated_at),
    }


def tag_group_shape(group: TagGroup, *, tags_count: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(group.id),
        "companyId": str(group.company_id),
        "code": group.code,
        "name": group.name,
        "archived": group.archived,
        "metadata": group.metadata or {},
        "createdAt": iso(group.created_at),
        "updatedAt": iso(group.updated_at),
    }
    if tags_count:
        data["totalTagsCount"] = group.tags.count()
    return data


def tag_shape(tag: Tag) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(tag.id),
        "groupId": str(tag.group_id),
        "code": tag.code,
        "archived": tag.archived,
        "createdAt": iso(tag.created_at),
        "updatedAt": iso(tag.updated_at),
    }
    if tag.name is not None:
        data["name"] = tag.name
    return data


def vendor_shape(vendor: Vendor) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(vendor.id),
        "companyId": str(vendor.company_id),
        "name": vendor.name,
        "defaultCurrency": vendor.default_currency,
        "state": vendor.state,
        "createdAt": iso(vendor.created_at),
        "updatedAt": iso(vendor.updated_at),
    }
    # The spec types these as plain (non-nullable) strings: present only when set.
    optional = {
        "code": vendor.code,
        "externalId": vendor.external_id,
        "country": vendor.country,
        "registrationNumber": vendor.registration_number,
        "taxRegistrationNumber": vendor.tax_registration_number,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def subscription_shape(subscription: Subscription) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(subscription.id),
        "endpointUrl": subscription.endpoint_url,
        "eventTypes": list(subscription.event_types),
        "status": subscription.status,
        "customHeaders": subscription.custom_headers or {},
        "createdAt": iso(subscription.created_at),
        "updatedAt": iso(subscription.updated_at),
    }
    if subscription.endpoint_auth:
        data["endpointAuth"] = subscription.endpoint_auth
    return data


def delivery_shape(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "subscriptionId": str(delivery.subscription_id) if delivery.subscription_id else None,
        "companyId": str(delivery.company_id),
        "endpointUrl": delivery.endpoint_url,
        "webhookId": delivery.message_id,
        "eventId": str(delivery.event_id),
        "eventType": delivery.event_type,
        "shape": delivery.shape,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lastAttemptAt": iso(delivery.last_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "nextAttemptAt": iso(delivery.next_attempt_at),
        "createdAt": iso(delivery.created_at),
    }
