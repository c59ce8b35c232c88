"""Mirror → Pleo, one function per record type: build what Pleo should hold, read what it holds
(once, and only when something may need a write), then write the differences."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from integrations.connections.models import AccountMapping, Connection
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    VismaAccount,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.masterdata.selectors import base_currency_for_connection
from integrations.masterdata.sync.desired import (
    account_desired,
    tag_desired,
    tag_group_desired,
    tax_code_desired,
    vendor_desired,
)
from integrations.masterdata.sync.diff import Action, Current, Desired, Op
from integrations.masterdata.sync.push import (
    each_side_by_side,
    error_reason,
    push_records,
    writes_at_once,
)
from integrations.masterdata.sync.tally import Tally
from integrations.masterdata.sync.vendor_import import VENDOR_IMPORT_THRESHOLD, vendors_import
from integrations.pleo.client import PleoClient
from integrations.pleo.types import ChartAccount, Tag, TagGroup, TaxCode, Vendor


def _account_current(a: ChartAccount) -> Current:
    return Current(
        key=a.external_id or "",
        pleo_id=a.id,
        fields={"name": a.name, "code": a.code, "taxCodeExternalId": a.tax_code_external_id},
        archived=a.archived,
    )


# The pushers load their mirror rows without `raw` (the record as Visma.net sent it): the
# desired state is built from the mirror's own columns.


def accounts_push(*, pleo: PleoClient, connection: Connection, tally: Tally, full: bool) -> None:
    rows = list(VismaAccount.objects.filter(connection=connection).defer("raw"))
    # The Categories page's tax code choice (blank = none) is what Pleo should keep.
    chosen = {
        m.pleo_account_id: m.default_vat_category or None
        for m in CategoryMapping.objects.filter(connection=connection)
    }
    items = [(account_desired(r, category_tax_codes=chosen), r) for r in rows]

    def fetch(wanted: Sequence[Desired]) -> list[Current]:
        # Reference: pleo-accounts-api-openapi.yml POST /v1/chart-of-accounts:search
        return [_account_current(a) for a in pleo.chart_accounts_search() if a.external_id]

    def batch_create(ops: Sequence[Op]) -> list[tuple[Op, str | None, str | None]]:
        requests = [
            {
                "externalId": op.desired.key,
                "name": op.desired.fields["name"],
                "code": op.desired.fields["code"],
                "archived": op.desired.archived,
                "taxCodeExternalId": op.desired.fields["taxCodeExternalId"],
            }
            for op in ops
        ]
        try:
            # Reference: pleo-accounts-api-openapi.yml POST /v1/chart-of-accounts/batch
            created, failed = pleo.chart_accounts_create_batch(requests)
        except Exception as exc:
            return [(op, None, error_reason(exc)) for op in ops]
        ids = {a.external_id: a.id for a in created}
        reasons = {str(req.get("externalId")): ", ".join(why) for req, why in failed}
        return [
            (op, ids.get(op.desired.key), reasons.get(op.desired.key, "not created by Pleo"))
            if op.desired.key not in ids
            else (op, ids[op.desired.key], None)
            for op in ops
        ]

    def apply_one(op: Op) -> str:
        assert op.pleo_id is not None
        f = op.desired.fields
        # Reference: pleo-accounts-api-openapi.yml PUT /v1/chart-of-accounts/{id}
        return pleo.chart_account_update(
            op.pleo_id,
            name=f["name"],
            code=f["code"],
            archived=op.desired.archived,
            tax_code_external_id=f["taxCodeExternalId"],
        ).id

    push_records(
        tally=tally,
        items=items,
        full=full,
        fetch_current=fetch,
        apply_one=apply_one,
        batch_create=batch_create,
        concurrency=writes_at_once(connection),
    )


def _tax_code_current(t: TaxCode) -> Current:
    return Current(
        key=t.code or "",
        pleo_id=t.id,
        fields={
            "name": t.name,
            "code": t.code,
            "rate": Decimal(t.rate).normalize(),
            "type": t.type,
            "ingoingTaxAccount": t.ingoing_tax_account,
            "outgoingTaxAccount": t.outgoing_tax_account,
        },
        archived=t.archived,
    )


def tax_codes_push(*, pleo: PleoClient, connection: Connection, tally: Tally, full: bool) -> None:
    mapping = AccountMapping.objects.filter(connection=connection).first()
    ingoing = mapping.tax_account if mapping else None
    outgoing = mapping.output_vat_account if mapping else None
    rows = list(VismaVatCategory.objects.filter(connection=connection).defer("raw"))
    items = [
        (tax_code_desired(r, ingoing_account=ingoing, outgoing_account=outgoing), r) for r in rows
    ]

    def fetch(wanted: Sequence[Desired]) -> list[Current]:
        # Reference: pleo-tax-codes-api-openapi.yml POST /v0/tax-codes:search
        return [_tax_code_current(t) for t in pleo.tax_codes_search() if t.code]

    def apply_one(op: Op) -> str:
        f = op.desired.fields
        kwargs = {
            "name": f["name"],
            "rate": f["rate"],
            "type": f["type"],
            "archived": op.desired.archived,
            "code": f["code"],
            "ingoing_tax_account": f["ingoingTaxAccount"],
            "outgoing_tax_account": f["outgoingTaxAccount"],
        }
        if op.action == Action.CREATE:
            # Reference: pleo-tax-codes-api-openapi.yml POST /v0/tax-codes
            return pleo.tax_code_create(**kwargs).id
        assert op.pleo_id is not None
        # Reference: pleo-tax-codes-api-openapi.yml PUT /v0/tax-codes/{id}
        return pleo.tax_code_update(op.pleo_id, **kwargs).id

    push_records(
        tally=tally,
        items=items,
        full=full,
        fetch_current=fetch,
        apply_one=apply_one,
        concurrency=writes_at_once(connection),
    )


def _group_current(g: TagGroup) -> Current:
    return Current(
        key=(g.code or "").lower(),
        pleo_id=g.id,
        fields={"code": g.code, "name": g.name},
        archived=g.archived,
    )


def _tag_current(t: Tag) -> Current:
    return Current(
        key=(t.code or "").lower(),
        pleo_id=t.id,
        fields={"code": t.code, "name": t.name},
        archived=t.archived,
    )


def tags_push(*, pleo: PleoClient, connection: Connection, tally: Tally, full: bool) -> None:
    """Tag groups for the segments chosen on the Tags page (and archive the ones un-chosen that
    we pushed before), then each group's values as tags."""
    synced_ids = set(
        SegmentSetting.objects.filter(connection=connection, synced=True).values_list(
            "segment_id", flat=True
        )
    )
    segments = [
        s
        for s in VismaSegment.objects.filter(connection=connection)
        if s.pk in synced_ids or s.pleo_id
    ]
    items = [(tag_group_desired(s, synced=s.pk in synced_ids), s) for s in segments]
    concurrency = writes_at_once(connection)

    def fetch_groups(wanted: Sequence[Desired]) -> list[Current]:
        # Reference: pleo-tag-groups-api-openapi.yml GET /v0/tag-groups
        return [_group_current(g) for g in pleo.tag_groups_list(include_archived=True) if g.code]

    def apply_group(op: Op) -> str:
        f = op.desired.fields
        if op.action == Action.CREATE:
            # Reference: pleo-tag-groups-api-openapi.yml POST /v0/tag-groups
            return pleo.tag_group_create(
                code=f["code"], name=f["name"], archived=op.desired.archived
            ).id
        assert op.pleo_id is not None
        # Reference: pleo-tag-groups-api-openapi.yml PUT /v0/tag-groups/{id}
        return pleo.tag_group_update(
            op.pleo_id, code=f["code"], name=f["name"], archived=op.desired.archived
        ).id

    def remember_group(op: Op, pleo_id: str, row: object) -> None:
        SegmentSetting.objects.filter(connection=connection, segment_id=op.desired.ref).update(
            pleo_tag_group_id=pleo_id
        )

    push_records(
        tally=tally,
        items=items,
        full=full,
        fetch_current=fetch_groups,
        apply_one=apply_group,
        on_written=remember_group,
        concurrency=concurrency,
    )

    for segment in VismaSegment.objects.filter(pk__in=synced_ids).exclude(pleo_id=""):
        group_id = segment.pleo_id
        values = list(VismaSegmentValue.objects.filter(segment=segment).defer("raw"))
        value_items = [(tag_desired(v), v) for v in values]

        def fetch_tags(wanted: Sequence[Desired], group_id: str = group_id) -> list[Current]:
            # Reference: pleo-tags-api-openapi.yml GET /v0/tag-groups/{groupId}/tags
            return [_tag_current(t) for t in pleo.tags_list(group_id, include_archived=True)]

        def apply_tag(op: Op, group_id: str = group_id) -> str:
            f = op.desired.fields
            if op.action == Action.CREATE:
                # Reference: pleo-tags-api-openapi.yml POST /v0/tag-groups/{groupId}/tags
                return pleo.tag_create(
                    group_id, code=f["code"], name=f["name"], archived=op.desired.archived
                ).id
            assert op.pleo_id is not None
            # Reference: pleo-tags-api-openapi.yml PUT /v0/tags/{tagId}
            return pleo.tag_update(
                op.pleo_id, code=f["code"], name=f["name"], archived=op.desired.archived
            ).id

        push_records(
            tally=tally,
            items=value_items,
            full=full,
            fetch_current=fetch_tags,
            apply_one=apply_tag,
            concurrency=concurrency,
        )


