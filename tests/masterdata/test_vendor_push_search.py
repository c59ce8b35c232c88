"""An incremental vendor push looks up only the changed vendors, whatever their number."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.connections.models import Connection
from integrations.masterdata.models import VismaSupplier
from integrations.masterdata.sync.pleo_push import vendors_push
from integrations.masterdata.sync.tally import Tally
from tests.masterdata.fakes import FakePleo

pytestmark = pytest.mark.django_db


class SearchRecordingPleo(FakePleo):
    def __init__(self) -> None:
        super().__init__()
        self.searches: list[dict[str, Any]] = []

    def vendors_search(self, **filters: Any) -> list[Any]:
        self.searches.append(filters)
        return super().vendors_search(**filters)


@pytest.mark.parametrize(("changed", "full"), [(250, False), (3, True)])
def test_vendor_lookup_by_external_id_unless_full(changed: int, full: bool) -> None:
    connection = Connection.objects.create(name="Co", pleo_company_id="co")
    VismaSupplier.objects.bulk_create(
        VismaSupplier(
            connection=connection,
            number=str(60000 + n),
            name=f"S{n}",
            status="Active",
            active=True,
            currency_id="NOK",
        )
        for n in range(changed)
    )
    pleo = SearchRecordingPleo()

    tally = Tally(sync_run_id=None)
    vendors_push(pleo=pleo, connection=connection, tally=tally, full=full)  # type: ignore[arg-type]

    if full:
        assert pleo.searches == [{}]
    else:
        # 250 changed suppliers: one search by their numbers (the client chunks it by 100),
        # not a listing of every vendor in Pleo; being new, they go to Pleo in one CSV import
        # job, and the vendors it imported are read back by the same numbers, at most 100 a
        # search (the searches go out side by side).
        wanted = sorted(str(60000 + n) for n in range(changed))
        first, *read_back = pleo.searches
        assert sorted(first["external_ids"]) == wanted
        assert [len(search["external_ids"]) for search in read_back] == [100, 100, 50]
        assert sorted(key for search in read_back for key in search["external_ids"]) == wanted
        assert [w for w, _ in pleo.writes] == ["import"]
    assert tally.counts["created"] == changed, tally.failures[:2]
