from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.core.money import (
    CurrencyError,
    allocate,
    balance_remainder,
    currency_exponent,
    from_minor,
    quantize,
    to_minor,
)


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (89696, "SEK", Decimal("896.96")),
        (6366, "GBP", Decimal("63.66")),
        (1500, "ISK", Decimal("1500")),
        (1500, "JPY", Decimal("1500")),
        (12345, "KWD", Decimal("12.345")),
        (-2550, "NOK", Decimal("-25.50")),
        ("100", "eur", Decimal("1.00")),
        (0, "NOK", Decimal("0.00")),
    ],
)
def test_from_minor_uses_iso_exponent(minor: int, currency: str, expected: Decimal) -> None:
    value = from_minor(minor, currency)
    assert value == expected
    assert value.as_tuple().exponent == -currency_exponent(currency)
    assert to_minor(value, currency) == int(minor)


@pytest.mark.parametrize("bad", [1.5, None, True, "12.5", "abc"])
def test_from_minor_refuses_non_integers(bad: object) -> None:
    with pytest.raises(CurrencyError):
        from_minor(bad, "NOK")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "NO", "N0K", "EURO"])
def test_unknown_currency_code_is_refused(bad: str) -> None:
    with pytest.raises(CurrencyError):
        currency_exponent(bad)


def test_quantize_rounds_half_up_once() -> None:
    assert quantize(Decimal("2.345"), "NOK") == Decimal("2.35")
    assert quantize(Decimal("2.5"), "ISK") == Decimal("3")
    assert quantize(Decimal("1.0005"), "KWD") == Decimal("1.001")


def test_allocate_parts_add_up_to_total() -> None:
    parts = allocate(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)], "NOK")
    assert parts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(parts) == Decimal("100.00")


def test_allocate_with_zero_weights_puts_all_on_last() -> None:
    assert allocate(Decimal("10"), [Decimal(0), Decimal(0)], "NOK") == [
        Decimal("0.00"),
        Decimal("10.00"),
    ]


def test_balance_remainder_last_line_absorbs_difference() -> None:
    parts = balance_remainder([Decimal("10.004"), Decimal("20.004")], Decimal("30.01"), "NOK")
    assert parts == [Decimal("10.00"), Decimal("20.01")]
