"""The checks Visma.net makes on documents, each with its own message."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar, cast

from integrations.sandbox.common import request_settings
from integrations.sandbox.visma.api import VismaError, text, wrapped
from integrations.sandbox.visma.models import (
    Account,
    Company,
    Currency,
    FinancialPeriod,
    Segment,
    SegmentValue,
    Vat,
    VatCategory,
)


def _at(where: str) -> str:
    return f"{where}: " if where else ""


T = TypeVar("T")


def cached(company: Company, key: Any, load: Callable[[], T]) -> T:
    """Memoise a look-up of the company's reference data (accounts, VAT, periods, currencies,
    branches, segments): once per web process for as long as the data stays the same, so a
    document checks each account, VAT and segment without a query of its own.

    What is kept is only read: model instances shared by the process's threads."""
    store = _lookups(company)
    if key not in store:
        store[key] = load()
    return cast(T, store[key])


# company pk → (reference stamp, look-ups made under it): one entry per company, replaced when
# its stamp changes. `apps.py` changes the stamp on every write of reference data.
_kept: dict[int, tuple[str, dict[Any, Any]]] = {}


def _segment_value(segment: Segment, value_id: str) -> SegmentValue | None:
    return segment.values.filter(value_id=value_id).first()


def _segments(company: Company) -> list[Segment]:
    # One query through the dimension (unique per company and id); none: no segments.
    return cached(
        company,
        "segments",
        lambda: list(
            Segment.objects.filter(dimension__company=company, dimension__dimension_id="SUBACCOUNT")
        ),
    )


def _lookups(company: Company) -> dict[Any, Any]:
    """The look-ups this request may use: those the process keeps under the stamp the request
    read on arrival; outside an API request (control endpoints, shell) this instance's own."""
    store = company.__dict__.get("_lookups")
    if store is not None:
        return cast(dict[Any, Any], store)
    arrived_with = request_settings()
    if arrived_with is None:
        store = {}
    else:
        stamp = arrived_with.reference_stamp
        held = _kept.get(company.pk)
        if held is None or held[0] != stamp:
            held = (stamp, {})
            _kept[company.pk] = held
        store = held[1]
    company.__dict__["_lookups"] = store
    return store


def accounts_preload(company: Company, numbers: Iterable[Any]) -> None:
    """Read the accounts a document names in one query; `account_check` then finds each one
    (or its absence) without a query of its own."""
    store = _lookups(company)
    wanted = {n for n in numbers if isinstance(n, str) and n and ("account", n) not in store}
    if len(wanted) < 2:
        return
    found = {a.number: a for a in company.accounts.filter(number__in=wanted)}
    for number in wanted:
        store[("account", number)] = found.get(number)


def segment_values_preload(company: Company, subaccounts: Iterable[Any]) -> None:
    """Read, in one query, the segment values the lines' `subaccount` arrays (given values and
    segment defaults) will be checked against in `subaccount_resolve`. Input that is not well
    formed is skipped here: `subaccount_resolve` answers it with its own message."""
    store = _lookups(company)
    segments = [s for s in _segments(company) if s.validate]
    wanted: set[tuple[int, str]] = set()
    for raw in subaccounts:
        given: dict[int, str] = {}
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, dict) and not isinstance(item.get("segmentValue"), dict):
                with contextlib.suppress(TypeError, ValueError, KeyError):
                    given[int(item["segmentId"])] = str(item.get("segmentValue") or "")
        for segment in segments:
            wanted.add((segment.pk, given.get(segment.segment_id) or segment.default_value))
    wanted = {key for key in wanted if ("segment value", *key) not in store}
    if len(wanted) < 2:
        return
    rows = SegmentValue.objects.filter(
        segment_id__in={pk for pk, _ in wanted}, value_id__in={value for _, value in wanted}
    )
    found = {(row.segment_id, row.value_id): row for row in rows}
    for key in wanted:
        store[("segment value", *key)] = found.get(key)


def account_check(company: Company, number: str | None, *, where: str) -> Account:
    if not number:
        raise VismaError(f"{_at(where)}AccountNumber is required.")
    row = cached(
        company, ("account", number), lambda: company.accounts.filter(number=number).first()
    )
    if row is None:
        raise VismaError(f"{_at(where)}Account '{number}' was not found.")
    if not row.active:
        raise VismaError(f"{_at(where)}Account '{number}' is inactive.")
    return row


def vat_category_check(company: Company, category_id: str | None, *, where: str) -> None:
    if not category_id:
        return
    row = categories_of(company).get(category_id)
    if row is None:
        raise VismaError(f"{_at(where)}VAT category '{category_id}' was not found (vatCodeId).")
    if not row.active:
        raise VismaError(f"{_at(where)}VAT category '{category_id}' is inactive (vatCodeId).")


def categories_of(company: Company) -> dict[str, VatCategory]:
    return cached(
        company,
        "vat_categories",
        lambda: {c.category_id: c for c in company.vat_categories.prefetch_related("vats")},
    )


