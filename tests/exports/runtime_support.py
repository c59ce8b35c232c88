"""Fixtures for the export runtime tests: both sandboxes served by `live_server`, the demo
connection connected and configured through the project's own services, and payload builders
for the Pleo sandbox's control API.

Import the fixtures into a test module with `from tests.exports.runtime_support import *`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from integrations.connections.models import Connection, ExportSettings
from integrations.demo.configure import demo_configure
from integrations.demo.connection import demo_connection_prepare
from integrations.exports.models import ExportRun
from integrations.exports.services import context as run_context
from integrations.exports.services import runs
from integrations.sandbox.pleo.presets import pleo_seed
from integrations.sandbox.visma.presets import visma_seed
from tests.exports.planner_factories import item as planned_item
from tests.exports.planner_factories import line, tax

__all__ = [
    "PDF",
    "Sandbox",
    "card_payload",
    "demo",
    "entry",
    "no_autorun",
    "payload",
    "sandbox",
    "waits",
]

PDF = b"%PDF-1.4\n% receipt\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Sandbox:
    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def _url(self, service: str, path: str) -> str:
        return f"{self.base}/sandbox/{service}/{path.lstrip('/')}"

    def post(self, service: str, path: str, body: Any) -> Any:
        response = self.http.post(self._url(service, path), json=body, timeout=60)
        assert response.status_code < 300, response.text
        return response.json()

    def get(self, service: str, path: str, **params: Any) -> Any:
        response = self.http.get(self._url(service, path), params=params, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def job_create(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self.post("pleo", "_control/export-jobs", {"items": items})

    def fault(self, service: str, **rule: Any) -> None:
        self.post(service, "_control/faults", rule)

    def visma_state(self) -> dict[str, Any]:
        return self.get("visma", "_control/state")

    def pleo_state(self) -> dict[str, Any]:
        return self.get("pleo", "_control/state")

    def requests(self, service: str) -> list[dict[str, Any]]:
        body = self.get(service, "_control/requests")
        return body["requests"] if isinstance(body, dict) else body

    def job_items(self, job_id: str) -> dict[str, dict[str, Any]]:
        for job in self.pleo_state()["exportJobs"]:
            if job["id"] == job_id:
                return {i["accountingEntryId"]: i for i in job["items"]}
        raise AssertionError(f"job {job_id} not in the Pleo sandbox")

    def job(self, job_id: str) -> dict[str, Any]:
        for job in self.pleo_state()["exportJobs"]:
            if job["id"] == job_id:
                return job
        raise AssertionError(f"job {job_id} not in the Pleo sandbox")


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Sandbox:
    base = live_server.url
    settings.PUBLIC_BASE_URL = base
    settings.PLEO_API_URL = f"{base}/sandbox/pleo"
    settings.PLEO_AUTH_URL = f"{base}/sandbox/pleo"
    settings.VISMA_API_URL = f"{base}/sandbox/visma"
    settings.VISMA_CONNECT_URL = f"{base}/sandbox/visma"
    settings.PLEO_CLIENT_ID = "demo-pleo-client"
    settings.PLEO_CLIENT_SECRET = "demo-pleo-secret"
    settings.VISMA_CLIENT_ID = "demo-visma-client"
    settings.VISMA_CLIENT_SECRET = "demo-visma-secret"
    settings.REMOTE_MAX_RETRY_WAIT = 5.0
    settings.REMOTE_READ_TIMEOUT = 30.0
    pleo_seed("demo")
    visma_seed("demo")
    box = Sandbox(base=base)
    # Deliver webhooks inline, so a job created through the control API has been handled by
    # the time the control call answers.
    box.post("pleo", "_control/webhooks", {"sync": True})
    return box


@pytest.fixture
def demo(sandbox: Sandbox) -> Connection:
    """The demo connection, connected to both sandboxes and configured as README documents."""
    connection = demo_connection_prepare()
    report = demo_configure(connection=connection)
    assert not report.problems, report.problems
    connection.refresh_from_db()
    return connection


@pytest.fixture
def no_autorun(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record queued runs instead of processing them, so a test drives the worker itself."""
    queued: list[int] = []

    def enqueue(*, run_id: int, delay_seconds: float = 0) -> None:
        queued.append(run_id)

    monkeypatch.setattr(runs, "export_run_enqueue", enqueue)
    return queued


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Replace the clients' sleep: the waits they would have made are recorded instead."""
    recorded: list[float] = []
    original: Callable[..., Any] = run_context.clients_for

    def clients_for(*, connection: Connection) -> Any:
        pleo, visma = original(connection=connection)
        pleo.sleep = recorded.append
        visma.sleep = recorded.append
        return pleo, visma

    monkeypatch.setattr(run_context, "clients_for", clients_for)
    yield recorded


def settings_change(connection: Connection, **changes: Any) -> None:
    ExportSettings.objects.filter(connection=connection).update(**changes)


def run_for(job: dict[str, Any]) -> ExportRun:
    return ExportRun.objects.get(pleo_job_id=job["id"])


# -- payloads for the Pleo sandbox -------------------------------------------------------------


def entry() -> str:
    return str(uuid.uuid4())


def receipt(name: str = "receipt.pdf", content: bytes = PDF) -> dict[str, Any]:
    return {
        "name": name,
        "type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
    }


def payload(*args: Any, files: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    """An ExportItemV3 for the control API, built with the planner's test factory."""
    kwargs.setdefault("entry_id", entry())
    kwargs.setdefault("files", 0)
    raw = dict(planned_item(*args, **kwargs).raw)
    raw.pop("companyId")
    raw["files"] = files if files is not None else []
    for entry_line in raw["accountingEntryLines"]:
        taxed = (entry_line.get("tax") or {}).get("amount")
        if entry_line.get("netAmount") is None and taxed:
            gross = entry_line["lineAmount"]
            entry_line["netAmount"] = {
                side: {
                    "currency": gross[side]["currency"],
                    "value": gross[side]["value"] - taxed[side]["value"],
                }
                for side in ("inSupplierCurrency", "inWalletCurrency")
            }
    return raw


def card_payload(
    gross: str = "500.00", vat: str = "100.00", *, type: str = "card_purchase", **kwargs: Any
) -> dict[str, Any]:
    """Office supplies with 25 % VAT (Visma VAT category 1), a card purchase unless told."""
    return payload(type, [line(gross, "office", tax_=tax("1", "0.25", amount=vat))], **kwargs)
