"""Chart of accounts and tax codes of the Pleo sandbox.

Reference: ../shared/specs/pleo/pleo-accounts-api-openapi.yml (`/v1/chart-of-accounts…`)
and pleo-tax-codes-api-openapi.yml (`/v0/tax-codes…`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.pleo.api import (
    ApiError,
    body_object,
    check_company,
    check_length,
    check_type,
    methods,
    no_content,
    paginate,
    parse_uuid,
    pleo_api,
    require,
    respond,
)
from integrations.sandbox.pleo.models import ChartAccount, Company, TaxCode
from integrations.sandbox.pleo.shapes import account_shape, tax_code_shape

BATCH_LIMIT = 1000
ACCOUNT_NOT_FOUND = ("ACCOUNT_NOT_FOUND", "Account not found.")
TAX_CODE_NOT_FOUND = ("TAX_CODE_NOT_FOUND", "Tax code not found.")


def _account_fields(data: dict[str, Any]) -> dict[str, Any]:
    require(data, "name", "archived")
    check_type(data, "archived", bool)
    for field in ("name", "code", "taxCodeExternalId"):
        check_type(data, field, str)
    check_type(data, "metadata", dict)
    check_length(data, "name", 255)
    check_length(data, "code", 255)
    return {
        "name": data["name"],
        "code": data.get("code"),
        "archived": data["archived"],
        "metadata": data.get("metadata"),
        "tax_code_external_id": data.get("taxCodeExternalId"),
    }


def _account_for(company: Company, account_id: str) -> ChartAccount:
    key = parse_uuid(account_id, not_found=ACCOUNT_NOT_FOUND)
    try:
        return ChartAccount.objects.get(pk=key, company=company)
    except ChartAccount.DoesNotExist as exc:
        raise ApiError(404, *ACCOUNT_NOT_FOUND) from exc


@pleo_api
def chart_accounts_create(request: HttpRequest, company: Company) -> HttpResponse:
    """201 created; 200 when an identical account exists; 409 when the externalId is taken."""
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    require(data, "companyId", "externalId")
    check_company(company, data["companyId"])
    check_type(data, "externalId", str)
    check_length(data, "externalId", 255, minimum=1)
    fields = _account_fields(data)
    existing = ChartAccount.objects.filter(company=company, external_id=data["externalId"]).first()
    if existing is not None:
        same = all(getattr(existing, k) == v for k, v in fields.items())
        if same:
            return respond({"data": account_shape(existing)}, status=200)
        raise ApiError(409, "CONFLICT", "An account with the same externalId already exists.")
    account = ChartAccount.objects.create(company=company, external_id=data["externalId"], **fields)
    return respond({"data": account_shape(account)}, status=201)


def _batch_reasons(company: Company, item: Any, taken: set[str]) -> list[str]:
    if not isinstance(item, dict):
        return ["OTHER"]
    reasons: list[str] = []
    external_id = item.get("externalId")
    name = item.get("name")
    if not isinstance(external_id, str) or not external_id:
        reasons.append("EXTERNAL_ID_EMPTY")
    elif len(external_id) > 255:
        reasons.append("EXTERNAL_ID_TOO_LONG")
    elif external_id in taken:
        reasons.append("EXTERNAL_ID_ALREADY_EXISTS")
    if not isinstance(name, str) or not name:
        reasons.append("NAME_EMPTY")
    elif len(name) > 255:
        reasons.append("NAME_TOO_LONG")
    code = item.get("code")
    if isinstance(code, str) and len(code) > 255:
        reasons.append("CODE_TOO_LONG")
    if not isinstance(item.get("archived"), bool):
        reasons.append("OTHER")
    return reasons


@pleo_api
def chart_accounts_batch(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    require(data, "companyId", "items")
    check_company(company, data["companyId"])
    items = data["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= BATCH_LIMIT:
        raise ApiError(
            400, "VALIDATION_FAILED", f"items must hold between 1 and {BATCH_LIMIT} accounts."
        )
    taken = set(ChartAccount.objects.filter(company=company).values_list("external_id", flat=True))
    created: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for item in items:
        reasons = _batch_reasons(company, item, taken)
        if reasons:
            failed.append({"reasons": reasons, "request": item})
            continue
        account = ChartAccount.objects.create(
            company=company,
            external_id=item["externalId"],
            name=item["name"],
            code=item.get("code"),
            archived=item["archived"],
            metadata=item.get("metadata"),
            tax_code_external_id=item.get("taxCodeExternalId"),
        )
        taken.add(account.external_id)
        created.append(account_shape(account))
    return respond({"data": {"created": created, "failed": failed}}, status=201)


def _account_get(request: HttpRequest, company: Company, account_id: str) -> HttpResponse:
    return respond({"data": account_shape(_account_for(company, account_id))})


def _account_put(request: HttpRequest, company: Company, account_id: str) -> HttpResponse:
    account = _account_for(company, account_id)
    # externalId cannot change: the update request has no such field.
    for key, value in _account_fields(body_object(request)).items():
        setattr(account, key, value)
    account.save()
    return respond({"data": account_shape(account)})


def _account_delete(request: HttpRequest, company: Company, account_id: str) -> HttpResponse:
    account = _account_for(company, account_id)
    if account.in_use:
        raise ApiError(
            409, "ACCOUNT_IN_USE", "Account linked to accounting entries: archive it instead."
        )
    account.delete()
    return no_content()


chart_account_detail = pleo_api(methods(get=_account_get, put=_account_put, delete=_account_delete))


@pleo_api
def chart_accounts_search(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    require(data, "companyId")
    check_company(company, data["companyId"])
    rows = ChartAccount.objects.filter(company=company)
    if data.get("archived") is not None:
        rows = rows.filter(archived=bool(data["archived"]))
    codes = list(data.get("codes") or []) + ([data["code"]] if data.get("code") else [])
    if codes:
        rows = rows.filter(code__in=codes)
    if data.get("externalId"):
        rows = rows.filter(external_id=data["externalId"])
    if data.get("ids"):
        ids = []
        for value in data["ids"]:
            try:
                ids.append(UUID(str(value)))
            except ValueError:
                continue
        rows = rows.filter(pk__in=ids)
    if data.get("name"):
        rows = rows.filter(name__icontains=data["name"])
    return respond(paginate(request, rows, account_shape))


# ---- tax codes -----------------------------------------------------------------------------


def _tax_fields(data: dict[str, Any]) -> dict[str, Any]:
    require(data, "name", "rate", "type", "archived")
    check_type(data, "archived", bool)
    check_type(data, "rate", (int, float))
    for field in ("name", "code", "ingoingTaxAccount", "outgoingTaxAccount"):
        check_type(data, field, str)
    if data["type"] not in TaxCode.Type.values:
        raise ApiError(400, "VALIDATION_FAILED", "type must be inclusive, exclusive or reverse.")
    try:
        rate = Decimal(str(data["rate"]))
    except InvalidOperation as exc:
        raise ApiError(400, "VALIDATION_FAILED", "rate must be a number.") from exc
    return {
        "name": data["name"],
        "code": data.get("code"),
        "rate": rate,
        "type": data["type"],
        "archived": data["archived"],
        "ingoing_tax_account": data.get("ingoingTaxAccount"),
        "outgoing_tax_account": data.get("outgoingTaxAccount"),
    }


def _tax_code_for(company: Company, tax_code_id: str) -> TaxCode:
    key = parse_uuid(tax_code_id, not_found=TAX_CODE_NOT_FOUND)
    try:
        return TaxCode.objects.get(pk=key, company=company)
    except TaxCode.DoesNotExist as exc:
        raise ApiError(404, *TAX_CODE_NOT_FOUND) from exc


@pleo_api
def tax_codes_create(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    require(data, "companyId")
    check_company(company, data["companyId"])
    tax_code = TaxCode.objects.create(company=company, **_tax_fields(data))
    tax_code.refresh_from_db()
    return respond({"data": tax_code_shape(tax_code)}, status=201)


def _tax_get(request: HttpRequest, company: Company, tax_code_id: str) -> HttpResponse:
    return respond({"data": tax_code_shape(_tax_code_for(company, tax_code_id))})


def _tax_put(request: HttpRequest, company: Company, tax_code_id: str) -> HttpResponse:
    tax_code = _tax_code_for(company, tax_code_id)
    data = body_object(request)
    check_company(company, data.get("companyId"))
    for key, value in _tax_fields(data).items():
        setattr(tax_code, key, value)
    tax_code.save()
    tax_code.refresh_from_db()
    return respond({"data": tax_code_shape(tax_code)})


def _tax_delete(request: HttpRequest, company: Company, tax_code_id: str) -> HttpResponse:
    _tax_code_for(company, tax_code_id).delete()
    return no_content()


tax_code_detail = pleo_api(methods(get=_tax_get, put=_tax_put, delete=_tax_delete))


@pleo_api
def tax_codes_search(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    check_company(company, request.GET.get("company_id"))
    data = body_object(request) if request.body else {}
    rows = TaxCode.objects.filter(company=company)
    if data.get("archived") is not None:
        rows = rows.filter(archived=bool(data["archived"]))
    if data.get("code"):
        rows = rows.filter(code=data["code"])
    if data.get("type"):
        rows = rows.filter(type=data["type"])
    if data.get("taxCodeIds"):
        ids = []
        for value in data["taxCodeIds"]:
            try:
                ids.append(UUID(str(value)))
            except ValueError:
                continue
        rows = rows.filter(pk__in=ids)
    return respond(paginate(request, rows, tax_code_shape))
