"""Vendor CSV import jobs (external-vendors spec: create, presigned upload, run, status,
errors); the imported vendors appear in the vendor list."""

from __future__ import annotations

from typing import Any

from django.test import Client

from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID
from tests.sandbox.pleo.conftest import Api, control

JOBS = "/v1/vendors/csv-import/jobs"


def _upload(api: Api, content: bytes, filename: str = "vendors.csv", **extra: Any) -> str:
    created = api.post(
        JOBS,
        {"companyId": DEMO_COMPANY_ID, "originalFilename": filename, "type": "vendors", **extra},
    )
    assert created.status_code == 201, created.content
    job = created.json()["data"]
    assert job["status"] == "UPLOAD_INITIATED"
    url = api.post(f"{JOBS}/{job['id']}:get-presigned-url").json()["data"]["presignedUrl"]
    stored = api.client.put(url, content, content_type="text/csv")
    assert stored.status_code == 200 and stored["ETag"]
    return str(job["id"])


def _settled(api: Api, job_id: str) -> dict[str, Any]:
    for _ in range(5):
        job: dict[str, Any] = api.get(f"{JOBS}/{job_id}").json()["data"]
        if job["status"] in ("COMPLETED", "FAILED"):
            return job
    raise AssertionError("the import never finished")


CSV = (
    "name;defaultCurrency;externalId;code;country;taxRegistrationNumber\n"
    "Kontorland AS;NOK;70001;70001;NO;NO999888777MVA\n"
    "\n"
    "Fjellbakeriet AS;NOK;70002;70002;NO;\n"
    "No Currency AS;;70003;70003;NO;\n"
    "Müller GmbH;EUR;70004;70004;Germany;\n"
).encode()


def test_an_import_creates_the_vendors_and_reports_refused_rows(api: Api) -> None:
    job_id = _upload(api, CSV)
    ready = api.get(f"{JOBS}/{job_id}").json()["data"]
    assert ready["status"] == "READY_FOR_IMPORT"
    assert ready["columnNames"][:3] == ["name", "defaultCurrency", "externalId"]
    assert ready["rowsTotal"] == 4
    assert ready["s3Key"].endswith(f"{job_id}.csv")

    run = api.post(f"{JOBS}/{job_id}:run")
    assert (run.status_code, run.json()["data"]["status"]) == (200, "QUEUED")
    # The import runs in the background: the first read still sees it working.
    assert api.get(f"{JOBS}/{job_id}").json()["data"]["status"] == "PROCESSING"
    done = _settled(api, job_id)
    assert done["status"] == "COMPLETED"
    assert (done["rowsTotal"], done["rowsSucceeded"], done["rowsFailed"]) == (4, 2, 2)

    errors = api.get(f"{JOBS}/{job_id}/errors").json()
    assert [(e["rowNumber"], e["errorCode"]) for e in errors["data"]] == [
        (5, "VALIDATION_FAILED"),
        (6, "VALIDATION_FAILED"),
    ]
    assert errors["data"][1]["rawData"].startswith('"Müller GmbH","EUR","70004"')
    assert errors["pagination"]["total"] == 2

    listed = api.post(f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}", {}).json()["data"]
    imported = {v["externalId"]: v for v in listed}
    assert set(imported) == {"70001", "70002"}
    assert imported["70001"]["state"] == "ACTIVE"
    assert imported["70001"]["taxRegistrationNumber"] == "NO999888777MVA"

    again = api.post(f"{JOBS}/{job_id}:run")
    assert (again.status_code, again.json()["type"]) == (409, "INVALID_STATUS_TRANSITION")


def test_known_external_ids_are_refused_or_updated_per_switch(api: Api, client: Client) -> None:
    first = _upload(api, b"name,defaultCurrency,externalId\nAcme AS,NOK,80001\n")
    api.post(f"{JOBS}/{first}:run")
    assert _settled(api, first)["rowsSucceeded"] == 1

    renamed = b"name,defaultCurrency,externalId\nAcme Norge AS,NOK,80001\nNew AS,NOK,80002\n"
    refused = _upload(api, renamed)
    api.post(f"{JOBS}/{refused}:run")
    assert _settled(api, refused)["rowsFailed"] == 1
    codes = [e["errorCode"] for e in api.get(f"{JOBS}/{refused}/errors").json()["data"]]
    assert codes == ["VENDOR_ALREADY_EXISTS"]

    assert control(client, "vendor-imports", {"existing": "update", "reads": 0}).json() == {
        "reads": 0,
        "existing": "update",
    }
    updated = _upload(api, renamed)
    assert api.post(f"{JOBS}/{updated}:run").json()["data"]["status"] == "QUEUED"
    done = _settled(api, updated)
    assert (done["rowsSucceeded"], done["rowsSkipped"], done["rowsFailed"]) == (1, 1, 0)
    names = {
        v["externalId"]: v["name"]
        for v in api.post(f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}", {}).json()["data"]
    }
    assert names == {"80001": "Acme Norge AS", "80002": "New AS"}


