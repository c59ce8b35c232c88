"""The Categories page and `category_mappings_update`: Pleo categories mapped to Visma.net
accounts and default tax codes, the tax code written to Pleo after the local save, Pleo failures
reported without losing the mapping, retry, rights."""

from __future__ import annotations

import json

import pytest
import responses
from django.conf import settings
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection
from integrations.core.errors import TransientError
from integrations.masterdata.models import CategoryMapping
from integrations.masterdata.setup import pleo_push
from integrations.masterdata.setup.services import CategoryMappingInput, category_mappings_update
from tests.masterdata.setup_support import (
    FakePleo,
    chart_account,
    connection_connected,
    mirror_seed,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    connection = connection_connected()
    mirror_seed(connection)
    return connection


@pytest.fixture
def pleo(monkeypatch: pytest.MonkeyPatch) -> FakePleo:
    fake = FakePleo(
        [
            chart_account("6540", "Equipment", tax="1"),
            chart_account("7140", "Travel", tax=None),
            # A category made in Pleo by hand: no Visma account behind its external id.
            chart_account("x", "Team lunches", external_id="manual-1", id="pleo-manual-1"),
        ]
    )
    monkeypatch.setattr(pleo_push, "_client", lambda connection: fake)
    return fake


def _url(connection: Connection) -> str:
    return reverse("masterdata:setup_categories", args=[connection.pk])


def _client(role: str, name: str) -> Client:
    client = Client()
    client.force_login(user_with_role(role, name))
    return client


GOOD = {
    "account_pleo-acc-6540": "6540",
    "vat_pleo-acc-6540": "1",
    "account_pleo-acc-7140": "7140",
    "vat_pleo-acc-7140": "3",
    "account_pleo-manual-1": "7140",
    "vat_pleo-manual-1": "R",
}


def test_page_prefills_from_the_account_each_category_came_from(
    connection: Connection, pleo: FakePleo
) -> None:
    page = _client("finance", "finn").get(_url(connection))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["account_pleo-acc-7140"] == "7140"
    assert form.initial["vat_pleo-acc-7140"] == "3"
    assert form.initial["account_pleo-manual-1"] == ""
    assert page.context["unmapped"] == 1  # the hand-made category


def test_archived_category_of_an_inactive_account_is_not_prefilled(
    connection: Connection, pleo: FakePleo
) -> None:
    pleo.accounts["pleo-acc-7999"] = chart_account("7999", "Closed expense", tax="1", archived=True)
    client = _client("finance", "finn")
    form = client.get(_url(connection)).context["form"]
    assert form.initial["account_pleo-acc-7999"] == ""
    # Saving the page as shown (every row, as a browser sends it) is accepted.
    shown = {name: form.initial.get(name, "") or "" for name in form.fields}
    saved = client.post(_url(connection), shown)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert set(
        CategoryMapping.objects.filter(connection=connection).values_list(
            "pleo_account_id", flat=True
        )
    ) == {"pleo-acc-6540", "pleo-acc-7140"}


def test_finance_maps_categories_and_pleo_gets_the_tax_codes(
    connection: Connection, pleo: FakePleo
) -> None:
    client = _client("finance", "finn")
    response = client.post(_url(connection), GOOD)
    assert response.status_code == 302
    mappings = {
        m.pleo_account_id: (m.visma_account_number, m.default_vat_category, m.pleo_account_name)
        for m in CategoryMapping.objects.filter(connection=connection)
    }
    assert mappings == {
        "pleo-acc-6540": ("6540", "1", "Equipment"),
        "pleo-acc-7140": ("7140", "3", "Travel"),
        "pleo-manual-1": ("7140", "R", "Team lunches"),
    }
    # Only the categories whose Pleo tax code differed were written; name/code/archived kept.
    assert sorted((u["id"], u["tax_code_external_id"]) for u in pleo.updates) == [
        ("pleo-acc-7140", "3"),
        ("pleo-manual-1", "R"),
    ]
    assert all(u["archived"] is False for u in pleo.updates)
    assert {u["name"] for u in pleo.updates} == {"Travel", "Team lunches"}
    history = CategoryMapping.history.filter(connection_id=connection.pk)
    assert {h.history_user.username for h in history} == {"finn"}
    page = client.get(_url(connection))
    assert "Team lunches" in page.content.decode()
    assert page.context["out_of_date"] == set()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"account_pleo-acc-6540": "7999"}, "Account 7999 is inactive"),
        ({"account_pleo-acc-6540": "5555"}, "Account 5555 does not exist"),
        ({"vat_pleo-acc-6540": "9"}, "VAT category 9 is inactive"),
        ({"vat_pleo-acc-6540": "ZZ"}, "VAT category ZZ does not exist"),
    ],
)
def test_invalid_choices_are_refused_and_nothing_is_written(
    connection: Connection, pleo: FakePleo, change: dict[str, str], reason: str
) -> None:
    response = _client("finance", "finn").post(_url(connection), {**GOOD, **change})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not CategoryMapping.objects.exists()
    assert pleo.updates == []


