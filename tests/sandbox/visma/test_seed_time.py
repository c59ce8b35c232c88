"""Seeded records can carry a last change in the past, as a real company's records entered long
ago do: a delta read after that time returns only what changed since."""

from __future__ import annotations

import pytest

from tests.sandbox.visma.conftest import Visma

pytestmark = pytest.mark.django_db


def test_records_seeded_with_a_past_change_time_are_not_in_a_later_delta_read(
    visma: Visma,
) -> None:
    seeded = visma.control(
        "post",
        "seed",
        {
            "lastModifiedDateTime": "2026-01-31T12:00:00",
            "suppliers": [{"number": "61000", "name": "Old AS", "supplierClassId": "1"}],
            "accounts": [{"number": "3999", "description": "Old account", "type": "Expense"}],
            "vatCategories": [{"vatCategoryId": "199", "description": "Old VAT", "rate": 25}],
            "segmentValues": [{"segmentId": 1, "valueId": "ZZ", "description": "Old value"}],
        },
    )
    assert seeded.status_code == 200, seeded.content
    shown = visma.get("/v1/supplier/61000").json()["lastModifiedDateTime"]
    assert shown == "2026-01-31T12:00:00.000Z"
    since = {"lastModifiedDateTime": "2026-02-01", "lastModifiedDateTimeCondition": ">"}
    for path, key, value in (
        ("/v1/supplier", "number", "61000"),
        ("/v1/account", "accountCD", "3999"),
        ("/v1/vatCategory", "vatCategoryId", "199"),
    ):
        assert value not in {str(r[key]) for r in visma.get(path, **since).json()}, path
        everything = visma.get(path, pageSize=500).json()
        assert value in {str(r[key]) for r in everything}, path

    # A record changed now is in the delta read again; so is one seeded without a time.
    visma.control("patch", "records/supplier/61000", {"name": "Renamed AS"})
    visma.control("post", "seed", {"suppliers": [{"number": "61001", "name": "New AS"}]})
    got = {s["number"] for s in visma.get("/v1/supplier", **since).json()}
    assert {"61000", "61001"} <= got


def test_a_seed_time_that_is_no_time_is_refused(visma: Visma) -> None:
    answer = visma.control(
        "post", "seed", {"lastModifiedDateTime": "yesterday", "suppliers": [{"number": "1"}]}
    )
    assert answer.status_code == 400
