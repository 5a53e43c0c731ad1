"""Quote arithmetic, all in Decimal: a line is quantity × unit price less its discount, rounded
half-up to the cent once per line; the total is the sum of the rounded lines."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def line_total(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    gross = Decimal(quantity) * Decimal(unit_price)
    net = gross * (HUNDRED - Decimal(discount_percent)) / HUNDRED
    return net.quantize(CENT, rounding=ROUND_HALF_UP)


def quote_total(line_totals: Iterable[Decimal]) -> Decimal:
    return sum((Decimal(t) for t in line_totals), ZERO).quantize(CENT)


def weighted(amount: Decimal, probability: int) -> Decimal:
    """An amount weighted by a win probability in percent, to the cent."""
    return (Decimal(amount) * Decimal(probability) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
