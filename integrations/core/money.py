"""Money: Pleo minor units ⇄ Decimal with ISO 4217 exponents, and balanced rounding."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents that differ from 2 (list one, 2024 edition).
_EXPONENTS: dict[str, int] = {
    # no minor unit
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # three decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # four decimals
    "CLF": 4, "UYW": 4,
}  # fmt: skip


class CurrencyError(ValueError):
    pass


def currency_exponent(currency: str) -> int:
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise CurrencyError(f"'{currency}' is not an ISO 4217 currency code")
    return _EXPONENTS.get(code, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round once, half up, to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def from_minor(value: int | str, currency: str) -> Decimal:
    """Pleo v3 amounts are integers in the currency's minor unit: 89696 SEK → 896.96."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CurrencyError(f"Minor-unit amount must be an integer, got {value!r}")
    try:
        minor = int(value)
    except ValueError as exc:
        raise CurrencyError(f"Minor-unit amount must be an integer, got {value!r}") from exc
    return Decimal(minor).scaleb(-currency_exponent(currency)).quantize(quantum(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    q = quantize(amount, currency)
    return int(q.scaleb(currency_exponent(currency)))


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights`; rounded parts add up exactly to `total`.

    Each part is rounded once; the last part absorbs the remainder (the accounting rule of
    DESIGN §5), so a document built from the parts balances to the cent.
    """
    if not weights:
        return []
    total = quantize(total, currency)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        parts = [quantize(Decimal(0), currency) for _ in weights]
        parts[-1] = total
        return parts
    parts = [quantize(total * w / weight_sum, currency) for w in weights[:-1]]
    parts.append(total - sum(parts, Decimal(0)))
    return parts


def balance_remainder(amounts: Sequence[Decimal], target: Decimal, currency: str) -> list[Decimal]:
    """Round each amount once, then put the difference to `target` on the last one."""
    if not amounts:
        return []
    parts = [quantize(a, currency) for a in amounts]
    parts[-1] += quantize(target, currency) - sum(parts, Decimal(0))
    return parts
