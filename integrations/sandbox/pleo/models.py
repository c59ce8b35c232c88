"""What the Pleo sandbox holds: companies, OAuth grants, export jobs, master data, webhooks.

Every table is prefixed `sandbox_pleo_` (the app label) and is independent of the integration's
own tables: the sandbox plays the remote service.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models


def optional_text(max_length: int | None) -> Any:
    """A string the API distinguishes from null (Pleo's nullable string fields)."""
    if max_length is None:
        return models.TextField(null=True, blank=True)
    return models.CharField(max_length=max_length, null=True, blank=True)


class Company(models.Model):
    """A Pleo company (entity). `id` is the UUID Pleo uses as companyId."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    slug = models.SlugField(unique=True, help_text="Short name used by the control API.")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, default="NO")
    currency = models.CharField(max_length=3, default="NOK")
    # [{"currency": "NOK", "contraAccount": {"id", "name", "code", "identifier"}}, …]
    wallets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "slug"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class Employee(models.Model):
    """A Pleo user of a company, usable as `user` in export items."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="employees")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookShape(models.TextChoices):
    """The two webhook bodies Pleo documents (notes/pleo-api.md §4): `flat`
    `{"data", "eventId", "eventType"}`; `wrapped` as on Pleo's current webhook-events page and in
    the public Go client (`webhook/types.go` `Payload[T]`): `{"webhook-id", "webhook-timestamp",
    "webhook-signature", "payload": {"data", "eventId", "eventType"}}`. `alternate` sends a
    subscription's deliveries flat and wrapped in turn (the sandbox's own, for campaigns)."""

    FLAT = "flat"
    WRAPPED = "wrapped"
    ALTERNATE = "alternate"


class SandboxSettings(models.Model):
    """Knobs the control API turns (one row)."""

    token_expiry_seconds = models.PositiveIntegerField(default=3600)
    file_link_expiry_seconds = models.PositiveIntegerField(default=24 * 3600)
    # Receipt links carry the generation they were handed out in; `_control/file-links/expire`
    # starts a new one, and links of older generations no longer work.
    file_links_generation = models.PositiveIntegerField(default=0)
    webhooks_sync = models.BooleanField(
        default=False, help_text="Deliver webhooks inline instead of in a background thread."
    )
    # The flat body is the one the notes give first, as Pleo's webhook reference describes it.
    webhook_shape = models.CharField(
        max_length=10, choices=WebhookShape.choices, default=WebhookShape.FLAT
    )
    webhooks_hold = models.BooleanField(
        default=False, help_text="Keep new deliveries until `_control/deliveries/release`."
    )
    # Vendor CSV imports (`_control/vendor-imports`): status reads answered QUEUED/PROCESSING
    # before the import is carried out, and what a row with a known externalId does.
    csv_import_reads = models.PositiveIntegerField(default=1)
    csv_import_existing = models.CharField(max_length=10, default="error")

    class Meta:
        verbose_name_plural = "sandbox settings"

    def __str__(self) -> str:
        return f"sandbox settings (tokens {self.token_expiry_seconds} s)"

    @classmethod
    def current(cls) -> SandboxSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=100, unique=True)
    client_id = models.CharField(max_length=200)
    company = models.ForeignKey(Company, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=2000)
    scope = models.CharField(max_length=2000, blank=True)
    code_challenge = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The grant issued from this code, revoked if the code is replayed.
    grant = models.ForeignKey("Grant", null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"code for {self.client_id} → {self.company_id}"


class Grant(models.Model):
    """One user consent: the chain of access and refresh tokens issued from it."""

    client_id = models.CharField(max_length=200)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="grants")
    scope = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"grant {self.pk} of {self.client_id} → {self.company_id}"


class AccessToken(models.Model):
    token = models.CharField(max_length=200, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="access_tokens")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"access token of grant {self.grant_id}"


class RefreshToken(models.Model):
    token = models.CharField(max_length=200, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    # Rotation: a refresh token works once; using a spent one revokes the whole grant.
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of grant {self.grant_id}"


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        FAILED = "failed"
        COMPLETED = "completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_jobs")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    created_by = models.UUIDField(null=True, blank=True)
    is_interactive = models.BooleanField(default=True)
    vendor_based_bookkeeping = models.BooleanField(default=False)
    expires_in = models.PositiveIntegerField(default=3600)
    # Fixed at creation (a job's entries never change): read without counting its items.
    number_of_items = models.PositiveIntegerField(default=0)
    last_updated_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    failure_reason = optional_text(None)
    failure_reason_type = optional_text(60)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["company", "created_at", "id"], name="sbx_pleo_job_list"),
            models.Index(fields=["status"], name="sbx_pleo_job_status"),
        ]

    def __str__(self) -> str:
        return f"export job {self.pk} ({self.status})"


