"""The Visma.net sandbox over real HTTP: Location headers and a dropped connection."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integrations.sandbox.visma.presets import visma_seed
from tests.sandbox.visma.conftest import SCOPES, journal_body

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_location_header_and_reset_fault(live_server: Any) -> None:
    visma_seed("demo")
    base = f"{live_server.url}/sandbox/visma"
    token = requests.post(
        f"{base}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-visma-client",
            "client_secret": "demo-visma-secret",
            "tenant_id": "demo-tenant",
            "scope": SCOPES,
        },
        timeout=10,
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    created = session.post(f"{base}/v2/journaltransaction", json=journal_body(), timeout=10)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{base}/v2/journaltransaction/000001"
    assert session.get(created.headers["Location"], timeout=10).json()["batchNumber"] == "000001"
    requests.post(
        f"{base}/_control/faults",
        json={"path": "/v2/journaltransaction", "method": "POST", "fault": "reset"},
        timeout=10,
    ).raise_for_status()
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        session.post(f"{base}/v2/journaltransaction", json=journal_body(), timeout=10)
    # Dropped before the work: no second batch.
    listed = session.get(f"{base}/v2/journaltransaction", params={"periodId": "202603"}, timeout=10)
    assert [j["batchNumber"] for j in listed.json()] == ["000001"]
