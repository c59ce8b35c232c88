"""Every request the Pleo client sends, and every canned answer its tests rely on, checked
against Pleo's published OpenAPI contracts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import responses

from integrations.pleo.client import PleoClient
from integrations.pleo.types import ItemUpdate
from tests.contract.openapi import requires_specs, validate_prepared_request, validate_response
from tests.pleo.pleo_fixtures import (
    API,
    COMPANY,
    ENTRY,
    EXPORT_JOB,
    JOB,
    export_item,
    make_client,
    page,
)

pytestmark = [requires_specs, pytest.mark.django_db]

STAMP = "2025-01-01T00:00:00Z"
ACCOUNT_ID = "11111111-2222-4333-8444-555555555501"
TAX_ID = "11111111-2222-4333-8444-555555555502"
GROUP_ID = "11111111-2222-4333-8444-555555555503"
TAG_ID = "11111111-2222-4333-8444-555555555504"
VENDOR_ID = "11111111-2222-4333-8444-555555555505"
SUB_ID = "11111111-2222-4333-8444-555555555506"
IMPORT_ID = "11111111-2222-4333-8444-555555555507"
IMPORTS = "/v1/vendors/csv-import/jobs"

ACCOUNT = {
    "id": ACCOUNT_ID,
    "companyId": COMPANY,
    "externalId": "6800",
    "name": "Office supplies",
    "archived": False,
    "code": "6800",
    "taxCodeExternalId": "1",
}
TAX_CODE = {
    "id": TAX_ID,
    "companyId": COMPANY,
    "name": "Input VAT 25%",
    "code": "1",
    "rate": 0.25,
    "type": "inclusive",
    "archived": False,
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
TAG_GROUP = {
    "id": GROUP_ID,
    "companyId": COMPANY,
    "code": "DEPT",
    "name": "Department",
    "archived": False,
    "metadata": {},
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
TAG = {
    "id": TAG_ID,
    "groupId": GROUP_ID,
    "code": "ENG",
    "name": "Engineering",
    "archived": False,
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
VENDOR = {
    "id": VENDOR_ID,
    "companyId": COMPANY,
    "name": "Acme AS",
    "defaultCurrency": "NOK",
    "state": "ACTIVE",
    "externalId": "20045",
    "code": "20045",
    "country": "NO",
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
SUBSCRIPTION = {
    "id": SUB_ID,
    "endpointUrl": "https://app.example/api/pleo/webhooks/",
    "eventTypes": ["v1.export-job.created"],
    "status": "ACTIVE",
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
IMPORT_JOB = {
    "id": IMPORT_ID,
    "companyId": COMPANY,
    "type": "vendors",
    "status": "COMPLETED",
    "originalFilename": "vendors.csv",
    "rowsTotal": 2,
    "rowsSucceeded": 1,
    "rowsFailed": 1,
    "rowsSkipped": 0,
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
ROW_ERROR = {
    "id": "11111111-2222-4333-8444-555555555508",
    "csvImportJobId": IMPORT_ID,
    "rowNumber": 3,
    "errorCode": "VALIDATION_FAILED",
    "errorMessage": "defaultCurrency must be an ISO 4217 code.",
    "rawData": '"81002","81002","Supplier 81002","EURO"',
    "createdAt": STAMP,
}
JOB_ITEM = {
    "accountingEntryId": ENTRY,
    "exportJobId": JOB,
    "status": "successful",
    "externalId": "GL000123",
}

Call = Callable[[PleoClient], object]

# Pleo's specs write date formats where a regex belongs (`pattern: YYYY-MM-DDTHH:mi:ssZ`,
# `yyyy-MM-dd'T'HH:mm:ss'Z'`, `YYYY-MM-DD`): read as a regex no real date-time matches, so a
# complaint about those patterns alone is the spec's defect, not ours. Every other complaint fails.
_PSEUDO_PATTERN = re.compile(r"does not match '(YYYY|yyyy)-")


def checked(validate: Callable[[], None]) -> None:
    try:
        validate()
    except AssertionError as exc:
        complaints = [line for line in str(exc).splitlines() if line.startswith("  - ")]
        if not complaints or not all(_PSEUDO_PATTERN.search(line) for line in complaints):
            raise


def test_only_the_pseudo_pattern_complaint_is_forgiven() -> None:
    with pytest.raises(AssertionError, match="isInteractive"):
        checked(
            lambda: validate_response(
                "pleo",
                method="GET",
                path=f"/v3/export-jobs/{JOB}",
                status=200,
                body={"data": {**EXPORT_JOB, "isInteractive": "yes"}},
                content_type="application/json;charset=UTF-8",
            )
        )


# (method, path, status, canned answer or None, what the client does)
CASES: list[tuple[str, str, str, int, Any, Call]] = [
    ("export_jobs_list", "GET", "/v3/export-jobs", 200, page([EXPORT_JOB]),
     lambda c: c.export_jobs_list(statuses=("pending",))),
    ("export_job_get", "GET", f"/v3/export-jobs/{JOB}", 200, {"data": EXPORT_JOB},
     lambda c: c.export_job_get(JOB)),
    ("export_job_create", "POST", "/v3/export-jobs", 201, {"data": EXPORT_JOB},
     lambda c: c.export_job_create([ENTRY])),
    ("export_job_event started", "POST", "/v3/export-job-events", 202, None,
     lambda c: c.export_job_event(JOB, "started")),
    ("export_job_event failed", "POST", "/v3/export-job-events", 202, None,
     lambda c: c.export_job_event(JOB, "failed", failure_reason="Visma.net is down",
                                  failure_reason_type="accounting_system_unreachable")),
    ("export_items_iter", "GET", "/v3/export-items", 200, page([export_item()]),
     lambda c: list(c.export_items_iter(JOB))),
    ("export_job_items_list", "GET", f"/v3/export-jobs/{JOB}/items", 200, page([JOB_ITEM]),
     lambda c: c.export_job_items_list(JOB, status="failed")),
    ("export_items_update", "PUT", f"/v3/export-jobs/{JOB}/items", 200,
     {"data": [JOB_ITEM], "errors": [{"accountingEntryId": ENTRY, "message": "gone", "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST"}]},
     lambda c: c.export_items_update(JOB, [
         ItemUpdate(ENTRY, "successful", external_id="GL000123", external_url="https://erp.example/GL000123",
                    exported_at=__import__("datetime").datetime(2025, 12, 10, 16, 0, tzinfo=__import__("datetime").UTC)),
         ItemUpdate(ENTRY, "failed", failure_reason_type="account_unknown", failure_reason="No account 6800"),
     ])),
    ("chart_accounts_search", "POST", "/v1/chart-of-accounts:search", 200, page([ACCOUNT]),
     lambda c: c.chart_accounts_search(archived=False)),
    ("chart_account_get", "GET", f"/v1/chart-of-accounts/{ACCOUNT_ID}", 200, {"data": ACCOUNT},
     lambda c: c.chart_account_get(ACCOUNT_ID)),
    ("chart_account_create", "POST", "/v1/chart-of-accounts", 201, {"data": ACCOUNT},
     lambda c: c.chart_account_create(external_id="6800", name="Office supplies", code="6800",
                                      archived=False, tax_code_external_id="1")),
    ("chart_accounts_create_batch", "POST", "/v1/chart-of-accounts/batch", 201,
     {"data": {"created": [ACCOUNT], "failed": [{"reasons": ["EXTERNAL_ID_ALREADY_EXISTS"], "request": {"externalId": "6900", "name": "Travel", "archived": False}}]}},
     lambda c: c.chart_accounts_create_batch([{"external_id": "6800", "name": "Office supplies", "code": "6800", "archived": False}])),
    ("chart_account_update", "PUT", f"/v1/chart-of-accounts/{ACCOUNT_ID}", 200, {"data": ACCOUNT},
     lambda c: c.chart_account_update(ACCOUNT_ID, name="Office supplies", code=None, archived=True,
                                      tax_code_external_id=None)),
    ("tax_codes_search", "POST", "/v0/tax-codes:search", 200, page([TAX_CODE]),
     lambda c: c.tax_codes_search(archived=False)),
    ("tax_code_create", "POST", "/v0/tax-codes", 200, {"data": TAX_CODE},
     lambda c: c.tax_code_create(name="Input VAT 25%", rate=Decimal("0.25"), type="inclusive", code="1")),
    ("tax_code_update", "PUT", f"/v0/tax-codes/{TAX_ID}", 200, {"data": TAX_CODE},
     lambda c: c.tax_code_update(TAX_ID, name="EU services", rate=Decimal("0.25"), type="reverse",
                                 archived=False, ingoing_tax_account="2710", outgoing_tax_account="2700")),
    ("tag_groups_list", "GET", "/v0/tag-groups", 200, {"data": [TAG_GROUP]},
     lambda c: c.tag_groups_list(include_archived=True)),
    ("tag_group_create", "POST", "/v0/tag-groups", 200, {"data": TAG_GROUP},
     lambda c: c.tag_group_create(code="DEPT", name="Department")),
    ("tag_group_update", "PUT", f"/v0/tag-groups/{GROUP_ID}", 200, {"data": TAG_GROUP},
     lambda c: c.tag_group_update(GROUP_ID, code="DEPT", name="Department", archived=True)),
    ("tags_list", "GET", f"/v0/tag-groups/{GROUP_ID}/tags", 200, page([TAG]),
     lambda c: c.tags_list(GROUP_ID, include_archived=False)),
    ("tag_create", "POST", f"/v0/tag-groups/{GROUP_ID}/tags", 201, {"data": TAG},
     lambda c: c.tag_create(GROUP_ID, code="ENG", name="Engineering")),
    ("tag_update", "PUT", f"/v0/tags/{TAG_ID}", 200, {"data": TAG},
     lambda c: c.tag_update(TAG_ID, code="ENG", name=None, archived=True)),
    ("vendors_search", "POST", "/v1/vendors:search", 200, page([VENDOR]),
     lambda c: c.vendors_search(external_ids=["20045"], codes=["20045"], tax_registration_numbers=["NO999"],
                                states=["ACTIVE", "DRAFT"], name="Acme")),
    ("vendor_get", "GET", f"/v1/vendors/{VENDOR_ID}", 200, {"data": VENDOR},
     lambda c: c.vendor_get(VENDOR_ID)),
    ("vendor_create", "POST", "/v1/vendors", 201, {"data": VENDOR},
     lambda c: c.vendor_create(name="Acme AS", default_currency="NOK", code="20045", external_id="20045",
                               country="NO", registration_number="999999999", tax_registration_number="NO999999999MVA")),
    ("vendor_update", "PUT", f"/v1/vendors/{VENDOR_ID}", 200, {"data": VENDOR},
     lambda c: c.vendor_update(VENDOR_ID, name="Acme AS", default_currency="NOK", external_id="20045",
                               state="ACTIVE", country="NO")),
    ("vendor_activate", "POST", f"/v1/vendors/{VENDOR_ID}:activate", 204, None,
     lambda c: c.vendor_activate(VENDOR_ID, external_id="20045", code="20045")),
    ("vendor_archive", "POST", f"/v1/vendors/{VENDOR_ID}:archive", 204, None,
     lambda c: c.vendor_archive(VENDOR_ID)),
    ("vendor_import_job_create", "POST", IMPORTS, 201,
     {"data": {**IMPORT_JOB, "status": "UPLOAD_INITIATED"}},
     lambda c: c.vendor_import_job_create(filename="vendors.csv")),
    ("vendor_import_upload_url", "POST", f"{IMPORTS}/{IMPORT_ID}:get-presigned-url", 200,
     {"data": {"presignedUrl": "https://uploads.example/vendors.csv?signature=x"}},
     lambda c: c.vendor_import_upload_url(IMPORT_ID)),
    ("vendor_import_run", "POST", f"{IMPORTS}/{IMPORT_ID}:run", 200,
     {"data": {**IMPORT_JOB, "status": "QUEUED"}}, lambda c: c.vendor_import_run(IMPORT_ID)),
    ("vendor_import_job_get", "GET", f"{IMPORTS}/{IMPORT_ID}", 200, {"data": IMPORT_JOB},
     lambda c: c.vendor_import_job_get(IMPORT_ID)),
    ("vendor_import_errors", "GET", f"{IMPORTS}/{IMPORT_ID}/errors", 200, page([ROW_ERROR]),
     lambda c: c.vendor_import_errors(IMPORT_ID)),
    ("subscriptions_list", "GET", "/v1/subscriptions", 200, page([SUBSCRIPTION]),
     lambda c: c.subscriptions_list()),
    ("subscription_create", "POST", "/v1/subscriptions", 200, {"data": SUBSCRIPTION},
     lambda c: c.subscription_create(endpoint_url="https://app.example/api/pleo/webhooks/",
                                     event_types=["v1.export-job.created", "v1.vendor.created"])),
    ("subscription_delete", "DELETE", f"/v1/subscriptions/{SUB_ID}", 204, None,
     lambda c: c.subscription_delete(SUB_ID)),
    ("subscription_secret", "GET", f"/v1/subscriptions/{SUB_ID}/secret", 200,
     {"data": {"secretKey": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"}},
     lambda c: c.subscription_secret(SUB_ID)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "status", "answer", "action"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@responses.activate
def test_request_and_canned_answer_match_the_spec(
    method: str, path: str, status: int, answer: Any, action: Call
) -> None:
    content_type = "application/json;charset=UTF-8"
    if answer is None:
        responses.add(method, f"{API}{path}", status=status)
    else:
        responses.add(method, f"{API}{path}", status=status, json=answer, content_type=content_type)

    action(make_client())

    assert responses.calls, "the client sent nothing"
    for call in responses.calls:
        checked(lambda: validate_prepared_request("pleo", call.request))  # noqa: B023
    if answer is not None:
        checked(
            lambda: validate_response(
                "pleo",
                method=method,
                path=path,
                status=status,
                body=answer,
                content_type=content_type,
            )
        )


def test_every_public_client_method_has_a_contract_case() -> None:
    covered = {case[0].split(" ")[0] for case in CASES}
    public = {
        name
        for name in dir(PleoClient)
        if not name.startswith("_")
        and "_" in name
        and callable(getattr(PleoClient, name))
        and name.split("_")[0]
        in {
            "export",
            "chart",
            "tax",
            "tag",
            "tags",
            "vendor",
            "vendors",
            "subscription",
            "subscriptions",
        }
    }
    assert public - covered == set()


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        (
            "GET",
            f"/v3/export-jobs/{JOB}",
            404,
            {"type": "EXPORT_NOT_FOUND", "message": "Export job not found"},
        ),
        (
            "POST",
            "/v3/export-job-events",
            422,
            {"type": "INVALID_EXPORT_JOB_STATUS_CHANGE", "message": "x"},
        ),
        (
            "PUT",
            f"/v3/export-jobs/{JOB}/items",
            413,
            {"type": "EXPORT_JOB_ITEMS_UPDATE_LIMIT", "message": "x"},
        ),
        ("GET", "/v3/export-items", 400, {"type": "MISSING_CONTRA_ACCOUNTS", "message": "x"}),
    ],
)
def test_canned_error_bodies_match_the_spec(method: str, path: str, status: int, body: Any) -> None:
    validate_response(
        "pleo",
        method=method,
        path=path,
        status=status,
        body=body,
        content_type="application/json;charset=UTF-8",
    )


def test_the_validator_would_catch_a_wrong_item_update() -> None:
    with pytest.raises(AssertionError):
        validate_response(
            "pleo",
            method="GET",
            path="/v3/export-items",
            status=200,
            body={
                "data": [{"accountingEntryId": ENTRY}],
                "pagination": json.loads(json.dumps(page([])["pagination"])),
            },
            content_type="application/json;charset=UTF-8",
        )
