"""Read DTOs in the official shapes (plain values, referenced entities as objects).
Reference: ../shared/specs/visma-net/openapi-subset.json, components.schemas.*Dto"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Length

from integrations.sandbox.visma.api import amount, dt, prune
from integrations.sandbox.visma.models import (
    Account,
    Attachment,
    Branch,
    CashAccount,
    Company,
    CreditTerm,
    Currency,
    Dimension,
    FinancialPeriod,
    JournalLine,
    JournalTransaction,
    PaymentMethod,
    Segment,
    SegmentValue,
    Supplier,
    SupplierClass,
    SupplierInvoice,
    SupplierInvoiceLine,
    Vat,
    VatCategory,
    VatZone,
)


def _ref(id_: str | None, description: str | None = None) -> dict[str, Any] | None:
    return {"id": id_, "description": description} if id_ else None


def account_dto(a: Account) -> dict[str, Any]:
    return prune(
        {
            "accountID": a.account_id,
            "accountCD": a.number,
            "type": a.type,
            "active": a.active,
            "description": a.description,
            "useDefaultSub": a.use_default_sub,
            "postOption": a.post_option,
            "accountClass": a.account_class or None,
            "currency": a.currency or None,
            "taxCategory": a.tax_category or None,
            "cashAccount": a.cash_account,
            "lastModifiedDateTime": dt(a.last_modified),
            "allowManualEntry": True,
        }
    )


def _gl_account(company_accounts: dict[str, Account], number: str) -> dict[str, Any] | None:
    if not number:
        return None
    row = company_accounts.get(number)
    return prune(
        {
            "type": row.type if row else None,
            "active": row.active if row else None,
            "number": number,
            "description": row.description if row else None,
        }
    )


def vat_dto(v: Vat, accounts: dict[str, Account] | None = None) -> dict[str, Any]:
    """`VatInformationDto`. `accounts` (number → row) saves a look-up per VAT in lists."""
    if accounts is None:
        numbers = [n for n in (v.payable_account, v.claimable_account) if n]
        accounts = {a.number: a for a in v.company.accounts.filter(number__in=numbers)}
    gl = prune(
        {
            "vatPayableAccount": _gl_account(accounts, v.payable_account),
            "vatClaimableAccount": _gl_account(accounts, v.claimable_account),
        }
    )
    return prune(
        {
            "vatId": v.vat_id,
            "description": v.description,
            "type": v.type,
            "deductibleVat": v.deductible_vat,
            "reverseVat": v.reverse_vat,
            "statisticalVat": False,
            "pendingVat": False,
            "calculateOn": "ExtractFromItemAmount",
            "lastModifiedDateTime": dt(v.last_modified),
            "glAccounts": gl or None,
            "categories": [
                {"vatCategoryId": c.category_id, "description": c.description, "active": c.active}
                for c in v.categories.all()
            ],
        }
    )


def vat_category_dto(c: VatCategory) -> dict[str, Any]:
    return prune(
        {
            "vatCategoryId": c.category_id,
            "description": c.description,
            "active": c.active,
            "excludeListedTaxes": False,
            "lastModifiedDateTime": dt(c.last_modified),
            "vatCategoryLines": [
                {
                    "vatId": v.vat_id,
                    "description": v.description,
                    "type": v.type,
                    "calculateOn": "ExtractFromItemAmount",
                    "vatRates": [{"vatRate": amount(v.rate), "startDate": dt(v.rate_start)}],
                }
                for v in c.vats.order_by("vat_id")
            ],
        }
    )


def vat_zone_dto(z: VatZone) -> dict[str, Any]:
    return prune(
        {
            "id": z.zone_id,
            "description": z.description,
            "defaultVatCategory": z.default_vat_category or None,
        }
    )


def segment_value_dto(v: SegmentValue, segment: Segment) -> dict[str, Any]:
    return {
        "segmentId": segment.segment_id,
        "valueId": v.value_id,
        "description": v.description,
        "publicId": str(v.public_id),
        "active": v.active,
        "lastModified": dt(v.last_modified),
    }


def segment_dto(s: Segment, *, with_values: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "segmentId": s.segment_id,
        "description": s.description,
        "length": s.length,
        "publicId": str(s.public_id),
        "lastModified": dt(s.last_modified),
        "validate": s.validate,
        "isAutoNumber": False,
    }
    if with_values:
        data["segmentValues"] = [segment_value_dto(v, s) for v in s.values.all()]
    return data


def dimension_dto(d: Dimension, *, with_values: bool = True) -> dict[str, Any]:
    segments = list(d.segments.prefetch_related("values"))
    return {
        "id": d.dimension_id,
        "length": sum(s.length for s in segments),
        "description": d.description,
        "segments": [segment_dto(s, with_values=with_values) for s in segments],
    }


SegmentNames = dict[tuple[int, str], tuple[str, str]]


def segment_names(company: Company) -> SegmentNames:
    """(segment id, value id) → (segment description, value description) of SUBACCOUNT, read
    once per request rather than once per document line."""
    rows = SegmentValue.objects.filter(
        segment__dimension__company=company, segment__dimension__dimension_id="SUBACCOUNT"
    ).values_list("segment__segment_id", "value_id", "segment__description", "description")
    return {(sid, vid): (sdesc, vdesc) for sid, vid, sdesc, vdesc in rows}


def subaccount_dto(
    company: Company, segments: list[dict[str, Any]], names: SegmentNames | None = None
) -> dict[str, Any]:
    """The line's subaccount as an object: number `00-000` and its segments."""
    if names is None:
        names = segment_names(company)
    described = []
    for item in segments:
        found = names.get((int(item["segmentId"]), str(item["segmentValue"])))
        described.append(
            prune(
                {
                    "segmentId": item["segmentId"],
                    "segmentDescription": found[0] if found else None,
                    "segmentValue": item["segmentValue"],
                    "segmentValueDescription": found[1] if found else None,
                }
            )
        )
    number = "-".join(item["segmentValue"] for item in segments)
    return {"subaccountNumber": number, "active": True, "segments": described}


