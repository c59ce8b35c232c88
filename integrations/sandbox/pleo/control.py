"""The Pleo sandbox's control API (`_control/…`): no auth, JSON, for tests, demos, benchmarks.

Errors here are `{"error": message}` (and `"type"` when a Pleo rule refused the request), not
Pleo's shape: this API is the sandbox's own.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox.common import BadJson, control_error
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.api import ApiError
from integrations.sandbox.pleo.files import file_store
from integrations.sandbox.pleo.jobs import export_item_prepare, job_create, jobs_expire_stale
from integrations.sandbox.pleo.models import (
    AccessToken,
    ChartAccount,
    Company,
    ExportJob,
    SandboxSettings,
    Subscription,
    TagGroup,
    TaxCode,
    Vendor,
    WebhookDelivery,
    WebhookShape,
)
from integrations.sandbox.pleo.presets import (
    company_resolve,
    pleo_reset,
    pleo_seed,
    pleo_seed_records,
)
from integrations.sandbox.pleo.shapes import (
    account_shape,
    delivery_shape,
    export_item_shape,
    job_item_shape,
    job_shape,
    subscription_shape,
    tag_group_shape,
    tag_shape,
    tax_code_shape,
    vendor_shape,
)
from integrations.sandbox.pleo.views_vendors import vendor_create
from integrations.sandbox.pleo.webhooks import deliveries_flush

ControlView = Callable[..., HttpResponse]


def control_body(request: HttpRequest) -> dict[str, Any]:
    # Read past DATA_UPLOAD_MAX_MEMORY_SIZE: a benchmark's job of 10,000 items is one body.
    raw = request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("Send a JSON object.")
    return data


def control(*allowed: str) -> Callable[[ControlView], ControlView]:
    """csrf-exempt, method-checked, bad input → 400 `{"error"}`."""

    def decorator(view: ControlView) -> ControlView:
        @csrf_exempt
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return control_error(f"Use {' or '.join(allowed)}.", 405)
            try:
                return view(request, **kwargs)
            except ApiError as exc:
                return JsonResponse({"error": exc.message, "type": exc.type}, status=exc.status)
            except LookupError as exc:
                return control_error(str(exc.args[0] if exc.args else exc), 404)
            except (BadJson, ValueError, TypeError, KeyError) as exc:
                return control_error(str(exc))

        return wrapper

    return decorator


def _seconds(data: dict[str, Any]) -> int:
    seconds = data.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError('Send {"seconds": <non-negative integer>}.')
    return seconds


@control("POST")
def export_jobs_create(request: HttpRequest) -> HttpResponse:
    """`{"items": [ExportItemV3, …], "companyId"?, "createdBy"?, "isInteractive"?}` → a pending
    job (missing ids filled in), `v1.export-job.created` delivered; returns job and items."""
    data = control_body(request)
    company = company_resolve(data.get("companyId"))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ValueError("items must be a non-empty list of export items.")
    items = [export_item_prepare(company=company, raw=r, index=i) for i, r in enumerate(raw_items)]
    # The answer is written before the job's webhook goes out (at commit): a caller timing the
    # integration from the webhook on does not share the machine with this answer's making.
    with transaction.atomic():
        job = job_create(
            company=company,
            items=items,
            created_by=data.get("createdBy"),
            is_interactive=data.get("isInteractive") is not False,
            vendor_based_bookkeeping=bool(data.get("vendorBasedBookkeeping")),
        )
        body = job_shape(job)
        body["items"] = [export_item_shape(item, request) for item in job.items.all()]
        response = JsonResponse(body, status=201)
    return response


@control("POST")
def files_create(request: HttpRequest) -> HttpResponse:
    """`{"name", "type", "content_base64"}` → `{"fileId", "name", "type", "size"}` (201): a
    receipt kept once; items of `_control/export-jobs` may then name it as
    `"files": [{"fileId": …}]`, each served behind its own signed link."""
    data = control_body(request)
    try:
        content = base64.b64decode(str(data.get("content_base64", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("content_base64 must be base64.") from exc
    if not content:
        raise ValueError("content_base64 must hold the file's bytes.")
    entry = file_store(
        name=str(data.get("name") or "receipt"),
        content_type=str(data.get("type") or "application/octet-stream"),
        content=content,
    )
    return JsonResponse(entry, status=201)


@control("POST")
def vendors_create(request: HttpRequest) -> HttpResponse:
    """A DRAFT vendor made inside Pleo; delivers `v1.vendor.created`."""
    data = control_body(request)
    company = company_resolve(data.get("companyId"))
    if not data.get("name"):
        raise ValueError("name is required.")
    fields = {
        "name": str(data["name"]),
        "default_currency": str(data.get("defaultCurrency") or company.currency),
        "code": data.get("code"),
        "external_id": None,
        "country": data.get("country") or company.country,
        "registration_number": data.get("registrationNumber"),
        "tax_registration_number": data.get("taxRegistrationNumber"),
    }
    vendor = vendor_create(company=company, fields=fields, state=Vendor.State.DRAFT, announce=True)
    return JsonResponse(vendor_shape(vendor), status=201)


def _job_state(job: ExportJob, request: HttpRequest) -> dict[str, Any]:
    body = job_shape(job)
    body["items"] = [
        {**job_item_shape(item), "exportItem": export_item_shape(item, request)}
        for item in job.items.all()
    ]
    return body


@control("GET")
def state(request: HttpRequest) -> HttpResponse:
    """Everything the sandbox holds, in Pleo's read shapes (`?companyId=` narrows it)."""
    jobs_expire_stale()
    wanted = request.GET.get("companyId")
    companies = [company_resolve(wanted)] if wanted else list(Company.objects.all())
    ids = [c.pk for c in companies]
    groups = []
    for group in TagGroup.objects.filter(company__in=ids):
        shape = tag_group_shape(group)
        shape["tags"] = [tag_shape(t) for t in group.tags.all()]
        groups.append(shape)
    subscriptions = []
    for subscription in Subscription.objects.filter(company__in=ids):
        shape = subscription_shape(subscription)
        shape["companyId"] = str(subscription.company_id)
        shape["secretKey"] = subscription.secret
        shape["bodyShape"] = subscription.body_shape or None
        subscriptions.append(shape)
    body = {
        "companies": [
            {
                "id": str(c.pk),
                "slug": c.slug,
                "name": c.name,
                "country": c.country,
                "currency": c.currency,
                "wallets": c.wallets,
                "employees": [
                    {"id": str(e.pk), "name": e.name, "code": e.code, "email": e.email}
                    for e in c.employees.all()
                ],
            }
            for c in companies
        ],
        "exportJobs": [_job_state(j, request) for j in ExportJob.objects.filter(company__in=ids)],
        "chartOfAccounts": [account_shape(a) for a in ChartAccount.objects.filter(company__in=ids)],
        "taxCodes": [tax_code_shape(t) for t in TaxCode.objects.filter(company__in=ids)],
        "tagGroups": groups,
        "vendors": [vendor_shape(v) for v in Vendor.objects.filter(company__in=ids)],
        "subscriptions": subscriptions,
        "webhookDeliveries": [
            delivery_shape(d) for d in WebhookDelivery.objects.filter(company__in=ids)
        ],
        "settings": _settings_shape(SandboxSettings.current()),
    }
    return JsonResponse(body)


