from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client

from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID
from tests.sandbox.pleo.conftest import Api, control, export_item, obtain_tokens


def _event(api: Api, job_id: str, event: str, **extra: Any) -> Any:
    return api.post("/v3/export-job-events", {"jobId": job_id, "event": event, **extra})


def test_control_job_fills_in_ids_and_is_pending(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(2)
    assert job["status"] == "pending"
    assert job["numberOfItems"] == 2
    assert job["companyId"] == DEMO_COMPANY_ID
    item = job["items"][0]
    assert item["companyId"] == DEMO_COMPANY_ID
    assert item["accountingEntryLines"][0]["accountingEntryLineId"]
    assert item["additionalInformation"]["reconciliationId"]
    assert item["_links"]["web"]["exportItem"]
    listed = api.get("/v3/export-jobs", {"statuses": "pending"}).json()
    assert [j["id"] for j in listed["data"]] == [job["id"]]


def test_control_job_rejects_an_item_without_amount(seeded: None, client: Client) -> None:
    broken = export_item()
    del broken["amount"]
    response = control(client, "export-jobs", {"items": [broken]})
    assert response.status_code == 400
    assert "amount" in response.json()["error"]


def test_second_running_job_is_refused(api: Api, make_job: Callable[..., Any]) -> None:
    first = make_job(1)
    again = control(api.client, "export-jobs", {"items": [export_item()]})
    assert again.status_code == 409
    assert again.json()["type"] == "EXPORT_ALREADY_IN_PROGRESS"

    entry = first["items"][0]["accountingEntryId"]
    through_api = api.post(
        "/v3/export-jobs", {"companyId": DEMO_COMPANY_ID, "accountingEntryIds": [entry]}
    )
    assert through_api.status_code == 409
    assert through_api.json() == {
        "type": "EXPORT_ALREADY_IN_PROGRESS",
        "message": "Export Job already in progress for this company.",
    }


def test_api_job_creation_reexports_known_entries(api: Api, make_job: Callable[..., Any]) -> None:
    first = make_job(1)
    entry = first["items"][0]["accountingEntryId"]
    assert _event(api, first["id"], "started").status_code == 202
    assert (
        _event(api, first["id"], "failed", failureReasonType="canceled_by_user").status_code == 202
    )
    created = api.post(
        "/v3/export-jobs", {"companyId": DEMO_COMPANY_ID, "accountingEntryIds": [entry]}
    )
    assert created.status_code == 201
    job_id = created.json()["data"]["id"]
    items = api.get("/v3/export-items", {"job_id": job_id}).json()["data"]
    assert [i["accountingEntryId"] for i in items] == [entry]


def test_event_lifecycle_and_invalid_transitions(api: Api, make_job: Callable[..., Any]) -> None:
    job_id = make_job(1)["id"]
    refused = _event(api, job_id, "completed")
    assert refused.status_code == 422
    assert refused.json()["type"] == "INVALID_EXPORT_JOB_STATUS_CHANGE"
    assert _event(api, job_id, "started").status_code == 202
    detail = api.get(f"/v3/export-jobs/{job_id}").json()["data"]
    assert detail["status"] == "in_progress"
    assert detail["startedAt"]
    assert _event(api, job_id, "started").status_code == 422
    assert _event(api, job_id, "completed_with_errors").status_code == 202
    assert _event(api, job_id, "failed").status_code == 422
    assert api.get(f"/v3/export-jobs/{job_id}").json()["data"]["status"] == "completed_with_errors"


def test_failed_job_abandons_open_items(api: Api, make_job: Callable[..., Any]) -> None:
    job_id = make_job(2)["id"]
    _event(api, job_id, "started")
    answer = _event(
        api,
        job_id,
        "failed",
        failureReason="Visma.net unavailable",
        failureReasonType="accounting_system_unreachable",
    )
    assert answer.status_code == 202
    detail = api.get(f"/v3/export-jobs/{job_id}").json()["data"]
    assert detail["failureReasonType"] == "accounting_system_unreachable"
    items = api.get(f"/v3/export-jobs/{job_id}/items").json()["data"]
    assert {i["status"] for i in items} == {"abandoned"}


def test_unknown_job_is_404(api: Api) -> None:
    response = api.get("/v3/export-jobs/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["type"] == "EXPORT_NOT_FOUND"


def test_item_updates_are_stored_and_unknown_entries_reported(
    api: Api, make_job: Callable[..., Any]
) -> None:
    job = make_job(2)
    first, second = (i["accountingEntryId"] for i in job["items"])
    _event(api, job["id"], "started")
    response = api.send(
        "PUT",
        f"/v3/export-jobs/{job['id']}/items",
        [
            {
                "accountingEntryId": first,
                "status": "successful",
                "externalId": "GL-000123",
                "externalUrl": "https://erp.example/000123",
            },
            {
                "accountingEntryId": second,
                "status": "failed",
                "failureReasonType": "tax_code_unknown",
                "failureReason": "Tax Code X does not exist in the Accounting System",
            },
            {"accountingEntryId": "00000000-0000-4000-8000-0000000000aa", "status": "successful"},
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["type"] for e in body["errors"]] == ["ACCOUNTING_ENTRY_DOES_NOT_EXIST"]
    assert len(body["data"]) == 2
    state = api.client.get("/sandbox/pleo/_control/state").json()
    items = {i["accountingEntryId"]: i for i in state["exportJobs"][0]["items"]}
    assert items[first]["status"] == "successful"
    assert items[first]["externalId"] == "GL-000123"
    assert items[first]["externalUrl"] == "https://erp.example/000123"
    assert items[second]["failureReasonType"] == "tax_code_unknown"
    assert items[second]["failureReason"].startswith("Tax Code X")


def test_more_than_100_updates_is_413(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(1)
    entry = job["items"][0]["accountingEntryId"]
    updates = [{"accountingEntryId": entry, "status": "successful"}] * 101
    response = api.send("PUT", f"/v3/export-jobs/{job['id']}/items", updates)
    assert response.status_code == 413
    assert response.json()["type"] == "EXPORT_JOB_ITEMS_UPDATE_LIMIT"


def test_finished_job_refuses_updates_and_item_reads(
    api: Api, make_job: Callable[..., Any]
) -> None:
    job = make_job(1)
    entry = job["items"][0]["accountingEntryId"]
    _event(api, job["id"], "started")
    _event(api, job["id"], "completed")
    update = api.send(
        "PUT",
        f"/v3/export-jobs/{job['id']}/items",
        [{"accountingEntryId": entry, "status": "successful"}],
    )
    assert update.status_code == 422
    assert update.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"
    items = api.get("/v3/export-items", {"job_id": job["id"]})
    assert items.status_code == 422
    assert items.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"


def test_job_expires_an_hour_after_its_last_update(
    client: Client, make_job: Callable[..., Any], frozen_clock: Callable[[timedelta], Any]
) -> None:
    # Tokens live longer than the test's clock jumps.
    control(client, "token-expiry", {"seconds": 86400})
    api = Api(client, obtain_tokens(client)["access_token"])
    job = make_job(2)
    entry = job["items"][0]["accountingEntryId"]
    frozen_clock(timedelta(minutes=50))
    _event(api, job["id"], "started")
    frozen_clock(timedelta(minutes=50))
    # 100 minutes after creation, 50 after the last update: still alive; this update renews it.
    kept = api.send(
        "PUT",
        f"/v3/export-jobs/{job['id']}/items",
        [{"accountingEntryId": entry, "status": "successful", "externalId": "GL-1"}],
    )
    assert kept.status_code == 200
    frozen_clock(timedelta(minutes=59))
    assert api.get(f"/v3/export-jobs/{job['id']}").json()["data"]["status"] == "in_progress"
    frozen_clock(timedelta(minutes=2))
    detail = api.get(f"/v3/export-jobs/{job['id']}").json()["data"]
    assert detail["status"] == "failed"
    assert detail["failureReasonType"] == "job_expired"
    assert detail["expiredAt"]
    statuses = {
        i["accountingEntryId"]: i["status"]
        for i in api.get(f"/v3/export-jobs/{job['id']}/items").json()["data"]
    }
    assert statuses[entry] == "successful"
    assert sorted(statuses.values()) == ["abandoned", "successful"]
    # An expired job no longer blocks a new one.
    assert control(api.client, "export-jobs", {"items": [export_item()]}).status_code == 201