def _vendor_current(v: Vendor) -> Current:
    return Current(
        key=v.external_id or "",
        pleo_id=v.id,
        fields={
            "name": v.name,
            "code": v.code,
            "externalId": v.external_id,
            "defaultCurrency": v.default_currency,
            "country": v.country,
            "registrationNumber": v.registration_number,
            "taxRegistrationNumber": v.tax_registration_number,
            "state": v.state,
        },
        archived=v.state == "ARCHIVED",
    )


NO_CURRENCY = "no currency: the supplier has none and the company base is unknown"


def vendor_write(*, pleo: PleoClient, op: Op) -> str:
    """Create, update, archive or re-activate one Pleo vendor as `op` says; returns its id."""
    f = op.desired.fields
    if not f["defaultCurrency"]:
        raise ValueError(NO_CURRENCY)
    common = {
        "name": f["name"],
        "default_currency": f["defaultCurrency"],
        "code": f["code"],
        "country": f["country"],
        "registration_number": f["registrationNumber"],
        "tax_registration_number": f["taxRegistrationNumber"],
    }
    if op.action == Action.CREATE:
        # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors
        vendor = pleo.vendor_create(external_id=f["externalId"], **common)
        if op.desired.archived:
            # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors/{id}:archive
            pleo.vendor_archive(vendor.id)
        elif vendor.state != "ACTIVE":
            # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors/{id}:activate
            pleo.vendor_activate(vendor.id, external_id=f["externalId"], code=f["code"])
        return vendor.id
    assert op.pleo_id is not None
    if op.action == Action.ARCHIVE and set(op.changed_fields) <= {"state"}:
        pleo.vendor_archive(op.pleo_id)
        return op.pleo_id
    # Reference: pleo-external-vendors-api-openapi.yml PUT /v1/vendors/{id}
    return pleo.vendor_update(
        op.pleo_id, external_id=f["externalId"], state=f["state"], **common
    ).id


