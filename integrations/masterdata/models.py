"""Visma.net master data mirrored per connection, the sync runs that move it to Pleo, and the
mappings finance staff choose on the setup pages.

Mirror rows are never deleted: a record Visma.net no longer returns on a full reconcile is marked
inactive, which the sync turns into an archived Pleo record (Pleo records are never deleted either).
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from integrations.masterdata.sync_kinds import SYNC_KIND_CHOICES


class MirrorRecord(models.Model):
    """What every mirrored Visma.net record carries."""

    active = models.BooleanField(default=True, db_index=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The record as Visma.net sent it.")
    remote_modified_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True, help_text="When we last read it.")

    class Meta:
        abstract = True


class PushedToPleo(models.Model):
    """For records pushed to Pleo: which Pleo record they became and what we last sent, so a
    sync with nothing changed sends nothing."""

    pleo_id = models.CharField(max_length=100, blank=True, db_index=True)
    pleo_state_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash of the fields last written to Pleo."
    )
    pleo_error = models.CharField(
        max_length=500, blank=True, help_text="Why the last push failed, if it did."
    )

    class Meta:
        abstract = True


def _unique(*fields: str, name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=list(fields), name=name)


class VismaAccount(MirrorRecord, PushedToPleo):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_accounts"
    )
    number = models.CharField(max_length=30, help_text="accountCD")
    account_id = models.BigIntegerField(null=True, blank=True)
    description = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=30, blank=True)
    tax_category = models.CharField(max_length=30, blank=True)
    currency = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["connection", "number"]
        constraints = [_unique("connection", "number", name="masterdata_account_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class VismaVatCategory(MirrorRecord, PushedToPleo):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_vat_categories"
    )
    vat_category_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    rate = models.DecimalField(
        max_digits=9, decimal_places=4, null=True, blank=True, help_text="Percent, e.g. 25."
    )
    reverse_charge = models.BooleanField(default=False)
    vat_ids = models.JSONField(
        default=list, blank=True, help_text="The VAT ids of its category lines, in order."
    )

    class Meta:
        ordering = ["connection", "vat_category_id"]
        constraints = [_unique("connection", "vat_category_id", name="masterdata_vatcat_unique")]
        verbose_name = "Visma VAT category"
        verbose_name_plural = "Visma VAT categories"

    def __str__(self) -> str:
        return f"{self.vat_category_id} {self.description}"


class VismaVat(MirrorRecord):
    """A VAT (`GET /v1/vat`): the tax a VAT category's lines name and a journal line's `vatId`
    carries. Inactive once past its `notValidAfter` date or gone from Visma.net."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_vats"
    )
    vat_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=30, blank=True, help_text="Vat, Sales, Use, ReverseVat…")
    reverse_vat = models.BooleanField(default=False)
    claimable_account = models.CharField(
        max_length=30, blank=True, help_text="The VAT claimable (input VAT) account."
    )
    payable_account = models.CharField(
        max_length=30, blank=True, help_text="The VAT payable (output VAT) account."
    )

    class Meta:
        ordering = ["connection", "vat_id"]
        constraints = [_unique("connection", "vat_id", name="masterdata_vat_unique")]
        verbose_name = "Visma VAT"
        verbose_name_plural = "Visma VATs"

    def __str__(self) -> str:
        return f"{self.vat_id} {self.description}"


class VismaSegment(MirrorRecord, PushedToPleo):
    """A segment of a Visma.net dimension (usually SUBACCOUNT); pushed as a Pleo tag group."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_segments"
    )
    dimension_id = models.CharField(max_length=50)
    segment_id = models.PositiveIntegerField()
    description = models.CharField(max_length=255, blank=True)
    length = models.PositiveIntegerField(default=0)
    validate = models.BooleanField(default=True)

    class Meta:
        ordering = ["connection", "dimension_id", "segment_id"]
        constraints = [
            _unique("connection", "dimension_id", "segment_id", name="masterdata_segment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dimension_id}/{self.segment_id} {self.description}"

    @property
    def tag_group_code(self) -> str:
        """The Pleo tag group code: the segment's description in capitals (e.g. DEPARTMENT)."""
        return (self.description or f"{self.dimension_id}_{self.segment_id}").strip().upper()