def vats_of(company: Company) -> dict[str, Vat]:
    return cached(company, "vats", lambda: {v.vat_id: v for v in company.vats.all()})


def vat_id_check(company: Company, vat_id: str | None, *, where: str) -> None:
    if vat_id and vat_id not in vats_of(company):
        raise VismaError(f"{_at(where)}VAT '{vat_id}' was not found (vatId).")


def vat_rate(company: Company, category_id: str | None) -> Decimal:
    """The rate a category charges on a purchase; reverse-charge VAT is self-assessed, so 0."""
    if not category_id:
        return Decimal(0)
    row = categories_of(company).get(category_id)
    if row is None:
        return Decimal(0)
    return sum((v.rate for v in row.vats.all() if not v.reverse_vat), start=Decimal(0))


def subaccount_resolve(company: Company, raw: Any, *, where: str) -> list[dict[str, Any]]:
    """Check a line's `subaccount` (a plain array) and complete it with segment defaults."""
    segments = _segments(company)
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise VismaError(
            f"{_at(where)}subaccount must be a plain array of "
            '{"segmentId": …, "segmentValue": …} (not wrapped).'
        )
    given: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, dict) or "segmentId" not in item:
            raise VismaError(
                f"{_at(where)}Each subaccount entry needs segmentId and segmentValue, got {item!r}."
            )
        if isinstance(item.get("segmentValue"), dict):
            raise VismaError(f"{_at(where)}subaccount segmentValue is a plain string, not wrapped.")
        try:
            segment_id = int(item["segmentId"])
        except (TypeError, ValueError) as exc:
            raise VismaError(f"{_at(where)}segmentId must be a number.") from exc
        given[segment_id] = str(item.get("segmentValue") or "")
    by_id = {s.segment_id: s for s in segments}
    for segment_id in given:
        if segment_id not in by_id:
            raise VismaError(
                f"{_at(where)}Subaccount segment {segment_id} does not exist in dimension "
                "SUBACCOUNT."
            )
    result = []
    for segment in segments:
        value_id = given.get(segment.segment_id) or segment.default_value
        if segment.validate:
            # One indexed read per segment and value (unique segment, value_id), not the
            # segment's every value: a company may have hundreds.
            value = cached(
                company,
                ("segment value", segment.pk, value_id),
                partial(_segment_value, segment, value_id),
            )
            if value is None:
                raise VismaError(
                    f"{_at(where)}Value '{value_id}' was not found in subaccount segment "
                    f"{segment.segment_id} ({segment.description})."
                )
            if not value.active:
                raise VismaError(
                    f"{_at(where)}Value '{value_id}' of subaccount segment {segment.segment_id} "
                    f"({segment.description}) is inactive."
                )
        result.append({"segmentId": segment.segment_id, "segmentValue": value_id})
    return result


def period_resolve(
    company: Company, data: dict[str, Any], document_date: date, *, ledger: str
) -> str:
    """`financialPeriod` (YYYYMM), else `postPeriod` (MMYYYY), else the date's month; the
    period must exist, be active and be open in the ledger (GL for journals, AP for invoices)."""
    period = text(wrapped(data, "financialPeriod"), "financialPeriod")
    post_period = text(wrapped(data, "postPeriod"), "postPeriod")
    if period:
        if len(period) != 6 or not period.isdigit():
            raise VismaError(f"financialPeriod '{period}' must be in the format YYYYMM.")
    elif post_period:
        if len(post_period) != 6 or not post_period.isdigit():
            raise VismaError(f"postPeriod '{post_period}' must be in the format MMYYYY.")
        period = post_period[2:] + post_period[:2]
    else:
        period = f"{document_date.year:04d}{document_date.month:02d}"
    row: FinancialPeriod | None = cached(
        company, ("period", period), lambda: company.periods.filter(period_id=period).first()
    )
    if row is None:
        raise VismaError(f"Financial period {period} does not exist.")
    if not row.active:
        raise VismaError(f"Financial period {period} is inactive.")
    if ledger == "GL" and row.closed_in_gl:
        raise VismaError(f"Financial period {period} is closed in General Ledger.")
    if ledger == "AP" and row.closed_in_ap:
        raise VismaError(f"Financial period {period} is closed in Supplier Ledger.")
    return period


def currency_check(company: Company, code: str) -> Currency:
    row = cached(company, ("currency", code), lambda: company.currencies.filter(code=code).first())
    if row is None:
        raise VismaError(f"Currency '{code}' was not found.")
    return row


def precision_check(value: Decimal, currency: Currency, field: str, *, where: str) -> None:
    exponent = value.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > currency.decimal_precision:
        raise VismaError(
            f"{_at(where)}{field} {value} has more decimals than {currency.code} allows "
            f"({currency.decimal_precision})."
        )


def branch_check(company: Company, number: str | None) -> None:
    active = cached(
        company,
        "branches",
        lambda: set(company.branches.filter(active=True).values_list("number", flat=True)),
    )
    if number and number not in active:
        raise VismaError(f"Branch '{number}' was not found or is inactive.")
