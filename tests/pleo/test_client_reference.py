from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from integrations.core import errors
from tests.pleo.pleo_fixtures import API, COMPANY, JSON_UTF8, make_client, page

pytestmark = pytest.mark.django_db

STAMP = "2025-01-01T00:00:00Z"


def account(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"acc-{external_id}",
        "companyId": COMPANY,
        "externalId": external_id,
        "name": f"Account {external_id}",
        "archived": False,
        "code": external_id,
        **extra,
    }


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_chart_accounts_search_pages_and_filters_by_external_id() -> None:
    url = f"{API}/v1/chart-of-accounts:search"
    responses.post(
        url,
        match=[matchers.query_param_matcher({})],
        json=page([account("6800")], end="AA", more=True),
    )
    responses.post(
        url, match=[matchers.query_param_matcher({"after": "AA"})], json=page([account("6810")])
    )

    found = make_client().chart_accounts_search(external_ids=["6810"], archived=False)

    assert [a.external_id for a in found] == ["6810"]
    assert body(responses.calls[0]) == {
        "companyId": COMPANY,
        "excludeIfAssignedToCategory": False,
        "excludeIfAssignedToContraAccount": False,
        "archived": False,
    }
    assert responses.calls[0].request.headers["Content-Type"] == JSON_UTF8


@responses.activate
def test_chart_account_search_post_is_retried_as_a_read() -> None:
    url = f"{API}/v1/chart-of-accounts:search"
    responses.post(url, status=502)
    responses.post(url, json=page([account("6800")]))

    assert len(make_client().chart_accounts_search()) == 1
    assert len(responses.calls) == 2


@responses.activate
def test_chart_account_get_create_update() -> None:
    responses.get(f"{API}/v1/chart-of-accounts/acc-6800", json={"data": account("6800")})
    responses.post(
        f"{API}/v1/chart-of-accounts",
        status=201,
        json={"data": account("6900", taxCodeExternalId="1")},
    )
    responses.put(
        f"{API}/v1/chart-of-accounts/acc-6900", json={"data": account("6900", archived=True)}
    )
    client = make_client()

    assert client.chart_account_get("acc-6800").name == "Account 6800"
    created = client.chart_account_create(
        external_id="6900",
        name="Account 6900",
        code="6900",
        archived=False,
        tax_code_external_id="1",
    )
    updated = client.chart_account_update(
        "acc-6900", name="Account 6900", code="6900", archived=True, tax_code_external_id=None
    )

    assert created.tax_code_external_id == "1" and updated.archived is True
    assert body(responses.calls[1]) == {
        "companyId": COMPANY,
        "externalId": "6900",
        "name": "Account 6900",
        "code": "6900",
        "archived": False,
        "taxCodeExternalId": "1",
    }
    assert body(responses.calls[2]) == {
        "name": "Account 6900",
        "code": "6900",
        "archived": True,
        "taxCodeExternalId": None,
    }


@responses.activate
def test_chart_account_create_409_is_a_conflict() -> None:
    responses.post(f"{API}/v1/chart-of-accounts", status=409, body="")

    with pytest.raises(errors.Conflict):
        make_client().chart_account_create(
            external_id="6900", name="x", code=None, archived=False, tax_code_external_id=None
        )
    assert len(responses.calls) == 1


def _batch_answer(request: Any) -> tuple[int, dict[str, str], str]:
    items = json.loads(request.body)["items"]
    created = [account(i["externalId"]) for i in items if i["externalId"] != "dup"]
    failed = [
        {"reasons": ["EXTERNAL_ID_ALREADY_EXISTS"], "request": i}
        for i in items
        if i["externalId"] == "dup"
    ]
    return (
        201,
        {"Content-Type": "application/json"},
        json.dumps({"data": {"created": created, "failed": failed}}),
    )


@responses.activate
def test_chart_accounts_batch_splits_at_1000_and_reports_failures() -> None:
    responses.add_callback(
        responses.POST, f"{API}/v1/chart-of-accounts/batch", callback=_batch_answer
    )
    items: list[dict[str, Any]] = [
        {"external_id": str(4000 + i), "name": f"A{i}", "archived": False} for i in range(1500)
    ]
    items[3] = {"externalId": "dup", "name": "Duplicate", "archived": False}

    created, failed = make_client().chart_accounts_create_batch(items)

    assert [len(body(c)["items"]) for c in responses.calls] == [1000, 500]
    assert body(responses.calls[0])["companyId"] == COMPANY
    assert body(responses.calls[0])["items"][0] == {
        "externalId": "4000",
        "name": "A0",
        "archived": False,
    }
    assert len(created) == 1499
    assert failed == [
        (
            {"externalId": "dup", "name": "Duplicate", "archived": False},
            ["EXTERNAL_ID_ALREADY_EXISTS"],
        )
    ]