def test_unreadable_files_fail_the_job_with_the_documented_codes(api: Api) -> None:
    cases = {
        ("vendors.xlsx", b"name\nA\n"): "FILE_EXTENSION_NOT_SUPPORTED",
        ("vendors.csv", b""): "FILE_TOO_SMALL",
        ("vendors.csv", b"\xff\xfe\x00bad"): "INVALID_FILE_FORMAT",
        ("vendors.csv", b"supplier,currency\nA,NOK\n"): "INVALID_FILE_FORMAT",
    }
    for (filename, content), code in cases.items():
        job = api.get(f"{JOBS}/{_upload(api, content, filename)}").json()["data"]
        assert (job["status"], job["errorCode"]) == ("FAILED", code), filename
        assert job["errorMessage"]


def test_csv_format_search_metadata_and_refusals(api: Api) -> None:
    fmt = {
        "delimiter": "|",
        "quoteCharacter": '"',
        "recordSeparator": "\n",
        "ignoreEmptyLines": True,
        "skipHeaderRecord": True,
    }
    job_id = _upload(api, b"name|defaultCurrency\nPipe AS|SEK\n", csvFormat=fmt)
    merged = api.send(
        "PUT", f"{JOBS}/{job_id}/metadata", {"metadata": {"source": {}}, "strategy": "MERGE"}
    )
    assert merged.json()["data"]["metadata"] == {"source": {}}
    api.post(f"{JOBS}/{job_id}:run")
    done = _settled(api, job_id)
    assert (done["status"], done["rowsSucceeded"], done["csvFormat"]["delimiter"]) == (
        "COMPLETED",
        1,
        "|",
    )
    drafts = api.post(
        f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}", {"states": ["DRAFT"]}
    ).json()["data"]
    assert [(v["name"], v["defaultCurrency"]) for v in drafts] == [("Pipe AS", "SEK")]
    found = api.post(
        f"{JOBS}:search?company_id={DEMO_COMPANY_ID}", {"statuses": ["COMPLETED"]}
    ).json()
    assert [j["id"] for j in found["data"]] == [job_id]

    missing = api.get(f"{JOBS}/00000000-0000-4000-8000-000000000000")
    assert (missing.status_code, missing.json()["type"]) == (404, "IMPORT_JOB_NOT_FOUND")
    bad = api.post(JOBS, {"companyId": DEMO_COMPANY_ID, "type": "vendors"})
    assert (bad.status_code, bad.json()["type"]) == (400, "VALIDATION_FAILED")
    not_uploaded = api.post(
        JOBS, {"companyId": DEMO_COMPANY_ID, "originalFilename": "v.csv", "type": "vendors"}
    ).json()["data"]
    refused = api.post(f"{JOBS}/{not_uploaded['id']}:run")
    assert (refused.status_code, refused.json()["type"]) == (409, "INVALID_STATUS_TRANSITION")
    expired = api.client.put(
        f"/sandbox/pleo/csv-uploads/{not_uploaded['id']}?expires=1&signature=x", b"name\n"
    )
    assert expired.status_code == 403


def test_values_outside_the_spec_enums_and_ids_that_are_no_uuid_are_refused(api: Api) -> None:
    # getCsvImportJobV1 / getCsvImportJobErrorsV1: a jobId that is no UUID is a 400.
    for path in (f"{JOBS}/not-a-uuid", f"{JOBS}/not-a-uuid/errors"):
        answer = api.get(path)
        assert (answer.status_code, answer.json()["type"]) == (400, "PARAMETER_VALIDATION_FAILED")
    job = api.post(
        JOBS, {"companyId": DEMO_COMPANY_ID, "originalFilename": "v.csv", "type": "vendors"}
    ).json()["data"]
    # updateCsvImportJobStatusV1: errorType must be a CsvImportErrorTypeV1 value.
    wrong = api.send("PUT", f"{JOBS}/{job['id']}/status", {"status": "FAILED", "errorType": "OOPS"})
    assert (wrong.status_code, wrong.json()["type"]) == (400, "JSON_MAPPING_EXCEPTION")
    failed = api.send(
        "PUT", f"{JOBS}/{job['id']}/status", {"status": "FAILED", "errorType": "FILE_TOO_LARGE"}
    )
    assert failed.json()["data"]["errorCode"] == "FILE_TOO_LARGE"
    # searchCsvImportJobsV1: statuses must be CsvImportJobStatusV1 values.
    search = f"{JOBS}:search?company_id={DEMO_COMPANY_ID}"
    unknown = api.post(search, {"statuses": ["DONE"]})
    assert (unknown.status_code, unknown.json()["type"]) == (400, "VALIDATION_FAILED")
    assert [j["id"] for j in api.post(search, {"statuses": ["FAILED"]}).json()["data"]] == [
        job["id"]
    ]
