"""One validation per setting: the same value goes through the setup page, the JSON API and the
setup overview (as if stored earlier), and all three give the same verdict, the one the table
expects. A value one of them accepts, the others never call broken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import responses
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    SyncRun,
    VismaBranch,
    VismaCashAccount,
    VismaPaymentMethod,
)
from integrations.masterdata.setup import pleo_push
from integrations.masterdata.setup.selectors import setup_overview
from tests.masterdata.setup_support import (
    FakePleo,
    Mirror,
    chart_account,
    connection_connected,
    mirror_seed,
    user_with_role,
)

pytestmark = pytest.mark.django_db

VISMA_API = django_settings.VISMA_API_URL.rstrip("/")
WALLETS = {"NOK": "1925", "EUR": "1926"}
ACCOUNTS = {
    "tax_account": "2710",
    "output_vat_account": "2700",
    "out_of_pocket_account": "2915",
    "default_vendor_number": "50001",
}
# (id, description, active, use in AP), mirrored and listed by Visma.net alike.
PAYMENT_METHODS = [
    ("PLEO", "Pleo card", True, True),
    ("OFF", "Old card", False, True),
    ("NOAP", "Receivables only", True, False),
]
CASH_ACCOUNTS = [("1925", "NOK"), ("1926", "EUR")]
BRANCHES = [("1", "Demo AS", True), ("2", "Closed branch", False)]


@dataclass
class World:
    mirror: Mirror
    visma: responses.RequestsMock

    @property
    def connection(self) -> Connection:
        return self.mirror.connection


def _configure(world: World) -> None:
    """A connection whose every setup step is done: the baseline each value is tried on."""
    connection = world.connection
    connection.events.create(kind="permission_check", ok=True)
    for kind in ("accounts", "tax_codes", "tags", "vendors"):
        SyncRun.objects.create(
            connection=connection,
            kind=kind,
            kinds=[kind],
            status=SyncRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
        )
    AccountMapping.objects.create(connection=connection, wallet_accounts=WALLETS, **ACCOUNTS)
    for segment, default in ((world.mirror.department, "00"), (world.mirror.project, "000")):
        SegmentSetting.objects.create(
            connection=connection, segment=segment, synced=True, default_value=default
        )
    for number in ("6540", "7140"):
        CategoryMapping.objects.create(
            connection=connection,
            pleo_account_id=f"pleo-acc-{number}",
            pleo_account_code=number,
            visma_account_number=number,
            default_vat_category=world.mirror.accounts[number].tax_category,
        )
    ExportSettings.objects.create(
        connection=connection, card_expenses_as_invoices=True, invoice_payment_method="PLEO"
    )
    VismaPaymentMethod.objects.filter(connection=connection).delete()
    for method_id, description, active, use_in_ap in PAYMENT_METHODS:
        VismaPaymentMethod.objects.create(
            connection=connection,
            payment_method_id=method_id,
            description=description,
            active=active,
            use_in_ap=use_in_ap,
        )
    for number, currency in CASH_ACCOUNTS:
        VismaCashAccount.objects.create(connection=connection, number=number, currency=currency)
    for number, name, active in BRANCHES:
        VismaBranch.objects.create(connection=connection, number=number, name=name, active=active)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(
        pleo_push,
        "_client",
        lambda connection: FakePleo(
            [chart_account("6540", "Equipment", tax="1"), chart_account("7140", "Travel")]
        ),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as visma:
        # What Visma.net lists when a page refreshes the mirror: the same as the mirror holds.
        visma.get(
            f"{VISMA_API}/v1/paymentmethod",
            json=[
                {
                    "paymentMethodID": method_id,
                    "description": description,
                    "active": active,
                    "useInAP": use_in_ap,
                    "meansOfPayment": "CreditCard",
                }
                for method_id, description, active, use_in_ap in PAYMENT_METHODS
            ],
        )
        visma.get(
            f"{VISMA_API}/v1/cashaccount",
            json=[{"number": n, "currency": c} for n, c in CASH_ACCOUNTS],
        )
        visma.get(
            f"{VISMA_API}/v1/branch",
            json=[
                {"number": n, "name": name, "isActive": active, "isMainBranch": n == "1"}
                for n, name, active in BRANCHES
            ],
        )
        world = World(mirror=mirror_seed(connection_connected()), visma=visma)
        _configure(world)
        assert {s.state for s in setup_overview(connection=world.connection)} == {"done"}
        yield world


def _page_client() -> Client:
    client = Client()
    client.force_login(user_with_role("finance", "finn"))
    return client


def _api_client() -> APIClient:
    client = APIClient()
    user = user_with_role("finance", "robot")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# -- how each channel takes a value ------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    name: str
    step: str  # the setup overview's step judging it
    page: Callable[[Client, Connection, str], int]  # -> status
    api: Callable[[APIClient, Connection, str], int] | None  # -> status; None: no API
    store: Callable[[Connection, str], None]  # as if saved earlier, bypassing every check


def _accounts(wallets: dict[str, str], accounts: dict[str, str]) -> dict[str, str]:
    return {**{f"wallet_{c}": n for c, n in wallets.items()}, **accounts}


def _accounts_page(field: str) -> Callable[[Client, Connection, str], int]:
    def post(client: Client, connection: Connection, value: str) -> int:
        wallets = {**WALLETS, "NOK": value} if field == "wallet_NOK" else WALLETS
        accounts = {**ACCOUNTS, field: value} if field in ACCOUNTS else ACCOUNTS
        url = reverse("masterdata:setup_accounts", args=[connection.pk])
        return client.post(url, _accounts(wallets, accounts)).status_code

    return post


def _accounts_api(field: str) -> Callable[[APIClient, Connection, str], int]:
    def put(client: APIClient, connection: Connection, value: str) -> int:
        wallets = {**WALLETS, "NOK": value} if field == "wallet_NOK" else WALLETS
        accounts = {**ACCOUNTS, field: value} if field in ACCOUNTS else ACCOUNTS
        url = reverse("api_account_mapping", kwargs={"connection_id": connection.pk})
        body = {"wallet_accounts": wallets, **accounts}
        return client.put(url, body, format="json").status_code

    return put


def _accounts_store(field: str) -> Callable[[Connection, str], None]:
    def store(connection: Connection, value: str) -> None:
        mapping = AccountMapping.objects.get(connection=connection)
        if field == "wallet_NOK":
            mapping.wallet_accounts = {**WALLETS, "NOK": value}
        else:
            setattr(mapping, field, value)
        mapping.save()

    return store


def _tags_page(client: Client, connection: Connection, value: str) -> int:
    url = reverse("masterdata:setup_tags", args=[connection.pk])
    form = {"synced_1": "on", "default_1": value, "synced_2": "on", "default_2": "000"}
    return client.post(url, form).status_code


def _tags_api(client: APIClient, connection: Connection, value: str) -> int:
    url = reverse("api_tag_settings", kwargs={"connection_id": connection.pk})
    body = {"segments": [{"segment_id": 1, "synced": True, "default_value": value}]}
    return client.put(url, body, format="json").status_code


def _tags_store(connection: Connection, value: str) -> None:
    SegmentSetting.objects.filter(connection=connection, segment__segment_id=1).update(
        default_value=value
    )


def _categories_page(client: Client, connection: Connection, value: str) -> int:
    url = reverse("masterdata:setup_categories", args=[connection.pk])
    form = {
        "account_pleo-acc-6540": "6540",
        "vat_pleo-acc-6540": "1",
        "account_pleo-acc-7140": value,
        "vat_pleo-acc-7140": "3",
    }
    return client.post(url, form).status_code


def _categories_api(client: APIClient, connection: Connection, value: str) -> int:
    url = reverse("api_category_mappings", kwargs={"connection_id": connection.pk})
    row = {"pleo_account_id": "pleo-acc-7140", "visma_account_number": value}
    body = {"mappings": [{**row, "default_vat_category": "3"}]}
    return client.put(url, body, format="json").status_code


def _categories_store(connection: Connection, value: str) -> None:
    CategoryMapping.objects.filter(connection=connection, pleo_account_id="pleo-acc-7140").update(
        visma_account_number=value
    )


EXPORT = {
    "transfer_attachments": True,
    "one_journal_per_export": False,
    "card_expenses_as_invoices": True,
    "auto_release_invoices": False,
    "invoice_payment_method": "PLEO",
    "closed_period_policy": "fail",
}


def _export_values(field: str, value: str) -> dict[str, Any]:
    if field == "wallet_EUR":
        return EXPORT
    return {**EXPORT, field: value}


def _export_prepare(connection: Connection, field: str, value: str) -> None:
    if field == "wallet_EUR":  # the Pleo Wallet as the invoices' cash account
        AccountMapping.objects.filter(connection=connection).update(
            wallet_accounts={**WALLETS, "EUR": value}
        )


def _export_page(field: str) -> Callable[[Client, Connection, str], int]:
    def post(client: Client, connection: Connection, value: str) -> int:
        _export_prepare(connection, field, value)
        form = {k: ("on" if v is True else v) for k, v in _export_values(field, value).items()}
        form = {k: v for k, v in form.items() if v is not False}
        url = reverse("connections:export_settings", args=[connection.pk])
        return client.post(url, form).status_code

    return post


def _export_api(field: str) -> Callable[[APIClient, Connection, str], int]:
    def put(client: APIClient, connection: Connection, value: str) -> int:
        _export_prepare(connection, field, value)
        url = reverse("api_export_settings", kwargs={"connection_id": connection.pk})
        body = {**_export_values(field, value), "journal_batch_max_lines": 500}
        return client.put(url, body, format="json").status_code

    return put


def _export_store(field: str) -> Callable[[Connection, str], None]:
    def store(connection: Connection, value: str) -> None:
        _export_prepare(connection, field, value)
        ExportSettings.objects.filter(connection=connection).update(
            **{k: v for k, v in _export_values(field, value).items()}
        )

    return store


def _branch_page(client: Client, connection: Connection, value: str) -> int:
    url = reverse("connections:branch", args=[connection.pk])
    return client.post(url, {"branch_number": value}).status_code


def _branch_store(connection: Connection, value: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(visma_branch_number=value)


def _accounts_setting(field: str) -> Setting:
    return Setting(
        field,
        "Accounts mapped",
        _accounts_page(field),
        _accounts_api(field),
        _accounts_store(field),
    )


def _export_setting(field: str) -> Setting:
    return Setting(
        field,
        "Export settings saved",
        _export_page(field),
        _export_api(field),
        _export_store(field),
    )


SETTINGS = {
    s.name: s
    for s in (
        _accounts_setting("wallet_NOK"),
        _accounts_setting("tax_account"),
        _accounts_setting("output_vat_account"),
        _accounts_setting("out_of_pocket_account"),
        _accounts_setting("default_vendor_number"),
        Setting("tag_default", "Tags configured", _tags_page, _tags_api, _tags_store),
        Setting(
            "category_account",
            "Categories mapped",
            _categories_page,
            _categories_api,
            _categories_store,
        ),
        _export_setting("invoice_payment_method"),
        _export_setting("wallet_EUR"),
        _export_setting("closed_period_policy"),
        # The branch has no API: it is chosen on the connection page.
        Setting("branch", "Branch chosen", _branch_page, None, _branch_store),
    )
}

# (setting, value, accepted)
CASES = [
    ("wallet_NOK", "1925", True),
    ("wallet_NOK", "1930", True),  # an asset account without a fixed currency
    ("wallet_NOK", "1999", False),  # inactive
    ("wallet_NOK", "6540", False),  # an expense account
    ("wallet_NOK", "1926", False),  # kept in EUR
    ("wallet_NOK", "4444", False),  # unknown
    ("tax_account", "2710", True),
    ("tax_account", "7140", False),
    ("tax_account", "7999", False),
    ("output_vat_account", "2700", True),
    ("output_vat_account", "1999", False),
    ("out_of_pocket_account", "2915", True),
    ("out_of_pocket_account", "7140", False),
    ("default_vendor_number", "50001", True),
    ("default_vendor_number", "50002", False),  # inactive supplier
    ("default_vendor_number", "59999", False),  # unknown supplier
    ("tag_default", "10", True),
    ("tag_default", "99", False),  # inactive value
    ("tag_default", "77", False),  # unknown value
    ("tag_default", "", False),  # a synced segment needs a default
    ("category_account", "7140", True),
    ("category_account", "7999", False),  # inactive
    ("category_account", "4444", False),  # unknown
    ("invoice_payment_method", "PLEO", True),
    ("invoice_payment_method", "OFF", False),  # inactive
    ("invoice_payment_method", "NOAP", False),  # not for accounts payable
    ("invoice_payment_method", "NOPE", False),  # unknown
    ("invoice_payment_method", "", False),  # invoices on need one
    ("wallet_EUR", "1926", True),  # a cash account in EUR
    ("wallet_EUR", "1930", False),  # no cash account
    ("wallet_EUR", "1925", False),  # a cash account, in NOK
    ("closed_period_policy", "first_open", True),
    ("closed_period_policy", "never", False),
    ("branch", "1", True),
    ("branch", "2", False),  # inactive
    ("branch", "7", False),  # unknown
]


def _baseline(world: World) -> None:
    """Undo whatever a channel saved, so each channel starts from the same setup."""
    connection = world.connection
    for model in (AccountMapping, SegmentSetting, CategoryMapping, ExportSettings, SyncRun):
        model.objects.filter(connection=connection).delete()
    for model in (VismaPaymentMethod, VismaCashAccount, VismaBranch):
        model.objects.filter(connection=connection).delete()
    connection.events.all().delete()
    Connection.objects.filter(pk=connection.pk).update(visma_branch_number="1")
    connection.refresh_from_db()
    _configure(world)


@pytest.mark.parametrize(("name", "value", "accepted"), CASES)
def test_page_api_and_overview_give_one_verdict(
    world: World, name: str, value: str, accepted: bool
) -> None:
    setting = SETTINGS[name]
    connection = world.connection

    page_status = setting.page(_page_client(), connection, value)
    assert page_status in (302, 400), page_status  # saved and redirected, or refused
    verdicts = {"page": page_status == 302}
    _baseline(world)
    if setting.api is not None:
        api_status = setting.api(_api_client(), connection, value)
        assert api_status in (200, 202, 400), api_status
        verdicts["api"] = api_status != 400
        _baseline(world)
    setting.store(connection, value)
    connection.refresh_from_db()
    step = next(s for s in setup_overview(connection=connection) if s.name == setting.step)
    verdicts["overview"] = step.state != "broken"

    assert verdicts == {channel: accepted for channel in verdicts}, step.detail