def supplier_class_dto(c: SupplierClass) -> dict[str, Any]:
    return prune(
        {
            "id": c.class_id,
            "description": c.description,
            "paymentMethodId": c.payment_method_id or None,
        }
    )


def payment_method_dto(p: PaymentMethod) -> dict[str, Any]:
    return {
        "paymentMethodID": p.method_id,
        "active": p.active,
        "meansOfPayment": p.means_of_payment,
        "description": p.description,
        "useInAP": p.use_in_ap,
        "details": [],
    }


def credit_term_dto(t: CreditTerm) -> dict[str, Any]:
    return {
        "termsId": t.terms_id,
        "description": t.description,
        "visibleTo": "All",
        "dueDateType": "FixedNumberOfDays",
        "dueDay1": t.due_days,
        "lastModifiedDateTime": dt(t.last_modified),
    }


def cash_account_dto(c: CashAccount) -> dict[str, Any]:
    return {
        "number": c.number,
        "description": c.description,
        "currency": c.currency,
        "lastModifiedDateTime": dt(c.last_modified),
        "entryTypes": [],
    }


def branch_dto(b: Branch) -> dict[str, Any]:
    return {
        "branchId": b.branch_id,
        "number": b.number,
        "name": b.name,
        "isMainBranch": b.is_main,
        "isActive": b.active,
        "lastModifiedDateTime": dt(b.last_modified),
        "currency": {"id": b.currency, "description": b.currency},
        "ledger": {"id": "L", "description": "Actual ledger"},
    }


def organization_dto(company: Company) -> dict[str, Any]:
    # ExtendedOrganizationDto (GET /v1/organization, Organization_GetAll): the company the
    # token reaches, its name and base currency.
    return {
        "name": company.name,
        "baseCurrency": company.base_currency,
    }


