"""The preview of a pending Pleo job, over real HTTP against both sandboxes: the planned lines
and the preflight problems are shown, and neither service receives a single write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import responses
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection
from integrations.exports.preview import PreviewItem
from tests.exports import ui_factories as f
from tests.exports.planner_factories import line, tax
from tests.exports.runtime_support import *  # noqa: F403 (fixtures: sandbox, demo, no_autorun)
from tests.exports.runtime_support import Sandbox, card_payload, entry, payload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _plan_lines(item: PreviewItem) -> list[tuple[str, Decimal, Decimal, str]]:
    assert item.document is not None
    return [(li.account, li.debit, li.credit, li.vat) for li in item.document.lines]


def test_preview_shows_planned_lines_and_problems_without_writing_anywhere(
    sandbox: Sandbox, demo: Connection, no_autorun: list[int]
) -> None:
    ok_id, old_id = entry(), entry()
    job = sandbox.job_create(
        [
            card_payload("500.00", "100.00", entry_id=ok_id, supplier="Clas Ohlson"),
            # Booked on "Old expenses", account 6999, inactive in Visma.net.
            payload(
                "card_purchase",
                [line("200.00", "old", tax_=tax("1", "0.25", amount="40.00"))],
                entry_id=old_id,
                supplier="Gammel Butikk",
            ),
        ]
    )
    # From here on, every request either sandbox receives is recorded afresh.
    for service in ("pleo", "visma"):
        assert sandbox.http.delete(f"{sandbox.base}/sandbox/{service}/_control/requests").ok

    client = Client()
    client.force_login(f.finance())
    pending = client.get(reverse("exports:pending", args=[demo.pk]))
    assert pending.status_code == 200
    preview_url = reverse("exports:preview", args=[demo.pk, job["id"]])
    assert preview_url in pending.content.decode()

    response = client.get(preview_url)
    assert response.status_code == 200
    preview = response.context["preview"]
    items = {item.accounting_entry_id: item for item in preview.items}

    ready = items[ok_id]
    assert ready.problems == ()
    assert ready.document is not None and ready.document.kind == "journal"
    assert ready.document.financial_period == "202603"
    assert _plan_lines(ready) == [
        ("6800", Decimal("400.00"), Decimal("0"), "1"),
        ("2710", Decimal("100.00"), Decimal("0"), ""),
        ("1925", Decimal("0"), Decimal("500.00"), ""),
    ]

    blocked = items[old_id]
    assert [p.reason_type for p in blocked.problems] == ["account_unknown"]
    assert "Account 6999 is inactive in Visma.net" in blocked.problems[0].message
    # The fix opens the Categories page at the category's field.
    categories = reverse("masterdata:setup_categories", kwargs={"connection_id": demo.pk})
    categories += "#id_account_cat-old"
    assert blocked.problems[0].fix is not None and blocked.problems[0].fix.url == categories
    assert blocked.document is not None  # the planned lines are still shown

    html = response.content.decode()
    assert "1 ready" in html and "1 with problems" in html
    assert "Account 6999 is inactive in Visma.net" in html
    assert f'<a class="fix-link" href="{categories}">Categories page</a>' in html
    assert "<td>6800</td><td>400.00</td>" in html

    # Nothing was written: Pleo was only read, Visma.net not even asked.
    pleo_requests = sandbox.requests("pleo")
    assert pleo_requests, "the preview reads the job from Pleo"
    assert {r["method"] for r in pleo_requests} == {"GET"}
    assert {r["path"] for r in pleo_requests} <= {
        "/v3/export-jobs",
        f"/v3/export-jobs/{job['id']}",
        "/v3/export-items",
    }
    assert sandbox.requests("visma") == []
    # The job is still waiting in Pleo for the exporter.
    assert sandbox.job(job["id"])["status"] == "pending"


def test_preview_of_an_unknown_job_says_so(sandbox: Sandbox, demo: Connection) -> None:
    client = Client()
    client.force_login(f.support())
    url = reverse("exports:preview", args=[demo.pk, "5e0d1a2b-0000-4000-8000-0000000fffff"])
    response = client.get(url)
    assert response.status_code == 200
    assert "Pleo does not know this export job" in response.content.decode()


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"data": [{"id": "job-without-company"}], "pagination": {"hasNextPage": False}}},
        {"body": "<html>Bad gateway</html>", "status": 200},
    ],
    ids=["off-spec-job", "html"],
)
def test_an_off_spec_pleo_answer_shows_on_the_pending_page_not_a_server_error(
    sandbox: Sandbox, demo: Connection, settings: Any, answer: dict[str, Any]
) -> None:
    settings.PLEO_API_URL = "https://pleo-api.example"
    client = Client()
    client.force_login(f.finance())
    with responses.RequestsMock(assert_all_requests_are_fired=True) as pleo:
        pleo.add_passthru(sandbox.base)
        pleo.get("https://pleo-api.example/v3/export-jobs", **answer)

        response = client.get(reverse("exports:pending", args=[demo.pk]))

    assert response.status_code == 200
    assert "Pleo could not be read" in response.content.decode()
