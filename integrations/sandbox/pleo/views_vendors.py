"""Vendors and webhook subscriptions of the Pleo sandbox.

Reference: ../shared/specs/pleo/pleo-external-vendors-api-openapi.yml and
pleo-subscriptions-api-openapi.yml.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from integrations.sandbox.pleo.api import (
    ApiError,
    body_object,
    check_company,
    check_type,
    methods,
    no_content,
    paginate,
    parse_uuid,
    pleo_api,
    require,
    respond,
)
from integrations.sandbox.pleo.models import Company, Subscription, Vendor
from integrations.sandbox.pleo.shapes import subscription_shape, vendor_shape
from integrations.sandbox.pleo.webhooks import secret_new, webhook_emit

VENDOR_NOT_FOUND = ("VENDOR_NOT_FOUND", "Vendor not found.")
SUBSCRIPTION_NOT_FOUND = ("SUBSCRIPTION_NOT_FOUND", "Subscription not found.")
SEARCH_LIST_LIMIT = 100
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _vendor_for(company: Company, vendor_id: str) -> Vendor:
    key = parse_uuid(vendor_id, not_found=VENDOR_NOT_FOUND)
    try:
        return Vendor.objects.get(pk=key, company=company)
    except Vendor.DoesNotExist as exc:
        raise ApiError(404, *VENDOR_NOT_FOUND) from exc


def vendor_fields(data: dict[str, Any]) -> dict[str, Any]:
    require(data, "companyId", "name", "defaultCurrency")
    for field in (
        "name",
        "defaultCurrency",
        "code",
        "externalId",
        "country",
        "registrationNumber",
        "taxRegistrationNumber",
    ):
        check_type(data, field, str)
    if not CURRENCY.match(data["defaultCurrency"]):
        raise ApiError(400, "VALIDATION_FAILED", "defaultCurrency must be an ISO 4217 code.")
    if data.get("country") is not None and not COUNTRY.match(data["country"]):
        raise ApiError(400, "VALIDATION_FAILED", "country must be an ISO 3166-1 alpha-2 code.")
    return {
        "name": data["name"],
        "default_currency": data["defaultCurrency"],
        "code": data.get("code"),
        "external_id": data.get("externalId"),
        "country": data.get("country"),
        "registration_number": data.get("registrationNumber"),
        "tax_registration_number": data.get("taxRegistrationNumber"),
    }


def _external_id_free(company: Company, external_id: str | None, *, exclude: Vendor | None) -> None:
    if not external_id:
        return
    clash = Vendor.objects.filter(company=company, external_id=external_id)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ApiError(409, "VENDOR_ALREADY_EXISTS", "A vendor with this externalId exists.")


def vendor_create(
    *, company: Company, fields: dict[str, Any], state: str, announce: bool
) -> Vendor:
    """Store a vendor; `announce` delivers `v1.vendor.created` (vendors made inside Pleo)."""
    with transaction.atomic():
        _external_id_free(company, fields.get("external_id"), exclude=None)
        vendor = Vendor.objects.create(company=company, state=state, **fields)
        vendor.refresh_from_db()
        if announce:
            webhook_emit(company=company, event_type="v1.vendor.created", data=vendor_shape(vendor))
    return vendor


@pleo_api
def vendors_create(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    fields = vendor_fields(data)
    check_company(company, data["companyId"])
    # Vendors imported from the ERP (with its id) are active at once; others start as drafts.
    state = Vendor.State.ACTIVE if fields["external_id"] else Vendor.State.DRAFT
    vendor = vendor_create(company=company, fields=fields, state=state, announce=False)
    return respond({"data": vendor_shape(vendor)}, status=201)


def _vendor_get(request: HttpRequest, company: Company, vendor_id: str) -> HttpResponse:
    return respond({"data": vendor_shape(_vendor_for(company, vendor_id))})


def _vendor_put(request: HttpRequest, company: Company, vendor_id: str) -> HttpResponse:
    vendor = _vendor_for(company, vendor_id)
    data = body_object(request)
    require(data, "externalId", "state")
    fields = vendor_fields(data)
    check_company(company, data["companyId"])
    if data["state"] not in Vendor.State.values:
        raise ApiError(400, "VALIDATION_FAILED", "state must be DRAFT, ACTIVE or ARCHIVED.")
    _external_id_free(company, fields["external_id"], exclude=vendor)
    for key, value in fields.items():
        setattr(vendor, key, value)
    vendor.state = data["state"]
    vendor.save()
    return respond({"data": vendor_shape(vendor)})


vendor_detail = pleo_api(methods(get=_vendor_get, put=_vendor_put))


@pleo_api
def vendor_activate(request: HttpRequest, company: Company, vendor_id: str) -> HttpResponse:
    """`POST /v1/vendors/{id}:activate {externalId, code}` → 204: DRAFT becomes ACTIVE."""
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    vendor = _vendor_for(company, vendor_id)
    data = body_object(request)
    require(data, "externalId")
    check_type(data, "externalId", str)
    check_type(data, "code", str)
    vendor.external_id = data["externalId"]
    if data.get("code") is not None:
        vendor.code = data["code"]
    vendor.state = Vendor.State.ACTIVE
    vendor.save()
    return no_content()


@pleo_api
def vendor_archive(request: HttpRequest, company: Company, vendor_id: str) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    vendor = _vendor_for(company, vendor_id)
    vendor.state = Vendor.State.ARCHIVED
    vendor.save()
    return no_content()


@pleo_api
def vendors_search(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    if not request.GET.get("company_id"):
        raise ApiError(400, "VALIDATION_FAILED", "company_id is required.")
    check_company(company, request.GET["company_id"])
    data = body_object(request) if request.body else {}
    rows = Vendor.objects.filter(company=company)
    filters = {
        "codes": "code__in",
        "externalIds": "external_id__in",
        "taxRegistrationNumbers": "tax_registration_number__in",
        "countries": "country__in",
        "states": "state__in",
    }
    for key, lookup in filters.items():
        values = data.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or len(values) > SEARCH_LIST_LIMIT:
            raise ApiError(400, "VALIDATION_FAILED", f"{key} must be a list of at most 100.")
        rows = rows.filter(**{lookup: values})
    if data.get("ids"):
        ids = [parse_uuid(v, not_found=VENDOR_NOT_FOUND) for v in data["ids"]]
        rows = rows.filter(pk__in=ids)
    if data.get("name"):
        rows = rows.filter(name__icontains=data["name"])
    return respond(paginate(request, rows, vendor_shape))


# ---- subscriptions -------------------------------------------------------------------------


def _subscription_for(company: Company, subscription_id: str) -> Subscription:
    key = parse_uuid(subscription_id, not_found=SUBSCRIPTION_NOT_FOUND)
    try:
        return Subscription.objects.get(pk=key, company=company)
    except Subscription.DoesNotExist as exc:
        raise ApiError(404, *SUBSCRIPTION_NOT_FOUND) from exc


def _subscription_fields(data: dict[str, Any]) -> dict[str, Any]:
    require(data, "endpointUrl", "eventTypes")
    check_type(data, "endpointUrl", str)
    check_type(data, "customHeaders", dict)
    check_type(data, "endpointAuth", dict)
    if urlsplit(data["endpointUrl"]).scheme not in ("http", "https"):
        raise ApiError(400, "VALIDATION_FAILED", "endpointUrl must be an http(s) address.")
    events = data["eventTypes"]
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise ApiError(400, "VALIDATION_FAILED", "eventTypes must be a non-empty list.")
    status = data.get("status") or Subscription.Status.ACTIVE
    if status not in Subscription.Status.values:
        raise ApiError(400, "VALIDATION_FAILED", "status must be ACTIVE or INACTIVE.")
    return {
        "endpoint_url": data["endpointUrl"],
        "event_types": events,
        "status": status,
        "custom_headers": data.get("customHeaders") or {},
        "endpoint_auth": data.get("endpointAuth"),
    }


def _subscriptions_list(request: HttpRequest, company: Company) -> HttpResponse:
    rows = Subscription.objects.filter(company=company)
    if request.GET.get("status"):
        rows = rows.filter(status=request.GET["status"])
    wanted = set(request.GET.getlist("event_types"))
    found = [s for s in rows if not wanted or wanted & set(s.event_types)]
    return respond(paginate(request, found, subscription_shape))


def _subscriptions_create(request: HttpRequest, company: Company) -> HttpResponse:
    fields = _subscription_fields(body_object(request))
    subscription = Subscription.objects.create(company=company, secret=secret_new(), **fields)
    return respond({"data": subscription_shape(subscription)}, status=200)


subscriptions = pleo_api(methods(get=_subscriptions_list, post=_subscriptions_create))


def _subscription_get(request: HttpRequest, company: Company, subscription_id: str) -> HttpResponse:
    return respond({"data": subscription_shape(_subscription_for(company, subscription_id))})


def _subscription_put(request: HttpRequest, company: Company, subscription_id: str) -> HttpResponse:
    subscription = _subscription_for(company, subscription_id)
    for key, value in _subscription_fields(body_object(request)).items():
        setattr(subscription, key, value)
    subscription.save()
    return respond({"data": subscription_shape(subscription)})


def _subscription_delete(
    request: HttpRequest, company: Company, subscription_id: str
) -> HttpResponse:
    _subscription_for(company, subscription_id).delete()
    return no_content()


subscription_detail = pleo_api(
    methods(get=_subscription_get, put=_subscription_put, delete=_subscription_delete)
)


@pleo_api
def subscription_secret(
    request: HttpRequest, company: Company, subscription_id: str
) -> HttpResponse:
    if request.method != "GET":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use GET.")
    subscription = _subscription_for(company, subscription_id)
    return respond({"data": {"secretKey": subscription.secret}})