def financial_period_dto(p: FinancialPeriod) -> dict[str, Any]:
    return {
        "year": p.year,
        "period": p.period_id,
        "startDate": dt(p.start_date),
        "endDate": dt(p.end_date),
        "description": p.description,
        "active": p.active,
        "closedInSupplierLedger": p.closed_in_ap,
        "closedInCustomerLedger": False,
        "closedInInventoryManagement": False,
        "closedInGeneralLedger": p.closed_in_gl,
        "closedInCashManagement": False,
        "closedInFixedAssets": False,
    }


def currency_dto(c: Currency) -> dict[str, Any]:
    return prune(
        {
            "id": c.code,
            "description": c.description,
            "symbol": c.symbol or None,
            "isBaseCurrency": c.is_base,
            "decimalPrecision": c.decimal_precision,
            "isUsedForAccounting": True,
        }
    )


@dataclass(frozen=True)
class SupplierRefs:
    """The small lists a supplier refers to, read once per request (not four look-ups per
    supplier: a page of 500 suppliers must not cost 2,000 queries)."""

    classes: dict[str, SupplierClass]
    methods: dict[str, PaymentMethod]
    terms: dict[str, CreditTerm]
    zones: dict[str, VatZone]

    @classmethod
    def of(cls, company: Company) -> SupplierRefs:
        return cls(
            classes={c.class_id: c for c in company.supplier_classes.all()},
            methods={m.method_id: m for m in company.payment_methods.all()},
            terms={t.terms_id: t for t in company.credit_terms.all()},
            zones={z.zone_id: z for z in company.vat_zones.all()},
        )


def supplier_dto(s: Supplier, refs: SupplierRefs | None = None) -> dict[str, Any]:
    if refs is None:
        refs = SupplierRefs.of(s.company)
    klass = refs.classes.get(s.supplier_class_id)
    method = refs.methods.get(s.payment_method_id)
    terms = refs.terms.get(s.credit_terms_id)
    zone = refs.zones.get(s.vat_zone_id)
    address = s.main_address or {}
    country = address.get("countryId")
    return prune(
        {
            "internalId": s.internal_id,
            "number": s.number,
            "name": s.name,
            "status": s.status,
            "mainAddress": {
                "addressLine1": address.get("addressLine1"),
                "addressLine2": address.get("addressLine2"),
                "addressLine3": address.get("addressLine3"),
                "postalCode": address.get("postalCode"),
                "city": address.get("city"),
                "country": {"id": country, "name": country} if country else None,
            },
            "supplierClass": _ref(s.supplier_class_id, klass.description if klass else None),
            "creditTerms": _ref(s.credit_terms_id, terms.description if terms else None),
            "currencyId": s.currency_id or None,
            "paymentMethod": _ref(s.payment_method_id, method.description if method else None),
            "cashAccount": s.cash_account or None,
            "vatRegistrationId": s.vat_registration_id or None,
            "corporateId": s.corporate_id or None,
            "vatZone": (
                {
                    "id": zone.zone_id,
                    "description": zone.description,
                    "defaultVatCategory": zone.default_vat_category or None,
                }
                if zone
                else None
            ),
            "note": s.note or None,
            "lastModifiedDateTime": dt(s.last_modified),
        }
    )


def attachment_ref(a: Attachment) -> dict[str, Any]:
    return {"name": a.name, "id": str(a.attachment_id), "revision": a.revision}


def files_listed() -> QuerySet[Attachment]:
    """Files as a list shows them: their size counted by the database, not their content (a
    receipt each, 100 KB or more) read into the process."""
    return Attachment.objects.defer("content").annotate(content_size=Length("content"))


def documents_files() -> Prefetch:
    """`prefetch_related` of the documents' files, as lists show them."""
    return Prefetch("files", queryset=files_listed())


