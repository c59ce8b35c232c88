"""The sync and the vendor flow end to end, over real HTTP against both sandboxes; many new
vendors through one vendor CSV import job (imported, refused rows, a failed job, a re-sync that
writes nothing)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from integrations.connections.models import Connection, ExportSettings
from integrations.core.tokens import MemoryTokenStore
from integrations.exports.config import (
    export_config_for_connection,
    mirror_snapshot_for_connection,
)
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    VismaAccount,
    VismaSegment,
    VismaSupplier,
    VismaVat,
    VismaVatCategory,
)
from integrations.masterdata.sync import masterdata_sync
from integrations.masterdata.sync.pleo_push import vendors_push
from integrations.masterdata.sync.tally import Tally
from integrations.masterdata.vendors import vendor_from_pleo
from integrations.pleo.client import PleoClient, PleoOAuth
from integrations.visma.client import VismaClient, VismaConnect

pytestmark = pytest.mark.django_db(transaction=True)

VISMA_TENANT = "demo-tenant"
PLEO_CLIENT = ("demo-pleo-client", "demo-pleo-secret")
VISMA_CLIENT = ("demo-visma-client", "demo-visma-secret")


class Sandboxes:
    def __init__(self, base: str) -> None:
        self.visma = f"{base}/sandbox/visma"
        self.pleo = f"{base}/sandbox/pleo"

    def pleo_state(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.pleo}/_control/state", timeout=10).json())

    def visma_state(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.visma}/_control/state", timeout=10).json())

    def forget_requests(self) -> None:
        for base in (self.visma, self.pleo):
            requests.delete(f"{base}/_control/requests", timeout=10).raise_for_status()

    def received(self, base: str) -> list[dict[str, Any]]:
        return list(requests.get(f"{base}/_control/requests", timeout=10).json()["requests"])


@pytest.fixture
def sandboxes(live_server: Any, settings: Any) -> Iterator[Sandboxes]:
    box = Sandboxes(live_server.url)
    settings.VISMA_CONNECT_URL = box.visma
    settings.VISMA_API_URL = box.visma
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = VISMA_CLIENT
    settings.PLEO_AUTH_URL = box.pleo
    settings.PLEO_API_URL = box.pleo
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = PLEO_CLIENT
    requests.post(
        f"{box.visma}/_control/seed", json={"preset": "demo"}, timeout=30
    ).raise_for_status()
    requests.post(
        f"{box.pleo}/_control/seed", json={"preset": "demo"}, timeout=30
    ).raise_for_status()
    yield box


def _pleo_consent(oauth: PleoOAuth, sandboxes: Sandboxes) -> None:
    """The consent a finance user gives on Pleo's page, answered over HTTP."""
    verifier = PleoOAuth.new_code_verifier()
    redirect = "http://127.0.0.1/callback"
    url = oauth.authorization_url(redirect_uri=redirect, state="s1", code_verifier=verifier)
    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = requests.post(
        url.split("?")[0], data=form | {"decision": "allow"}, allow_redirects=False, timeout=10
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    oauth.exchange_code(code=code, redirect_uri=redirect, code_verifier=verifier)


@pytest.fixture
def connected(sandboxes: Sandboxes) -> Connection:
    company_id = sandboxes.pleo_state()["companies"][0]["id"]
    return Connection.objects.create(
        name="Demo",
        pleo_company_id=company_id,
        visma_tenant_id=VISMA_TENANT,
        status=Connection.Status.CONNECTED,
    )


@pytest.fixture
def clients(connected: Connection, sandboxes: Sandboxes) -> dict[str, Any]:
    """Both clients, connected to the sandboxes through their OAuth endpoints. Tokens are kept in
    memory: the connection's own token store holds a SQLite write lock across the token request,
    which the live server thread (same in-memory database) cannot wait on."""
    visma_auth = VismaConnect(
        connect_url=sandboxes.visma,
        client_id=VISMA_CLIENT[0],
        client_secret=VISMA_CLIENT[1],
        tenant_id=VISMA_TENANT,
        token_store=MemoryTokenStore(),
    )
    pleo_auth = PleoOAuth(
        auth_url=sandboxes.pleo,
        client_id=PLEO_CLIENT[0],
        client_secret=PLEO_CLIENT[1],
        token_store=MemoryTokenStore(),
    )
    _pleo_consent(pleo_auth, sandboxes)
    return {
        "visma": VismaClient(base_url=sandboxes.visma, auth=visma_auth),
        "pleo": PleoClient(
            base_url=sandboxes.pleo, auth=pleo_auth, company_id=connected.pleo_company_id
        ),
    }


def _full_sync_with_tags(connection: Connection, clients: dict[str, Any]) -> None:
    result = masterdata_sync(connection_id=connection.pk, kinds=["all"], full=True, **clients)
    assert result.status == "succeeded", result.failures
    # On the Tags page a finance user picks the SUBACCOUNT segments.
    for segment in VismaSegment.objects.filter(connection=connection, dimension_id="SUBACCOUNT"):
        SegmentSetting.objects.create(connection=connection, segment=segment, synced=True)
    result = masterdata_sync(connection_id=connection.pk, kinds=["tags"], full=False, **clients)
    assert result.status == "succeeded", result.failures


def _writes(received: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['method']} {r['path']}"
        for r in received
        if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
        and not r["path"].endswith(":search")
        and "/oauth/" not in r["path"]
    ]