def _settings_shape(row: SandboxSettings) -> dict[str, Any]:
    return {
        "tokenExpirySeconds": row.token_expiry_seconds,
        "fileLinkExpirySeconds": row.file_link_expiry_seconds,
        "webhooksSync": row.webhooks_sync,
        "webhookShape": row.webhook_shape,
        "webhooksHold": row.webhooks_hold,
    }


@control("POST")
def reset(request: HttpRequest) -> HttpResponse:
    pleo_reset()
    return JsonResponse({"reset": True})


@control("POST")
def seed(request: HttpRequest) -> HttpResponse:
    """`{"preset": "demo", "keepExisting"?: bool}` and/or explicit records for a company:
    `{"companyId"?, "chartOfAccounts"|"taxCodes"|"tagGroups"|"vendors": […]}`."""
    data = control_body(request)
    if data.get("preset"):
        pleo_seed(str(data["preset"]), keep_existing=bool(data.get("keepExisting")))
    counts: dict[str, int] = {}
    if any(data.get(k) for k in ("chartOfAccounts", "taxCodes", "tagGroups", "vendors")):
        counts = pleo_seed_records(company=company_resolve(data.get("companyId")), data=data)
    return JsonResponse({"seeded": True, "preset": data.get("preset"), "records": counts})


@control("GET", "POST")
def token_expiry(request: HttpRequest) -> HttpResponse:
    """`{"seconds": N, "applyToExisting"?: bool}`: lifetime of new access tokens; with
    `applyToExisting`, tokens already issued expire within N seconds too."""
    row = SandboxSettings.current()
    if request.method == "POST":
        data = control_body(request)
        row.token_expiry_seconds = _seconds(data)
        row.save(update_fields=["token_expiry_seconds"])
        if data.get("applyToExisting"):
            deadline = clock.now() + timedelta(seconds=row.token_expiry_seconds)
            AccessToken.objects.filter(expires_at__gt=deadline).update(expires_at=deadline)
    return JsonResponse(_settings_shape(row))


