"""The money of a contract line and of a contract (docs/subsystems/contracts.md).

The rule is the quotes' rule, computed by ``quotes.money.line`` (one implementation): per line,
gross = quantity × unit price rounded half up to the cent, net = gross − the discount amount, VAT =
net × rate / 100 rounded half up to the cent, amount = net + VAT. The contract's figures are the sums
of its lines' rounded figures. A contract line's discount is always an amount in ¥.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from xietong.quotes import money as quote_money

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
VAT_RATES = (Decimal("13.00"), Decimal("9.00"), Decimal("6.00"), Decimal("0.00"))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    net: Decimal
    tax: Decimal
    amount: Decimal


def line_figures(*, quantity: Decimal, unit_price: Decimal, discount_amount: Decimal, tax_rate: Decimal) -> Figures:
    """``quotes.money.DiscountTooLarge`` when the discount is more than the gross."""
    figures = quote_money.line(
        quantity=quantity,
        unit_price=unit_price,
        discount_kind=quote_money.AMOUNT,
        discount_value=discount_amount,
        tax_rate=tax_rate,
    )
    return Figures(net=figures.net, tax=figures.tax, amount=figures.amount)


def totals(lines: Iterable[Figures]) -> Figures:
    net = tax = ZERO
    for line in lines:
        net += line.net
        tax += line.tax
    return Figures(net=net, tax=tax, amount=net + tax)