def test_pleo_failure_keeps_mapping_and_offers_retry(
    connection: Connection, pleo: FakePleo
) -> None:
    pleo.fail_update = TransientError("Pleo is down", service="pleo")
    client = _client("finance", "finn")
    response = client.post(_url(connection), GOOD, follow=True)
    body = response.content.decode()
    assert "Mappings saved here, but Pleo could not be updated for 2 categories" in body
    assert CategoryMapping.objects.filter(connection=connection).count() == 3
    assert response.context["out_of_date"] == {"pleo-acc-7140", "pleo-manual-1"}
    assert "Update Pleo again" in body

    pleo.fail_update = None
    retried = client.post(_url(connection), {"action": "push"}, follow=True)
    assert "Pleo is up to date (2 categories updated)" in retried.content.decode()
    assert retried.context["out_of_date"] == set()


def test_blank_account_removes_a_mapping(connection: Connection, pleo: FakePleo) -> None:
    user = user_with_role("finance", "finn")
    category_mappings_update(
        connection=connection,
        items=[CategoryMappingInput("pleo-acc-7140", "7140", "3", "Travel", "7140")],
        user=user,
    )
    result = category_mappings_update(
        connection=connection,
        items=[CategoryMappingInput("pleo-acc-7140", "", "", "Travel", "7140")],
        user=user,
    )
    assert result.removed == ["pleo-acc-7140"]
    assert not CategoryMapping.objects.exists()
    deleted = CategoryMapping.history.filter(history_type="-").get()
    assert deleted.history_user == user


def test_support_cannot_change_categories(connection: Connection, pleo: FakePleo) -> None:
    client = _client("support", "sue")
    assert client.get(_url(connection)).status_code == 200
    assert client.post(_url(connection), GOOD).status_code == 403
    assert client.post(_url(connection), {"action": "push"}).status_code == 403
    assert not CategoryMapping.objects.exists()


def test_page_falls_back_to_known_categories_when_pleo_is_unreachable(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Down:
        def chart_accounts_search(self) -> None:
            raise TransientError("connection refused", service="pleo")

    monkeypatch.setattr(pleo_push, "_client", lambda connection: Down())
    page = _client("finance", "finn").get(_url(connection))
    body = page.content.decode()
    assert "could not be read" in body
    # The accounts our sync created in Pleo are still listed.
    assert {c.pleo_account_id for c in page.context["read"].categories} == {
        "pleo-acc-6540",
        "pleo-acc-7140",
        "pleo-acc-7999",
    }


@responses.activate
def test_tax_code_reaches_pleo_through_the_client(connection: Connection) -> None:
    """The real client sends PUT /v1/chart-of-accounts/{id} with taxCodeExternalId."""
    base = settings.PLEO_API_URL
    account = {
        "id": "pleo-acc-7140",
        "externalId": "7140",
        "name": "Travel",
        "code": "7140",
        "archived": False,
        "taxCodeExternalId": None,
        "companyId": "company-1",
    }
    responses.post(
        f"{base}/v1/chart-of-accounts:search",
        json={"data": [account], "pagination": {"hasNextPage": False}},
    )
    responses.put(
        f"{base}/v1/chart-of-accounts/pleo-acc-7140",
        json={"data": {**account, "taxCodeExternalId": "3"}},
    )
    result = category_mappings_update(
        connection=connection,
        items=[CategoryMappingInput("pleo-acc-7140", "7140", "3", "Travel", "7140")],
        user=None,
    )
    assert result.pleo_updated == ["pleo-acc-7140"] and result.pleo_errors == {}
    put = next(c for c in responses.calls if c.request.method == "PUT")
    assert json.loads(put.request.body) == {
        "name": "Travel",
        "code": "7140",
        "archived": False,
        "taxCodeExternalId": "3",
    }


def test_history_reads_in_the_pages_words_with_names_not_ids(
    connection: Connection, pleo: FakePleo
) -> None:
    client = _client("finance", "finn")
    assert client.post(_url(connection), GOOD).status_code == 302
    changed = {**GOOD, "vat_pleo-acc-7140": "1"}
    assert client.post(_url(connection), changed).status_code == 302
    page = client.get(_url(connection))
    history = page.context["history"]
    lines = [line for entry in history for line in entry.changes]
    subjects = {entry.subject for entry in history}
    assert "Travel (7140)" in subjects
    assert "Pleo account: Travel (7140)" in lines
    assert "Visma.net account: 7140 Travel" in lines
    assert "Default tax code: 3 Input VAT 12 % → 1 Input VAT 25 %" in lines
    html = page.content.decode()
    assert "pleo_account_id" not in html and "pleo-acc-7140" not in html.split('id="history"')[1]
