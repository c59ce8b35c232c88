"""Export runs, items, documents and receipt uploads (DESIGN §4).

Each row records how far its remote work got, so a crash resumes at the step it stopped and
nothing is booked, uploaded or reported twice. Remote calls are never made inside a database
transaction: the step is saved first, then the call is made, then its result is saved.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from integrations.connections.fixes import FIX_PAGE_CHOICES, FixTarget, fix_target_from
from integrations.pleo.enums import FailureReason, JobFailureReason

# Shown as Pleo's own codes: they are what support staff look up and what Pleo shows.
ITEM_REASON_CHOICES = [(reason.value, reason.value) for reason in FailureReason]
JOB_REASON_CHOICES = [(reason.value, reason.value) for reason in JobFailureReason]


class ExportRun(models.Model):
    """One Pleo export job, processed by one worker at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed"
        FETCHING = "fetching", "Fetching items"
        POSTING = "posting", "Posting to Visma.net"
        REPORTING = "reporting", "Reporting to Pleo"
        COMPLETED = "completed", "Completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
        FAILED = "failed", "Failed"
        # Stopped on our side after failing unexpectedly again and again; the reason says why.
        PARKED = "parked", "Parked after repeated errors"

    ACTIVE_STATUSES = ("claimed", "fetching", "posting", "reporting")
    FINISHED_STATUSES = ("completed", "completed_with_errors", "failed", "parked")

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="export_runs"
    )
    # The run's number within its connection (#1, #2, …), what the pages show: each company's
    # exports are numbered on their own. Given when the run is first saved.
    number = models.PositiveIntegerField(editable=False)
    pleo_job_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="Worker holding the run.")
    # Touched while a worker makes progress; a run whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A run handed back to the queue (a long rate-limit wait) is not continued before this.
    not_before = models.DateTimeField(null=True, blank=True)
    started_event_sent_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_event_sent_at = models.DateTimeField(null=True, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    failure_reason_type = models.CharField(max_length=60, blank=True, choices=JOB_REASON_CHOICES)
    failure_reason = models.TextField(blank=True)
    job_payload = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    # Unexpected failures in a row (a bug, an answer that is not what the spec promises); the
    # run is parked when it reaches the limit, so it never holds back later jobs for good.
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the run was created to export items again after a retry (a new Pleo job).
    retry_requested_by = models.CharField(max_length=150, blank=True)

    # Not stored: True on the instance a worker has just claimed from `pending` (its first
    # claim), so no worker can have sent Pleo's `started` event for it yet.
    claimed_first: bool = False

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "number"], name="exports_run_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"Export #{self.number} {self.pleo_job_id} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.number is None:
            self._save_with_next_number(*args, **kwargs)
        else:
            super().save(*args, **kwargs)

    def _save_with_next_number(self, *args: Any, **kwargs: Any) -> None:
        """Insert with the connection's next number. The connection's row is locked while the
        number is chosen, so concurrent runs of one connection wait for each other; where the
        database has no row locks (SQLite serialises writers instead) a number taken meanwhile
        is seen as a unique-constraint clash and the next one is tried."""
        from integrations.connections.models import Connection

        for attempt in range(NUMBER_ATTEMPTS):
            try:
                with transaction.atomic():
                    Connection.objects.select_for_update().filter(pk=self.connection_id).first()
                    last = ExportRun.objects.filter(connection_id=self.connection_id).aggregate(
                        last=Max("number")
                    )["last"]
                    self.number = (last or 0) + 1
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                self.number = None  # type: ignore[assignment]
                clash_on_job = ExportRun.objects.filter(pleo_job_id=self.pleo_job_id).exists()
                if clash_on_job or attempt == NUMBER_ATTEMPTS - 1:
                    raise  # the same job registered twice: the caller finds the other row

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES


# A new run's number is tried again this many times when a concurrent insert took it.
NUMBER_ATTEMPTS = 5


