"""Visma.net sandbox control API: `_control/seed`, `_control/reset`, `_control/state` and
`_control/records/…` to simulate edits made by people in Visma.net."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox.common import BadJson, control_error, json_body
from integrations.sandbox.visma import dto
from integrations.sandbox.visma.models import (
    Account,
    CashAccount,
    Company,
    FinancialPeriod,
    SegmentValue,
    Supplier,
    Vat,
    VatCategory,
)
from integrations.sandbox.visma.presets import DEMO_TENANT, visma_reset, visma_seed
from integrations.sandbox.visma.release import ANSWERS, OUTCOMES
from integrations.sandbox.visma.vat import vat_transactions

View = Callable[..., HttpResponse]


def _company(request: HttpRequest, data: dict[str, Any] | None = None) -> Company | None:
    tenant = (data or {}).get("tenantId") or request.GET.get("tenantId") or DEMO_TENANT
    return Company.objects.filter(tenant_id=tenant).first()


def _body(request: HttpRequest) -> dict[str, Any]:
    data = json_body(request)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadJson("The body must be a JSON object.")
    return data


@csrf_exempt
def reset(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return control_error("Use POST.", 405)
    visma_reset()
    return JsonResponse({"reset": True})


@csrf_exempt
def seed(request: HttpRequest) -> HttpResponse:
    """`{"preset": "demo", "keepExisting": false}` and/or explicit records (see README)."""
    if request.method != "POST":
        return control_error("Use POST.", 405)
    try:
        data = _body(request)
        with transaction.atomic():
            seeded = None
            if data.get("preset"):
                seeded = visma_seed(
                    str(data["preset"]), keep_existing=bool(data.get("keepExisting"))
                )
            company = _company(request, data)
            if company is None:
                company = Company.objects.create(
                    tenant_id=data.get("tenantId") or DEMO_TENANT,
                    name=data.get("companyName") or "Sandbox company",
                    base_currency=data.get("baseCurrency") or "NOK",
                )
            counts = records_upsert(company=company, data=data)
    except (BadJson, ValueError, KeyError, TypeError, InvalidOperation) as exc:
        return control_error(str(exc))
    return JsonResponse({"tenantId": company.tenant_id, "presetSeeded": seeded, "records": counts})


def _update(
    row: Any, data: dict[str, Any], fields: dict[str, str], *, modified_at: datetime | None = None
) -> None:
    for key, attr in fields.items():
        if key in data:
            value = data[key]
            if attr in ("rate",):
                value = Decimal(str(value))
            setattr(row, attr, "" if value is None else value)
    if hasattr(row, "last_modified"):
        row.last_modified = modified_at or timezone.now()
    row.save()


ACCOUNT_FIELDS = {"description": "description", "type": "type", "active": "active",
                  "taxCategory": "tax_category", "currency": "currency"}  # fmt: skip
SUPPLIER_FIELDS = {"name": "name", "status": "status", "supplierClassId": "supplier_class_id",
                   "paymentMethodId": "payment_method_id", "creditTermsId": "credit_terms_id",
                   "vatZoneId": "vat_zone_id", "currencyId": "currency_id",
                   "cashAccount": "cash_account", "vatRegistrationId": "vat_registration_id",
                   "corporateId": "corporate_id", "mainAddress": "main_address"}  # fmt: skip
SEGMENT_VALUE_FIELDS = {"description": "description", "active": "active"}
VAT_CATEGORY_FIELDS = {"description": "description", "active": "active"}
CASH_ACCOUNT_FIELDS = {"description": "description", "currency": "currency"}
PERIOD_FIELDS = {"active": "active", "closedInGeneralLedger": "closed_in_gl",
                 "closedInSupplierLedger": "closed_in_ap"}  # fmt: skip


# Company settings a person changes in Visma.net (camelCase in seed and state) → model field.
COMPANY_SETTINGS = {
    "vatEntryFromGeneralLedger": "vat_entry_from_gl",
    "releaseAnswer": "release_answer",
    "releaseSettlesAfterPolls": "release_settle_polls",
    "releaseSettlesAfterSeconds": "release_settle_seconds",
    "releaseOutcome": "release_outcome",
    "refusalStatus": "refusal_status",
}


def _setting_value(key: str, value: Any) -> Any:
    """Check one company setting's value; the message names what is allowed."""
    if key == "vatEntryFromGeneralLedger" and isinstance(value, bool):
        return value
    if key == "releaseAnswer" and value in ANSWERS:
        return value
    if key == "releaseOutcome" and value in OUTCOMES:
        return value
    if key == "refusalStatus" and value in (400, 500) and not isinstance(value, bool):
        return value
    if key == "releaseSettlesAfterPolls" and type(value) is int and value >= 0:
        return value
    if key == "releaseSettlesAfterSeconds" and (
        value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    ):
        return None if value is None else float(value)
    allowed = {
        "vatEntryFromGeneralLedger": "true or false",
        "releaseAnswer": " | ".join(ANSWERS),
        "releaseOutcome": " | ".join(OUTCOMES),
        "refusalStatus": "400 or 500",
        "releaseSettlesAfterPolls": "a whole number ≥ 0",
        "releaseSettlesAfterSeconds": "seconds, or null",
    }[key]
    raise ValueError(f"companySettings.{key} must be {allowed}; got {value!r}.")


