"""The fake Visma.net company data: one `Company` per tenant id, everything else under it."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone


class Company(models.Model):
    """A Visma Connect tenant. "Company" tenants hold an ERP company; a "Customer" tenant (the
    customer's account) gets a token from Visma Connect, but the API answers it 401 (notes §1,
    docs …/how-tos/fix401error: the Customer tenant id used in place of the Company one)."""

    tenant_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    tenant_type = models.CharField(max_length=10, default="Company")  # Company | Customer
    base_currency = models.CharField(max_length=3, default="NOK")
    # ExtendedOrganizationDto (GET /v1/organization)
    organization_cd = models.CharField(max_length=30, default="1")
    corporate_id = models.CharField(max_length=50, blank=True)
    vat_registration_id = models.CharField(max_length=50, blank=True)
    # Number series; taken under a row lock.
    next_batch_number = models.PositiveIntegerField(default=1)
    next_invoice_number = models.PositiveIntegerField(default=1)
    next_internal_id = models.PositiveIntegerField(default=1000)
    # "VAT entry from general ledger" in Enable/disable functionalities (CS100000): without it
    # Visma.net refuses journals created with createVatTransaction (help.visma.net, "About VAT
    # entries from the general ledger").
    vat_entry_from_gl = models.BooleanField(default=True)
    # How a release action is answered (ReleaseJournalTransactionActionResultDto /
    # ReleaseSupplierInvoiceActionResultDto: actionResult Queued|InProcess|Failed|Done).
    # "Done" releases at once; "Queued"/"InProcess" leave the document as it was until it
    # settles: after `release_settle_polls` reads of the document that still show it
    # unreleased, or `release_settle_seconds`, into `release_outcome` (Released|Failed).
    release_answer = models.CharField(max_length=12, default="Done")
    release_settle_polls = models.PositiveIntegerField(default=2)
    release_settle_seconds = models.FloatField(null=True, blank=True)
    release_outcome = models.CharField(max_length=12, default="Released")
    # 400, or 500 where the contract says a refused POST answers "BadRequest or
    # InternalServerError" (Supplier_Post, SupplierInvoice_Post, the supplier invoice actions).
    refusal_status = models.PositiveSmallIntegerField(default=400)

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant_id})"

    def number_take(self, series: str) -> int:
        """The next number of one of the company's series (`next_batch_number`, …), taken.

        One `UPDATE … RETURNING`, which holds the company's row until the transaction ends.
        A document takes its number before its own transaction, so the row is held only while
        the counter moves: documents created at the same moment do not wait for each other's
        lines to be written. A create that fails after taking its number leaves a gap in the
        series, as a database sequence does; numbers are never given twice. Visma.net's help
        does not say whether its number series skip a number on a failed save; the product
        never assumes a series without gaps (it reads each document's number from the answer
        and finds a document again by its reference), so either reading holds.
        """
        # The request's statement, prepared on PostgreSQL (every journal's create takes one).
        from integrations.sandbox.common import statements_cursor

        field = self._meta.get_field(series)
        assert isinstance(field, models.Field), series
        quote = connection.ops.quote_name
        column = quote(str(field.column))
        with statements_cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(self._meta.db_table)} SET {column} = {column} + 1 "  # noqa: S608
                f"WHERE {quote(str(self._meta.pk.column))} = %s RETURNING {column}",
                [self.pk],
            )
            (following,) = cursor.fetchone()
        return int(following) - 1


class Modified(models.Model):
    last_modified = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Releasing(models.Model):
    """A release answered Queued/InProcess that has not settled yet (null: none pending)."""

    release_polls_left = models.PositiveIntegerField(null=True, blank=True)
    release_due_at = models.DateTimeField(null=True, blank=True)
    release_outcome = models.CharField(max_length=12, blank=True)
    release_error = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True


class AccountClass(models.Model):
    """Account classes (GL202000): optional grouping of accounts, chosen on GL202500."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="account_classes")
    class_id = models.CharField(max_length=20)
    description = models.CharField(max_length=60)

    class Meta:
        unique_together = [("company", "class_id")]
        ordering = ["class_id"]

    def __str__(self) -> str:
        return self.class_id


