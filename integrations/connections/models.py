"""A connection pairs one Pleo company with one Visma.net company and owns its tokens and settings.

Tokens and the webhook secret are encrypted at rest (`core.fields`); expiry and scope are not
secrets and stay readable so the admin can show them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from integrations.core.fields import EncryptedTextField

# Token columns never go into the history tables: a disconnect deletes tokens for good.
SECRET_FIELDS = (
    "pleo_access_token",
    "pleo_refresh_token",
    "visma_access_token",
    "visma_refresh_token",
    "pleo_webhook_secret",
)
# Written only through the token store (`tokens.py`), by queryset updates under the row lock.
TOKEN_FIELDS = (
    "pleo_access_token",
    "pleo_refresh_token",
    "pleo_token_expires_at",
    "pleo_token_scope",
    "pleo_refresh_expires_at",
    "visma_access_token",
    "visma_refresh_token",
    "visma_token_expires_at",
    "visma_token_scope",
    "visma_refresh_expires_at",
)


class Connection(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", "Being set up"
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected"

    class VismaAuthMode(models.TextChoices):
        SERVICE = "service", "Service integration (client credentials)"
        INTERACTIVE = "interactive", "Interactive (signed-in user)"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SETUP)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disconnected_at = models.DateTimeField(null=True, blank=True)
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Pleo
    pleo_company_id = models.CharField(max_length=100, blank=True, db_index=True)
    # As Pleo names the company (`GET /v1/companies`); empty when Pleo did not say. The database
    # default lets code that predates the column (a rolling deploy) still add connections.
    pleo_company_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    pleo_connected_at = models.DateTimeField(null=True, blank=True)
    pleo_access_token: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )
    pleo_refresh_token: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )
    pleo_token_expires_at = models.DateTimeField(null=True, blank=True)
    pleo_token_scope = models.TextField(blank=True)
    pleo_refresh_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When Pleo's sign-in must be renewed at the latest."
    )
    pleo_webhook_subscription_id = models.CharField(max_length=100, blank=True)
    pleo_webhook_secret: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )

    # Visma.net
    visma_auth_mode = models.CharField(max_length=20, choices=VismaAuthMode.choices, blank=True)
    visma_tenant_id = models.CharField(max_length=100, blank=True)
    visma_connected_at = models.DateTimeField(null=True, blank=True)
    visma_access_token: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )
    visma_refresh_token: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )
    visma_token_expires_at = models.DateTimeField(null=True, blank=True)
    visma_token_scope = models.TextField(blank=True)
    visma_refresh_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the Visma.net sign-in must be renewed, if Visma Connect said so.",
    )
    visma_branch_number = models.CharField(max_length=30, blank=True)
    visma_company_name = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=list(SECRET_FIELDS))

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A plain save of an instance loaded earlier must not write back tokens that a refresh
        # has rotated meanwhile (Pleo revokes a grant whose spent refresh token is used again).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in TOKEN_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def pleo_connected(self) -> bool:
        return bool(self.pleo_refresh_token or self.pleo_access_token) and bool(
            self.pleo_company_id
        )

    @property
    def pleo_company_text(self) -> str:
        """The Pleo company in a sentence: its name, else its id and why there is no name."""
        if self.pleo_company_name:
            return self.pleo_company_name
        return f"company id {self.pleo_company_id} (Pleo did not give its name)"

    @property
    def visma_connected(self) -> bool:
        if not self.visma_tenant_id or not self.visma_auth_mode:
            return False
        if self.visma_auth_mode == self.VismaAuthMode.INTERACTIVE:
            return bool(self.visma_refresh_token or self.visma_access_token)
        # A service integration can always fetch a new token with the client credentials.
        return self.visma_connected_at is not None

    @property
    def is_disconnected(self) -> bool:
        return self.status == self.Status.DISCONNECTED


class ConnectionEvent(models.Model):
    """What happened to a connection: connect, disconnect and their best-effort remote steps."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=60)
    ok = models.BooleanField(default=True)
    detail = models.TextField(blank=True)
    # The permission check's lines, so the page can show the last result without running it.
    lines = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} ({'ok' if self.ok else 'failed'})"

    @property
    def label(self) -> str:
        """What happened, as the connection page says it."""
        return EVENT_LABELS.get(self.kind) or self.kind.replace("_", " ").capitalize()


