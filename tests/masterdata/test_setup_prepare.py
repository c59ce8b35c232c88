"""The Accounts page creates in Visma.net what Pleo's help asks finance staff to prepare by hand:
the Pleo Wallet account, the out-of-pocket account and the default vendor. Against the Visma.net
sandbox's unprepared company (Fjord Start AS), served in-process."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from integrations.connections.models import AccountMapping, Connection
from integrations.connections.services import connection_pleo_client, connection_visma_client
from integrations.demo.connection import DemoSetup, demo_connection_prepare, demo_session
from integrations.masterdata.models import VismaAccount, VismaSupplier
from integrations.masterdata.setup import prepare
from integrations.masterdata.sync import masterdata_sync
from integrations.visma.types import AccountInput
from tests.masterdata.setup_support import user_with_role
from tests.membership import connection_admits_every_user

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:9"
FJORD = DemoSetup(
    name="Fjord Start AS",
    pleo_company="setup-company",
    visma_tenant="fjord-start-tenant",
    wallet_accounts=(),
    out_of_pocket_account="",
    default_vendor_number="",
    members=(),
)


@pytest.fixture
def fjord(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Connection:
    # Nothing listens on port 9 (discard): every request is served in-process.
    settings.PUBLIC_BASE_URL = BASE
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{BASE}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{BASE}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    call_command("sandbox_seed", preset="demo")
    session = demo_session()
    connection = connection_admits_every_user(demo_connection_prepare(setup=FJORD, session=session))

    def visma_client(*, connection: Connection, session: Any = None) -> Any:
        return connection_visma_client(connection=connection, session=demo_session())

    def pleo_client(*, connection: Connection, session: Any = None) -> Any:
        return connection_pleo_client(connection=connection, session=demo_session())

    monkeypatch.setattr(prepare, "connection_visma_client", visma_client)
    # The sync queued after a creation runs inline in tests; it reaches the sandboxes in-process.
    monkeypatch.setattr("integrations.masterdata.sync.run.connection_visma_client", visma_client)
    monkeypatch.setattr("integrations.masterdata.sync.run.connection_pleo_client", pleo_client)
    masterdata_sync(connection_id=connection.pk, kinds=["all"], full=True)
    return connection


def _fjord_records(kind: str) -> list[dict[str, Any]]:
    answer = demo_session().get(
        f"{BASE}/sandbox/visma/_control/state",
        params={"tenantId": "fjord-start-tenant"},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json()[kind])


def _finance() -> Client:
    client = Client()
    client.force_login(user_with_role("finance", "finn"))
    return client


def test_the_accounts_page_previews_what_is_missing(fjord: Connection) -> None:
    body = _finance().get(reverse("masterdata:setup_accounts", args=[fjord.pk])).content.decode()
    assert "Missing in Visma.net" in body
    proposals = {p.key: p for p in prepare.proposals_for_connection(connection=fjord)}
    assert set(proposals) == {"wallet_NOK", "out_of_pocket_account", "default_vendor_number"}

    wallet = proposals["wallet_NOK"].account
    assert wallet is not None
    # 1925 is free in this company; the class is copied from the nearest asset account (1920).
    assert (wallet.number, wallet.description, wallet.type) == ("1925", "Pleo Wallet NOK", "Asset")
    assert (wallet.account_class, wallet.currency) == ("1", "NOK")
    assert ("Account class", "1 (as account 1920 Bank)") in proposals["wallet_NOK"].rows
    pocket = proposals["out_of_pocket_account"].account
    assert pocket is not None
    assert (pocket.number, pocket.type, pocket.account_class, pocket.currency) == (
        "2915",
        "Liability",
        "2",
        None,
    )
    vendor = proposals["default_vendor_number"].supplier
    assert vendor is not None
    # Pleo's help: payment method manual or one made for Pleo (the sandbox has PLEO), the
    # terms due soonest for card spend, the company's currency and domestic VAT zone.
    assert (vendor.name, vendor.payment_method_id, vendor.credit_terms_id) == (
        "Pleo Default Vendor",
        "PLEO",
        "0",
    )
    assert (vendor.currency_id, vendor.vat_zone_id, vendor.country_id) == ("NOK", "NO", "NO")
    # The class of the domestic suppliers (50003 Nordisk Kontor AS), not the foreign one's.
    assert vendor.supplier_class_id == "1"
    # No Pleo Wallet cash account yet: the vendor is created without one, and the page says so.
    assert vendor.cash_account is None
    assert "not a cash account in Visma.net yet" in proposals["default_vendor_number"].note
    for text in ("1925", "Pleo Wallet NOK", "Pleo Out of pocket", "Pleo Default Vendor"):
        assert text in body


def test_creating_each_maps_it_records_it_and_twice_creates_one(fjord: Connection) -> None:
    client = _finance()
    url = reverse("masterdata:setup_accounts_create", args=[fjord.pk])
    page = reverse("masterdata:setup_accounts", args=[fjord.pk])
    for key in ("wallet_NOK", "out_of_pocket_account", "default_vendor_number"):
        answer = client.post(url, {"key": key})
        assert answer.status_code == 302 and answer["Location"] == page
        # A double-click: the second request finds it mapped and creates nothing.
        again = client.post(url, {"key": key}, follow=True)
        assert "Nothing to create" in again.content.decode()

    mapping = AccountMapping.objects.get(connection=fjord)
    assert mapping.wallet_accounts == {"NOK": "1925"}
    assert mapping.out_of_pocket_account == "2915"
    vendor = VismaSupplier.objects.get(connection=fjord, number=mapping.default_vendor_number)
    assert vendor.name == "Pleo Default Vendor" and vendor.payment_method_id == "PLEO"
    assert VismaAccount.objects.get(connection=fjord, number="1925").currency == "NOK"

    accounts = {a["accountCD"]: a for a in _fjord_records("accounts")}
    assert accounts["1925"]["description"] == "Pleo Wallet NOK"
    assert accounts["1925"]["accountClass"] == "1"
    assert accounts["2915"]["type"] == "Liability"
    suppliers = [s for s in _fjord_records("suppliers") if s["name"] == "Pleo Default Vendor"]
    assert len(suppliers) == 1

    reasons = [h.history_change_reason for h in mapping.history.all()]
    assert "Created in Visma.net from the Accounts page: account 1925 “Pleo Wallet NOK”" in reasons
    body = client.get(page).content.decode()
    assert "Missing in Visma.net" not in body
    assert "Created in Visma.net from the Accounts page" in body


def test_one_already_in_visma_is_found_not_created_again(fjord: Connection) -> None:
    prepare.proposal_create(connection=fjord, key="default_vendor_number", user=None)
    prepare.proposal_create(connection=fjord, key="out_of_pocket_account", user=None)
    # The mapping is lost and the mirror is stale (e.g. a retry after a lost answer): Visma.net
    # is asked first, and the supplier and account found there are used.
    AccountMapping.objects.filter(connection=fjord).update(
        default_vendor_number="", out_of_pocket_account=""
    )
    VismaSupplier.objects.filter(connection=fjord, name="Pleo Default Vendor").delete()
    VismaAccount.objects.filter(connection=fjord, number="2915").delete()
    vendor = prepare.proposal_create(connection=fjord, key="default_vendor_number", user=None)
    pocket = prepare.proposal_create(connection=fjord, key="out_of_pocket_account", user=None)
    assert vendor is not None and vendor.existed
    assert pocket is not None and pocket.existed and pocket.number == "2915"
    assert len([s for s in _fjord_records("suppliers") if s["name"] == "Pleo Default Vendor"]) == 1


def test_a_refusal_from_visma_is_shown_in_words_not_a_500(
    fjord: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another user created account 1925 with another meaning after our last sync.
    visma = connection_visma_client(connection=fjord, session=demo_session())
    visma.account_create(AccountInput(number="1925", description="Petty cash", type="Asset"))
    client = _finance()
    answer = client.post(
        reverse("masterdata:setup_accounts_create", args=[fjord.pk]),
        {"key": "wallet_NOK"},
        follow=True,
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "Account 1925 already exists in Visma.net as “Petty cash”" in body
    assert not (AccountMapping.objects.get(connection=fjord).wallet_accounts or {})

    # Visma.net refusing the create itself: its message, in the page's words.
    def refuse(self: Any, account: Any) -> str:
        from integrations.core import errors

        raise errors.ValidationFailed("Account class '1' was not found.", service="visma")

    monkeypatch.setattr("integrations.visma.client.VismaClient.account_create", refuse)
    answer = client.post(
        reverse("masterdata:setup_accounts_create", args=[fjord.pk]),
        {"key": "out_of_pocket_account"},
        follow=True,
    )
    assert answer.status_code == 200
    assert "Visma.net refused it: Account class &#x27;1&#x27; was not found." in (
        answer.content.decode()
    )


def test_support_may_look_but_not_create(fjord: Connection) -> None:
    client = Client()
    client.force_login(user_with_role("support", "sam"))
    url = reverse("masterdata:setup_accounts_create", args=[fjord.pk])
    assert client.post(url, {"key": "wallet_NOK"}).status_code == 403
    assert client.get(url).status_code == 405  # POST only; the preview is the Accounts page
    assert not (AccountMapping.objects.get(connection=fjord).wallet_accounts or {})


def test_nothing_is_proposed_where_the_preparation_was_done(settings: Any) -> None:
    # The demo company has its Pleo Wallet, Out of pocket and default vendor: nothing to offer,
    # even before they are mapped.
    settings.PUBLIC_BASE_URL = BASE
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{BASE}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{BASE}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    call_command("sandbox_seed", preset="demo")
    setup = DemoSetup(wallet_accounts=(), out_of_pocket_account="", default_vendor_number="")
    connection = demo_connection_prepare(setup=setup)
    session = demo_session()
    masterdata_sync(
        connection_id=connection.pk,
        kinds=["all"],
        full=True,
        visma=connection_visma_client(connection=connection, session=session),
        pleo=connection_pleo_client(connection=connection, session=session),
    )
    assert prepare.proposals_for_connection(connection=connection) == []
