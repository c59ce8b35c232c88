"""GL journal transactions (v2): create, read, list (paged by lines), update, release.
Reference: ../shared/specs/visma-net/openapi-subset.json, paths /v2/journaltransaction*"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from integrations.sandbox.common import row_with_children_insert, rows_compiled_once
from integrations.sandbox.visma import rules, vat
from integrations.sandbox.visma.api import (
    VismaError,
    bool_value,
    check_wrapping,
    created,
    date_value,
    decimal_value,
    json_answer,
    modified_q,
    no_content,
    not_found,
    page_params,
    request_dto,
    text,
    visma_api,
    wrapped,
)
from integrations.sandbox.visma.dto import documents_files, journal_dto, segment_names
from integrations.sandbox.visma.models import Company, JournalLine, JournalTransaction
from integrations.sandbox.visma.release import release_request, release_settle

HEADER_PLAIN = ("journalTransactionLines",)
LINE_PLAIN = ("operation", "subaccount")
MAX_PAGE = 1000


@dataclass
class LineInput:
    operation: str
    line_number: int | None
    values: dict[str, Any]  # model field → value, only the fields sent


def _lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("journalTransactionLines")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise VismaError(
            "journalTransactionLines must be a plain array of line objects (not wrapped)."
        )
    return raw


def _line_input(company: Company, raw: dict[str, Any], index: int) -> LineInput:
    where = f"Line {index}"
    check_wrapping(raw, plain=LINE_PLAIN, where=where)
    operation = raw.get("operation") or "Insert"
    if operation not in ("Insert", "Update", "Delete"):
        raise VismaError(f"{where}: operation '{operation}' is not Insert, Update or Delete.")
    number = wrapped(raw, "lineNumber", where=where)
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise VismaError(f"{where}: lineNumber must be a whole number.")
    values: dict[str, Any] = {}
    fields = {
        "accountNumber": "account_number",
        "referenceNumber": "reference_number",
        "transactionDescription": "description",
        "vatCodeId": "vat_code_id",
        "vatId": "vat_id",
        "branch": "branch",
    }
    for field, attr in fields.items():
        if field in raw:
            values[attr] = text(wrapped(raw, field, where=where), field, where=where) or ""
    for field, attr in (("debitAmountInCurrency", "debit"), ("creditAmountInCurrency", "credit")):
        if field in raw:
            values[attr] = decimal_value(wrapped(raw, field, where=where), field, where=where) or (
                Decimal(0)
            )
    if "subaccount" in raw:
        values["subaccount"] = raw["subaccount"]
    return LineInput(operation=operation, line_number=number, values=values)


def _validate_line(company: Company, line: dict[str, Any], currency: Any, where: str) -> None:
    rules.account_check(company, line.get("account_number"), where=where)
    rules.vat_category_check(company, line.get("vat_code_id"), where=where)
    rules.vat_id_check(company, line.get("vat_id"), where=where)
    rules.branch_check(company, line.get("branch"))
    line["subaccount"] = rules.subaccount_resolve(company, line.get("subaccount"), where=where)
    for attr, field in (("debit", "debitAmountInCurrency"), ("credit", "creditAmountInCurrency")):
        line.setdefault(attr, Decimal(0))
        if line[attr] < 0:
            raise VismaError(f"{where}: {field} cannot be negative.")
        rules.precision_check(line[attr], currency, field, where=where)


def _validate_batch(
    company: Company,
    lines: list[dict[str, Any]],
    currency: Any,
    *,
    create_vat_transaction: bool = False,
    skip_vat_amount_validation: bool = False,
) -> None:
    if len(lines) < 2:
        raise VismaError("A journal transaction needs at least two lines.")
    rules.accounts_preload(company, (line.get("account_number") for line in lines))
    rules.segment_values_preload(company, (line.get("subaccount") for line in lines))
    for line in lines:
        _validate_line(company, line, currency, f"Line {line['line_number']}")
    debit = sum((line["debit"] for line in lines), start=Decimal(0))
    credit = sum((line["credit"] for line in lines), start=Decimal(0))
    if debit != credit:
        quantum = Decimal(1).scaleb(-currency.decimal_precision)
        raise VismaError(
            f"The batch is out of balance: debit {debit.quantize(quantum)} and credit "
            f"{credit.quantize(quantum)} "
            f"({currency.code}) must be equal."
        )
    vat.journal_vat_check(
        company,
        lines,
        currency=currency,
        create_vat_transaction=create_vat_transaction,
        skip_vat_amount_validation=skip_vat_amount_validation,
    )


def _header(
    company: Company, data: dict[str, Any], base: JournalTransaction | None
) -> dict[str, Any]:
    check_wrapping(data, plain=HEADER_PLAIN)
    header: dict[str, Any] = {}
    tdate = date_value(wrapped(data, "transactionDate"), "transactionDate")
    if tdate is None and base is None:
        raise VismaError("TransactionDate is required.")
    header["transaction_date"] = tdate or (base.transaction_date if base else None)
    currency_code = text(wrapped(data, "currencyId"), "currencyId")
    header["currency_id"] = currency_code or (base.currency_id if base else company.base_currency)
    header["currency"] = rules.currency_check(company, header["currency_id"])
    if any(k in data for k in ("financialPeriod", "postPeriod", "transactionDate")) or not base:
        header["financial_period"] = rules.period_resolve(
            company, data, header["transaction_date"], ledger="GL"
        )
    for field, attr in (("description", "description"), ("branch", "branch")):
        if field in data:
            header[attr] = text(wrapped(data, field), field) or ""
    rules.branch_check(company, header.get("branch"))
    hold = bool_value(wrapped(data, "hold"), "hold")
    if hold is not None:
        header["hold"] = hold
    for field, attr in (
        ("createVatTransaction", "create_vat_transaction"),
        ("skipVatAmountValidation", "skip_vat_amount_validation"),
    ):
        flag = bool_value(wrapped(data, field), field)
        if flag is not None:
            header[attr] = flag
        else:
            header[attr] = getattr(base, attr) if base else False
    rate = decimal_value(wrapped(data, "exchangeRate"), "exchangeRate")
    if rate is not None:
        if rate <= 0:
            raise VismaError("exchangeRate must be positive.")
        header["exchange_rate"] = rate
    return header


def _apply_header(j: JournalTransaction, header: dict[str, Any]) -> None:
    for attr in (
        "transaction_date",
        "currency_id",
        "financial_period",
        "description",
        "branch",
        "hold",
        "exchange_rate",
        "create_vat_transaction",
        "skip_vat_amount_validation",
    ):
        if attr in header and header[attr] is not None:
            setattr(j, attr, header[attr])
    j.status = "Hold" if j.hold else "Balanced"


def _vat_flags(header: dict[str, Any]) -> dict[str, bool]:
    return {
        "create_vat_transaction": bool(header["create_vat_transaction"]),
        "skip_vat_amount_validation": bool(header["skip_vat_amount_validation"]),
    }


@visma_api("GET", "POST")
def journal_transactions(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        return _create(request, company)
    return _list(request, company)


def _create(request: HttpRequest, company: Company) -> HttpResponse:
    data = request_dto(request)
    header = _header(company, data, None)
    lines: list[dict[str, Any]] = []
    for index, raw in enumerate(_lines(data), start=1):
        item = _line_input(company, raw, index)
        if item.operation != "Insert":
            raise VismaError(f"Line {index}: a new batch only takes operation Insert.")
        line_no = item.line_number or index
        if any(line["line_number"] == line_no for line in lines):
            raise VismaError(f"Line {index}: lineNumber {line_no} is used twice.")
        lines.append({"line_number": line_no, **item.values})
    _validate_batch(company, lines, header["currency"], **_vat_flags(header))
    override = bool_value(wrapped(data, "overrideNumberSeries"), "overrideNumberSeries")
    wanted = text(wrapped(data, "batchNumber"), "batchNumber")
    # Outside the document's transaction: see `Company.number_take`.
    number = None if override and wanted else f"{company.number_take('next_batch_number'):06d}"
    j = JournalTransaction(company=company, batch_number=number or "")
    j.description = ""
    j.hold = False
    _apply_header(j, header)
    rows = [JournalLine(**line) for line in lines]
    if number is not None:
        # The batch and its lines in one statement (all or nothing).
        row_with_children_insert(j, rows, "journal")
        return created(request, f"/v2/journaltransaction/{number}")
    with transaction.atomic():
        locked = Company.objects.select_for_update().get(pk=company.pk)
        if locked.journals.filter(module="ModuleGL", batch_number=wanted).exists():
            raise VismaError(f"Batch number '{wanted}' already exists.")
        j.batch_number = number = str(wanted)
        row_with_children_insert(j, rows, "journal")
    return created(request, f"/v2/journaltransaction/{number}")


def journal_get(company: Company, number: str) -> JournalTransaction:
    """The company's journal transaction `number`, else Visma.net's 404."""
    found = rows_compiled_once("visma-journal", _journal_numbered, company.pk, number)
    if not found:
        raise not_found(f"Journal transaction '{number}'")
    return found[0]


def _journal_numbered(company_id: int, number: str) -> QuerySet[JournalTransaction]:
    return JournalTransaction.objects.filter(
        company_id=company_id, module="ModuleGL", batch_number=number
    ).order_by("pk")[:1]


@visma_api("GET", "PUT")
def journal_transaction(request: HttpRequest, company: Company, number: str) -> HttpResponse:
    j = journal_get(company, number)
    if request.method == "GET":
        # A release answered Queued/InProcess shows once it settles (release.py).
        journal_settle(j, poll=True)
        return json_answer(journal_dto(j))
    if j.released:
        raise VismaError(f"Batch '{number}' is released and cannot be changed.")
    data = request_dto(request)
    header = _header(company, data, j)
    current = {
        line.line_number: {
            "line_number": line.line_number,
            "account_number": line.account_number,
            "reference_number": line.reference_number,
            "description": line.description,
            "vat_code_id": line.vat_code_id,
            "vat_id": line.vat_id,
            "branch": line.branch,
            "debit": line.debit,
            "credit": line.credit,
            "subaccount": line.subaccount,
        }
        for line in j.lines.all()
    }
    for index, raw in enumerate(_lines(data), start=1):
        item = _line_input(company, raw, index)
        if item.operation == "Insert":
            number_new = item.line_number or max(current, default=0) + 1
            if number_new in current:
                raise VismaError(f"Line {index}: lineNumber {number_new} already exists.")
            current[number_new] = {"line_number": number_new, **item.values}
            continue
        if item.line_number is None or item.line_number not in current:
            raise VismaError(f"Line {index}: lineNumber {item.line_number} does not exist.")
        if item.operation == "Delete":
            del current[item.line_number]
        else:
            current[item.line_number].update(item.values)
    lines = [current[k] for k in sorted(current)]
    _validate_batch(company, lines, header["currency"], **_vat_flags(header))
    with transaction.atomic():
        _apply_header(j, header)
        j.last_modified = timezone.now()
        j.save()
        j.lines.all().delete()
        JournalLine.objects.bulk_create([JournalLine(journal=j, **line) for line in lines])
    return no_content()


def journal_release_finish(j: JournalTransaction) -> None:
    """A GL batch is posted as it is released (the company posts automatically on release)."""
    j.released = True
    j.status = "Posted"
    j.last_modified = timezone.now()
    j.save(update_fields=["released", "status", "last_modified"])


def journal_settle(j: JournalTransaction, *, poll: bool) -> None:
    release_settle(j, lambda: journal_release_finish(j), poll=poll)


@visma_api("POST", action=True)
def journal_release(request: HttpRequest, company: Company, number: str) -> HttpResponse:
    j = journal_get(company, number)
    journal_settle(j, poll=False)
    error = None
    if j.released:
        error = f"Batch '{number}' is already released."
    elif j.hold:
        error = f"Batch '{number}' is on hold and cannot be released."
    body = release_request(company, j, error=error, finish=lambda: journal_release_finish(j))
    return json_answer(body)


_MODULES = {"GL", "AP", "AR", "CM", "CA", "IN", "DR", "FA", "PM"}


def _list(request: HttpRequest, company: Company) -> HttpResponse:
    period = request.GET.get("periodId")
    condition = modified_q(request, condition_required=False)
    if not period and condition is None:
        raise VismaError("periodId or lastModifiedDateTime is required.")
    rows = company.journals.all()
    if period:
        rows = rows.filter(financial_period=period)
    if condition is not None:
        rows = rows.filter(condition)
    module = request.GET.get("module")
    if module:
        if module not in _MODULES:
            raise VismaError(f"module '{module}' is not one of {', '.join(sorted(_MODULES))}.")
        rows = rows.filter(module=f"Module{module}")
    if request.GET.get("status"):
        rows = rows.filter(status=request.GET["status"])
    if request.GET.get("branch"):
        rows = rows.filter(branch=request.GET["branch"])
    released = request.GET.get("releasedBatch")
    if released:
        rows = rows.filter(released=released.lower() == "true")
    # Paging counts lines, not batches: one batch may continue on the next page. Count and
    # cut the page in the database; read and shape only the batches on it.
    lines = JournalLine.objects.filter(journal__in=rows).order_by("journal_id", "line_number")
    number, size = page_params(request)
    total = lines.count()
    page = list(lines[(number - 1) * size : number * size])
    ids = list(dict.fromkeys(line.journal_id for line in page))
    batches = {
        j.pk: j
        for j in JournalTransaction.objects.filter(pk__in=ids)
        .select_related("company")
        .prefetch_related("lines", documents_files())
    }
    expand = request.GET.get("expandAttachments", "").lower() == "true"
    names = segment_names(company)
    meta = {"totalCount": total, "maxPageSize": MAX_PAGE}
    result: list[dict[str, Any]] = []
    for j in batches.values():
        journal_settle(j, poll=False)
    for journal_id in ids:
        shown = [line for line in page if line.journal_id == journal_id]
        data = journal_dto(batches[journal_id], lines=shown, attachments=expand, names=names)
        result.append({**data, "metadata": meta})
    return json_answer(result)
