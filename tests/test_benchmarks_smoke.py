"""The benchmarks still run: the sync benchmark at a tiny scale, in-process against the live
server's sandboxes. It checks what the benchmark reports (record counts, writes), never timings."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.company import SCALES
from benchmarks.measure import endpoint_of
from benchmarks.sync import sync_benchmark, sync_report_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base_url(live_server: Any, settings: Any) -> str:
    base = str(live_server.url)
    settings.PUBLIC_BASE_URL = base
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{base}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{base}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    return base


def test_sync_benchmark_reports_every_record_at_tiny_scale(base_url: str) -> None:
    scale = SCALES["tiny"]
    report = sync_benchmark(base_url=base_url, scale=scale)

    # The demo preset plus what the scale seeds, all of it in Pleo after the runs.
    assert report.expected["accounts"] == 16 + scale.accounts
    assert report.expected["vendors"] == 4 + scale.suppliers
    assert report.expected["tags"] == 7 + scale.segment_values
    assert report.in_pleo == report.expected
    total = sum(report.expected.values())

    first, unchanged, changed = report.phases
    assert [p.status for p in report.phases] == ["succeeded"] * 3
    assert first.counts["created"] == first.figures.records == total
    # One write per record, except the accounts: one batch.
    assert first.figures.calls_to("pleo", writes_only=True) >= total - report.expected["accounts"]
    assert unchanged.counts["unchanged"] == unchanged.figures.records == total
    assert unchanged.figures.calls_to("pleo", writes_only=True) == 0
    assert changed.counts["updated"] == report.changed_suppliers == 1
    assert changed.figures.calls_to("pleo", writes_only=True) == 1
    # Every call the integration logged reached a sandbox, and nothing else did.
    for phase in report.phases:
        logged = sum(phase.figures.calls.values())
        assert logged == sum(phase.figures.received.values()) > 0
        assert phase.figures.db_queries > 0

    text = sync_report_text(report, command="python -m benchmarks sync --scale tiny", context=[])
    assert "Reproduce: python -m benchmarks sync --scale tiny" in text
    assert "(c) renamed suppliers: 1" in text


def test_endpoints_fold_record_ids() -> None:
    assert (
        endpoint_of("/sandbox/pleo/v1/vendors/0b0e4f7c-7a51-4c3e-9a57-3c1c8f1d2e3a:activate")
        == "/v1/vendors/{id}:activate"
    )
    assert endpoint_of("/sandbox/visma/v1/supplier/60001") == "/v1/supplier/{id}"
    assert endpoint_of("/sandbox/visma/v1/dimension/SUBACCOUNT") == "/v1/dimension/SUBACCOUNT"