def company_settings_apply(company: Company, data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("companySettings is a JSON object.")
    unknown = sorted(set(data) - set(COMPANY_SETTINGS))
    if unknown:
        raise ValueError(f"Unknown companySettings: {', '.join(unknown)}.")
    for key, attr in COMPANY_SETTINGS.items():
        if key in data:
            setattr(company, attr, _setting_value(key, data[key]))
    company.save()


def company_settings(company: Company) -> dict[str, Any]:
    return {key: getattr(company, attr) for key, attr in COMPANY_SETTINGS.items()}


def _suppliers_upsert(
    company: Company, items: list[dict[str, Any]], modified_at: datetime | None = None
) -> int:
    """Existing suppliers are changed one by one; new ones are inserted in one go, so seeding
    tens of thousands of suppliers (benchmarks) takes seconds."""
    numbers = [str(item["number"]) for item in items]
    existing = {s.number: s for s in company.suppliers.filter(number__in=numbers)}
    new: list[Supplier] = []
    now = modified_at or timezone.now()
    for item in items:
        supplier = existing.get(str(item["number"]))
        if supplier is not None:
            _update(supplier, item, SUPPLIER_FIELDS, modified_at=modified_at)
            continue
        supplier = Supplier(
            company=company, number=str(item["number"]), internal_id=company.next_internal_id,
            last_modified=now,
        )  # fmt: skip
        company.next_internal_id += 1
        for key, attr in SUPPLIER_FIELDS.items():
            if key in item:
                setattr(supplier, attr, "" if item[key] is None else item[key])
        if not supplier.status:
            supplier.status = "Active"
        new.append(supplier)
        existing[supplier.number] = supplier
    Supplier.objects.bulk_create(new, batch_size=500)
    company.save(update_fields=["next_internal_id"])
    return len(items)


def _seed_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when = datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def records_upsert(*, company: Company, data: dict[str, Any]) -> dict[str, int]:
    """Create or change explicit records: accounts, suppliers, segmentValues, vatCategories,
    financialPeriods (camelCase fields as in the read DTOs, flattened).

    With `lastModifiedDateTime` (ISO 8601, UTC when no offset is given) the records seeded carry
    that time as their last change, as records entered long ago do: a delta read
    (`lastModifiedDateTime` filter, specs/visma-net/openapi-subset.json) after it returns none
    of them. Without it they are changed now."""
    counts: dict[str, int] = {}
    modified_at = _seed_time(data.get("lastModifiedDateTime"))
    for item in data.get("accounts", []):
        row = company.accounts.filter(number=item["number"]).first() or Account(
            company=company, number=item["number"],
            account_id=1000 + company.accounts.count() + 1, type="Expense",
        )  # fmt: skip
        _update(row, item, ACCOUNT_FIELDS, modified_at=modified_at)
        counts["accounts"] = counts.get("accounts", 0) + 1
    suppliers = data.get("suppliers", [])
    if suppliers:
        counts["suppliers"] = _suppliers_upsert(company, suppliers, modified_at)
    for item in data.get("segmentValues", []):
        segment = company.dimensions.get(
            dimension_id=item.get("dimensionId", "SUBACCOUNT")
        ).segments.get(segment_id=item["segmentId"])
        value = segment.values.filter(value_id=item["valueId"]).first() or SegmentValue(
            segment=segment, value_id=item["valueId"]
        )
        _update(value, item, SEGMENT_VALUE_FIELDS, modified_at=modified_at)
        counts["segmentValues"] = counts.get("segmentValues", 0) + 1
    for item in data.get("vatCategories", []):
        category = company.vat_categories.filter(category_id=item["vatCategoryId"]).first()
        if category is None:
            category = VatCategory(company=company, category_id=item["vatCategoryId"])
        _update(category, item, VAT_CATEGORY_FIELDS, modified_at=modified_at)
        if "rate" in item:
            vat_id = item.get("vatId") or f"V{category.category_id}"
            vat, _ = Vat.objects.get_or_create(
                company=company, vat_id=vat_id, defaults={"description": category.description}
            )
            vat.rate = Decimal(str(item["rate"]))
            vat.reverse_vat = bool(item.get("reverseVat", False))
            vat.payable_account = item.get("payableAccount") or vat.payable_account
            vat.claimable_account = item.get("claimableAccount") or vat.claimable_account
            vat.save()
            category.vats.set([vat])
        counts["vatCategories"] = counts.get("vatCategories", 0) + 1
    for item in data.get("cashAccounts", []):
        cash = company.cash_accounts.filter(number=item["number"]).first() or CashAccount(
            company=company, number=item["number"], currency=company.base_currency
        )
        _update(cash, item, CASH_ACCOUNT_FIELDS)
        counts["cashAccounts"] = counts.get("cashAccounts", 0) + 1
    settings = data.get("companySettings")
    if settings is not None:
        company_settings_apply(company, settings)
        counts["companySettings"] = 1
    for item in data.get("financialPeriods", []):
        period = company.periods.get(period_id=item["periodId"])
        _update(period, item, PERIOD_FIELDS)
        counts["financialPeriods"] = counts.get("financialPeriods", 0) + 1
    return counts


def _segment_value_shape(value: SegmentValue) -> dict[str, Any]:
    return dto.segment_value_dto(value, value.segment)


@csrf_exempt
def record_change(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """PATCH `_control/records/<supplier|account|vatCategory|financialPeriod>/<key>` or
    `_control/records/segmentValue/<segmentId>/<valueId>`: change fields as a person would in
    Visma.net (bumps `lastModifiedDateTime`)."""
    if request.method != "PATCH":
        return control_error("Use PATCH.", 405)
    company = _company(request)
    if company is None:
        return control_error("No such tenant: seed first.", 404)
    try:
        data = _body(request)
        row: Any
        fields: dict[str, str]
        shape: Callable[[Any], dict[str, Any]]
        if kind == "supplier":
            row = company.suppliers.filter(number=key).first()
            fields, shape = SUPPLIER_FIELDS, dto.supplier_dto
        elif kind == "account":
            row = company.accounts.filter(number=key).first()
            fields, shape = ACCOUNT_FIELDS, dto.account_dto
        elif kind == "vatCategory":
            row = company.vat_categories.filter(category_id=key).first()
            fields, shape = VAT_CATEGORY_FIELDS, dto.vat_category_dto
        elif kind == "financialPeriod":
            row = company.periods.filter(period_id=key).first()
            fields, shape = PERIOD_FIELDS, dto.financial_period_dto
        elif kind == "segmentValue":
            segment_id, _, value_id = key.partition("/")
            row = (
                SegmentValue.objects.filter(
                    segment__dimension__company=company,
                    segment__dimension__dimension_id="SUBACCOUNT",
                    segment__segment_id=int(segment_id),
                    value_id=value_id,
                )
                .select_related("segment")
                .first()
            )
            fields = SEGMENT_VALUE_FIELDS
            shape = _segment_value_shape
        else:
            return control_error(f"Unknown record kind {kind!r}.", 404)
        if row is None:
            return control_error(f"No {kind} {key!r}.", 404)
        unknown = sorted(set(data) - set(fields))
        if unknown:
            return control_error(f"Unknown fields for {kind}: {', '.join(unknown)}.")
        _update(row, data, fields)
    except (BadJson, ValueError, TypeError, InvalidOperation) as exc:
        return control_error(str(exc))
    return JsonResponse(shape(row))


@csrf_exempt
def state(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return control_error("Use GET.", 405)
    company = _company(request)
    if company is None:
        empty: dict[str, Any] = {key: [] for key in STATE_KEYS}
        return JsonResponse({"tenantId": None, "companySettings": None, **empty})
    return JsonResponse(state_of(company))


STATE_KEYS = ("accounts", "vatCategories", "vats", "dimensions", "suppliers", "paymentMethods",
              "cashAccounts", "branches", "financialPeriods", "journalTransactions",
              "supplierInvoices", "attachments", "vatTransactions")  # fmt: skip


def state_of(company: Company) -> dict[str, Any]:
    accounts = {a.number: a for a in company.accounts.all()}
    supplier_refs = dto.SupplierRefs.of(company)
    invoice_refs = dto.InvoiceRefs.of(company)
    return {
        "tenantId": company.tenant_id,
        "companySettings": company_settings(company),
        "accounts": [dto.account_dto(a) for a in accounts.values()],
        "vatCategories": [dto.vat_category_dto(c) for c in company.vat_categories.all()],
        "vats": [dto.vat_dto(v, accounts) for v in company.vats.prefetch_related("categories")],
        "cashAccounts": [dto.cash_account_dto(c) for c in company.cash_accounts.all()],
        "dimensions": [dto.dimension_dto(d) for d in company.dimensions.all()],
        "suppliers": [dto.supplier_dto(s, supplier_refs) for s in company.suppliers.all()],
        "paymentMethods": [dto.payment_method_dto(p) for p in company.payment_methods.all()],
        "branches": [dto.branch_dto(b) for b in company.branches.all()],
        "financialPeriods": [
            dto.financial_period_dto(p) for p in FinancialPeriod.objects.filter(company=company)
        ],
        "journalTransactions": [
            dto.journal_dto(j, names=invoice_refs.names)
            for j in company.journals.select_related("company").prefetch_related(
                "lines", dto.documents_files()
            )
        ],
        "supplierInvoices": [
            dto.invoice_dto(i, invoice_refs)
            for i in company.invoices.select_related("company", "supplier").prefetch_related(
                "lines", dto.documents_files()
            )
        ],
        "attachments": [dto.attachment_dto(a) for a in dto.files_listed().filter(company=company)],
        # Visma.net's VAT report (see vat.py): what a VAT return would be built from.
        "vatTransactions": vat_transactions(company),
    }