class Account(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="accounts")
    account_id = models.PositiveIntegerField()
    number = models.CharField(max_length=20)
    description = models.CharField(max_length=60)
    type = models.CharField(max_length=20)  # Asset|Liability|Income|Expense
    active = models.BooleanField(default=True)
    account_class = models.CharField(max_length=20, blank=True)
    post_option = models.CharField(max_length=10, default="Summary")  # Summary|Detail
    use_default_sub = models.BooleanField(default=False)
    tax_category = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    cash_account = models.BooleanField(default=False)

    class Meta:
        unique_together = [("company", "number")]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class Vat(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vats")
    vat_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    type = models.CharField(max_length=20, default="Vat")
    reverse_vat = models.BooleanField(default=False)
    deductible_vat = models.BooleanField(default=True)
    rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    rate_start = models.DateField(default="2020-01-01")
    # glAccounts of VatInformationDto: where the VAT is booked (payable: output side,
    # claimable: input side). A journal line on one of them is a VAT line.
    payable_account = models.CharField(max_length=20, blank=True)
    claimable_account = models.CharField(max_length=20, blank=True)

    class Meta:
        unique_together = [("company", "vat_id")]
        ordering = ["vat_id"]

    def __str__(self) -> str:
        return self.vat_id


class VatCategory(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vat_categories")
    category_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    vats = models.ManyToManyField(Vat, blank=True, related_name="categories")

    class Meta:
        unique_together = [("company", "category_id")]
        ordering = ["category_id"]

    def __str__(self) -> str:
        return self.category_id


class VatZone(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vat_zones")
    zone_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    default_vat_category = models.CharField(max_length=20, blank=True)

    class Meta:
        unique_together = [("company", "zone_id")]
        ordering = ["zone_id"]

    def __str__(self) -> str:
        return self.zone_id


class Dimension(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="dimensions")
    dimension_id = models.CharField(max_length=30)
    description = models.CharField(max_length=100)

    class Meta:
        unique_together = [("company", "dimension_id")]
        ordering = ["dimension_id"]

    def __str__(self) -> str:
        return self.dimension_id


class Segment(Modified):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="segments")
    segment_id = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=100)
    length = models.PositiveSmallIntegerField()
    validate = models.BooleanField(default=True)
    # Used on a document line that leaves this segment out.
    default_value = models.CharField(max_length=30, blank=True)
    public_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        unique_together = [("dimension", "segment_id")]
        ordering = ["segment_id"]

    def __str__(self) -> str:
        return f"{self.dimension_id}/{self.segment_id}"


class SegmentValue(Modified):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="values")
    value_id = models.CharField(max_length=30)
    description = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    public_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        unique_together = [("segment", "value_id")]
        ordering = ["value_id"]

    def __str__(self) -> str:
        return self.value_id


class SupplierClass(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="supplier_classes")
    class_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    payment_method_id = models.CharField(max_length=20, blank=True)

    class Meta:
        unique_together = [("company", "class_id")]
        ordering = ["class_id"]

    def __str__(self) -> str:
        return self.class_id


class PaymentMethod(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="payment_methods")
    method_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    means_of_payment = models.CharField(max_length=20, default="DirectDeposit")
    use_in_ap = models.BooleanField(default=True)

    class Meta:
        unique_together = [("company", "method_id")]
        ordering = ["method_id"]

    def __str__(self) -> str:
        return self.method_id


class CreditTerm(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="credit_terms")
    terms_id = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    due_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        unique_together = [("company", "terms_id")]
        ordering = ["terms_id"]

    def __str__(self) -> str:
        return self.terms_id


class CashAccount(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="cash_accounts")
    number = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    currency = models.CharField(max_length=3)

    class Meta:
        unique_together = [("company", "number")]
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Branch(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="branches")
    branch_id = models.PositiveIntegerField()
    number = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    is_main = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3)

    class Meta:
        unique_together = [("company", "number")]
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class FinancialPeriod(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="periods")
    period_id = models.CharField(max_length=6)  # YYYYMM
    year = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.CharField(max_length=60)
    active = models.BooleanField(default=True)
    closed_in_gl = models.BooleanField(default=False)
    closed_in_ap = models.BooleanField(default=False)

    class Meta:
        unique_together = [("company", "period_id")]
        ordering = ["period_id"]

    def __str__(self) -> str:
        return self.period_id