class VismaSegmentValue(MirrorRecord, PushedToPleo):
    segment = models.ForeignKey(VismaSegment, on_delete=models.CASCADE, related_name="values")
    value_id = models.CharField(max_length=50)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["segment", "value_id"]
        constraints = [_unique("segment", "value_id", name="masterdata_segmentvalue_unique")]

    def __str__(self) -> str:
        return f"{self.value_id} {self.description}"


class VismaSupplier(MirrorRecord, PushedToPleo):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_suppliers"
    )
    number = models.CharField(max_length=30)
    internal_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=30, blank=True)
    supplier_class_id = models.CharField(max_length=30, blank=True)
    payment_method_id = models.CharField(max_length=30, blank=True)
    credit_terms_id = models.CharField(max_length=30, blank=True)
    vat_zone_id = models.CharField(max_length=30, blank=True)
    currency_id = models.CharField(max_length=5, blank=True)
    cash_account = models.CharField(max_length=30, blank=True)
    vat_registration_id = models.CharField(max_length=50, blank=True, db_index=True)
    corporate_id = models.CharField(max_length=50, blank=True)
    address_line1 = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_id = models.CharField(max_length=2, blank=True)
    pleo_state = models.CharField(
        max_length=20, blank=True, help_text="The Pleo vendor's state when we last saw it."
    )

    class Meta:
        ordering = ["connection", "number"]
        constraints = [_unique("connection", "number", name="masterdata_supplier_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class VismaPaymentMethod(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_payment_methods"
    )
    payment_method_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    use_in_ap = models.BooleanField(default=False)

    class Meta:
        ordering = ["connection", "payment_method_id"]
        constraints = [
            _unique("connection", "payment_method_id", name="masterdata_paymentmethod_unique")
        ]

    def __str__(self) -> str:
        return f"{self.payment_method_id} {self.description}"


class VismaBranch(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_branches"
    )
    number = models.CharField(max_length=30)
    name = models.CharField(max_length=255, blank=True)
    is_main = models.BooleanField(default=False)
    currency = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["connection", "number"]
        constraints = [_unique("connection", "number", name="masterdata_branch_unique")]
        verbose_name_plural = "Visma branches"

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class VismaFinancialPeriod(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_periods"
    )
    period_id = models.CharField(max_length=6, help_text="YYYYMM")
    year = models.PositiveIntegerField()
    period = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    closed_in_gl = models.BooleanField(default=False)
    closed_in_ap = models.BooleanField(default=False)

    class Meta:
        ordering = ["connection", "period_id"]
        constraints = [_unique("connection", "period_id", name="masterdata_period_unique")]

    def __str__(self) -> str:
        return self.period_id


class VismaSupplierClass(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_supplier_classes"
    )
    supplier_class_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["connection", "supplier_class_id"]
        constraints = [
            _unique("connection", "supplier_class_id", name="masterdata_supplierclass_unique")
        ]
        verbose_name_plural = "Visma supplier classes"

    def __str__(self) -> str:
        return f"{self.supplier_class_id} {self.description}"


class VismaCreditTerm(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_credit_terms"
    )
    credit_terms_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["connection", "credit_terms_id"]
        constraints = [
            _unique("connection", "credit_terms_id", name="masterdata_creditterm_unique")
        ]

    def __str__(self) -> str:
        return f"{self.credit_terms_id} {self.description}"


class VismaCashAccount(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_cash_accounts"
    )
    number = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["connection", "number"]
        constraints = [_unique("connection", "number", name="masterdata_cashaccount_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class VismaVatZone(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_vat_zones"
    )
    vat_zone_id = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)
    default_vat_category = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["connection", "vat_zone_id"]
        constraints = [_unique("connection", "vat_zone_id", name="masterdata_vatzone_unique")]
        verbose_name = "Visma VAT zone"

    def __str__(self) -> str:
        return f"{self.vat_zone_id} {self.description}"


class VismaCurrency(MirrorRecord):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="visma_currencies"
    )
    currency_id = models.CharField(max_length=5)
    description = models.CharField(max_length=255, blank=True)
    is_base = models.BooleanField(default=False)
    decimal_precision = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["connection", "currency_id"]
        constraints = [_unique("connection", "currency_id", name="masterdata_currency_unique")]
        verbose_name_plural = "Visma currencies"

    def __str__(self) -> str:
        return self.currency_id


