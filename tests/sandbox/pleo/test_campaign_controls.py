"""Control switches of the Pleo sandbox that a fault campaign turns: malformed pages, revoked
tokens, expired jobs and receipt links, duplicate and out-of-order webhook deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.sandbox.pleo.conftest import Api, control


def test_no_data_drops_the_list_of_a_pleo_page(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(3)
    rule = {"path": "/v3/export-items", "method": "GET", "fault": "malformed:no_data"}
    assert control(api.client, "faults", rule).status_code == 201
    page = api.get("/v3/export-items", {"job_id": job["id"]})
    assert page.status_code == 200
    body = page.json()
    assert "data" not in body
    assert body["pagination"]["total"] == 3
    whole = api.get("/v3/export-items", {"job_id": job["id"]}).json()
    assert len(whole["data"]) == 3