def attachment_dto(a: Attachment) -> dict[str, Any]:
    size = getattr(a, "content_size", None)
    return {
        **attachment_ref(a),
        "contentType": a.content_type,
        "sizeInBytes": len(bytes(a.content)) if size is None else size,
        "createdDateTime": dt(a.created_at),
        "lastModifiedDateTime": dt(a.updated_at),
    }


def _journal_line_dto(
    j: JournalTransaction, line: JournalLine, names: SegmentNames, files: list[Attachment]
) -> dict[str, Any]:
    rate = j.exchange_rate
    return prune(
        {
            "lineNumber": line.line_number,
            "accountNumber": line.account_number,
            "description": line.description or None,
            "subaccount": (
                subaccount_dto(j.company, line.subaccount, names) if line.subaccount else None
            ),
            "referenceNumber": line.reference_number or None,
            "debitAmount": amount(line.debit * rate),
            "debitAmountInCurrency": amount(line.debit),
            "creditAmount": amount(line.credit * rate),
            "creditAmountInCurrency": amount(line.credit),
            "transactionDescription": line.description or None,
            "vatCode": _ref(line.vat_code_id or None),
            "vat": _ref(line.vat_id or None),
            "branch": line.branch or j.branch or None,
            "module": j.module,
            "attachments": [attachment_ref(a) for a in files if a.line_number == line.line_number],
        }
    )


def journal_dto(
    j: JournalTransaction,
    *,
    lines: list[JournalLine] | None = None,
    attachments: bool = True,
    names: SegmentNames | None = None,
) -> dict[str, Any]:
    """`JournalTransactionDto`; `names` from `segment_names` saves its look-up in lists. Lines
    and files are read through `j.lines.all()` / `j.files.all()`, so a list prefetches them."""
    if names is None:
        names = segment_names(j.company)
    files = list(j.files.all())
    all_lines = list(j.lines.all())
    shown = all_lines if lines is None else lines
    debit = sum((line.debit for line in all_lines), start=type(j.exchange_rate)(0))
    credit = sum((line.credit for line in all_lines), start=type(j.exchange_rate)(0))
    data = {
        "module": j.module,
        "batchNumber": j.batch_number,
        "status": j.status,
        "hold": j.hold,
        "transactionDate": dt(j.transaction_date),
        "postPeriod": j.financial_period[4:] + j.financial_period[:4],
        "financialPeriod": j.financial_period,
        "ledger": j.ledger,
        "ledgerDescription": "Actual ledger",
        "currencyId": j.currency_id,
        "exchangeRate": amount(j.exchange_rate),
        "autoReversing": False,
        "reversingEntry": False,
        "description": j.description or None,
        "debitTotal": amount(debit * j.exchange_rate),
        "debitTotalInCurrency": amount(debit),
        "creditTotal": amount(credit * j.exchange_rate),
        "creditTotalInCurrency": amount(credit),
        "createVatTransaction": j.create_vat_transaction,
        "skipVatAmountValidation": j.skip_vat_amount_validation,
        "lastModifiedDateTime": dt(j.last_modified),
        "branch": j.branch or None,
        "journalTransactionLines": [_journal_line_dto(j, line, names, files) for line in shown],
    }
    if attachments:
        data["attachments"] = [attachment_ref(a) for a in files if a.line_number is None]
    return prune(data)


def _invoice_line_dto(
    inv: SupplierInvoice,
    line: SupplierInvoiceLine,
    names: SegmentNames,
    accounts: Mapping[str, Account | None],
    files: list[Attachment],
) -> dict[str, Any]:
    account = accounts.get(line.account_number)
    return prune(
        {
            "lineNumber": line.line_number,
            "transactionDescription": line.description or None,
            "quantity": amount(line.quantity),
            "unitCost": amount(line.unit_cost * inv.exchange_rate),
            "unitCostInCurrency": amount(line.unit_cost),
            "cost": amount(line.cost * inv.exchange_rate),
            "costInCurrency": amount(line.cost),
            "account": {
                "type": account.type if account else None,
                "active": account.active if account else None,
                "number": line.account_number,
                "description": account.description if account else None,
            },
            "subaccount": (
                subaccount_dto(inv.company, line.subaccount, names) if line.subaccount else None
            ),
            "vatCode": _ref(line.vat_code_id or None),
            "branchNumber": {"number": line.branch_number or inv.branch_number}
            if (line.branch_number or inv.branch_number)
            else None,
            "attachments": [attachment_ref(a) for a in files if a.line_number == line.line_number],
        }
    )


