"""/metrics: who may read it, the export state read from the database, the remote calls counted
at the HTTP seam, and log lines that name what they concern."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import responses
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from prometheus_client.parser import text_string_to_metric_families

from integrations.connections.models import Connection
from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.http import ApiClient
from integrations.core.log_context import LogContextFilter
from integrations.core.metrics import endpoint_of
from integrations.exports.models import ExportItem, ExportRun

pytestmark = pytest.mark.django_db

BASE = "https://visma.example"


def _scrape(client: Client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", **headers)
    assert answer.status_code == 200, answer.status_code
    assert answer["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# -- who may read it -------------------------------------------------------------------------


def test_nobody_reads_metrics_unless_configured(settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""
    admin = User.objects.create_user("root", is_staff=True, is_superuser=True)
    signed_in = Client()
    signed_in.force_login(admin)
    assert Client().get("/metrics").status_code == 403
    # A session, even a superuser's, is not what grants it: a machine's address or token is.
    assert signed_in.get("/metrics").status_code == 403


def test_configured_addresses_may_read_and_forwarded_headers_are_not_trusted(settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "192.0.2.7"]
    settings.TRUSTED_PROXY_COUNT = 0
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    outsider = Client(REMOTE_ADDR="203.0.113.5")
    assert outsider.get("/metrics").status_code == 403
    # Without a trusted proxy the client's own X-Forwarded-For is ignored.
    assert outsider.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403


def test_the_bearer_token_opens_it_from_anywhere(settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789").status_code
        == 200
    )
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="scrape-token-0123456789").status_code == 403


# -- what it says ----------------------------------------------------------------------------


@pytest.fixture
def reader(settings: Any) -> Client:
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    return Client()


def test_exports_items_and_waiting_runs_come_from_the_database(reader: Client) -> None:
    before = _scrape(reader)
    connection = Connection.objects.create(name="Nordlys AS")
    done = ExportRun.objects.create(connection=connection, pleo_job_id="j1", status="completed")
    ExportRun.objects.create(connection=connection, pleo_job_id="j2", status="parked")
    ExportRun.objects.create(
        connection=connection,
        pleo_job_id="j3",
        status="pending",
        not_before=timezone.now() + timedelta(minutes=5),
    )
    for n, status in enumerate(("successful", "successful", "failed")):
        ExportItem.objects.create(
            run=done, connection=connection, accounting_entry_id=f"e{n}", status=status
        )
    broker = get_broker()
    broker.enqueue("a task")
    after = _scrape(reader)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("pleo_visma_export_runs", status="completed") == 1
    assert grew("pleo_visma_export_runs", status="parked") == 1
    assert grew("pleo_visma_export_runs_waiting", reason="parked") == 1
    assert grew("pleo_visma_export_runs_waiting", reason="deferred") == 1
    assert grew("pleo_visma_export_items", status="successful") == 2
    assert grew("pleo_visma_export_items", status="failed") == 1
    assert grew("pleo_visma_queue_depth") == 1
    # django-prometheus's own request metrics are there too.
    assert any(name.startswith("django_http_requests") for name, _ in after)


class VismaClient(ApiClient):
    service = "visma"


@responses.activate
def test_remote_calls_are_counted_by_endpoint_and_the_budget_is_read(reader: Client) -> None:
    connection = Connection.objects.create(name="Nordlys AS")
    responses.get(
        f"{BASE}/v1/supplier/50001", status=200, json={}, headers={"X-RateLimit-Remaining": "4321"}
    )
    responses.get(f"{BASE}/v1/supplier/50002", status=404, json={"message": "no"})
    before = _scrape(reader)
    client = VismaClient(BASE, max_wait=0)
    with call_links(connection_id=connection.pk):
        client.request("GET", "/v1/supplier/50001")
        with pytest.raises(errors.NotFound):
            client.request("GET", "/v1/supplier/50002")
    after = _scrape(reader)
    labels = {"service": "visma", "endpoint": "/v1/supplier/{id}", "method": "GET"}
    for status in ("200", "404"):
        name = "pleo_visma_remote_calls_total"
        assert (
            _value(after, name, **labels, status=status)
            - _value(before, name, **labels, status=status)
            == 1
        )
    timed = {"service": "visma", "endpoint": "/v1/supplier/{id}"}
    count = "pleo_visma_remote_call_duration_seconds_count"
    assert _value(after, count, **timed) - _value(before, count, **timed) == 2
    assert _value(after, "pleo_visma_visma_budget_remaining", connection=str(connection.pk)) == 4321


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/v1/supplier/50001", "/v1/supplier/{id}"),
        (
            "/v3/export-jobs/6f1c2e7a-0d8b-4a51-9a43-2f0b0c1d2e3f/items",
            "/v3/export-jobs/{id}/items",
        ),
        ("/v1/account", "/v1/account"),
        (
            "/v2/journaltransaction/module/GL/000123/attachment",
            "/v2/journaltransaction/module/GL/{id}/attachment",
        ),
        ("/v0/tag-groups", "/v0/tag-groups"),
    ],
)
def test_endpoints_name_the_operation_not_the_record(path: str, endpoint: str) -> None:
    assert endpoint_of(path) == endpoint


# -- log lines -------------------------------------------------------------------------------


def test_log_lines_name_the_connection_run_and_item() -> None:
    line_format = django_settings.LOGGING["formatters"]["plain"]["format"]
    formatter = logging.Formatter(line_format)
    context = LogContextFilter()

    def line(message: str) -> str:
        record = logging.LogRecord(
            "integrations.exports", logging.WARNING, __file__, 1, message, None, None
        )
        assert context.filter(record)
        return formatter.format(record)

    assert line("idle").endswith("idle")
    with call_links(connection_id=3, export_run_id=41):
        assert line("fetching").endswith("fetching [connection=3 run=41]")
        with call_links(export_item_id=907):
            assert line("refused").endswith("refused [connection=3 run=41 item=907]")
    with call_links(connection_id=3, sync_run_id=8):
        assert line("sync").endswith("sync [connection=3 sync_run=8]")