class Step(models.TextChoices):
    """How far the remote work of an item or document got (DESIGN §4 step 6)."""

    FETCHED = "fetched", "Fetched"
    PLANNED = "planned", "Planned"
    SENDING = "sending", "Sending"
    # The create call may have reached Visma.net without an answer: look before sending again.
    UNKNOWN = "unknown", "Outcome unknown"
    CREATED = "created", "Created"
    ATTACHED = "attached", "Attached"
    # The release was asked for: Visma.net may still be working on it (`Queued`/`InProcess`),
    # so its status is read before anything is sent again.
    RELEASING = "releasing", "Releasing"
    RELEASED = "released", "Released"
    REPORTED = "reported", "Reported"


class ExportDocument(models.Model):
    """A journal transaction holding several items (one journal per export)."""

    run = models.ForeignKey(ExportRun, on_delete=models.CASCADE, related_name="documents")
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="export_documents"
    )
    reference = models.CharField(max_length=30, db_index=True)
    financial_period = models.CharField(max_length=6, blank=True)
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.PLANNED)
    visma_number = models.CharField(max_length=50, blank=True)
    visma_url = models.CharField(max_length=500, blank=True)
    # The Pleo accounting entry id of each line, in line order.
    line_owners = models.JSONField(default=list, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the first create was sent: a look-up after an unknown outcome lists only what
    # Visma.net changed since then (less a margin), not the whole period.
    sent_at = models.DateTimeField(null=True, blank=True)
    # Look-ups in a row that Visma.net did not answer; bounded, then the run is parked.
    lookup_failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "reference"], name="exports_document_unique_reference"
            )
        ]

    def __str__(self) -> str:
        return f"Journal {self.visma_number or self.reference} ({self.step})"


class ExportItem(models.Model):
    """One Pleo accounting entry, booked at most once per connection."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PLANNED = "planned", "Planned"
        POSTED = "posted", "Booked, not reported yet"
        FAILED = "failed", "Failed"
        SUCCESSFUL = "successful", "Successful"

    class DocumentType(models.TextChoices):
        JOURNAL = "journal", "Journal transaction"
        INVOICE = "Invoice", "Supplier invoice"
        CREDIT_ADJ = "CreditAdj", "Supplier credit note"

    run = models.ForeignKey(ExportRun, on_delete=models.CASCADE, related_name="items")
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="export_items"
    )
    accounting_entry_id = models.CharField(max_length=100)
    item_type = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="The item as Pleo sent it.")
    plan = models.JSONField(
        default=dict, blank=True, help_text="The planned Visma.net document, for support."
    )
    reference = models.CharField(max_length=30, blank=True, db_index=True)
    financial_period = models.CharField(max_length=6, blank=True)
    supplier_number = models.CharField(max_length=30, blank=True)
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.FETCHED)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    failure_reason_type = models.CharField(max_length=60, blank=True, choices=ITEM_REASON_CHOICES)
    failure_reason = models.TextField(blank=True)  # for people: no code reads it
    # The setup page and form field that fix the failure (empty when no setting can).
    fix_page = models.CharField(max_length=40, blank=True, choices=FIX_PAGE_CHOICES)
    fix_field = models.CharField(max_length=120, blank=True)
    document = models.ForeignKey(
        ExportDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    # The item's first line in a shared journal (receipts go to that line).
    line_number = models.PositiveIntegerField(null=True, blank=True)
    visma_document_type = models.CharField(max_length=20, choices=DocumentType.choices, blank=True)
    visma_number = models.CharField(max_length=50, blank=True)
    visma_url = models.CharField(max_length=500, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    pleo_reported_at = models.DateTimeField(null=True, blank=True)
    reported_status = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the first create was sent: a look-up after an unknown outcome lists only what
    # Visma.net changed since then (less a margin), not the whole period.
    sent_at = models.DateTimeField(null=True, blank=True)
    # Look-ups in a row that Visma.net did not answer; bounded, then the run is parked.
    lookup_failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "accounting_entry_id"], name="exports_item_unique_entry"
            )
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
            # The admin's item list filtered by status or failure reason, in its default
            # order (id): the first page is read off the index without sorting the rest.
            models.Index(fields=["status", "id"], name="exports_item_status_id"),
            models.Index(fields=["failure_reason_type", "id"], name="exports_item_reason_id"),
        ]
        # Support staff hold it too (core.roles grants every `retry_` permission).
        permissions = [("retry_exportitem", "Can retry failed export items")]

    def __str__(self) -> str:
        return f"{self.item_type or 'item'} {self.accounting_entry_id} ({self.status})"

    @property
    def is_booked(self) -> bool:
        return bool(self.visma_number)

    @property
    def fix(self) -> FixTarget | None:
        """The setup page and field that fix this item's failure, if a setting can."""
        return fix_target_from(self.fix_page, self.fix_field) if self.fix_page else None


