"""Master data: chart of accounts, VAT, dimensions, suppliers and the small reference lists.
Reference: ../shared/specs/visma-net/openapi-subset.json (paths /v1/account … /v1/currency)"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from integrations.sandbox.visma import dto
from integrations.sandbox.visma.api import (
    VismaError,
    bool_value,
    check_wrapping,
    created,
    json_answer,
    modified_filter,
    modified_q,
    no_content,
    not_found,
    page_params,
    paged,
    prune,
    request_dto,
    text,
    visma_api,
    wrapped,
)
from integrations.sandbox.visma.models import (
    CashAccount,
    Company,
    CreditTerm,
    Currency,
    Dimension,
    PaymentMethod,
    Supplier,
    SupplierClass,
    Vat,
    VatZone,
)


def _filtered(request: HttpRequest, rows: Iterable[Any]) -> list[Any]:
    keep = modified_filter(request)
    return [r for r in rows if keep is None or keep(r.last_modified)]


def _filtered_qs(request: HttpRequest, rows: QuerySet[Any]) -> QuerySet[Any]:
    """The `lastModifiedDateTime` filter in the database (indexed), for the long lists."""
    condition = modified_q(request)
    return rows if condition is None else rows.filter(condition)


def _active_filter(request: HttpRequest, rows: QuerySet[Any]) -> QuerySet[Any]:
    raw = request.GET.get("active")
    if raw is None or raw == "":
        return rows
    return rows.filter(active=raw.lower() == "true")


# ---- accounts, VAT ----------------------------------------------------------------------------


@visma_api("GET", "POST")
def accounts(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        return _account_create(request, company)
    rows = _active_filter(request, _filtered_qs(request, company.accounts.all()))
    return json_answer([dto.account_dto(a) for a in rows])


@visma_api("GET")
def account(request: HttpRequest, company: Company, number: str) -> HttpResponse:
    row = company.accounts.filter(number=number).first()
    if row is None:
        raise not_found(f"Account '{number}'")
    return json_answer(dto.account_dto(row))


@visma_api("GET")
def vat_categories(request: HttpRequest, company: Company) -> HttpResponse:
    rows = _filtered(request, company.vat_categories.prefetch_related("vats"))
    return json_answer([dto.vat_category_dto(c) for c in rows])


@visma_api("GET")
def vat_category(request: HttpRequest, company: Company, category_id: str) -> HttpResponse:
    row = company.vat_categories.filter(category_id=category_id).first()
    if row is None:
        raise not_found(f"VAT category '{category_id}'")
    return json_answer(dto.vat_category_dto(row))


@visma_api("GET")
def vats(request: HttpRequest, company: Company) -> HttpResponse:
    rows = _filtered(request, company.vats.prefetch_related("categories"))
    accounts = {a.number: a for a in company.accounts.all()}
    return json_answer([dto.vat_dto(v, accounts) for v in rows])


@visma_api("GET")
def vat(request: HttpRequest, company: Company, vat_id: str) -> HttpResponse:
    row: Vat | None = company.vats.filter(vat_id=vat_id).first()
    if row is None:
        raise not_found(f"VAT '{vat_id}'")
    return json_answer(dto.vat_dto(row))


@visma_api("GET")
def vat_zones(request: HttpRequest, company: Company) -> HttpResponse:
    return json_answer(paged(request, [dto.vat_zone_dto(z) for z in company.vat_zones.all()]))


@visma_api("GET")
def vat_zone(request: HttpRequest, company: Company, zone_id: str) -> HttpResponse:
    row = company.vat_zones.filter(zone_id=zone_id).first()
    if row is None:
        raise not_found(f"VAT zone '{zone_id}'")
    return json_answer(dto.vat_zone_dto(row))


ACCOUNT_TYPES = ("Asset", "Liability", "Income", "Expense")
POST_OPTIONS = ("Summary", "Detail")
ACCOUNT_FIELDS = ("accountCD", "active", "accountClass", "analysisCode", "currency", "description",
                  "extenalCode1", "externalCode2", "accountGroupCD", "postOption", "publicCode1",
                  "type", "useDefaultSub", "taxCategory")  # fmt: skip


def _account_create(request: HttpRequest, company: Company) -> HttpResponse:
    """`POST /v1/account` (AccountUpdateDto, Account_Post). Chart of accounts (GL202500): the
    account id (`accountCD`, "Mandatory field"), a type (Asset|Liability|Income|Expense) and a
    description of "up to 30 characters"; an account class is optional but must exist (GL202000),
    as must a currency and a VAT category (`taxCategory`)."""
    data = request_dto(request)
    check_wrapping(data)
    unknown = sorted(set(data) - set(ACCOUNT_FIELDS))
    if unknown:
        raise VismaError(f"Unknown field(s) for an account: {', '.join(unknown)}.")
    number = text(wrapped(data, "accountCD"), "accountCD")
    if not number:
        raise VismaError("AccountCD is required.")
    if company.accounts.filter(number=number).exists():
        raise VismaError(f"Account '{number}' already exists.")
    description = text(wrapped(data, "description"), "description")
    if not description:
        raise VismaError("Description is required.")
    if len(description) > 30:
        raise VismaError(f"Description '{description}' is longer than 30 characters.")
    account_type = text(wrapped(data, "type"), "type")
    if account_type not in ACCOUNT_TYPES:
        raise VismaError(f"Type is required: one of {', '.join(ACCOUNT_TYPES)}.")
    account_class = text(wrapped(data, "accountClass"), "accountClass") or ""
    if account_class and not company.account_classes.filter(class_id=account_class).exists():
        raise VismaError(f"Account class '{account_class}' was not found.")
    currency = text(wrapped(data, "currency"), "currency") or ""
    if currency and not company.currencies.filter(code=currency).exists():
        raise VismaError(f"Currency '{currency}' was not found.")
    tax_category = text(wrapped(data, "taxCategory"), "taxCategory") or ""
    if tax_category and not company.vat_categories.filter(category_id=tax_category).exists():
        raise VismaError(f"VAT category '{tax_category}' was not found (taxCategory).")
    post_option = text(wrapped(data, "postOption"), "postOption") or "Summary"
    if post_option not in POST_OPTIONS:
        raise VismaError(f"PostOption '{post_option}' is not one of Summary, Detail.")
    active = bool_value(wrapped(data, "active"), "active")
    use_default_sub = bool_value(wrapped(data, "useDefaultSub"), "useDefaultSub")
    with transaction.atomic():
        Company.objects.select_for_update().get(pk=company.pk)
        last = company.accounts.order_by("-account_id").values_list("account_id", flat=True)
        company.accounts.create(
            account_id=(last.first() or 100) + 1, number=number, description=description,
            type=account_type, active=True if active is None else active,
            account_class=account_class, currency=currency, tax_category=tax_category,
            post_option=post_option, use_default_sub=bool(use_default_sub),
        )  # fmt: skip
    return created(request, f"/v1/account/{number}")


# ---- organisation -------------------------------------------------------------------------------


def _organization_dto(company: Company, *, branches: bool) -> dict[str, Any]:
    """`ExtendedOrganizationDto`: the company the token reaches (one token, one company)."""
    data: dict[str, Any] = {
        "organizationCd": company.organization_cd,
        "name": company.name,
        "organizationType": "WithoutBranches",
        "fileTaxByBranches": False,
        "baseCurrency": company.base_currency,
        "corporateId": company.corporate_id or None,
        "vatRegistrationId": company.vat_registration_id or None,
    }
    if branches:
        data["branches"] = [{"number": b.number, "name": b.name} for b in company.branches.all()]
    return prune(data)


@visma_api("GET")
def organizations(request: HttpRequest, company: Company) -> HttpResponse:
    expand = request.GET.get("expandBranches", "").lower() == "true"
    return json_answer([_organization_dto(company, branches=expand)])


@visma_api("GET")
def organization(request: HttpRequest, company: Company, number: str) -> HttpResponse:
    if number != company.organization_cd:
        raise not_found(f"Organization '{number}'")
    expand = request.GET.get("expandBranches", "").lower() == "true"
    return json_answer(_organization_dto(company, branches=expand))


# ---- dimensions -------------------------------------------------------------------------------


@visma_api("GET")
def dimensions(request: HttpRequest, company: Company) -> HttpResponse:
    return json_answer([d.dimension_id for d in company.dimensions.all()])


def _dimension(company: Company, dimension_id: str) -> Dimension:
    row = company.dimensions.filter(dimension_id=dimension_id).first()
    if row is None:
        raise not_found(f"Dimension '{dimension_id}'")
    return row


@visma_api("GET")
def dimension(request: HttpRequest, company: Company, dimension_id: str) -> HttpResponse:
    with_values = request.GET.get("expandSegmentsValues", "true").lower() != "false"
    return json_answer(
        dto.dimension_dto(_dimension(company, dimension_id), with_values=with_values)
    )


@visma_api("GET")
def dimension_segment(
    request: HttpRequest, company: Company, dimension_id: str, segment_id: int
) -> HttpResponse:
    segment = _dimension(company, dimension_id).segments.filter(segment_id=segment_id).first()
    if segment is None:
        raise not_found(f"Segment {segment_id} of dimension '{dimension_id}'")
    return json_answer(dto.segment_dto(segment))


@visma_api("GET")
def subaccounts(request: HttpRequest, company: Company) -> HttpResponse:
    """Every combination of segment values of the SUBACCOUNT dimension."""
    dim = company.dimensions.filter(dimension_id="SUBACCOUNT").first()
    records: list[dict[str, Any]] = []
    if dim is not None:
        segments = list(dim.segments.prefetch_related("values"))
        keep = modified_filter(request)
        combos = itertools.product(*[list(s.values.all()) for s in segments])
        for index, combo in enumerate(combos, start=1):
            modified = max(v.last_modified for v in combo)
            if keep is not None and not keep(modified):
                continue
            active = all(v.active for v in combo)
            records.append(
                {
                    "subaccountNumber": "-".join(v.value_id for v in combo),
                    "subaccountId": index,
                    "description": " / ".join(v.description for v in combo),
                    "lastModifiedDateTime": dto.dt(modified),
                    "active": active,
                    "segments": [
                        {
                            "segmentId": s.segment_id,
                            "segmentDescription": s.description,
                            "segmentValue": v.value_id,
                            "segmentValueDescription": v.description,
                        }
                        for s, v in zip(segments, combo, strict=True)
                    ],
                }
            )
        raw = request.GET.get("active")
        if raw:
            records = [r for r in records if r["active"] == (raw.lower() == "true")]
    return json_answer(paged(request, records))


# ---- small reference lists --------------------------------------------------------------------


def _list_and_get(
    rows_of: Callable[[Company], Iterable[Any]],
    key: str,
    to_dto: Callable[[Any], dict[str, Any]],
    label: str,
    *,
    modified: bool = False,
) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
    @visma_api("GET")
    def listing(request: HttpRequest, company: Company) -> HttpResponse:
        rows = list(rows_of(company))
        if modified:
            rows = _filtered(request, rows)
        return json_answer([to_dto(r) for r in rows])

    @visma_api("GET")
    def single(request: HttpRequest, company: Company, item_id: str) -> HttpResponse:
        row = next((r for r in rows_of(company) if getattr(r, key) == item_id), None)
        if row is None:
            raise not_found(f"{label} '{item_id}'")
        return json_answer(to_dto(row))

    return listing, single


supplier_classes, supplier_class = _list_and_get(
    lambda c: c.supplier_classes.all(), "class_id", dto.supplier_class_dto, "Supplier class"
)
payment_methods, payment_method = _list_and_get(
    lambda c: c.payment_methods.all(),
    "method_id",
    dto.payment_method_dto,
    "Payment method",
    modified=True,
)
cash_accounts, cash_account = _list_and_get(
    lambda c: c.cash_accounts.all(), "number", dto.cash_account_dto, "Cash account", modified=True
)


branches, branch = _list_and_get(
    lambda c: c.branches.all(), "number", dto.branch_dto, "Branch", modified=True
)
financial_periods, financial_period = _list_and_get(
    lambda c: c.periods.all(), "period_id", dto.financial_period_dto, "Financial period"
)
currencies, currency = _list_and_get(
    lambda c: c.currencies.all(), "code", dto.currency_dto, "Currency"
)


@visma_api("GET")
def credit_terms(request: HttpRequest, company: Company) -> HttpResponse:
    """The one list answered inside a `BasePaginationDto` envelope, as the contract says."""
    rows = _filtered(request, company.credit_terms.all())
    if request.GET.get("termsId"):
        rows = [r for r in rows if r.terms_id == request.GET["termsId"]]
    number, size = page_params(request)
    chunk = rows[(number - 1) * size : number * size]
    return json_answer(
        {
            "pageNumber": number,
            "pageSize": size,
            "totalCount": len(rows),
            "records": [dto.credit_term_dto(t) for t in chunk],
        }
    )


# ---- suppliers --------------------------------------------------------------------------------

SUPPLIER_STATUSES = ("Active", "OnHold", "HoldPayments", "Inactive", "OneTime")
SUPPLIER_PLAIN = ("overrideWithClassValues", "supplierPaymentMethodDetails", "attributeLines")
ADDRESS_FIELDS = ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city", "countryId")


@visma_api("GET", "POST", refusal_500=True)
def suppliers(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method == "POST":
        return _supplier_create(request, company)
    # Filters, count and page in the database; the related lists read once for the page.
    rows = _filtered_qs(request, company.suppliers.order_by("number"))
    for param, attr in (
        ("status", "status"),
        ("vatRegistrationId", "vat_registration_id"),
        ("corporateId", "corporate_id"),
    ):
        if request.GET.get(param):
            rows = rows.filter(**{attr: request.GET[param]})
    if request.GET.get("name"):
        rows = rows.filter(name__icontains=request.GET["name"])
    refs = dto.SupplierRefs.of(company)
    return json_answer(paged(request, rows, shape=lambda s: dto.supplier_dto(s, refs)))


def _etag(s: Supplier) -> str:
    return f'"{s.version}"'


@visma_api("GET", "PUT")
def supplier(request: HttpRequest, company: Company, number: str) -> HttpResponse:
    row = company.suppliers.filter(number=number).first()
    if row is None:
        raise not_found(f"Supplier '{number}'")
    if request.method == "PUT":
        if_match = request.headers.get("If-Match")
        if if_match and if_match not in (_etag(row), "*"):
            raise VismaError("Supplier version does not match with If-Match header.", status=412)
        data = request_dto(request)
        with transaction.atomic():
            _supplier_apply(company, row, data, creating=False)
            row.version = F("version") + 1
            row.last_modified = timezone.now()
            row.save()
        return no_content()
    response = json_answer(dto.supplier_dto(row))
    response["ETag"] = _etag(row)
    return response


def _ref_exists(company: Company, kind: str, value: str) -> bool:
    lookups = {
        "supplierClassId": SupplierClass.objects.filter(company=company, class_id=value),
        "paymentMethodId": PaymentMethod.objects.filter(company=company, method_id=value),
        "creditTermsId": CreditTerm.objects.filter(company=company, terms_id=value),
        "currencyId": Currency.objects.filter(company=company, code=value),
        "vatZoneId": VatZone.objects.filter(company=company, zone_id=value),
        "cashAccount": CashAccount.objects.filter(company=company, number=value),
    }
    return lookups[kind].exists()


_SUPPLIER_FIELDS = {
    "name": "name",
    "status": "status",
    "supplierClassId": "supplier_class_id",
    "paymentMethodId": "payment_method_id",
    "creditTermsId": "credit_terms_id",
    "currencyId": "currency_id",
    "cashAccount": "cash_account",
    "vatRegistrationId": "vat_registration_id",
    "corporateId": "corporate_id",
    "vatZoneId": "vat_zone_id",
    "note": "note",
}


def _supplier_apply(
    company: Company, row: Supplier, data: dict[str, Any], *, creating: bool
) -> None:
    check_wrapping(data, plain=SUPPLIER_PLAIN)
    bool_value(data.get("overrideWithClassValues"), "overrideWithClassValues")
    for field, attr in _SUPPLIER_FIELDS.items():
        value = text(wrapped(data, field), field)
        if value is None:
            continue
        if (
            field
            in (
                "supplierClassId",
                "paymentMethodId",
                "creditTermsId",
                "currencyId",
                "vatZoneId",
                "cashAccount",
            )
            and value
            and not _ref_exists(company, field, value)
        ):
            raise VismaError(f"{field} '{value}' was not found.")
        if field == "status" and value not in SUPPLIER_STATUSES:
            raise VismaError(
                f"Status '{value}' is not valid: use one of {', '.join(SUPPLIER_STATUSES)}."
            )
        setattr(row, attr, value)
    address = wrapped(data, "mainAddress")
    if address is not None:
        if not isinstance(address, dict):
            raise VismaError('mainAddress must be {"value": {…}} with wrapped fields.')
        check_wrapping(address, where="mainAddress")
        merged = dict(row.main_address or {})
        for field in ADDRESS_FIELDS:
            value = text(wrapped(address, field, where="mainAddress"), field, where="mainAddress")
            if value is not None:
                merged[field] = value
        row.main_address = merged
    if not row.name:
        raise VismaError("Name is required.")
    if not row.supplier_class_id:
        raise VismaError("SupplierClassId is required.")


def _next_supplier_number(company: Company) -> int:
    """Auto-numbering: one above the highest numeric supplier number (a number series).
    Numbers without leading zeros sort by length, then text, so the database finds the
    highest through the (company, number) index instead of reading every supplier."""
    numbers = company.suppliers.annotate(size=Length("number")).order_by("-size", "-number")
    for number in numbers.values_list("number", flat=True)[:50]:
        if number.isdigit():
            return int(number) + 1
    digits = [int(n) for n in company.suppliers.values_list("number", flat=True) if n.isdigit()]
    return max(digits, default=10000) + 1


def _supplier_create(request: HttpRequest, company: Company) -> HttpResponse:
    """`POST /v1/supplier` (SupplierUpdateDto, Supplier_Post → 201, the number in Location; a
    refusal is "BadRequest or InternalServerError"). A name and a supplier class are required
    (Suppliers window AP303000: the class supplies the defaults, e.g. the payment method);
    every reference (class, payment method, credit terms, currency, VAT zone, cash account) must
    exist; without `number` the next number of the series is given (notes §2, "Omit number to
    get auto-numbering")."""
    data = request_dto(request)
    with transaction.atomic():
        # Taking the internal id holds the company's row until commit, so the number given
        # next and the check that a number is free see no other supplier being created.
        row = Supplier(
            company=company, internal_id=company.number_take("next_internal_id"), number=""
        )
        _supplier_apply(company, row, data, creating=True)
        number = text(wrapped(data, "number"), "number")
        if number:
            if company.suppliers.filter(number=number).exists():
                raise VismaError(f"Supplier '{number}' already exists.")
        else:
            number = str(_next_supplier_number(company))
        row.number = number
        if not row.status:
            row.status = "Active"
        klass = SupplierClass.objects.filter(
            company=company, class_id=row.supplier_class_id
        ).first()
        if klass and not row.payment_method_id:
            row.payment_method_id = klass.payment_method_id
        row.save()
    return created(request, f"/v1/supplier/{number}")