class ExportJobItem(models.Model):
    """One accounting entry in a job: the export item payload and its export outcome."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        FAILED = "failed"
        SUCCESSFUL = "successful"
        ABANDONED = "abandoned"

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    accounting_entry_id = models.UUIDField()
    # The ExportItemV3 as Pleo would serve it; stored files appear as {"fileId": …}.
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    exported_at = models.DateTimeField(null=True, blank=True)
    external_id = optional_text(500)
    external_url = optional_text(2000)
    failure_reason = optional_text(None)
    failure_reason_type = optional_text(60)

    class Meta:
        # Pages of a job's items are read in position order. By the column `job_id`, not the
        # relation `job`: ordering by the relation would order by the job's own ordering
        # through a join, which the index below cannot serve (every page would sort the job).
        ordering = ["job_id", "position"]
        indexes = [models.Index(fields=["job", "position"], name="sbx_pleo_item_position")]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "accounting_entry_id"], name="sbx_pleo_item_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"item {self.accounting_entry_id} ({self.status})"


class StoredFile(models.Model):
    """A receipt held by the sandbox and served behind a signed link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes)"


class ChartAccount(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="accounts")
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    code = optional_text(255)
    archived = models.BooleanField(default=False)
    metadata = models.JSONField(null=True, blank=True)
    tax_code_external_id = optional_text(255)
    # Pleo refuses to delete an account used by accounting entries; the control API sets this.
    in_use = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="sbx_pleo_coa_ext_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"


class TaxCode(models.Model):
    class Type(models.TextChoices):
        INCLUSIVE = "inclusive"
        EXCLUSIVE = "exclusive"
        REVERSE = "reverse"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tax_codes")
    name = models.CharField(max_length=255)
    code = optional_text(255)
    rate = models.DecimalField(max_digits=9, decimal_places=6)
    type = models.CharField(max_length=20, choices=Type.choices)
    archived = models.BooleanField(default=False)
    ingoing_tax_account = optional_text(255)
    outgoing_tax_account = optional_text(255)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.code or '-'} {self.name}"


class TagGroup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tag_groups")
    code = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    group = models.ForeignKey(TagGroup, on_delete=models.CASCADE, related_name="tags")
    code = models.CharField(max_length=255)
    name = optional_text(255)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name or ''}"


class Vendor(models.Model):
    class State(models.TextChoices):
        DRAFT = "DRAFT"
        ACTIVE = "ACTIVE"
        ARCHIVED = "ARCHIVED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=255)
    default_currency = models.CharField(max_length=3)
    code = optional_text(255)
    external_id = optional_text(255)
    country = optional_text(9)
    registration_number = optional_text(255)
    tax_registration_number = optional_text(255)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        # Pages in list order, and the look-ups vendors:search and creates make.
        indexes = [
            models.Index(fields=["company", "created_at", "id"], name="sbx_pleo_vendor_list"),
            models.Index(fields=["company", "external_id"], name="sbx_pleo_vendor_ext"),
            models.Index(fields=["company", "code"], name="sbx_pleo_vendor_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        INACTIVE = "INACTIVE"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # Pleo scopes a subscription to the token that created it, so to one company here.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="subscriptions")
    endpoint_url = models.CharField(max_length=2000)
    event_types = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    custom_headers = models.JSONField(default=dict, blank=True)
    endpoint_auth = models.JSONField(null=True, blank=True)
    secret = models.CharField(max_length=100)
    # Empty: the sandbox-wide `SandboxSettings.webhook_shape`.
    body_shape = models.CharField(max_length=10, choices=WebhookShape.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.endpoint_url} {self.event_types}"


class WebhookDelivery(models.Model):
    """One event sent to one subscription, with the outcome of its latest attempt."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        RETRYING = "retrying"
        FAILED = "failed"
        # Recorded while the sandbox holds deliveries; sent by `_control/deliveries/release`.
        HELD = "held"

    subscription = models.ForeignKey(
        Subscription, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="deliveries")
    endpoint_url = models.CharField(max_length=2000)
    message_id = models.CharField(max_length=100, unique=True)
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=100)
    # The event as `{"data", "eventId", "eventType"}`; `shape` decides the body on the wire.
    body = models.TextField()
    shape = models.CharField(max_length=10, choices=WebhookShape.choices, default="flat")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_url} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt of delivery {self.delivery_id}: {self.status_code or self.error}"


class CsvImportJob(models.Model):
    """A vendor CSV import job (external-vendors spec, CsvImportJobV1)."""

    class Status(models.TextChoices):
        UPLOAD_INITIATED = "UPLOAD_INITIATED"
        UPLOADED = "UPLOADED"
        READY_FOR_IMPORT = "READY_FOR_IMPORT"
        QUEUED = "QUEUED"
        PROCESSING = "PROCESSING"
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="csv_imports")
    type = models.CharField(max_length=100)
    original_filename = models.CharField(max_length=500)
    csv_format = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.UPLOAD_INITIATED
    )
    s3_key = optional_text(1000)
    content = models.BinaryField(null=True, blank=True)
    column_names = models.JSONField(null=True, blank=True)
    error_code = optional_text(60)
    error_message = optional_text(None)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_succeeded = models.PositiveIntegerField(null=True, blank=True)
    rows_failed = models.PositiveIntegerField(null=True, blank=True)
    rows_skipped = models.PositiveIntegerField(null=True, blank=True)
    # Status reads still answered QUEUED/PROCESSING before the import is carried out.
    reads_left = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"CSV import {self.original_filename} ({self.status})"


class CsvRowImportError(models.Model):
    """A row an import refused (CsvRowImportErrorV1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    job = models.ForeignKey(CsvImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    error_code = models.CharField(max_length=60)
    error_message = models.TextField()
    raw_data = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="sbx_pleo_csv_err_row")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.error_code}"