@control("GET", "POST")
def file_link_expiry(request: HttpRequest) -> HttpResponse:
    """`{"seconds": N}`: lifetime of the signed file links handed out from now on."""
    row = SandboxSettings.current()
    if request.method == "POST":
        row.file_link_expiry_seconds = _seconds(control_body(request))
        row.save(update_fields=["file_link_expiry_seconds"])
    return JsonResponse(_settings_shape(row))


@control("GET", "POST")
def webhooks(request: HttpRequest) -> HttpResponse:
    """Delivery switches, each optional:
    `{"sync": true}`: send each delivery's first attempt inline (retries wait for a flush);
    `{"shape": "flat"|"wrapped"|"alternate"}`: the body of new deliveries (default `flat`), or
    with `"subscriptionId"` the shape of that subscription only (`null`: back to the default);
    `{"hold": true}`: keep new deliveries until `_control/deliveries/release`.
    Answers the settings: `{"tokenExpirySeconds", "fileLinkExpirySeconds", "webhooksSync",
    "webhookShape", "webhooksHold"}`."""
    row = SandboxSettings.current()
    if request.method == "POST":
        data = control_body(request)
        known = {"sync", "shape", "hold", "subscriptionId"}
        if not data or set(data) - known:
            raise ValueError(f"Send any of {sorted(known)}.")
        for key in ("sync", "hold"):
            if key in data and not isinstance(data[key], bool):
                raise ValueError(f"{key} must be true or false.")
        shape = data.get("shape")
        if shape is not None and shape not in WebhookShape.values:
            raise ValueError(f"shape must be one of {', '.join(WebhookShape.values)}.")
        if data.get("subscriptionId"):
            subscription = Subscription.objects.filter(pk=str(data["subscriptionId"])).first()
            if subscription is None:
                raise LookupError(f"No subscription {data['subscriptionId']!r}.")
            subscription.body_shape = shape or ""
            subscription.save(update_fields=["body_shape"])
        elif "shape" in data:
            if shape is None:
                raise ValueError("shape must be one of flat, wrapped, alternate.")
            row.webhook_shape = shape
        if "sync" in data:
            row.webhooks_sync = data["sync"]
        if "hold" in data:
            row.webhooks_hold = data["hold"]
        row.save()
    return JsonResponse(_settings_shape(row))


@control("POST")
def deliveries_flush_view(request: HttpRequest) -> HttpResponse:
    """Attempt due deliveries now (`{"all": true}`: every open one, due or not)."""
    data = control_body(request)
    attempted = deliveries_flush(include_not_due=bool(data.get("all")))
    return JsonResponse({"attempted": [delivery_shape(d) for d in attempted]})
