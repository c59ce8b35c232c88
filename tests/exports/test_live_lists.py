"""The lists of every connection (home, Connections, Exports) are served alone too, for the
pages to ask for them again every few seconds; each page names its list's address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from integrations.exports.models import ExportRun
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db

LISTS = {
    "home": "home_connections",
    "connections:list": "connections:list_box",
    "exports:index": "exports:index_runs",
}


@pytest.mark.parametrize(("page", "part"), list(LISTS.items()))
def test_each_page_names_its_list_and_the_list_follows_failures(page: str, part: str) -> None:
    connection = f.connection_make()
    client = Client()
    client.force_login(f.finance())
    html = client.get(reverse(page)).content.decode()
    assert f'data-runs-url="{reverse(part)}"' in html
    assert "data-attention" not in client.get(reverse(part)).content.decode()
    run = f.run_make(connection, job_id="job-9", status=ExportRun.Status.COMPLETED_WITH_ERRORS)
    f.item_make(run, "e-9", status="failed", reason_type="vendor_unknown", reason="No vendor.")
    fresh = client.get(reverse(part))
    assert fresh.status_code == 200
    body = fresh.content.decode()
    assert "<html" not in body  # the list alone, not the page
    if part == "exports:index_runs":
        assert f'data-run="{run.pk}"' in body and f"{run.pk}:completed_with_errors" in body
    else:
        assert "1 item needs attention" in body


@pytest.mark.parametrize("part", list(LISTS.values()))
def test_lists_need_a_signed_in_reader(part: str) -> None:
    f.connection_make()
    assert Client().get(reverse(part)).status_code == 302
    reader = Client()
    reader.force_login(f.support())
    assert reader.get(reverse(part)).status_code == 200
    nobody = Client()
    nobody.force_login(f.user_with_role(None))
    assert nobody.get(reverse(part)).status_code == 403
