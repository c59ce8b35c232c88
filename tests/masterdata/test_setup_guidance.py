"""Guidance on the setup pages: the categories page lists only expense categories with readable
choices and every state explained; a saved step names the next one with its link; empty states
link to the sync that fills them; the sync page's cards count a sync of everything."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection
from integrations.masterdata.models import CategoryMapping, SyncRun, VismaVatCategory
from integrations.masterdata.setup import pleo_push
from integrations.masterdata.setup.forms import DASH, vat_category_label
from integrations.masterdata.setup.selectors import setup_next_step
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
            chart_account("7999", "Closed expense", archived=True),
            # Pushed by the accounts sync like every account: balance-sheet ones.
            chart_account("1930", "Bank"),
            chart_account("2710", "Input VAT"),
            chart_account("2915", "Employee liability"),
        ]
    )
    monkeypatch.setattr(pleo_push, "_client", lambda connection: fake)
    return fake


def _finance() -> Client:
    client = Client()
    client.force_login(
        User.objects.filter(username="fiona").first() or user_with_role("finance", "fiona")
    )
    return client


def _categories(connection: Connection) -> str:
    return reverse("masterdata:setup_categories", args=[connection.pk])


def test_balance_sheet_categories_are_listed_apart_and_not_mapped(
    connection: Connection, pleo: FakePleo
) -> None:
    page = _finance().get(_categories(connection))
    assert page.status_code == 200
    mapped_rows = [category.code for category, _, _, _ in page.context["table"]]
    assert mapped_rows == ["6540", "7140", "7999"]
    assert [c.code for c in page.context["balance_sheet"]] == ["1930", "2710", "2915"]
    form = page.context["form"]
    assert "account_pleo-acc-1930" not in form.fields
    html = page.content.decode()
    assert "3 balance-sheet accounts (not mapped)" in html
    # Saving sends only the expense rows: nothing maps a bank account to itself.
    data = {
        "account_pleo-acc-6540": "6540",
        "vat_pleo-acc-6540": "1",
        "account_pleo-acc-7140": "7140",
        "vat_pleo-acc-7140": "3",
    }
    assert _finance().post(_categories(connection), data).status_code == 302
    assert set(CategoryMapping.objects.values_list("visma_account_number", flat=True)) == {
        "6540",
        "7140",
    }


def test_choices_read_number_dash_name(connection: Connection, pleo: FakePleo) -> None:
    form = _finance().get(_categories(connection)).context["form"]
    accounts = dict(form.fields["account_pleo-acc-6540"].widget.choices)
    assert accounts["7140"] == "7140" + DASH + "Travel"
    taxes = dict(form.fields["vat_pleo-acc-6540"].widget.choices)
    assert taxes["1"] == "1" + DASH + "Input VAT 25 %"
    assert taxes["R"] == "R" + DASH + "Reverse charge services (25 %), reverse charge"


@pytest.mark.parametrize(
    ("description", "rate", "label"),
    [
        ("Input VAT 25%", Decimal("25.0000"), "1" + DASH + "Input VAT 25%"),
        ("Input VAT 25 %", Decimal("25"), "1" + DASH + "Input VAT 25 %"),
        ("Food", Decimal("15"), "1" + DASH + "Food (15 %)"),
        ("Standard", Decimal("20"), "1" + DASH + "Standard (20 %)"),
        ("Low 12.5 %", Decimal("12.5"), "1" + DASH + "Low 12.5 %"),
        ("Zero", None, "1" + DASH + "Zero"),
    ],
)
def test_tax_code_label_names_the_rate_once(
    description: str, rate: Decimal | None, label: str
) -> None:
    category = VismaVatCategory(vat_category_id="1", description=description, rate=rate)
    assert vat_category_label(category) == label


def test_every_state_is_explained(connection: Connection, pleo: FakePleo) -> None:
    CategoryMapping.objects.create(
        connection=connection,
        pleo_account_id="pleo-acc-6540",
        visma_account_number="6540",
        default_vat_category="1",
    )
    page = _finance().get(_categories(connection))
    states = {category.code: state for category, _, _, state in page.context["table"]}
    assert states["6540"].short == "Saved"
    assert states["7140"].short == "Suggested, not saved"
    assert "Press Save" in states["7140"].explanation
    archived = states["7999"]
    assert archived.short == "Archived, not mapped"
    assert archived.css == "muted"
    assert "needs no mapping" in archived.explanation
    assert archived.explanation in page.content.decode()


def test_empty_categories_link_to_the_accounts_sync(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pleo_push, "_client", lambda connection: FakePleo([]))
    page = _finance().get(_categories(connection))
    html = page.content.decode()
    sync = reverse("masterdata:sync", args=[connection.pk])
    assert f'href="{sync}?kind=accounts">Run the accounts sync</a>' in html
    # The sync page then has that kind chosen.
    sync_page = _finance().get(f"{sync}?kind=accounts")
    assert sync_page.context["chosen_kind"] == "accounts"
    assert _finance().get(f"{sync}?kind=bogus").context["chosen_kind"] == "all"


def test_a_saved_step_names_the_next_one(connection: Connection, pleo: FakePleo) -> None:
    data = {
        "account_pleo-acc-6540": "6540",
        "vat_pleo-acc-6540": "1",
        "account_pleo-acc-7140": "7140",
        "vat_pleo-acc-7140": "3",
    }
    response = _finance().post(_categories(connection), data)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    # The permission check has never run: it is the first step not done after Categories
    # (the order wraps round).
    step = setup_next_step(connection_id=connection.pk, after="Categories mapped")
    assert step is not None
    assert message.endswith(f'Next: <a href="{step.url}">{step.label}</a>.')
    assert step.label == "Choose the export settings"


def test_next_step_when_everything_is_done_is_the_exports(connection: Connection) -> None:
    assert setup_next_step(connection_id=connection.pk + 1000, after="Branch chosen") is None
    step = setup_next_step(connection_id=connection.pk, after="Branch chosen")
    assert step is not None and step.label == "Run the permission check"
    assert step.url == reverse("connections:detail", args=[connection.pk]) + "#check"


def test_sync_cards_count_a_sync_of_everything(connection: Connection) -> None:
    SyncRun.objects.create(
        connection=connection,
        kind="all",
        kinds=["reference", "tax_codes", "accounts", "tags", "vendors"],
        status=SyncRun.Status.SUCCEEDED,
    )
    page = _finance().get(reverse("masterdata:sync", args=[connection.pk]))
    cards = {value: runs for value, _, runs in page.context["by_kind"]}
    assert all(len(runs) == 1 for runs in cards.values()), cards
    assert "Not synced yet." not in page.content.decode()
