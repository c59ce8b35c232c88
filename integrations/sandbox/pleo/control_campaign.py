"""Control switches a fault campaign turns on the Pleo sandbox (`_control/…`): what the real
service does on a bad day, on demand.

Each view documents its JSON. Errors are the control API's `{"error"}` (400 bad input, 404
unknown record, 409 a state that does not allow it).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.control import control, control_body
from integrations.sandbox.pleo.files import file_links_expire
from integrations.sandbox.pleo.jobs import job_expire
from integrations.sandbox.pleo.models import (
    AccessToken,
    ExportJob,
    Grant,
    SandboxSettings,
    WebhookDelivery,
    WebhookShape,
)
from integrations.sandbox.pleo.oauth import grant_revoke
from integrations.sandbox.pleo.presets import company_resolve
from integrations.sandbox.pleo.shapes import delivery_shape, job_shape
from integrations.sandbox.pleo.webhooks import (
    deliveries_dispatch,
    deliveries_release,
    delivery_resend,
)

REFRESH_CHOICES = ("works", "fails")
RELEASE_ORDERS = ("created", "reversed", "shuffled")


@control("POST")
def tokens_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke access tokens now: the next API call with one answers 401 `UNAUTHORIZED`, as Pleo
    answers a token that is no longer valid.

    `{"companyId"?: uuid|slug, "token"?: "<access token>", "refresh"?: "works"|"fails"}`
    → `{"revokedAccessTokens": n, "revokedGrants": m}`.

    Without `token`, every live access token (of the company, or of every company) goes.
    `refresh` (default `works`) decides what the refresh token does next:
    * `works`: only the access tokens end (an access token cut short, as when Pleo rotates its
      signing keys); a refresh returns a new pair and the work goes on;
    * `fails`: the whole grant ends, as when a customer revokes the app's access in Pleo (and as
      Pleo does when a spent refresh token is reused): a refresh answers 400 `invalid_grant`
      and only a new consent helps.
    """
    data = control_body(request)
    refresh = data.get("refresh", "works")
    if refresh not in REFRESH_CHOICES:
        raise ValueError('refresh must be "works" or "fails".')
    tokens = AccessToken.objects.filter(revoked_at__isnull=True, expires_at__gt=clock.now())
    if data.get("token"):
        tokens = tokens.filter(token=str(data["token"]))
    if data.get("companyId"):
        tokens = tokens.filter(grant__company=company_resolve(data["companyId"]))
    grant_ids = set(tokens.values_list("grant_id", flat=True))
    revoked = tokens.update(revoked_at=clock.now())
    grants = 0
    if refresh == "fails":
        for grant in Grant.objects.filter(pk__in=grant_ids, revoked_at__isnull=True):
            grant_revoke(grant)
            grants += 1
    return JsonResponse({"revokedAccessTokens": revoked, "revokedGrants": grants})


@control("POST")
def export_job_expire(request: HttpRequest, job_id: str) -> HttpResponse:
    """`POST _control/export-jobs/<jobId>/expire` (no body): the job expires now, as if its
    hour had passed without an update. Answers the job (`status` failed, `failureReasonType`
    job_expired, `expiredAt` now); 409 when the job is no longer pending or in progress."""
    try:
        job = ExportJob.objects.get(pk=uuid.UUID(job_id))
    except (ValueError, ExportJob.DoesNotExist) as exc:
        raise LookupError(f"No export job {job_id!r}.") from exc
    if not job_expire(job=job, at=clock.now()):
        return JsonResponse(
            {"error": f"The job is {job.status}: only a running job expires."}, status=409
        )
    job.refresh_from_db()
    return JsonResponse(job_shape(job))


@control("POST")
def file_links_expire_view(request: HttpRequest) -> HttpResponse:
    """`POST _control/file-links/expire` (no body): every receipt link handed out so far
    answers 403 "Request has expired."; links in items fetched afterwards work.
    → `{"linkGeneration": n}` (the generation of the links handed out from now on)."""
    return JsonResponse({"linkGeneration": file_links_expire()})


