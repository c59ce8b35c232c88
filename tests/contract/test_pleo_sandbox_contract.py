"""The Pleo sandbox answers every endpoint in the shapes Pleo publishes.

Each call goes through the sandbox's URLs with the Django test client; each answer (successes
and the documented errors) is validated against the official specs.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.test import Client

from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID, pleo_seed
from tests.contract.openapi import requires_specs, validate_response
from tests.sandbox.pleo.conftest import Api, control, export_item, obtain_tokens

pytestmark = [requires_specs]
NO_SUCH = "00000000-0000-4000-8000-000000000000"


# Pleo's specs write date formats where a regex belongs (`pattern: YYYY-MM-DDTHH:mi:ssZ`): no
# real date-time matches that regex, so complaints about those patterns alone are the spec's
# defect. Every other complaint fails the test.
_PSEUDO_PATTERN = re.compile(r"does not match '(YYYY|yyyy)-")


def validated(**kwargs: Any) -> None:
    try:
        validate_response("pleo", **kwargs)
    except AssertionError as exc:
        complaints = [line for line in str(exc).splitlines() if line.startswith("  - ")]
        if not complaints or not all(_PSEUDO_PATTERN.search(line) for line in complaints):
            raise


def check(response: Any, method: str, path: str, status: int) -> Any:
    """Assert the status, validate the answer against the spec, return the parsed body."""
    assert response.status_code == status, response.content
    validated(
        method=method,
        path=path,
        status=status,
        body=response.content,
        content_type=response.get("Content-Type", "") or "application/json;charset=UTF-8",
        headers=dict(response.headers),
    )
    return response.json() if response.content else None


def test_a_wrong_shape_is_caught() -> None:
    with pytest.raises(AssertionError, match="isInteractive"):
        validated(
            method="GET",
            path=f"/v3/export-jobs/{NO_SUCH}",
            status=200,
            body={"data": {"id": NO_SUCH, "isInteractive": "yes"}},
            content_type="application/json;charset=UTF-8",
        )


@pytest.fixture
def sandbox(db: None, client: Client) -> Api:
    """The seeded Pleo sandbox and a bearer token for the demo company."""
    pleo_seed("demo")
    return Api(client, obtain_tokens(client)["access_token"])


@pytest.fixture
def job(sandbox: Api) -> dict[str, Any]:
    receipt = {
        "name": "r.pdf",
        "type": "application/pdf",
        "content_base64": base64.b64encode(b"%PDF").decode(),
    }
    item = export_item(
        files=[receipt],
        note="Team lunch",
        user={
            "id": "5e0d1a2b-0000-4000-8000-0000000e0001",
            "name": "Ingrid Solberg",
            "code": "E001",
        },
        contraAccount={"id": "5e0d1a2b-0000-4000-8000-0000000c0001", "name": "Pleo NOK Account"},
    )
    response = control(sandbox.client, "export-jobs", {"items": [item, export_item(2000)]})
    assert response.status_code == 201
    data: dict[str, Any] = response.json()
    return data


def test_export_jobs(sandbox: Api, job: dict[str, Any]) -> None:
    check(sandbox.get("/v3/export-jobs", {"statuses": "pending"}), "GET", "/v3/export-jobs", 200)
    check(sandbox.get(f"/v3/export-jobs/{job['id']}"), "GET", f"/v3/export-jobs/{job['id']}", 200)
    check(sandbox.get(f"/v3/export-jobs/{NO_SUCH}"), "GET", f"/v3/export-jobs/{NO_SUCH}", 404)
    entry = job["items"][0]["accountingEntryId"]
    body = {"companyId": DEMO_COMPANY_ID, "accountingEntryIds": [entry]}
    check(sandbox.post("/v3/export-jobs", body), "POST", "/v3/export-jobs", 409)


def test_export_job_create(sandbox: Api, job: dict[str, Any]) -> None:
    sandbox.post("/v3/export-job-events", {"jobId": job["id"], "event": "failed"})
    body = {
        "companyId": DEMO_COMPANY_ID,
        "accountingEntryIds": [job["items"][0]["accountingEntryId"]],
    }
    check(sandbox.post("/v3/export-jobs", body), "POST", "/v3/export-jobs", 201)


def test_export_job_events_and_items(sandbox: Api, job: dict[str, Any]) -> None:
    job_id = job["id"]
    events = "/v3/export-job-events"
    assert sandbox.post(events, {"jobId": job_id, "event": "started"}).status_code == 202
    check(sandbox.post(events, {"jobId": job_id, "event": "started"}), "POST", events, 422)
    items_path = f"/v3/export-jobs/{job_id}/items"
    check(sandbox.get(items_path, {"limit": 1}), "GET", items_path, 200)
    exported = check(
        sandbox.get("/v3/export-items", {"job_id": job_id}), "GET", "/v3/export-items", 200
    )
    assert exported["data"][0]["files"][0]["size"] == 4
    entry = job["items"][0]["accountingEntryId"]
    updates = [
        {"accountingEntryId": entry, "status": "successful", "externalId": "GL-1"},
        {"accountingEntryId": NO_SUCH, "status": "failed", "failureReasonType": "account_unknown"},
    ]
    check(sandbox.send("PUT", items_path, updates), "PUT", items_path, 200)
    check(sandbox.send("PUT", items_path, [updates[0]] * 101), "PUT", items_path, 413)
    assert sandbox.post(events, {"jobId": job_id, "event": "completed"}).status_code == 202
    check(sandbox.send("PUT", items_path, updates[:1]), "PUT", items_path, 422)
    check(sandbox.get("/v3/export-items", {"job_id": job_id}), "GET", "/v3/export-items", 422)
    check(
        sandbox.get(f"/v3/export-jobs/{NO_SUCH}/items"),
        "GET",
        f"/v3/export-jobs/{NO_SUCH}/items",
        404,
    )


def test_chart_of_accounts(sandbox: Api) -> None:
    body = {"companyId": DEMO_COMPANY_ID, "externalId": "6800", "name": "Office", "archived": False}
    created = check(
        sandbox.post("/v1/chart-of-accounts", body), "POST", "/v1/chart-of-accounts", 201
    )
    check(sandbox.post("/v1/chart-of-accounts", body), "POST", "/v1/chart-of-accounts", 200)
    account_id = created["data"]["id"]
    path = f"/v1/chart-of-accounts/{account_id}"
    check(sandbox.get(path), "GET", path, 200)
    update = {"name": "Office supplies", "archived": False, "code": "6800"}
    check(sandbox.send("PUT", path, update), "PUT", path, 200)
    search = {
        "companyId": DEMO_COMPANY_ID,
        "excludeIfAssignedToCategory": False,
        "excludeIfAssignedToContraAccount": False,
    }
    check(
        sandbox.post("/v1/chart-of-accounts:search", search),
        "POST",
        "/v1/chart-of-accounts:search",
        200,
    )
    batch = {
        "companyId": DEMO_COMPANY_ID,
        "items": [{"externalId": "6800", "name": "x", "archived": False}],
    }
    check(
        sandbox.post("/v1/chart-of-accounts/batch", batch),
        "POST",
        "/v1/chart-of-accounts/batch",
        201,
    )
    assert sandbox.send("DELETE", path).status_code == 204
    check(sandbox.get(path), "GET", path, 404)


def test_tax_codes(sandbox: Api) -> None:
    body = {
        "companyId": DEMO_COMPANY_ID,
        "name": "Input VAT 25%",
        "code": "1",
        "rate": 0.25,
        "type": "inclusive",
        "archived": False,
    }
    created = check(sandbox.post("/v0/tax-codes", body), "POST", "/v0/tax-codes", 201)
    path = f"/v0/tax-codes/{created['data']['id']}"
    check(sandbox.get(path), "GET", path, 200)
    check(sandbox.send("PUT", path, {**body, "archived": True}), "PUT", path, 200)
    search = f"/v0/tax-codes:search?company_id={DEMO_COMPANY_ID}"
    check(sandbox.post(search, {}), "POST", "/v0/tax-codes:search", 200)
    assert sandbox.send("DELETE", path).status_code == 204


def test_tag_groups_and_tags(sandbox: Api) -> None:
    group_body = {"code": "DEPT", "name": "Department", "archived": False, "metadata": {}}
    group = check(
        sandbox.post(f"/v0/tag-groups?company_id={DEMO_COMPANY_ID}", group_body),
        "POST",
        "/v0/tag-groups",
        201,
    )
    group_id = group["data"]["id"]
    check(
        sandbox.get("/v0/tag-groups", {"company_id": DEMO_COMPANY_ID}), "GET", "/v0/tag-groups", 200
    )
    group_path = f"/v0/tag-groups/{group_id}"
    check(sandbox.get(group_path), "GET", group_path, 200)
    check(sandbox.send("PUT", group_path, group_body), "PUT", group_path, 200)
    tags_path = f"/v0/tag-groups/{group_id}/tags"
    tag = check(
        sandbox.post(tags_path, {"code": "ENG", "name": "Engineering", "archived": False}),
        "POST",
        tags_path,
        201,
    )
    check(sandbox.get(tags_path), "GET", tags_path, 200)
    tag_path = f"/v0/tags/{tag['data']['id']}"
    check(sandbox.get(tag_path), "GET", tag_path, 200)
    check(sandbox.send("PUT", tag_path, {"code": "ENG", "archived": True}), "PUT", tag_path, 200)
    assert sandbox.send("DELETE", tag_path).status_code == 204
    assert sandbox.send("DELETE", group_path).status_code == 204


def test_vendors(sandbox: Api) -> None:
    body = {
        "companyId": DEMO_COMPANY_ID,
        "name": "Acme AS",
        "defaultCurrency": "NOK",
        "country": "NO",
    }
    created = check(sandbox.post("/v1/vendors", body), "POST", "/v1/vendors", 201)
    vendor_id = created["data"]["id"]
    path = f"/v1/vendors/{vendor_id}"
    check(sandbox.get(path), "GET", path, 200)
    assert (
        sandbox.post(f"{path}:activate", {"externalId": "20045", "code": "20045"}).status_code
        == 204
    )
    check(sandbox.post("/v1/vendors", {**body, "externalId": "20045"}), "POST", "/v1/vendors", 409)
    update = {**body, "externalId": "20045", "state": "ACTIVE", "code": "20045"}
    check(sandbox.send("PUT", path, update), "PUT", path, 200)
    search = f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}"
    check(sandbox.post(search, {"externalIds": ["20045"]}), "POST", "/v1/vendors:search", 200)
    assert sandbox.post(f"{path}:archive").status_code == 204
    check(sandbox.get(f"/v1/vendors/{NO_SUCH}"), "GET", f"/v1/vendors/{NO_SUCH}", 404)


def test_subscriptions(sandbox: Api) -> None:
    body = {
        "endpointUrl": "https://app.example/webhooks/pleo",
        "eventTypes": ["v1.export-job.created"],
    }
    created = check(sandbox.post("/v1/subscriptions", body), "POST", "/v1/subscriptions", 200)
    path = f"/v1/subscriptions/{created['data']['id']}"
    check(sandbox.get("/v1/subscriptions"), "GET", "/v1/subscriptions", 200)
    check(sandbox.get(path), "GET", path, 200)
    check(sandbox.send("PUT", path, {**body, "status": "INACTIVE"}), "PUT", path, 200)
    secret = check(sandbox.get(f"{path}/secret"), "GET", f"{path}/secret", 200)
    assert secret["data"]["secretKey"].startswith("whsec_")
    assert sandbox.send("DELETE", path).status_code == 204
    check(sandbox.get(path), "GET", path, 404)


def test_webhook_payload_data_is_an_export_job(sandbox: Api, client: Client) -> None:
    """`v1.export-job.created` carries the job in its read shape (ExportJobV3)."""
    created = control(client, "export-jobs", {"items": [export_item()]}).json()
    job_only = {k: v for k, v in created.items() if k != "items"}
    validated(
        method="GET",
        path=f"/v3/export-jobs/{created['id']}",
        status=200,
        body={"data": job_only},
        content_type="application/json;charset=UTF-8",
    )


def test_vendor_csv_import_jobs(sandbox: Api) -> None:
    jobs = "/v1/vendors/csv-import/jobs"
    created = check(
        sandbox.post(
            jobs, {"companyId": DEMO_COMPANY_ID, "originalFilename": "v.csv", "type": "vendors"}
        ),
        "POST",
        jobs,
        201,
    )
    job_id = created["data"]["id"]
    link = check(
        sandbox.post(f"{jobs}/{job_id}:get-presigned-url"),
        "POST",
        f"{jobs}/{job_id}:get-presigned-url",
        200,
    )["data"]["presignedUrl"]
    sandbox.client.put(
        link, b"name,defaultCurrency\nA AS,NOK\n,\nB AS,XX\n", content_type="text/csv"
    )
    check(sandbox.post(f"{jobs}/{job_id}:run"), "POST", f"{jobs}/{job_id}:run", 200)
    for _ in range(3):
        done = check(sandbox.get(f"{jobs}/{job_id}"), "GET", f"{jobs}/{job_id}", 200)
    assert done["data"]["status"] == "COMPLETED"
    errors = check(sandbox.get(f"{jobs}/{job_id}/errors"), "GET", f"{jobs}/{job_id}/errors", 200)
    assert len(errors["data"]) == 1
    check(sandbox.post(f"{jobs}/{job_id}:run"), "POST", f"{jobs}/{job_id}:run", 409)
    check(sandbox.get(f"{jobs}/{NO_SUCH}"), "GET", f"{jobs}/{NO_SUCH}", 404)
    check(
        sandbox.send("PUT", f"{jobs}/{job_id}/metadata", {"metadata": {}, "strategy": "REPLACE"}),
        "PUT",
        f"{jobs}/{job_id}/metadata",
        200,
    )
    search = f"{jobs}:search?company_id={DEMO_COMPANY_ID}"
    found = check(sandbox.post(search, {"types": ["vendors"]}), "POST", f"{jobs}:search", 200)
    assert [j["id"] for j in found["data"]] == [job_id]
