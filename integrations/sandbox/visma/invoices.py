"""Supplier invoices (AP): create, read (typed and untyped), list, release.
Reference: ../shared/specs/visma-net/openapi-subset.json, paths /v1/supplierInvoice*"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from integrations.sandbox.visma import rules
from integrations.sandbox.visma.api import (
    VismaError,
    bool_value,
    check_wrapping,
    created,
    date_value,
    decimal_value,
    json_answer,
    modified_q,
    not_found,
    paged,
    parse_filter_time,
    request_dto,
    text,
    visma_api,
    wrapped,
)
from integrations.sandbox.visma.dto import InvoiceRefs, documents_files, invoice_dto
from integrations.sandbox.visma.models import Company, SupplierInvoice, SupplierInvoiceLine
from integrations.sandbox.visma.release import release_request, release_settle

DOCUMENT_TYPES = ("Invoice", "CreditAdj", "DebitAdj", "Prepayment")
TAX_MODES = ("TaxSetting", "Gross", "Net")
HEADER_PLAIN = (
    "invoiceLines",
    "taxDetailLines",
    "addPOReceiptLines",
    "addPurchaseOrders",
    "landedCosts",
    "approvalDetails",
)
LINE_PLAIN = ("operation", "subaccount", "prebookSubaccount", "linkLine")


def _lines(company: Company, data: dict[str, Any], currency: Any) -> list[dict[str, Any]]:
    raw = data.get("invoiceLines")
    if raw is None or raw == []:
        raise VismaError("A supplier invoice needs at least one line (invoiceLines).")
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise VismaError("invoiceLines must be a plain array of line objects (not wrapped).")
    rules.accounts_preload(
        company,
        (
            item["accountNumber"].get("value")
            for item in raw
            if isinstance(item.get("accountNumber"), dict)
        ),
    )
    rules.segment_values_preload(company, (item.get("subaccount") for item in raw))
    lines = []
    for index, item in enumerate(raw, start=1):
        where = f"Line {index}"
        check_wrapping(item, plain=LINE_PLAIN, where=where)
        operation = item.get("operation") or "Insert"
        if operation != "Insert":
            raise VismaError(f"{where}: a new invoice only takes operation Insert.")
        number = wrapped(item, "lineNumber", where=where) or index
        account = text(wrapped(item, "accountNumber", where=where), "accountNumber", where=where)
        rules.account_check(company, account, where=where)
        vat_code = text(wrapped(item, "vatCodeId", where=where), "vatCodeId", where=where)
        rules.vat_category_check(company, vat_code, where=where)
        quantity = decimal_value(wrapped(item, "quantity", where=where), "quantity", where=where)
        quantity = Decimal(1) if quantity is None else quantity
        unit = decimal_value(
            wrapped(item, "unitCostInCurrency", where=where), "unitCostInCurrency", where=where
        )
        cost = decimal_value(
            wrapped(item, "costInCurrency", where=where), "costInCurrency", where=where
        )
        if unit is None and cost is None:
            raise VismaError(f"{where}: unitCostInCurrency or costInCurrency is required.")
        if cost is None:
            cost = (unit or Decimal(0)) * quantity
        if unit is None:
            unit = cost / quantity if quantity else Decimal(0)
        rules.precision_check(cost, currency, "costInCurrency", where=where)
        branch = text(wrapped(item, "branchNumber", where=where), "branchNumber", where=where)
        rules.branch_check(company, branch)
        lines.append(
            {
                "line_number": number,
                "account_number": account,
                "subaccount": rules.subaccount_resolve(
                    company, item.get("subaccount"), where=where
                ),
                "description": text(
                    wrapped(item, "transactionDescription", where=where),
                    "transactionDescription",
                    where=where,
                )
                or "",
                "quantity": quantity,
                "unit_cost": unit,
                "cost": cost,
                "vat_code_id": vat_code or "",
                "branch_number": branch or "",
            }
        )
    return lines


def _totals(
    company: Company, lines: list[dict[str, Any]], mode: str, currency: Any
) -> tuple[Decimal, Decimal]:
    """Invoice amount and VAT: Gross lines include VAT, Net/TaxSetting lines exclude it."""
    quantum = Decimal(1).scaleb(-currency.decimal_precision)
    cost = sum((line["cost"] for line in lines), start=Decimal(0))
    vat = Decimal(0)
    for line in lines:
        rate = rules.vat_rate(company, line["vat_code_id"])
        if mode == "Gross":
            vat += line["cost"] * rate / (100 + rate)
        else:
            vat += line["cost"] * rate / 100
    vat = vat.quantize(quantum)
    total = cost if mode == "Gross" else cost + vat
    return total, vat


@visma_api("GET", "POST", refusal_500=True)
def supplier_invoices(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        return _create(request, company)
    return _list(request, company)


def _create(request: HttpRequest, company: Company) -> HttpResponse:
    data = request_dto(request)
    check_wrapping(data, plain=HEADER_PLAIN)
    document_type = text(wrapped(data, "documentType"), "documentType")
    if not document_type:
        raise VismaError("DocumentType is required.")
    if document_type not in DOCUMENT_TYPES:
        raise VismaError(
            f"DocumentType '{document_type}' is not one of {', '.join(DOCUMENT_TYPES)}."
        )
    supplier_number = text(wrapped(data, "supplierNumber"), "supplierNumber")
    if not supplier_number:
        raise VismaError("SupplierNumber is required.")
    supplier = company.suppliers.filter(number=supplier_number).first()
    if supplier is None:
        raise VismaError(f"Supplier '{supplier_number}' was not found.")
    if supplier.status in ("Inactive", "OnHold"):
        raise VismaError(f"Supplier '{supplier_number}' is {supplier.status.lower()}.")
    doc_date = date_value(wrapped(data, "date"), "date") or timezone.now().date()
    period = rules.period_resolve(company, data, doc_date, ledger="AP")
    currency_code = (
        text(wrapped(data, "currencyId"), "currencyId")
        or supplier.currency_id
        or company.base_currency
    )
    currency = rules.currency_check(company, currency_code)
    branch = text(wrapped(data, "branchNumber"), "branchNumber")
    rules.branch_check(company, branch)
    mode = text(wrapped(data, "taxCalculationMode"), "taxCalculationMode") or "TaxSetting"
    if mode not in TAX_MODES:
        raise VismaError(f"taxCalculationMode '{mode}' is not one of {', '.join(TAX_MODES)}.")
    method = text(wrapped(data, "paymentMethod"), "paymentMethod") or supplier.payment_method_id
    if (
        method
        and not company.payment_methods.filter(
            method_id=method, active=True, use_in_ap=True
        ).exists()
    ):
        raise VismaError(f"Payment method '{method}' was not found or is not used in AP.")
    cash_account = text(wrapped(data, "cashAccount"), "cashAccount") or supplier.cash_account
    if cash_account and not company.cash_accounts.filter(number=cash_account).exists():
        raise VismaError(f"Cash account '{cash_account}' was not found.")
    terms_id = text(wrapped(data, "creditTermsId"), "creditTermsId") or supplier.credit_terms_id
    terms = company.credit_terms.filter(terms_id=terms_id).first() if terms_id else None
    if terms_id and terms is None:
        raise VismaError(f"Credit terms '{terms_id}' were not found.")
    lines = _lines(company, data, currency)
    total, vat = _totals(company, lines, mode, currency)
    hold = bool(bool_value(wrapped(data, "hold"), "hold"))
    override = bool_value(wrapped(data, "overrideNumberSeries"), "overrideNumberSeries")
    wanted = text(wrapped(data, "referenceNumber"), "referenceNumber")
    # Outside the document's transaction: see `Company.number_take`.
    number = None if override and wanted else f"{company.number_take('next_invoice_number'):06d}"
    with transaction.atomic():
        if number is None:
            locked = Company.objects.select_for_update().get(pk=company.pk)
            if locked.invoices.filter(
                document_type=document_type, reference_number=wanted
            ).exists():
                raise VismaError(f"{document_type} '{wanted}' already exists.")
            number = str(wanted)
        invoice = SupplierInvoice.objects.create(
            company=company,
            document_type=document_type,
            reference_number=number,
            status="Hold" if hold else "Balanced",
            hold=hold,
            date=doc_date,
            due_date=doc_date + timedelta(days=terms.due_days if terms else 0),
            financial_period=period,
            supplier=supplier,
            supplier_reference=text(wrapped(data, "supplierReference"), "supplierReference") or "",
            description=text(wrapped(data, "description"), "description") or "",
            currency_id=currency.code,
            branch_number=branch or "",
            payment_method_id=method or "",
            cash_account=cash_account or "",
            credit_terms_id=terms_id or "",
            tax_calculation_mode=mode,
            amount=total,
            vat_amount=vat,
            note=text(wrapped(data, "note"), "note") or "",
        )
        SupplierInvoiceLine.objects.bulk_create(
            [SupplierInvoiceLine(invoice=invoice, **line) for line in lines]
        )
    return created(request, f"/v1/supplierInvoice/{document_type}/{number}")


def invoice_get(company: Company, document_type: str, number: str) -> SupplierInvoice:
    row = company.invoices.filter(document_type=document_type, reference_number=number).first()
    if row is None:
        raise not_found(f"Supplier invoice {document_type} '{number}'")
    return row


def invoice_release_finish(invoice: SupplierInvoice) -> None:
    invoice.status = "Open"
    invoice.last_modified = timezone.now()
    invoice.save(update_fields=["status", "last_modified"])


def invoice_settle(invoice: SupplierInvoice, *, poll: bool) -> None:
    release_settle(invoice, lambda: invoice_release_finish(invoice), poll=poll)


@visma_api("GET")
def supplier_invoice(
    request: HttpRequest, company: Company, number: str, document_type: str = "Invoice"
) -> HttpResponse:
    # The untyped path finds standard invoices only, like Visma.net.
    invoice = invoice_get(company, document_type, number)
    # A release answered Queued/InProcess shows once it settles (release.py).
    invoice_settle(invoice, poll=True)
    return json_answer(invoice_dto(invoice))


@visma_api("POST", action=True, refusal_500=True)
def supplier_invoice_release(
    request: HttpRequest, company: Company, document_type: str, number: str
) -> HttpResponse:
    invoice = invoice_get(company, document_type, number)
    invoice_settle(invoice, poll=False)
    error = None
    if invoice.status in ("Open", "Closed"):
        error = f"{document_type} '{number}' is already released."
    elif invoice.hold:
        error = f"{document_type} '{number}' is on hold and cannot be released."
    body = release_request(
        company,
        invoice,
        error=error,
        finish=lambda: invoice_release_finish(invoice),
        refusal_raises=True,
    )
    return json_answer(body)


def _list(request: HttpRequest, company: Company) -> HttpResponse:
    # Filter, count and page in the database; shape only the page.
    rows = company.invoices.order_by("id")
    simple = {
        "supplier": "supplier__number",
        "documentType": "document_type",
        "status": "status",
        "branch": "branch_number",
        "financialPeriod": "financial_period",
    }
    for param, lookup in simple.items():
        if request.GET.get(param):
            rows = rows.filter(**{lookup: request.GET[param]})
    released = request.GET.get("released")
    if released:
        statuses = ("Open", "Closed")
        rows = (
            rows.filter(status__in=statuses)
            if released.lower() == "true"
            else rows.exclude(status__in=statuses)
        )
    condition = modified_q(request)
    if condition is not None:
        rows = rows.filter(condition)
    created_raw = request.GET.get("createdDateTime")
    if created_raw:
        when = parse_filter_time(created_raw, "createdDateTime")
        condition_text = request.GET.get("createdDateTimeCondition") or ">="
        lookups = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}
        if condition_text not in lookups:
            raise VismaError(
                f"createdDateTimeCondition '{condition_text}' is not one of >, <, >=, <=."
            )
        rows = rows.filter(**{f"created_at__{lookups[condition_text]}": when})
    rows = rows.select_related("supplier", "company").prefetch_related("lines", documents_files())
    refs = InvoiceRefs.of(company)

    def shape(inv: SupplierInvoice) -> dict[str, Any]:
        invoice_settle(inv, poll=False)
        return invoice_dto(inv, refs)

    return json_answer(paged(request, rows, shape=shape))