def _deliveries_selected(data: dict[str, Any]) -> list[WebhookDelivery]:
    """The first delivery of an event per subscription (`eventId`), or one delivery by its
    `deliveryId` or `webhookId`."""
    rows = WebhookDelivery.objects.select_related("subscription", "company")
    if data.get("deliveryId") is not None:
        rows = rows.filter(pk=data["deliveryId"])
    elif data.get("webhookId"):
        rows = rows.filter(message_id=str(data["webhookId"]))
    elif data.get("eventId"):
        try:
            rows = rows.filter(event_id=uuid.UUID(str(data["eventId"])))
        except ValueError as exc:
            raise ValueError("eventId must be a UUID.") from exc
    else:
        raise ValueError("Name the delivery: eventId, deliveryId or webhookId.")
    first_per_subscription: dict[Any, WebhookDelivery] = {}
    for delivery in rows.order_by("id"):
        first_per_subscription.setdefault(delivery.subscription_id, delivery)
    if not first_per_subscription:
        raise LookupError("No such delivery.")
    return list(first_per_subscription.values())


@control("POST")
def deliveries_redeliver(request: HttpRequest) -> HttpResponse:
    """Deliver an event again: duplicates, as Pleo may send them.

    `{"eventId"|"deliveryId"|"webhookId": …, "times"?: 1, "sameWebhookId"?: false,
    "shape"?: "flat"|"wrapped"}` → `{"deliveries": [delivery, …]}` (201).

    Every copy keeps the event's `eventId` and data. `sameWebhookId: false` (default) sends a
    new message each time (new `webhook-id`, like a re-send); `true` sends the original message
    again (same `webhook-id`, like a retry after a lost 2xx; `times` must then be 1). `shape`
    overrides the body shape of the new messages. Sent like any delivery (inline with
    `webhooks` `sync`, else in the background).
    """
    data = control_body(request)
    times = data.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 100:
        raise ValueError("times must be an integer from 1 to 100.")
    same = data.get("sameWebhookId", False)
    if not isinstance(same, bool) or (same and times != 1):
        raise ValueError("sameWebhookId must be true or false, and true only with times 1.")
    shape = data.get("shape")
    if shape is not None and shape not in (WebhookShape.FLAT, WebhookShape.WRAPPED):
        raise ValueError('shape must be "flat" or "wrapped".')
    copies = [
        delivery_resend(original=original, same_message=same, shape=shape)
        for original in _deliveries_selected(data)
        for _ in range(times)
    ]
    deliveries_dispatch([d.pk for d in copies])
    return _deliveries_answer(copies, status=201)


@control("POST")
def deliveries_release_view(request: HttpRequest) -> HttpResponse:
    """Send the deliveries held since `webhooks` `{"hold": true}`, out of order if asked.

    `{"order"?: "created"|"reversed"|"shuffled", "seed"?: int}` → `{"deliveries": [delivery,
    …]}` in the order they go out (one after the other). Holding stays on until turned off.
    """
    data = control_body(request)
    order = data.get("order", "created")
    if order not in RELEASE_ORDERS:
        raise ValueError(f"order must be one of {', '.join(RELEASE_ORDERS)}.")
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError("seed must be an integer.")
    released = deliveries_release(order=order, seed=seed)
    deliveries_dispatch([d.pk for d in released])
    return _deliveries_answer(released, status=200)


def _deliveries_answer(deliveries: list[WebhookDelivery], *, status: int) -> JsonResponse:
    fresh = {d.pk: d for d in WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries])}
    return JsonResponse(
        {"deliveries": [delivery_shape(fresh.get(d.pk, d)) for d in deliveries]}, status=status
    )


@control("GET", "POST")
def vendor_imports(request: HttpRequest) -> HttpResponse:
    """Vendor CSV import switches, each optional: `{"reads": N}` status reads answered
    QUEUED/PROCESSING after `:run` before the import is carried out (default 1);
    `{"existing": "error"|"update"}` what a row with an `externalId` Pleo already holds does
    (default `error`: refused as VENDOR_ALREADY_EXISTS; `update`: updates that vendor).
    → `{"reads": N, "existing": "error"|"update"}`."""
    row = SandboxSettings.current()
    if request.method == "POST":
        data = control_body(request)
        if not data or set(data) - {"reads", "existing"}:
            raise ValueError('Send {"reads": N} and/or {"existing": "error"|"update"}.')
        if "reads" in data:
            reads = data["reads"]
            if not isinstance(reads, int) or isinstance(reads, bool) or not 0 <= reads <= 100:
                raise ValueError("reads must be an integer from 0 to 100.")
            row.csv_import_reads = reads
        if "existing" in data:
            if data["existing"] not in ("error", "update"):
                raise ValueError('existing must be "error" or "update".')
            row.csv_import_existing = data["existing"]
        row.save()
    return JsonResponse({"reads": row.csv_import_reads, "existing": row.csv_import_existing})
