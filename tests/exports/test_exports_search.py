"""The Exports list: filters (failed only, dates, person, spend type), search by Pleo id, note
or supplier across the connection's runs, each result linking to its run's row; the runs list
read again for new runs; the item rows with note, receipts and both currencies."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection, ConnectionMembership
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.search import ItemFilters, export_items_search
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def connection() -> Connection:
    return f.connection_make()


@pytest.fixture
def items(connection: Connection) -> dict[str, ExportItem]:
    first = f.run_make(connection, job_id="job-march")
    second = f.run_make(connection, job_id="job-april")
    made = {
        "taxi": f.item_make(first, "entry-taxi-7f3a", supplier="Oslo Taxi", user="Jane Doe",
                            date="2026-03-02T08:00:00Z", type="card_purchase"),
        "hotel": f.item_make(first, "entry-hotel-19bc", status="failed",
                             reason_type="account_unknown", reason="Account 7140 is inactive",
                             supplier="Scandic", user="Ola Nordmann",
                             date="2026-03-20T18:00:00Z"),
        "km": f.item_make(second, "entry-km-55d0", supplier="", user="Jane Doe",
                          date="2026-04-05T12:00:00Z", type="mileage"),
    }  # fmt: skip
    # A note and receipts, as Pleo sends them.
    taxi = made["taxi"]
    taxi.payload["note"] = "Airport run for the board meeting"
    taxi.payload["files"] = [
        {"id": "f1", "url": "https://files.pleo.io/f1", "type": "receipt"},
        {"id": "f2", "url": "https://files.pleo.io/f2", "type": "receipt"},
    ]
    taxi.save()
    return made


@pytest.fixture
def finance_client() -> Client:
    return _client(f.finance())


def _search(client: Client, connection: Connection, **params: Any) -> Any:
    return client.get(reverse("exports:connection", args=[connection.pk]), params)


def _found(response: Any) -> list[str]:
    return [row.item.accounting_entry_id for row in response.context["found"]]


def test_search_by_pleo_id_finds_the_expense_and_links_to_its_run_row(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    hotel = items["hotel"]
    response = _search(finance_client, connection, q="entry-hotel-19bc")
    assert response.status_code == 200
    assert _found(response) == ["entry-hotel-19bc"]
    html = response.content.decode()
    assert f'href="{reverse("exports:run", args=[hotel.run_id])}#item-{hotel.pk}"' in html
    # The run page has that row.
    run_html = finance_client.get(reverse("exports:run", args=[hotel.run_id])).content.decode()
    assert f'id="item-{hotel.pk}"' in run_html
    # Part of the id is enough; the export job's id finds all of its expenses.
    assert _found(_search(finance_client, connection, q="HOTEL-19")) == ["entry-hotel-19bc"]
    assert sorted(_found(_search(finance_client, connection, q="job-march"))) == [
        "entry-hotel-19bc",
        "entry-taxi-7f3a",
    ]


def test_search_by_note_and_by_supplier(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    assert _found(_search(finance_client, connection, q="board meeting")) == ["entry-taxi-7f3a"]
    assert _found(_search(finance_client, connection, q="scandic")) == ["entry-hotel-19bc"]
    response = _search(finance_client, connection, q="nothing like this")
    assert _found(response) == []
    assert "No expense of this connection matches." in response.content.decode()


def test_filters_failed_only_dates_person_and_spend_type(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    assert _found(_search(finance_client, connection, failed="on")) == ["entry-hotel-19bc"]
    march = _search(finance_client, connection, date_from="2026-03-01", date_to="2026-03-20")
    # The end date counts whole: an expense at 18:00 on the 20th is in.
    assert sorted(_found(march)) == ["entry-hotel-19bc", "entry-taxi-7f3a"]
    assert _found(_search(finance_client, connection, date_from="2026-04-01")) == ["entry-km-55d0"]
    jane = _search(finance_client, connection, person="jane")
    assert sorted(_found(jane)) == ["entry-km-55d0", "entry-taxi-7f3a"]
    assert _found(_search(finance_client, connection, spend_type="mileage")) == ["entry-km-55d0"]
    both = _search(finance_client, connection, person="jane", spend_type="card_purchase")
    assert _found(both) == ["entry-taxi-7f3a"]


def test_bad_filters_are_explained_not_failed(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    response = _search(
        finance_client, connection, date_from="2026-05-01", date_to="2026-04-01", spend_type="x"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date is before the start date." in html
    assert "Select a valid choice" in html
    assert response.context["found"] == []
    response = _search(finance_client, connection, date_from="not a date")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_search_stays_within_the_connection(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    other = f.connection_make("Zulu AS")
    run = f.run_make(other, job_id="job-zulu")
    f.item_make(run, "entry-zulu-1", supplier="Scandic")
    assert _found(_search(finance_client, connection, q="Scandic")) == ["entry-hotel-19bc"]
    assert _found(_search(finance_client, connection, q="entry-zulu-1")) == []


def test_a_member_of_another_connection_cannot_search_this_one(
    connection: Connection, items: dict[str, ExportItem]
) -> None:
    stranger = f.user_with_role("finance", "olav")
    ConnectionMembership.objects.filter(user=stranger).delete()
    client = _client(stranger)
    assert _search(client, connection, q="entry-hotel-19bc").status_code == 404
    runs = client.get(reverse("exports:connection_runs", args=[connection.pk]))
    assert runs.status_code == 404


def test_support_staff_can_search(connection: Connection, items: dict[str, ExportItem]) -> None:
    client = _client(f.support())
    assert _found(_search(client, connection, q="entry-hotel")) == ["entry-hotel-19bc"]


def test_search_reads_a_bounded_number_of_queries(
    connection: Connection,
    items: dict[str, ExportItem],
    finance_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    run = f.run_make(connection, job_id="job-many")
    for n in range(30):
        f.item_make(run, f"entry-many-{n}", supplier="Scandic")
    with django_assert_max_num_queries(12):
        response = _search(finance_client, connection, q="Scandic")
    assert len(response.context["found"]) == 31


def test_results_are_capped_and_say_so(
    connection: Connection, items: dict[str, ExportItem]
) -> None:
    everything = ItemFilters(text="entry")
    found, more = export_items_search(connection=connection, filters=everything, limit=2)
    assert len(found) == 2 and more
    found, more = export_items_search(connection=connection, filters=everything, limit=3)
    assert len(found) == 3 and not more


def test_item_rows_show_note_receipts_both_currencies_and_the_pleo_link(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    taxi = items["taxi"]
    money = taxi.payload["amount"]
    money["inSupplierCurrency"] = {"currency": "EUR", "value": 5999}
    money["inWalletCurrency"] = {"currency": "NOK", "value": 69000}
    taxi.payload["_links"]["web"]["exportItem"] = "https://app.pleo.io/export/items/taxi"
    taxi.save()
    hotel = items["hotel"]
    hotel.payload["_links"]["web"]["exportItem"] = "javascript:alert(1)"
    hotel.save()
    html = finance_client.get(reverse("exports:run", args=[taxi.run_id])).content.decode()
    assert "EUR 59.99 (690.00 NOK)" in html
    assert "Airport run for the board meeting" in html
    row = html[html.index(f'id="item-{taxi.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td data-label="Receipts">2</td>' in row
    assert 'href="https://app.pleo.io/export/items/taxi"' in row
    # A link Pleo sent that is not https is no link.
    assert "javascript:" not in html
    assert "entry-hotel-19bc" in html


def test_runs_list_fragment_shows_new_runs(
    connection: Connection, items: dict[str, ExportItem], finance_client: Client
) -> None:
    url = reverse("exports:connection_runs", args=[connection.pk])
    page = finance_client.get(reverse("exports:connection", args=[connection.pk]))
    assert f'data-runs-url="{url}"' in page.content.decode()
    before = finance_client.get(url).content.decode()
    assert "job-new" not in before
    f.run_make(connection, job_id="job-new", status=ExportRun.Status.POSTING, items_total=2)
    after = finance_client.get(url).content.decode()
    assert "job-new" in after
    assert after.index("job-new") < after.index("job-april")


def test_rows_say_where_visma_net_keeps_the_document_and_hide_an_empty_reason_column(
    finance_client: Client,
) -> None:
    connection = f.connection_make()
    run = f.run_make(connection, job_id="job-ok", status="completed")
    f.item_make(run, "e-journal", visma_number="000201", visma_document_type="journal")
    f.item_make(run, "e-invoice", visma_number="000077", visma_document_type="Invoice")
    html = finance_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert 'title="In Visma.net: Journal transactions (GL301000), number 000201"' in html
    assert 'title="In Visma.net: Purchase invoices (AP301000), number 000077"' in html
    assert "<th>Reason</th>" not in html  # nothing failed
    failed = f.run_make(connection, job_id="job-bad")
    f.item_make(failed, "e-bad", status="failed", reason_type="vendor_unknown", reason="No.")
    html = finance_client.get(reverse("exports:run", args=[failed.pk])).content.decode()
    assert "<th>Reason</th>" in html and 'data-label="Reason"' in html