class AttachmentUpload(models.Model):
    """One receipt file of an item, uploaded to its Visma.net document at most once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        UPLOADING = "uploading", "Uploading"
        UPLOADED = "uploaded", "Uploaded"
        FAILED = "failed", "Failed"

    item = models.ForeignKey(ExportItem, on_delete=models.CASCADE, related_name="uploads")
    # A hash of the link without its (expiring) signature, so a fresh link is the same file.
    file_key = models.CharField(max_length=64)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    visma_attachment_id = models.CharField(max_length=100, blank=True)
    line_number = models.PositiveIntegerField(null=True, blank=True)
    failure_reason_type = models.CharField(max_length=60, blank=True, choices=ITEM_REASON_CHOICES)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "file_key"], name="exports_upload_unique_file")
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.file_key} ({self.status})"


class ExportItemOutcome(models.Model):
    """What an earlier run did with an item that was exported again.

    An item row belongs to the latest run of its accounting entry (unique per connection, so
    nothing is booked twice). When a retry, or Pleo exporting the entry again, moves the row to
    a new run, its state in the run it leaves is kept here: that run's page still lists every
    item it held with the state it ended in, and links to the run that took the item over.
    """

    run = models.ForeignKey(ExportRun, on_delete=models.CASCADE, related_name="item_outcomes")
    item = models.ForeignKey(ExportItem, on_delete=models.CASCADE, related_name="outcomes")
    # The run that exported the item again (a retry or a new Pleo job).
    next_run = models.ForeignKey(
        ExportRun, null=True, on_delete=models.SET_NULL, related_name="earlier_outcomes"
    )
    payload = models.JSONField(default=dict, blank=True, help_text="The item as Pleo sent it.")
    status = models.CharField(max_length=20, choices=ExportItem.Status.choices)
    failure_reason_type = models.CharField(max_length=60, blank=True, choices=ITEM_REASON_CHOICES)
    failure_reason = models.TextField(blank=True)
    fix_page = models.CharField(max_length=40, blank=True, choices=FIX_PAGE_CHOICES)
    fix_field = models.CharField(max_length=120, blank=True)
    reference = models.CharField(max_length=30, blank=True)
    visma_document_type = models.CharField(
        max_length=20, choices=ExportItem.DocumentType.choices, blank=True
    )
    visma_number = models.CharField(max_length=50, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="exports_outcome_unique_item")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} in run {self.run_id}: {self.status}"

    @classmethod
    def of(cls, item: ExportItem, *, next_run: ExportRun) -> ExportItemOutcome:
        """The item's state now, in the run it is about to leave."""
        return cls(
            run_id=item.run_id,
            item=item,
            next_run=next_run,
            payload=item.payload,
            status=item.status,
            failure_reason_type=item.failure_reason_type,
            failure_reason=item.failure_reason,
            fix_page=item.fix_page,
            fix_field=item.fix_field,
            reference=item.reference,
            visma_document_type=item.visma_document_type,
            visma_number=item.visma_number,
        )
