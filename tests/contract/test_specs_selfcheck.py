"""The validator itself: it accepts what the spec allows and refuses what it does not."""

from __future__ import annotations

import pytest

from tests.contract.openapi import api_path, requires_specs, validate_request, validate_response

pytestmark = requires_specs


def test_api_path_strips_host_and_mount_point() -> None:
    assert api_path("http://127.0.0.1:8000/sandbox/visma/v1/account?x=1") == "/v1/account"
    assert api_path("/sandbox/pleo/v3/export-jobs") == "/v3/export-jobs"


def test_visma_account_list_response_is_checked() -> None:
    good = [
        {
            "accountID": 1,
            "accountCD": "6540",
            "description": "Equipment",
            "active": True,
            "type": "Expense",
        }
    ]
    validate_response("visma", method="GET", path="/v1/account", status=200, body=good)
    with pytest.raises(AssertionError, match="does not match"):
        validate_response(
            "visma",
            method="GET",
            path="/v1/account",
            status=200,
            body=[{"accountID": "not a number"}],
        )


def test_unknown_path_is_reported() -> None:
    with pytest.raises(AssertionError, match="no such operation"):
        validate_request("visma", method="GET", path="/v1/nothing-here")


def test_pleo_request_body_is_checked() -> None:
    validate_request(
        "pleo",
        method="POST",
        path="/v3/export-job-events",
        body={"jobId": "8eb6b5e2-7d3f-4a6e-9a55-5a1a3c1d2e3f", "event": "started"},
    )
    with pytest.raises(AssertionError, match="does not match"):
        validate_request(
            "pleo", method="POST", path="/v3/export-job-events", body={"event": "dancing"}
        )


def test_pleo_date_times_are_checked_by_format_not_by_the_broken_pattern() -> None:
    job = {
        "id": "8eb6b5e2-7d3f-4a6e-9a55-5a1a3c1d2e3f",
        "companyId": "8eb6b5e2-7d3f-4a6e-9a55-5a1a3c1d2e3f",
        "createdBy": "8eb6b5e2-7d3f-4a6e-9a55-5a1a3c1d2e3f",
        "createdAt": "2026-01-01T00:00:00Z",
        "lastUpdatedAt": "2026-01-01T00:00:00Z",
        "status": "pending",
        "isInteractive": True,
        "expiresIn": 3600,
        "numberOfItems": 1,
        "vendorBasedBookkeeping": False,
    }
    path = f"/v3/export-jobs/{job['id']}"
    validate_response("pleo", method="GET", path=path, status=200, body={"data": job})
    with pytest.raises(AssertionError, match="createdAt"):
        validate_response(
            "pleo",
            method="GET",
            path=path,
            status=200,
            body={"data": {**job, "createdAt": "yesterday"}},
        )