def tax_code(**extra: Any) -> dict[str, Any]:
    return {
        "id": "tc-1",
        "companyId": COMPANY,
        "name": "Input VAT 25%",
        "code": "1",
        "rate": 0.25,
        "type": "inclusive",
        "archived": False,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


@responses.activate
def test_tax_codes_search_create_update() -> None:
    responses.post(f"{API}/v0/tax-codes:search", json=page([tax_code()]))
    responses.post(f"{API}/v0/tax-codes", json={"data": tax_code()})
    responses.put(f"{API}/v0/tax-codes/tc-1", json={"data": tax_code(type="reverse", rate=0.25)})
    client = make_client()

    (found,) = client.tax_codes_search(archived=False)
    client.tax_code_create(name="Input VAT 25%", rate=Decimal("0.25"), type="inclusive", code="1")
    updated = client.tax_code_update(
        "tc-1",
        name="EU services",
        rate=Decimal("0.25"),
        type="reverse",
        archived=False,
        code="1",
        ingoing_tax_account="2710",
        outgoing_tax_account="2700",
    )

    assert found.rate == Decimal("0.25")
    assert query(responses.calls[0]) == {"company_id": [COMPANY]}
    assert body(responses.calls[0]) == {"archived": False}
    assert body(responses.calls[1]) == {
        "companyId": COMPANY,
        "name": "Input VAT 25%",
        "rate": 0.25,
        "type": "inclusive",
        "archived": False,
        "code": "1",
        "ingoingTaxAccount": None,
        "outgoingTaxAccount": None,
    }
    assert body(responses.calls[2])["ingoingTaxAccount"] == "2710"
    assert updated.type == "reverse"


def group(**extra: Any) -> dict[str, Any]:
    return {
        "id": "g-1",
        "companyId": COMPANY,
        "code": "DEPT",
        "name": "Department",
        "archived": False,
        "metadata": {},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


def tag(**extra: Any) -> dict[str, Any]:
    return {
        "id": "t-1",
        "groupId": "g-1",
        "code": "ENG",
        "name": "Engineering",
        "archived": False,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


@responses.activate
def test_tag_groups_and_tags() -> None:
    responses.get(f"{API}/v0/tag-groups", json={"data": [group(), group(id="g-2", archived=True)]})
    responses.post(f"{API}/v0/tag-groups", json={"data": group()})
    responses.put(f"{API}/v0/tag-groups/g-1", json={"data": group(name="Departments")})
    responses.get(f"{API}/v0/tag-groups/g-1/tags", json=page([tag()], end="AA", more=True))
    responses.get(f"{API}/v0/tag-groups/g-1/tags", json=page([tag(id="t-2", code="OPS")]))
    responses.post(f"{API}/v0/tag-groups/g-1/tags", status=201, json={"data": tag()})
    responses.put(f"{API}/v0/tags/t-1", json={"data": tag(archived=True)})
    client = make_client()

    groups = client.tag_groups_list()
    client.tag_group_create(code="DEPT", name="Department")
    renamed = client.tag_group_update("g-1", code="DEPT", name="Departments", archived=False)
    tags = client.tags_list("g-1", include_archived=False)
    client.tag_create("g-1", code="ENG", name="Engineering")
    archived = client.tag_update("t-1", code="ENG", name=None, archived=True)

    assert [g.archived for g in groups] == [False, True]
    assert query(responses.calls[0]) == {"company_id": [COMPANY], "include_archived": ["true"]}
    assert query(responses.calls[1]) == {"company_id": [COMPANY]}
    assert body(responses.calls[1]) == {
        "code": "DEPT",
        "name": "Department",
        "archived": False,
        "metadata": {},
    }
    assert body(responses.calls[2]) == {
        "code": "DEPT",
        "name": "Departments",
        "archived": False,
        "metadata": {},
    }
    assert renamed.name == "Departments"
    assert [t.code for t in tags] == ["ENG", "OPS"]
    assert query(responses.calls[4]) == {"include_archived": ["false"], "after": ["AA"]}
    assert body(responses.calls[5]) == {"code": "ENG", "archived": False, "name": "Engineering"}
    assert body(responses.calls[6]) == {"code": "ENG", "archived": True}
    assert archived.archived is True


def vendor(**extra: Any) -> dict[str, Any]:
    return {
        "id": "v-1",
        "companyId": COMPANY,
        "name": "Acme AS",
        "defaultCurrency": "NOK",
        "state": "ACTIVE",
        "externalId": "20045",
        "code": "20045",
        **extra,
    }


@responses.activate
def test_vendors_search_chunks_long_lists_and_dedupes() -> None:
    url = f"{API}/v1/vendors:search"
    responses.post(url, json=page([vendor()]))
    responses.post(url, json=page([vendor(), vendor(id="v-2", externalId="20046")]))
    ids = [str(20000 + i) for i in range(150)]

    found = make_client().vendors_search(external_ids=ids, states=["ACTIVE"])

    assert [v.id for v in found] == ["v-1", "v-2"]
    sent = [body(c) for c in responses.calls]
    assert [len(b["externalIds"]) for b in sent] == [100, 50]
    assert all(b["states"] == ["ACTIVE"] for b in sent)
    assert query(responses.calls[0]) == {"company_id": [COMPANY], "limit": ["100"]}


def test_vendors_search_with_an_empty_list_matches_nothing_without_calling() -> None:
    with responses.RequestsMock() as mocked:
        assert make_client().vendors_search(codes=[]) == []
        assert len(mocked.calls) == 0


@responses.activate
def test_vendor_get_create_update_activate_archive() -> None:
    responses.get(f"{API}/v1/vendors/v-1", json={"data": vendor(state="DRAFT", externalId=None)})
    responses.post(f"{API}/v1/vendors", status=201, json={"data": vendor()})
    responses.put(f"{API}/v1/vendors/v-1", json={"data": vendor(name="Acme Norge AS")})
    responses.post(f"{API}/v1/vendors/v-1:activate", status=204)
    responses.post(f"{API}/v1/vendors/v-1:archive", status=204)
    client = make_client()

    draft = client.vendor_get("v-1")
    client.vendor_create(
        name="Acme AS", default_currency="NOK", code="20045", external_id="20045", country="NO"
    )
    client.vendor_update(
        "v-1", name="Acme Norge AS", default_currency="NOK", external_id="20045", state="ACTIVE"
    )
    client.vendor_activate("v-1", external_id="20045", code="20045")
    client.vendor_archive("v-1")

    assert draft.state == "DRAFT" and draft.external_id is None
    assert body(responses.calls[1]) == {
        "companyId": COMPANY,
        "name": "Acme AS",
        "defaultCurrency": "NOK",
        "code": "20045",
        "externalId": "20045",
        "country": "NO",
    }
    assert body(responses.calls[2]) == {
        "companyId": COMPANY,
        "name": "Acme Norge AS",
        "defaultCurrency": "NOK",
        "externalId": "20045",
        "state": "ACTIVE",
    }
    assert body(responses.calls[3]) == {"externalId": "20045", "code": "20045"}
    assert responses.calls[4].request.body is None


@responses.activate
def test_vendor_create_409_is_a_conflict_and_not_resent() -> None:
    responses.post(f"{API}/v1/vendors", status=409, body="")

    with pytest.raises(errors.Conflict):
        make_client().vendor_create(name="Acme AS", default_currency="NOK")
    assert len(responses.calls) == 1


@responses.activate
def test_vendor_create_5xx_is_not_resent_and_says_outcome_unknown() -> None:
    responses.post(f"{API}/v1/vendors", status=503, body="")

    with pytest.raises(errors.TransientError) as info:
        make_client().vendor_create(name="Acme AS", default_currency="NOK")
    assert info.value.outcome_unknown is True
    assert len(responses.calls) == 1


def subscription(**extra: Any) -> dict[str, Any]:
    return {
        "id": "s-1",
        "endpointUrl": "https://app.example/api/pleo/webhooks/",
        "eventTypes": ["v1.export-job.created"],
        "status": "ACTIVE",
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


@responses.activate
def test_subscriptions() -> None:
    responses.get(f"{API}/v1/subscriptions", json=page([subscription()]))
    responses.post(f"{API}/v1/subscriptions", json={"data": subscription()})
    responses.delete(f"{API}/v1/subscriptions/s-1", status=204)
    responses.get(f"{API}/v1/subscriptions/s-1/secret", json={"data": {"secretKey": "whsec_QUJD"}})
    client = make_client()

    (listed,) = client.subscriptions_list()
    created = client.subscription_create(
        endpoint_url="https://app.example/api/pleo/webhooks/",
        event_types=["v1.export-job.created", "v1.vendor.created"],
    )
    client.subscription_delete("s-1")
    secret = client.subscription_secret("s-1")

    assert listed.id == created.id == "s-1"
    assert body(responses.calls[1]) == {
        "endpointUrl": "https://app.example/api/pleo/webhooks/",
        "eventTypes": ["v1.export-job.created", "v1.vendor.created"],
        "status": "ACTIVE",
    }
    assert responses.calls[2].request.method == "DELETE"
    assert secret == "whsec_QUJD"


@responses.activate
def test_subscription_secret_missing_is_an_error() -> None:
    responses.get(f"{API}/v1/subscriptions/s-1/secret", json={"data": {}})

    with pytest.raises(errors.PermanentError, match="no secret"):
        make_client().subscription_secret("s-1")


@responses.activate
def test_a_non_json_error_body_still_gives_a_message() -> None:
    responses.get(f"{API}/v1/vendors/v-9", status=404, body="Not Found", content_type="text/plain")

    with pytest.raises(errors.NotFound) as info:
        make_client().vendor_get("v-9")
    assert info.value.message == "Not Found"