# The kinds of `ConnectionEvent` in the connection page's words.
EVENT_LABELS = {
    "created": "Connection created",
    "disconnected": "Disconnected",
    "pleo_connect": "Pleo connected",
    "pleo_webhook": "Pleo notifications subscribed",
    "pleo_webhook_delete": "Old Pleo notification subscription removed",
    "visma_connect": "Visma.net connected",
    "visma_branch": "Visma.net branch",
    "permission_check": "Visma.net permissions checked",
}


class PendingOAuth(models.Model):
    """An OAuth authorization in flight: the `state` we sent and the PKCE verifier.

    Checked on return and used once (the `used_at` update is conditional).
    """

    class Provider(models.TextChoices):
        PLEO = "pleo", "Pleo"
        VISMA = "visma", "Visma.net"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="pending_oauth"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    state = models.CharField(max_length=100, unique=True)
    code_verifier: models.TextField[str | None, str | None] = EncryptedTextField(
        null=True, blank=True
    )
    redirect_uri = models.CharField(max_length=500)
    # What the user typed on the page: the Pleo company id or the Visma.net company tenant id.
    company_hint = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "pending OAuth authorization"

    def __str__(self) -> str:
        return f"{self.provider} for {self.connection_id}"


class ExportSettings(models.Model):
    class ClosedPeriodPolicy(models.TextChoices):
        FAIL = "fail", "Fail the item"
        FIRST_OPEN = "first_open", "Post in the first open period"

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="export_settings"
    )
    transfer_attachments = models.BooleanField(
        default=True, help_text="Upload each receipt to the created Visma.net document."
    )
    one_journal_per_export = models.BooleanField(
        default=False,
        help_text="One journal transaction for the whole export instead of one per expense.",
    )
    card_expenses_as_invoices = models.BooleanField(
        default=False, help_text="Book card purchases as supplier (purchase) invoices."
    )
    auto_release_invoices = models.BooleanField(
        default=False, help_text="Release purchase invoices in Visma.net as soon as they exist."
    )
    invoice_payment_method = models.CharField(
        max_length=30,
        blank=True,
        help_text="Visma.net payment method set on purchase invoices (the Pleo card method).",
    )
    closed_period_policy = models.CharField(
        max_length=20, choices=ClosedPeriodPolicy.choices, default=ClosedPeriodPolicy.FAIL
    )
    journal_batch_max_lines = models.PositiveIntegerField(default=500)
    export_concurrency = models.PositiveSmallIntegerField(
        default=4,
        help_text="How many remote calls of one export run may be under way at once (1-16): "
        "documents, receipts and releases of separate expenses go out side by side, paced by "
        "Visma.net's call budget.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "export settings"
        verbose_name_plural = "export settings"

    def __str__(self) -> str:
        return f"Export settings of {self.connection}"


class AccountMapping(models.Model):
    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="account_mapping"
    )
    # {wallet currency: Visma.net account number}, e.g. {"NOK": "1925", "EUR": "1926"}.
    wallet_accounts = models.JSONField(default=dict, blank=True)
    out_of_pocket_account = models.CharField(max_length=30, blank=True)
    tax_account = models.CharField(max_length=30, blank=True)
    output_vat_account = models.CharField(max_length=30, blank=True)
    default_vendor_number = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Account mapping of {self.connection}"


class ConnectionMembership(models.Model):
    """A finance or support user may see and change this connection (superusers see all).

    Managed by superusers in the admin; a user who creates a connection becomes its member.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connection_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "user"], name="one_membership_per_user")
        ]
        ordering = ["connection", "user"]

    def __str__(self) -> str:
        return f"{self.user} in {self.connection}"


class Notice(models.Model):
    """An e-mail to a connection's finance contacts, sent once per subject: `key` names it (the
    export run; the service and the end of its sign-in), so retries and several workers send it
    once. A sender claims the row with a conditional update before sending."""

    class Kind(models.TextChoices):
        RUN_FAILURES = "run_failures", "Export ended with failures"
        SIGN_IN_ENDING = "sign_in_ending", "Sign-in ends soon"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the sender that claimed it; a claim older than a few minutes is a crashed sender's.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the last attempt to send failed.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "key"], name="one_notice_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"
