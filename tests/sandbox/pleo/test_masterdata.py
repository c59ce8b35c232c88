from __future__ import annotations

from django.test import Client

from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID
from tests.sandbox.pleo.conftest import Api, control


def _account(external_id: str, name: str = "Office supplies", **extra: object) -> dict[str, object]:
    return {
        "companyId": DEMO_COMPANY_ID,
        "externalId": external_id,
        "name": name,
        "code": external_id,
        "archived": False,
        **extra,
    }


def test_chart_account_create_match_conflict_and_update(api: Api) -> None:
    created = api.post("/v1/chart-of-accounts", _account("6800"))
    assert created.status_code == 201
    account = created.json()["data"]
    assert api.post("/v1/chart-of-accounts", _account("6800")).status_code == 200
    conflict = api.post("/v1/chart-of-accounts", _account("6800", name="Other"))
    assert conflict.status_code == 409
    assert set(conflict.json()) == {"type", "message"}

    updated = api.send(
        "PUT",
        f"/v1/chart-of-accounts/{account['id']}",
        {"name": "Office supplies", "archived": True, "taxCodeExternalId": "1"},
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["archived"] is True
    assert updated.json()["data"]["externalId"] == "6800"
    found = api.post(
        "/v1/chart-of-accounts:search",
        {
            "companyId": DEMO_COMPANY_ID,
            "excludeIfAssignedToCategory": False,
            "excludeIfAssignedToContraAccount": False,
            "archived": True,
        },
    ).json()
    assert [a["id"] for a in found["data"]] == [account["id"]]
    assert api.send("DELETE", f"/v1/chart-of-accounts/{account['id']}").status_code == 204
    assert api.get(f"/v1/chart-of-accounts/{account['id']}").status_code == 404


def test_account_in_use_cannot_be_deleted(api: Api, client: Client) -> None:
    control(
        client,
        "seed",
        {"chartOfAccounts": [{"externalId": "4000", "name": "Goods", "inUse": True}]},
    )
    account = client.get("/sandbox/pleo/_control/state").json()["chartOfAccounts"][0]
    assert api.send("DELETE", f"/v1/chart-of-accounts/{account['id']}").status_code == 409


def test_chart_account_batch_reports_failures(api: Api) -> None:
    api.post("/v1/chart-of-accounts", _account("1920"))
    items = [
        {"externalId": "1920", "name": "Bank", "archived": False},
        {"externalId": "2400", "name": "Suppliers", "archived": False},
        {"externalId": "", "name": "", "archived": False},
    ]
    response = api.post(
        "/v1/chart-of-accounts/batch", {"companyId": DEMO_COMPANY_ID, "items": items}
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert [a["externalId"] for a in data["created"]] == ["2400"]
    assert [f["reasons"] for f in data["failed"]] == [
        ["EXTERNAL_ID_ALREADY_EXISTS"],
        ["EXTERNAL_ID_EMPTY", "NAME_EMPTY"],
    ]
    too_many = api.post(
        "/v1/chart-of-accounts/batch",
        {"companyId": DEMO_COMPANY_ID, "items": [items[1]] * 1001},
    )
    assert too_many.status_code == 400


def test_tax_codes_create_search_update(api: Api) -> None:
    created = api.post(
        "/v0/tax-codes",
        {
            "companyId": DEMO_COMPANY_ID,
            "name": "Input VAT 25%",
            "code": "1",
            "rate": 0.25,
            "type": "inclusive",
            "archived": False,
        },
    )
    assert created.status_code == 201
    tax = created.json()["data"]
    assert tax["rate"] == 0.25
    bad = api.post(
        "/v0/tax-codes",
        {
            "companyId": DEMO_COMPANY_ID,
            "name": "X",
            "rate": 0.1,
            "type": "weird",
            "archived": False,
        },
    )
    assert bad.status_code == 400
    archived = api.send(
        "PUT",
        f"/v0/tax-codes/{tax['id']}",
        {**{k: tax[k] for k in ("companyId", "name", "code", "rate", "type")}, "archived": True},
    )
    assert archived.json()["data"]["archived"] is True
    found = api.post(f"/v0/tax-codes:search?company_id={DEMO_COMPANY_ID}", {"archived": True})
    assert [t["id"] for t in found.json()["data"]] == [tax["id"]]


def test_tag_groups_and_tags(api: Api) -> None:
    group = api.post(
        f"/v0/tag-groups?company_id={DEMO_COMPANY_ID}",
        {"code": "DEPT", "name": "Department", "archived": False, "metadata": {}},
    )
    assert group.status_code == 201
    group_id = group.json()["data"]["id"]
    clash = api.post(
        f"/v0/tag-groups?company_id={DEMO_COMPANY_ID}",
        {"code": "dept", "name": "Again", "archived": False},
    )
    assert clash.status_code == 409
    tag = api.post(
        f"/v0/tag-groups/{group_id}/tags", {"code": "ENG", "name": "Engineering", "archived": False}
    )
    assert tag.status_code == 201
    tag_id = tag.json()["data"]["id"]
    api.send("PUT", f"/v0/tags/{tag_id}", {"code": "ENG", "name": "Engineering", "archived": True})
    assert api.get(f"/v0/tag-groups/{group_id}/tags").json()["data"] == []
    with_archived = api.get(f"/v0/tag-groups/{group_id}/tags", {"include_archived": "true"}).json()
    assert [t["id"] for t in with_archived["data"]] == [tag_id]
    listed = api.get("/v0/tag-groups", {"company_id": DEMO_COMPANY_ID}).json()["data"]
    assert [g["code"] for g in listed] == ["DEPT"]
    assert api.get("/v0/tag-groups").status_code == 400
    state = api.client.get("/sandbox/pleo/_control/state").json()
    assert state["tagGroups"][0]["tags"][0]["archived"] is True
