from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.pleo import clock
from tests.sandbox.pleo.conftest import Api, control, export_item, obtain_tokens

PDF = b"%PDF-1.4 receipt bytes"


def test_export_items_are_cursor_paged(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(5)
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"job_id": job["id"], "limit": 2}
        if after:
            params["after"] = after
        body = api.get("/v3/export-items", params).json()
        pages += 1
        seen.extend(i["accountingEntryId"] for i in body["data"])
        assert body["pagination"]["total"] == 5
        assert body["pagination"]["hasPreviousPage"] is (pages > 1)
        if not body["pagination"]["hasNextPage"]:
            break
        after = body["pagination"]["endCursor"]
    assert pages == 3
    assert seen == [i["accountingEntryId"] for i in job["items"]]

    back = api.get("/v3/export-items", {"job_id": job["id"], "limit": 2, "before": after}).json()
    assert [i["accountingEntryId"] for i in back["data"]] == seen[1:3]


def test_a_page_of_items_is_a_range_of_positions_read_from_the_jobs_index(
    api: Api, make_job: Callable[..., Any]
) -> None:
    # An OFFSET would step over every item before the page, and ordering by the relation `job`
    # would order by the job's own ordering through a join: every page of a large job would
    # cost more the deeper it is.
    job = make_job(7)
    first = api.get("/v3/export-items", {"job_id": job["id"], "limit": 3}).json()
    with CaptureQueriesContext(connection) as captured:
        answer = api.get(
            "/v3/export-items",
            {"job_id": job["id"], "limit": 3, "after": first["pagination"]["endCursor"]},
        )
    assert [i["accountingEntryId"] for i in answer.json()["data"]] == [
        i["accountingEntryId"] for i in job["items"][3:6]
    ]
    pages = [
        q["sql"] for q in captured if '"position" >= 3' in q["sql"] and "exportjobitem" in q["sql"]
    ]
    assert len(pages) == 1
    assert "JOIN" not in pages[0] and "OFFSET" not in pages[0]
    # The job knows how many items it holds: they are not counted for each page.
    assert not [q for q in captured if "COUNT(" in q["sql"] and "exportjobitem" in q["sql"]]
    assert answer.json()["pagination"]["total"] == 7
    assert '"sandbox_pleo_exportjobitem"."position" < 6' in pages[0]
    assert pages[0].endswith(
        'ORDER BY "sandbox_pleo_exportjobitem"."job_id" ASC, '
        '"sandbox_pleo_exportjobitem"."position" ASC'
    )


def test_bad_cursor_is_400(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(1)
    response = api.get("/v3/export-items", {"job_id": job["id"], "after": "!!"})
    assert response.status_code == 400
    assert response.json()["type"] == "VALIDATION_FAILED"


def _job_with_receipt(client: Client) -> dict[str, Any]:
    item = export_item(
        files=[
            {
                "name": "receipt.pdf",
                "type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            }
        ]
    )
    response = control(client, "export-jobs", {"items": [item]})
    assert response.status_code == 201
    data: dict[str, Any] = response.json()
    return data


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_receipt_is_served_behind_a_fresh_signed_link(api: Api) -> None:
    job = _job_with_receipt(api.client)
    item = api.get("/v3/export-items", {"job_id": job["id"]}).json()["data"][0]
    file = item["files"][0]
    assert file["type"] == "application/pdf"
    assert file["size"] == len(PDF)
    download = api.client.get(_path(file["url"]))
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"

    tampered = api.client.get(_path(file["url"]).replace("signature=", "signature=0"))
    assert tampered.status_code == 403


def test_expired_file_link_is_403(
    seeded: None, client: Client, frozen_clock: Callable[[timedelta], Any]
) -> None:
    control(client, "token-expiry", {"seconds": 86400})
    api = Api(client, obtain_tokens(client)["access_token"])
    job = _job_with_receipt(client)
    url = api.get("/v3/export-items", {"job_id": job["id"]}).json()["data"][0]["files"][0]["url"]
    frozen_clock(timedelta(hours=23))
    assert client.get(_path(url)).status_code == 200
    frozen_clock(timedelta(hours=2))
    assert client.get(_path(url)).status_code == 403


def test_file_link_expiry_is_settable(api: Api) -> None:
    control(api.client, "file-link-expiry", {"seconds": 0})
    job = _job_with_receipt(api.client)
    url = api.get("/v3/export-items", {"job_id": job["id"]}).json()["data"][0]["files"][0]["url"]
    # Link expiry has one-second resolution: a zero lifetime expires within the second.
    expires = int(url.split("expires=")[1].split("&")[0])
    assert expires <= int(clock.now().timestamp())


def test_a_receipt_stored_once_serves_many_items(
    api: Api, make_job: Callable[..., Any], settings: Any
) -> None:
    # Large jobs come in one body, past Django's upload limit, and share one stored receipt.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stored = control(
        api.client,
        "files",
        {"name": "r.pdf", "type": "application/pdf", "content_base64": "JVBERi0xLjQ="},
    )
    assert stored.status_code == 201
    file_id = stored.json()["fileId"]
    assert stored.json()["size"] == 8
    job = make_job(items=[export_item(1000 + n, files=[{"fileId": file_id}]) for n in range(20)])
    page = api.get("/v3/export-items", {"job_id": job["id"], "limit": 20}).json()["data"]
    links = {item["files"][0]["url"] for item in page}
    assert len(page) == 20 and len(links) == 1
    assert {(i["files"][0]["type"], i["files"][0]["size"]) for i in page} == {
        ("application/pdf", 8)
    }
    assert api.client.get(links.pop()).content == b"%PDF-1.4"
    unknown = control(
        api.client,
        "export-jobs",
        {"items": [export_item(files=[{"fileId": "00000000-0000-4000-8000-000000000000"}])]},
    )
    assert unknown.status_code == 400 and "no stored file" in unknown.json()["error"]