def test_full_sync_mirrors_visma_into_pleo(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    _full_sync_with_tags(connected, clients)
    visma, pleo = sandboxes.visma_state(), sandboxes.pleo_state()

    def by(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
        return {str(r[key]): r for r in records}

    accounts = by(pleo["chartOfAccounts"], "externalId")
    for account in visma["accounts"]:
        pushed = accounts[account["accountCD"]]
        assert pushed["archived"] is (not account["active"])
        assert pushed["name"] == account["description"]
    assert any(a["archived"] for a in accounts.values()) or all(a["active"] for a in visma["accounts"])  # fmt: skip

    taxes = by(pleo["taxCodes"], "code")
    for category in visma["vatCategories"]:
        assert taxes[category["vatCategoryId"]]["archived"] is (not category["active"])
    assert {t["type"] for t in taxes.values()} <= {"inclusive", "reverse"}

    vendors = by(pleo["vendors"], "externalId")
    for supplier in visma["suppliers"]:
        vendor = vendors[supplier["number"]]
        assert vendor["code"] == supplier["number"]
        assert vendor["state"] == ("ACTIVE" if supplier["status"] == "Active" else "ARCHIVED")

    groups = {g["code"]: g for g in pleo["tagGroups"]}
    [subaccount] = [d for d in visma["dimensions"] if d["id"] == "SUBACCOUNT"]
    for segment in subaccount["segments"]:
        group = groups[segment["description"].upper()]
        tags = {t["code"]: t for t in group["tags"]}
        for value in segment["segmentValues"]:
            assert tags[value["valueId"]]["archived"] is (not value["active"])


def test_second_sync_writes_nothing_and_reads_each_type_once(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    _full_sync_with_tags(connected, clients)
    sandboxes.forget_requests()
    result = masterdata_sync(connection_id=connected.pk, kinds=["all"], full=False, **clients)
    assert result.status == "succeeded"
    assert result.counts["created"] == result.counts["updated"] == result.counts["archived"] == 0
    assert _writes(sandboxes.received(sandboxes.pleo)) == []
    reads = Counter(
        r["path"]
        for r in sandboxes.received(sandboxes.visma)
        if r["method"] == "GET" and "/connect/" not in r["path"]
    )
    assert reads and max(reads.values()) == 1, reads

    # One supplier changed in Visma.net: exactly that vendor is updated.
    supplier = VismaSupplier.objects.filter(connection=connected, active=True).first()
    assert supplier is not None
    requests.patch(
        f"{sandboxes.visma}/_control/records/supplier/{supplier.number}",
        json={"name": "Renamed Supplier AS"},
        timeout=10,
    ).raise_for_status()
    sandboxes.forget_requests()
    result = masterdata_sync(connection_id=connected.pk, kinds=["vendors"], full=False, **clients)
    assert (result.counts["updated"], result.counts["created"]) == (1, 0)
    writes = _writes(sandboxes.received(sandboxes.pleo))
    assert writes == [f"PUT /v1/vendors/{VismaSupplier.objects.get(pk=supplier.pk).pleo_id}"]  # fmt: skip
    [vendor] = [v for v in sandboxes.pleo_state()["vendors"] if v.get("externalId") == supplier.number]  # fmt: skip
    assert vendor["name"] == "Renamed Supplier AS"


def test_vendor_created_in_pleo_becomes_a_visma_supplier(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    masterdata_sync(
        connection_id=connected.pk, kinds=["reference", "vendors"], full=True, **clients
    )
    created = requests.post(
        f"{sandboxes.pleo}/_control/vendors",
        json={"name": "Fjord Consulting AS", "taxRegistrationNumber": "NO987654321MVA"},
        timeout=10,
    )
    created.raise_for_status()
    vendor = created.json()
    outcome = vendor_from_pleo(connection=connected, pleo_vendor_id=vendor["id"], **clients)
    assert outcome == "created"

    [supplier] = [
        s for s in sandboxes.visma_state()["suppliers"] if s["name"] == "Fjord Consulting AS"
    ]
    assert supplier["status"] == "Active"
    [in_pleo] = [v for v in sandboxes.pleo_state()["vendors"] if v["id"] == vendor["id"]]
    assert (in_pleo["state"], in_pleo["externalId"]) == ("ACTIVE", supplier["number"])

    # The same event again changes nothing in either system.
    sandboxes.forget_requests()
    again = vendor_from_pleo(connection=connected, pleo_vendor_id=vendor["id"], **clients)
    assert again == "already_handled"
    assert sandboxes.received(sandboxes.visma) == []
    assert sandboxes.received(sandboxes.pleo) == []


def test_full_reconcile_keeps_the_tax_code_chosen_for_a_category(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    result = masterdata_sync(connection_id=connected.pk, kinds=["all"], full=True, **clients)
    assert result.status == "succeeded", result.failures
    account = VismaAccount.objects.get(connection=connected, number="6800")
    assert account.tax_category != "11" and account.pleo_id
    # On the Categories page: Office supplies booked with VAT category 11 by default.
    CategoryMapping.objects.create(
        connection=connected,
        pleo_account_id=account.pleo_id,
        visma_account_number="6800",
        default_vat_category="11",
    )
    for full in (True, False):
        result = masterdata_sync(
            connection_id=connected.pk, kinds=["accounts"], full=full, **clients
        )
        assert result.status == "succeeded", result.failures
        [in_pleo] = [
            a for a in sandboxes.pleo_state()["chartOfAccounts"] if a["externalId"] == "6800"
        ]
        assert in_pleo["taxCodeExternalId"] == "11"


def test_sync_mirrors_vats_category_vat_ids_and_cash_accounts_for_the_exporter(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    result = masterdata_sync(
        connection_id=connected.pk, kinds=["reference", "tax_codes"], full=True, **clients
    )
    assert result.status == "succeeded", result.failures
    visma = sandboxes.visma_state()
    served = clients["visma"]

    vats = {v.vat_id: v for v in VismaVat.objects.filter(connection=connected)}
    assert set(vats) == {v.id for v in served.vats_list()}
    assert vats["RC25"].reverse_vat and not vats["IN25"].reverse_vat
    categories = {
        c.vat_category_id: c for c in VismaVatCategory.objects.filter(connection=connected)
    }
    for category in visma["vatCategories"]:
        expected = [line["vatId"] for line in category.get("vatCategoryLines", [])]
        assert categories[category["vatCategoryId"]].vat_ids == expected

    # What the planner and preflight are given: each category's purchase VAT id, the VATs and
    # the cash accounts.
    config = export_config_for_connection(connection=connected)
    assert config.vat_rates["1"].vat_id == "IN25"
    assert config.vat_rates["86"].vat_id == "RC25" and config.vat_rates["86"].reverse_charge
    snapshot = mirror_snapshot_for_connection(connection=connected)
    assert snapshot.vats["IN25"] is True
    assert {n: s.currency for n, s in snapshot.cash_accounts.items()} == {
        c.number: c.currency for c in served.cash_accounts_list()
    }


# -- many new vendors: one vendor CSV import job -----------------------------------------------

IMPORT_JOBS = "/v1/vendors/csv-import/jobs"


@pytest.fixture
def import_from_two_vendors(monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo company has a handful of suppliers: import as soon as there are two.
    monkeypatch.setattr("integrations.masterdata.sync.pleo_push.VENDOR_IMPORT_THRESHOLD", 1)


def _mirror_writes(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and '"masterdata_visma' in q["sql"]
    ]


@pytest.mark.usefixtures("import_from_two_vendors")
def test_new_vendors_are_imported_by_one_job_and_a_resync_writes_nothing(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    sandboxes.forget_requests()
    result = masterdata_sync(
        connection_id=connected.pk, kinds=["reference", "vendors"], full=True, **clients
    )
    assert result.status == "succeeded", result.failures

    writes = _writes(sandboxes.received(sandboxes.pleo))
    assert "POST /v1/vendors" not in writes  # no vendor created one by one
    assert writes.count(f"POST {IMPORT_JOBS}") == 1
    assert any(w.endswith(":run") for w in writes)
    vendors = {v["externalId"]: v for v in sandboxes.pleo_state()["vendors"] if v.get("externalId")}
    suppliers = sandboxes.visma_state()["suppliers"]
    assert len(suppliers) > 1
    for supplier in suppliers:
        vendor = vendors[supplier["number"]]
        assert vendor["state"] == ("ACTIVE" if supplier["status"] == "Active" else "ARCHIVED")
        assert vendor["name"] == supplier["name"]
    for row in VismaSupplier.objects.filter(connection=connected):
        assert row.pleo_id == vendors[row.number]["id"] and row.pleo_state_hash
    assert result.counts["created"] == len(suppliers)

    # Nothing changed in Visma.net: one delta read of the suppliers, no mirror row written,
    # nothing written to Pleo.
    sandboxes.forget_requests()
    with CaptureQueriesContext(db_connection) as captured:
        again = masterdata_sync(
            connection_id=connected.pk, kinds=["vendors"], full=False, **clients
        )
    assert again.status == "succeeded", again.failures
    assert again.counts["unchanged"] == len(suppliers) and again.counts["created"] == 0
    assert _mirror_writes(captured) == []
    assert _writes(sandboxes.received(sandboxes.pleo)) == []
    reads = [r["path"] for r in sandboxes.received(sandboxes.visma) if r["method"] == "GET"]
    assert reads.count("/v1/supplier") == 1


def _suppliers(connection: Connection, currencies: dict[str, str]) -> None:
    VismaSupplier.objects.bulk_create(
        VismaSupplier(
            connection=connection,
            number=number,
            name=f"Supplier {number}",
            status="Active",
            active=True,
            currency_id=currency,
            country_id="NO",
        )
        for number, currency in currencies.items()
    )


@pytest.mark.usefixtures("import_from_two_vendors")
def test_rows_pleo_refuses_fail_their_own_supplier_only(
    connected: Connection, sandboxes: Sandboxes, clients: dict[str, Any]
) -> None:
    # "EURO" is no ISO 4217 code: Pleo refuses those rows, imports the others.
    _suppliers(connected, {"81001": "NOK", "81002": "EURO", "81003": "SEK", "81004": "EURO"})
    tally = Tally(sync_run_id=None)
    vendors_push(pleo=clients["pleo"], connection=connected, tally=tally, full=False)

    assert tally.counts["created"] == 2 and tally.counts["failed"] == 2
    failed = {f["record"]: f["reason"] for f in tally.failures}
    assert set(failed) == {"supplier 81002", "supplier 81004"}
    for reason in failed.values():
        assert reason.startswith("refused by Pleo's vendor CSV import (row ")
        assert "VALIDATION_FAILED" in reason and "defaultCurrency" in reason
    rows = {r.number: r for r in VismaSupplier.objects.filter(connection=connected)}
    assert rows["81001"].pleo_id and rows["81003"].pleo_id and not rows["81001"].pleo_error
    assert not rows["81002"].pleo_id and not rows["81002"].pleo_state_hash
    assert "VALIDATION_FAILED" in rows["81002"].pleo_error
    in_pleo = {v.get("externalId") for v in sandboxes.pleo_state()["vendors"]}
    assert {"81001", "81003"} <= in_pleo and not {"81002", "81004"} & in_pleo

    # The next sync retries only the refused two (one per-vendor call each, under the
    # threshold) and leaves the imported ones alone.
    VismaSupplier.objects.filter(number__in=["81002", "81004"]).update(currency_id="EUR")
    sandboxes.forget_requests()
    tally = Tally(sync_run_id=None)
    vendors_push(pleo=clients["pleo"], connection=connected, tally=tally, full=False)
    assert tally.counts["created"] == 2 and tally.counts["failed"] == 0, tally.failures
    assert f"POST {IMPORT_JOBS}" in _writes(sandboxes.received(sandboxes.pleo))


def test_a_job_pleo_fails_fails_each_supplier_with_its_reason_and_is_retried(
    connected: Connection,
    sandboxes: Sandboxes,
    clients: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("integrations.masterdata.sync.pleo_push.VENDOR_IMPORT_THRESHOLD", 1)
    _suppliers(connected, {"82001": "NOK", "82002": "NOK", "82003": "EUR"})
    # A file Pleo cannot read (not UTF-8): it fails the job when it checks the upload.
    monkeypatch.setattr(
        "integrations.masterdata.sync.vendor_import.vendor_csv", lambda rows: b"\xff\xfe\x00name"
    )
    tally = Tally(sync_run_id=None)
    vendors_push(pleo=clients["pleo"], connection=connected, tally=tally, full=False)

    assert tally.counts["failed"] == 3 and tally.counts["created"] == 0
    for failure in tally.failures:
        assert "Pleo's vendor CSV import job" in failure["reason"]
        assert "failed: INVALID_FILE_FORMAT" in failure["reason"]
    assert not any(v.get("externalId", "").startswith("820") for v in sandboxes.pleo_state()["vendors"])  # fmt: skip
    assert all(not r.pleo_state_hash for r in VismaSupplier.objects.filter(connection=connected))

    monkeypatch.undo()
    monkeypatch.setattr("integrations.masterdata.sync.pleo_push.VENDOR_IMPORT_THRESHOLD", 1)
    tally = Tally(sync_run_id=None)
    vendors_push(pleo=clients["pleo"], connection=connected, tally=tally, full=False)
    assert tally.counts["created"] == 3 and tally.counts["failed"] == 0, tally.failures


@pytest.mark.postgres
def test_a_sync_stopped_mid_write_with_writes_in_flight_creates_nothing_twice(
    connected: Connection,
    sandboxes: Sandboxes,
    clients: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three writes at once (PostgreSQL: the threads see the rows); the run stops after a few
    outcomes are recorded, with other writes already done in Pleo but not recorded. The next
    run finds those in Pleo and writes none of them again."""
    ExportSettings.objects.create(connection=connected, export_concurrency=3)
    values = [f"{a}{b}" for a in "ABCDE" for b in "0123456789"][:40]
    requests.post(
        f"{sandboxes.visma}/_control/seed",
        json={
            "segmentValues": [
                {"segmentId": 1, "valueId": v, "description": f"Value {v}", "active": v != "A1"}
                for v in values
            ],
            "suppliers": [
                {"number": str(83000 + n), "name": f"Supplier {n}", "status": "Active"}
                for n in range(30)
            ]
            + [{"number": "83099", "name": "Gone AS", "status": "Inactive"}],
        },
        timeout=30,
    ).raise_for_status()
    result = masterdata_sync(connection_id=connected.pk, kinds=["tags"], full=True, **clients)
    assert result.status == "succeeded", result.failures
    for segment in VismaSegment.objects.filter(connection=connected, dimension_id="SUBACCOUNT"):
        SegmentSetting.objects.create(connection=connected, segment=segment, synced=True)

    original = Tally.count

    def count_then_stop(self: Tally, action: Any, n: int = 1) -> None:
        if action == "create" and self.counts["created"] >= 6:
            raise RuntimeError("the worker stopped")
        original(self, action, n)

    monkeypatch.setattr(Tally, "count", count_then_stop)
    for kinds in (["tags"], ["vendors"]):
        stopped = masterdata_sync(connection_id=connected.pk, kinds=kinds, full=False, **clients)
        assert stopped.counts["created"] == 6, stopped
    monkeypatch.undo()
    # Pleo holds vendors the stopped run wrote but never recorded on their mirror rows.
    recorded = VismaSupplier.objects.filter(connection=connected).exclude(pleo_id="").count()
    in_pleo = [v for v in sandboxes.pleo_state()["vendors"] if v.get("externalId")]
    assert recorded < len(in_pleo)

    result = masterdata_sync(
        connection_id=connected.pk, kinds=["tags", "vendors"], full=False, **clients
    )
    assert result.status == "succeeded", result.failures
    pleo = sandboxes.pleo_state()
    vendors = Counter(v.get("externalId") for v in pleo["vendors"])
    suppliers = sandboxes.visma_state()["suppliers"]
    assert all(vendors[s["number"]] == 1 for s in suppliers), vendors
    [archived] = [v for v in pleo["vendors"] if v.get("externalId") == "83099"]
    assert archived["state"] == "ARCHIVED"
    for group in pleo["tagGroups"]:
        codes = Counter(t["code"].lower() for t in group["tags"])
        assert codes and max(codes.values()) == 1, codes
    group_1 = next(g for g in pleo["tagGroups"] if {t["code"] for t in g["tags"]} >= set(values))
    assert next(t for t in group_1["tags"] if t["code"] == "A1")["archived"] is True
    ids = {v["id"] for v in pleo["vendors"]}
    for row in VismaSupplier.objects.filter(connection=connected):
        assert row.pleo_id in ids and row.pleo_state_hash, row.number