VENDOR_SEARCH_BY_ID_LIMIT = 2000


def vendors_push(*, pleo: PleoClient, connection: Connection, tally: Tally, full: bool) -> None:
    base = base_currency_for_connection(connection=connection)
    concurrency = writes_at_once(connection)
    # Decoding every supplier's `raw` was much of an unchanged sync's time.
    rows = list(VismaSupplier.objects.filter(connection=connection).defer("raw"))
    items = [(vendor_desired(r, base_currency=base), r) for r in rows]

    def fetch(wanted: Sequence[Desired]) -> list[Current]:
        # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors:search
        # The client searches external ids in chunks of 100: for a few thousand changed
        # suppliers that is still far fewer calls than paging through every Pleo vendor.
        if full or len(wanted) > VENDOR_SEARCH_BY_ID_LIMIT:
            found = pleo.vendors_search()
        else:
            found = pleo.vendors_search(external_ids=[d.key for d in wanted])
        return [_vendor_current(v) for v in found if v.external_id]

    def remember_state(op: Op, pleo_id: str, row: VismaSupplier) -> bool:
        state = op.desired.fields["state"]
        if row.pleo_state == state:
            return False
        row.pleo_state = state
        return True

    def create(ops: Sequence[Op]) -> list[tuple[Op, str | None, str | None]]:
        return vendors_create(pleo=pleo, ops=ops, concurrency=concurrency)

    push_records(
        tally=tally,
        items=items,
        full=full,
        fetch_current=fetch,
        apply_one=lambda op: vendor_write(pleo=pleo, op=op),
        batch_create=create,
        on_written=remember_state,  # type: ignore[arg-type]
        remember_fields=("pleo_state",),
        concurrency=concurrency,
    )


def vendors_create(
    *, pleo: PleoClient, ops: Sequence[Op], concurrency: int = 1
) -> list[tuple[Op, str | None, str | None]]:
    """New vendors: one CSV import job when there are many, else one create call each (up to
    `concurrency` at once)."""
    if len(ops) <= VENDOR_IMPORT_THRESHOLD:
        outcomes: list[tuple[Op, str | None, str | None]] = []
        each_side_by_side(
            ops,
            lambda op: vendor_write(pleo=pleo, op=op),
            concurrency=concurrency,
            finished=lambda op, pleo_id, error: outcomes.append((op, pleo_id, error)),
        )
        return outcomes
    ready: list[Op] = []
    refused: list[tuple[Op, str | None, str | None]] = []
    for op in ops:
        if op.desired.fields["defaultCurrency"]:
            ready.append(op)
        else:
            refused.append((op, None, f"ValueError: {NO_CURRENCY}"))
    return [*refused, *vendors_import(pleo=pleo, ops=ready, concurrency=concurrency)]
