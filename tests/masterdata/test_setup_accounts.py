"""The Accounts page and `account_mapping_update`: valid values saved with history, refused
values named with their reason, rights."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from integrations.connections.models import AccountMapping, Connection
from integrations.masterdata.setup.services import AccountMappingInput, account_mapping_update
from tests.masterdata.setup_support import connection_connected, mirror_seed, user_with_role

pytestmark = pytest.mark.django_db

GOOD = {
    "wallet_NOK": "1925",
    "new_currency": "eur",
    "new_wallet_account": "1926",
    "out_of_pocket_account": "2915",
    "tax_account": "2710",
    "output_vat_account": "2700",
    "default_vendor_number": "50001",
}


@pytest.fixture
def connection() -> Connection:
    connection = connection_connected()
    mirror_seed(connection)
    # The page offers a row per known wallet currency; start with NOK mapped.
    AccountMapping.objects.create(connection=connection, wallet_accounts={"NOK": "1930"})
    return connection


def _url(connection: Connection) -> str:
    return reverse("masterdata:setup_accounts", args=[connection.pk])


def _finance_client() -> Client:
    client = Client()
    client.force_login(user_with_role("finance", "finn"))
    return client


def test_finance_saves_valid_mapping_with_history(connection: Connection) -> None:
    client = _finance_client()
    response = client.post(_url(connection), GOOD)
    assert response.status_code == 302
    mapping = AccountMapping.objects.get(connection=connection)
    assert mapping.wallet_accounts == {"EUR": "1926", "NOK": "1925"}
    assert (mapping.tax_account, mapping.output_vat_account) == ("2710", "2700")
    assert (mapping.out_of_pocket_account, mapping.default_vendor_number) == ("2915", "50001")
    latest = mapping.history.latest()
    assert latest.history_user.username == "finn"
    assert latest.history_change_reason == "Changed on the Accounts page"

    page = client.get(_url(connection))
    body = page.content.decode()
    # Both currencies now have a row, and the history shows who changed what.
    assert "Pleo Wallet account (EUR)" in body and "Pleo Wallet account (NOK)" in body
    # In the page's words, the account with its name.
    assert "finn" in body and "Tax account: — → 2710 Input VAT" in body


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"wallet_NOK": "1999"}, "Account 1999 is inactive"),
        ({"wallet_NOK": "4242"}, "Account 4242 does not exist"),
        ({"new_wallet_account": "1925"}, "Account 1925 is kept in NOK"),
        ({"wallet_NOK": "6540"}, "Account 6540 is an Expense account"),
        ({"tax_account": "7140"}, "Account 7140 is an Expense account"),
        ({"tax_account": ""}, "Choose the tax account"),
        ({"default_vendor_number": "50002"}, "Supplier 50002 (Gone AS) is not active"),
        ({"default_vendor_number": "77777"}, "Supplier 77777 does not exist"),
        ({"new_currency": "EURO"}, "is not a currency code"),
    ],
)
def test_invalid_values_are_refused_with_reason(
    connection: Connection, change: dict[str, str], reason: str
) -> None:
    before = AccountMapping.objects.get(connection=connection).wallet_accounts
    response = _finance_client().post(_url(connection), {**GOOD, **change})
    assert response.status_code == 400
    assert reason in response.content.decode()
    mapping = AccountMapping.objects.get(connection=connection)
    assert mapping.wallet_accounts == before  # nothing saved
    assert mapping.tax_account == ""


def test_support_sees_page_but_cannot_save(connection: Connection) -> None:
    client = Client()
    client.force_login(user_with_role("support", "sue"))
    page = client.get(_url(connection))
    assert page.status_code == 200
    assert "only finance staff can change it" in page.content.decode()
    assert client.post(_url(connection), GOOD).status_code == 403
    assert AccountMapping.objects.get(connection=connection).tax_account == ""


def test_user_without_role_is_refused_and_anonymous_sent_to_login(connection: Connection) -> None:
    nobody = Client()
    nobody.force_login(user_with_role(None, "nobody"))
    assert nobody.get(_url(connection)).status_code == 403
    anonymous = Client().get(_url(connection))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_post_without_csrf_token_is_refused(connection: Connection) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role("finance", "finn"))
    assert client.post(_url(connection), GOOD).status_code == 403
    page = client.get(_url(connection))
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_service_records_user_and_skips_unchanged_saves(connection: Connection) -> None:
    user = user_with_role("finance", "api-user")
    data = AccountMappingInput(wallet_accounts={"NOK": "1925"}, tax_account="2710")
    account_mapping_update(connection=connection, data=data, user=user, reason="via test")
    mapping = AccountMapping.objects.get(connection=connection)
    count = mapping.history.count()
    account_mapping_update(connection=connection, data=data, user=user, reason="via test")
    assert mapping.history.count() == count  # no change, no history row
    assert mapping.history.latest().history_change_reason == "via test"


def test_service_reports_every_problem_at_once(connection: Connection) -> None:
    data = AccountMappingInput(
        wallet_accounts={"NOK": "1999"}, tax_account="6540", default_vendor_number="50002"
    )
    with pytest.raises(ValidationError) as caught:
        account_mapping_update(connection=connection, data=data, user=None)
    assert set(caught.value.message_dict) == {
        "wallet_accounts",
        "tax_account",
        "default_vendor_number",
    }