class Currency(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="currencies")
    code = models.CharField(max_length=3)
    description = models.CharField(max_length=60)
    symbol = models.CharField(max_length=5, blank=True)
    is_base = models.BooleanField(default=False)
    decimal_precision = models.PositiveSmallIntegerField(default=2)

    class Meta:
        unique_together = [("company", "code")]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Supplier(Modified):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="suppliers")
    internal_id = models.PositiveIntegerField()
    number = models.CharField(max_length=30)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, default="Active")
    supplier_class_id = models.CharField(max_length=20)
    payment_method_id = models.CharField(max_length=20, blank=True)
    credit_terms_id = models.CharField(max_length=20, blank=True)
    vat_zone_id = models.CharField(max_length=20, blank=True)
    currency_id = models.CharField(max_length=3, blank=True)
    cash_account = models.CharField(max_length=20, blank=True)
    vat_registration_id = models.CharField(max_length=50, blank=True)
    corporate_id = models.CharField(max_length=50, blank=True)
    # {"addressLine1", "addressLine2", "addressLine3", "postalCode", "city", "countryId"}
    main_address = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        unique_together = [("company", "number")]
        ordering = ["number"]
        # Delta reads (`lastModifiedDateTime`) at tens of thousands of suppliers.
        indexes = [models.Index(fields=["company", "last_modified"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class JournalTransaction(Modified, Releasing):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="journals")
    batch_number = models.CharField(max_length=30)
    module = models.CharField(max_length=10, default="ModuleGL")
    status = models.CharField(max_length=20, default="Balanced")
    hold = models.BooleanField(default=False)
    transaction_date = models.DateField()
    financial_period = models.CharField(max_length=6)
    currency_id = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal(1))
    description = models.CharField(max_length=255, blank=True)
    branch = models.CharField(max_length=20, blank=True)
    ledger = models.CharField(max_length=20, default="L")
    released = models.BooleanField(default=False)
    # JournalTransactionUpdateDto.createVatTransaction / skipVatAmountValidation
    create_vat_transaction = models.BooleanField(default=False)
    skip_vat_amount_validation = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        unique_together = [("company", "module", "batch_number")]
        ordering = ["id"]
        # The list requires periodId or lastModifiedDateTime: both indexed.
        indexes = [
            models.Index(fields=["company", "financial_period"]),
            models.Index(fields=["company", "last_modified"]),
        ]

    def __str__(self) -> str:
        return self.batch_number


class JournalLine(models.Model):
    journal = models.ForeignKey(JournalTransaction, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    account_number = models.CharField(max_length=20)
    subaccount = models.JSONField(default=list)  # [{"segmentId", "segmentValue"}] complete
    reference_number = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    debit = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    credit = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    vat_code_id = models.CharField(max_length=20, blank=True)
    vat_id = models.CharField(max_length=20, blank=True)
    branch = models.CharField(max_length=20, blank=True)

    class Meta:
        unique_together = [("journal", "line_number")]
        ordering = ["line_number"]

    def __str__(self) -> str:
        return f"{self.journal_id}/{self.line_number}"


class SupplierInvoice(Modified, Releasing):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invoices")
    document_type = models.CharField(max_length=20)
    reference_number = models.CharField(max_length=30)
    status = models.CharField(max_length=20, default="Balanced")
    hold = models.BooleanField(default=False)
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    financial_period = models.CharField(max_length=6)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="invoices")
    supplier_reference = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    currency_id = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal(1))
    branch_number = models.CharField(max_length=20, blank=True)
    payment_method_id = models.CharField(max_length=20, blank=True)
    cash_account = models.CharField(max_length=20, blank=True)
    credit_terms_id = models.CharField(max_length=20, blank=True)
    tax_calculation_mode = models.CharField(max_length=20, default="TaxSetting")
    amount = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    vat_amount = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        unique_together = [("company", "document_type", "reference_number")]
        ordering = ["id"]
        indexes = [
            models.Index(fields=["company", "financial_period"]),
            models.Index(fields=["company", "last_modified"]),
            models.Index(fields=["company", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.reference_number}"


class SupplierInvoiceLine(models.Model):
    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    account_number = models.CharField(max_length=20)
    subaccount = models.JSONField(default=list)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(1))
    unit_cost = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    cost = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    vat_code_id = models.CharField(max_length=20, blank=True)
    branch_number = models.CharField(max_length=20, blank=True)

    class Meta:
        unique_together = [("invoice", "line_number")]
        ordering = ["line_number"]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.line_number}"


class Attachment(models.Model):
    """A file on a document (or one of its lines); uploading the same name again on the same
    target makes a new revision of the same attachment."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="attachments")
    attachment_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=255)
    revision = models.PositiveIntegerField(default=1)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField()
    journal = models.ForeignKey(
        JournalTransaction, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    invoice = models.ForeignKey(
        SupplierInvoice, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    line_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} r{self.revision}"


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=100, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE)
    # Who signed in on the consent page, and whether they hold the "API User" role there.
    user = models.CharField(max_length=200, blank=True)
    api_user = models.BooleanField(default=True)
    client_id = models.CharField(max_length=200)
    redirect_uri = models.CharField(max_length=2000)
    scopes = models.CharField(max_length=1000)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"code for {self.client_id}"


class AccessToken(models.Model):
    # A JWT, as Visma Connect issues (claims readable by the client, e.g. `tenant_id`).
    token = models.CharField(max_length=2000, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=200)
    scopes = models.CharField(max_length=1000)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"access token for {self.client_id}"


class RefreshToken(models.Model):
    token = models.CharField(max_length=200, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=200)
    scopes = models.CharField(max_length=1000)
    # Refresh tokens are single use: each refresh answers with a new one.
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"refresh token for {self.client_id}"