class SyncCursor(models.Model):
    """Where the incremental read of one record type starts next time: the start of the last
    read that succeeded (the sync subtracts a small overlap)."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="sync_cursors"
    )
    record_type = models.CharField(max_length=30)
    read_started_at = models.DateTimeField()

    class Meta:
        constraints = [_unique("connection", "record_type", name="masterdata_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.record_type} since {self.read_started_at:%Y-%m-%d %H:%M}"


class SyncRun(models.Model):
    """One run of the master data sync: what it read and what it did in Pleo."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        PARTIALLY_FAILED = "partially_failed", "Partially failed"

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="sync_runs"
    )
    kind = models.CharField(max_length=20, choices=SYNC_KIND_CHOICES, db_index=True)
    kinds = models.JSONField(default=list, blank=True, help_text="The record kinds this run syncs.")
    full = models.BooleanField(default=False, help_text="Full reconcile instead of incremental.")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    unarchived = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(
        default=list, blank=True, help_text="[{record, reason}] for every record that failed."
    )
    error = models.TextField(blank=True, help_text="Why the whole run failed, if it did.")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    triggered_by = models.CharField(
        max_length=150, blank=True, help_text="A username, or 'schedule'."
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["connection", "kind", "-queued_at"])]

    def __str__(self) -> str:
        return f"Sync {self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (
            self.Status.SUCCEEDED,
            self.Status.FAILED,
            self.Status.PARTIALLY_FAILED,
        )

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.finished else 0
        return min(100, int(self.progress_done * 100 / self.progress_total))


class HandledPleoVendor(models.Model):
    """A Pleo vendor the `v1.vendor.created` handler has dealt with: a second delivery of the
    same event finds this row and does nothing."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="handled_pleo_vendors"
    )
    pleo_vendor_id = models.CharField(max_length=100)
    supplier_number = models.CharField(max_length=30, blank=True)
    outcome = models.CharField(max_length=30, help_text="matched, created or already_active")
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            _unique("connection", "pleo_vendor_id", name="masterdata_handledvendor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pleo_vendor_id} → {self.supplier_number or self.outcome}"


# -- mappings chosen on the setup pages (simple-history keeps who changed what) ---------------


class CategoryMapping(models.Model):
    """A Pleo category (an account in Pleo's chart) → the Visma.net account and default VAT
    category expenses in it are booked on."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="category_mappings"
    )
    pleo_account_id = models.CharField(max_length=100)
    pleo_account_name = models.CharField(max_length=255, blank=True)
    pleo_account_code = models.CharField(max_length=100, blank=True)
    visma_account_number = models.CharField(max_length=30)
    default_vat_category = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["connection", "pleo_account_name"]
        constraints = [
            _unique("connection", "pleo_account_id", name="masterdata_categorymapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pleo_account_name or self.pleo_account_id} → {self.visma_account_number}"


class SegmentSetting(models.Model):
    """Whether a Visma.net segment is synced to Pleo as a tag group, and the value used when an
    expense carries no tag of that group."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="segment_settings"
    )
    segment = models.ForeignKey(VismaSegment, on_delete=models.CASCADE, related_name="settings")
    synced = models.BooleanField(default=False)
    default_value = models.CharField(max_length=50, blank=True)
    pleo_tag_group_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["connection", "segment"]
        constraints = [_unique("connection", "segment", name="masterdata_segmentsetting_unique")]

    def __str__(self) -> str:
        return f"{self.segment} synced={self.synced}"