class AccountsByNumber(dict[str, "Account | None"]):
    """The company's accounts read by number when first asked for, each once (an indexed
    look-up on company and number), instead of the whole chart for every invoice read."""

    def __init__(self, company: Company) -> None:
        super().__init__()
        self.company = company

    def get(self, number: str, default: Any = None) -> Any:
        if number not in self:
            self[number] = self.company.accounts.filter(number=number).first()
        found = super().get(number)
        return default if found is None else found


@dataclass(frozen=True)
class InvoiceRefs:
    """What invoice lines refer to, read once per request."""

    names: SegmentNames
    accounts: AccountsByNumber
    methods: dict[str, PaymentMethod]

    @classmethod
    def of(cls, company: Company) -> InvoiceRefs:
        return cls(
            names=segment_names(company),
            accounts=AccountsByNumber(company),
            methods={m.method_id: m for m in company.payment_methods.all()},
        )


def invoice_dto(inv: SupplierInvoice, refs: InvoiceRefs | None = None) -> dict[str, Any]:
    """`SupplierInvoiceDto`; lines and files through `.all()`, so a list prefetches them."""
    if refs is None:
        refs = InvoiceRefs.of(inv.company)
    supplier = inv.supplier
    method = refs.methods.get(inv.payment_method_id)
    files = list(inv.files.all())
    released = inv.status in ("Open", "Closed")
    balance = inv.amount if released else type(inv.amount)(0)
    return prune(
        {
            "documentType": inv.document_type,
            "referenceNumber": inv.reference_number,
            "hold": inv.hold,
            "status": inv.status,
            "date": dt(inv.date),
            "dueDate": dt(inv.due_date),
            "postPeriod": inv.financial_period[4:] + inv.financial_period[:4],
            "financialPeriod": inv.financial_period,
            "supplier": {
                "internalId": supplier.internal_id,
                "number": supplier.number,
                "name": supplier.name,
            },
            "supplierReference": inv.supplier_reference or None,
            "description": inv.description or None,
            "currencyId": inv.currency_id,
            "exchangeRate": amount(inv.exchange_rate),
            "creditTerms": _ref(inv.credit_terms_id or None),
            "paymentMethod": _ref(inv.payment_method_id, method.description if method else None),
            "cashAccount": inv.cash_account or None,
            "taxCalculationMode": inv.tax_calculation_mode,
            "amount": amount(inv.amount),
            "vatAmount": amount(inv.vat_amount),
            "vatTotal": amount(inv.vat_amount * inv.exchange_rate),
            "vatTotalInCurrency": amount(inv.vat_amount),
            "detailTotal": amount((inv.amount - inv.vat_amount) * inv.exchange_rate),
            "detailTotalInCurrency": amount(inv.amount - inv.vat_amount),
            "balance": amount(balance * inv.exchange_rate),
            "balanceInCurrency": amount(balance),
            "branchNumber": {"number": inv.branch_number} if inv.branch_number else None,
            "note": inv.note or None,
            "createdDateTime": dt(inv.created_at),
            "lastModifiedDateTime": dt(inv.last_modified),
            "invoiceLines": [
                _invoice_line_dto(inv, line, refs.names, refs.accounts, files)
                for line in inv.lines.all()
            ],
            "attachments": [attachment_ref(a) for a in files if a.line_number is None],
        }
    )
