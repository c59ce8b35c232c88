from __future__ import annotations

from typing import Any

import pytest
import responses
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from integrations.connections import services
from integrations.connections.export_settings import PaymentMethodChoice
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.visma.types import CashAccount, PaymentMethod
from tests.connections.conftest import VISMA_API

pytestmark = pytest.mark.django_db

METHODS = [
    PaymentMethodChoice("PLEO", "Pleo card", True, True, "DirectDeposit"),
    PaymentMethodChoice("BANK", "Bank transfer", True, True, "DirectDeposit"),
    PaymentMethodChoice("CARD", "Company card", True, True, "CreditCard"),
    PaymentMethodChoice("OLD", "Old method", False, True, "CashOrCheck"),
]


def _update(connection: Connection, user: User, **overrides: Any) -> ExportSettings:
    values: dict[str, Any] = {
        "transfer_attachments": True,
        "one_journal_per_export": False,
        "card_expenses_as_invoices": True,
        "auto_release_invoices": True,
        "invoice_payment_method": "PLEO",
        "closed_period_policy": "fail",
        "payment_methods": METHODS,
    }
    values.update(overrides)
    return services.export_settings_update(connection=connection, by=user, **values)


def test_valid_settings_are_saved_with_history(connection: Connection, finance_user: User) -> None:
    settings = _update(connection, finance_user, closed_period_policy="first_open")
    assert settings.invoice_payment_method == "PLEO" and settings.auto_release_invoices
    last = settings.history.first()
    assert last is not None and last.history_user == finance_user
    assert last.closed_period_policy == "first_open"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"invoice_payment_method": ""}, "invoice_payment_method"),
        ({"invoice_payment_method": "NOPE"}, "invoice_payment_method"),
        ({"invoice_payment_method": "OLD"}, "invoice_payment_method"),
        ({"closed_period_policy": "whenever"}, "closed_period_policy"),
        (
            {
                "card_expenses_as_invoices": False,
                "auto_release_invoices": True,
                "invoice_payment_method": "",
            },
            "auto_release_invoices",
        ),
        (
            {"card_expenses_as_invoices": False, "auto_release_invoices": False},
            "invoice_payment_method",
        ),
    ],
)
def test_invalid_settings_change_nothing(
    connection: Connection, finance_user: User, overrides: dict[str, Any], field: str
) -> None:
    before = ExportSettings.objects.get(connection=connection)
    history = before.history.count()
    with pytest.raises(ValidationError) as info:
        _update(connection, finance_user, one_journal_per_export=True, **overrides)
    assert field in info.value.message_dict
    after = ExportSettings.objects.get(connection=connection)
    assert after.one_journal_per_export is False
    assert after.history.count() == history


def test_invoice_options_keep_their_values_while_invoices_are_off(
    connection: Connection, finance_user: User
) -> None:
    _update(connection, finance_user)
    settings = _update(
        connection,
        finance_user,
        card_expenses_as_invoices=False,
        auto_release_invoices=True,
        invoice_payment_method="PLEO",
    )
    assert not settings.card_expenses_as_invoices
    assert settings.invoice_payment_method == "PLEO"


def test_pay_twice_warning() -> None:
    warned = {m.id for m in METHODS if m.warning}
    assert warned == {"BANK", "OLD"}


@pytest.mark.parametrize(("means", "warned"), [("CreditCard", False), ("DirectDeposit", True)])
def test_means_of_payment_is_read_from_visma(means: str, warned: bool) -> None:
    record = {"paymentMethodID": "BANK", "description": "Bank", "active": True, "useInAP": True}
    method = PaymentMethod.from_api({**record, "meansOfPayment": means})
    assert method.means_of_payment == means
    assert bool(PaymentMethodChoice.from_visma(method).warning) is warned
    assert PaymentMethod.from_api(record).means_of_payment is None


# -- the Pleo Wallet as the purchase invoices' cash account (DESIGN §5) ------------------------

CASH_ACCOUNTS = [
    CashAccount("1920", "Bank", "NOK"),
    CashAccount("1925", "Pleo Wallet NOK", "NOK"),
    CashAccount("1926", "Pleo Wallet EUR", "EUR"),
]


def _wallets(connection: Connection, **wallets: str) -> None:
    AccountMapping.objects.update_or_create(
        connection=connection, defaults={"wallet_accounts": wallets}
    )


def test_invoices_on_need_each_wallet_account_to_be_a_cash_account(
    connection: Connection, finance_user: User
) -> None:
    _wallets(connection, NOK="1925", EUR="1930", SEK="1926")

    with pytest.raises(ValidationError) as info:
        _update(connection, finance_user, cash_accounts=CASH_ACCOUNTS)

    assert info.value.message_dict["card_expenses_as_invoices"] == [
        "The Pleo Wallet account for EUR, 1930, is not a cash account in Visma.net, and purchase "
        "invoices name it as the account they were paid from: create cash account 1930 in "
        "Visma.net (Cash accounts, CA202000) or choose a Pleo Wallet account that is one on the "
        "Accounts page.",
        "Cash account 1926 is in EUR, not SEK: choose the Pleo Wallet account for SEK on the "
        "Accounts page.",
    ]
    assert not ExportSettings.objects.get(connection=connection).card_expenses_as_invoices


def test_wallet_accounts_that_are_cash_accounts_pass(
    connection: Connection, finance_user: User
) -> None:
    _wallets(connection, NOK="1925", EUR="1926")

    settings = _update(connection, finance_user, cash_accounts=CASH_ACCOUNTS)

    assert settings.card_expenses_as_invoices


def test_cash_accounts_are_not_checked_while_invoices_are_off(
    connection: Connection, finance_user: User
) -> None:
    _wallets(connection, NOK="1999")

    settings = _update(
        connection, finance_user, card_expenses_as_invoices=False, auto_release_invoices=False,
        invoice_payment_method="", cash_accounts=[],
    )  # fmt: skip

    assert not settings.card_expenses_as_invoices


def test_cash_accounts_are_read_from_visma_when_not_given(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _wallets(connected, NOK="1925")
    mocked.get(f"{VISMA_API}/v1/cashaccount", json=[{"number": "1920", "currency": "NOK"}])

    with pytest.raises(ValidationError) as info:
        _update(connected, finance_user)

    [problem] = info.value.message_dict["card_expenses_as_invoices"]
    assert problem.startswith("The Pleo Wallet account for NOK, 1925, is not a cash account")


def test_a_failed_cash_account_read_is_named(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _wallets(connected, NOK="1925")
    mocked.get(f"{VISMA_API}/v1/cashaccount", status=400, json={"message": "No access"})

    with pytest.raises(ValidationError) as info:
        _update(connected, finance_user)

    assert info.value.message_dict["card_expenses_as_invoices"] == [
        "Visma.net did not list the cash accounts: No access"
    ]
