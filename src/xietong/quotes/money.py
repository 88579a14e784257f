"""The money of a quote, one pure module used by the services, the pages, the PDF and the API.

The rounding rule (docs/subsystems/quotes.md), per line:

- gross    = round(quantity × unit price)
- discount = round(gross × percent / 100) for a percent discount, or the amount as given
- net      = gross − discount (never negative: a discount larger than the gross is refused)
- tax      = round(net × VAT rate / 100)
- amount   = net + tax

``round`` is half up to the cent. The quote's totals are the sums of its lines' rounded figures; its
``max_discount`` is the largest line discount in percent (what a discount approval flow tests). A
line's discount is the larger of the discount it gives and how far its net lies below the price
book's price for it: a unit price typed below the book's is a discount like any other. No I/O, no
Django models: numbers in, numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
VAT_RATES = (Decimal("13"), Decimal("9"), Decimal("6"), Decimal("0"))
PERCENT = "percent"
AMOUNT = "amount"


class DiscountTooLarge(ValueError):
    """The discount is more than the line's gross amount (the net would be negative)."""

    def __init__(self, discount: Decimal, gross: Decimal) -> None:
        super().__init__(f"discount {discount} > gross {gross}")
        self.discount = discount
        self.gross = gross


def cents(value: Decimal) -> Decimal:
    """Half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFigures:
    gross: Decimal
    discount: Decimal
    discount_percent: Decimal  # the discount in percent of the gross, two places (0 when gross is 0)
    net: Decimal
    tax: Decimal
    amount: Decimal
    # the line's discount for approval: the larger of ``discount_percent`` and how far the net lies
    # below quantity × the book's price, in percent of that, two places (0 … 100)
    off_book_percent: Decimal = ZERO


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    max_discount: Decimal


def line(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_kind: str = PERCENT,
    discount_value: Decimal = ZERO,
    tax_rate: Decimal = Decimal("13"),
    book_price: Decimal | None = None,
) -> LineFigures:
    """The rounded figures of one line. ``DiscountTooLarge`` when the discount exceeds the gross.
    ``book_price``: what the price book asks for the product at this quantity (none: the unit price)."""
    gross = cents(quantity * unit_price)
    if discount_kind == PERCENT:
        if discount_value > HUNDRED:
            raise DiscountTooLarge(cents(gross * discount_value / HUNDRED), gross)
        discount = cents(gross * discount_value / HUNDRED)
    else:
        discount = cents(discount_value)
    if discount > gross:
        raise DiscountTooLarge(discount, gross)
    net = gross - discount
    tax = cents(net * tax_rate / HUNDRED)
    if discount_kind == PERCENT:
        percent = cents(discount_value)
    else:
        percent = cents(discount * HUNDRED / gross) if gross else ZERO
    off_book = percent
    if book_price is not None and unit_price < book_price:
        book_gross = cents(quantity * book_price)
        if book_gross:
            off_book = max(percent, min(HUNDRED, cents((book_gross - net) * HUNDRED / book_gross)))
    return LineFigures(
        gross=gross,
        discount=discount,
        discount_percent=percent,
        net=net,
        tax=tax,
        amount=net + tax,
        off_book_percent=off_book,
    )


def totals(lines: Iterable[LineFigures]) -> Totals:
    """The quote's totals: the sums of the lines' rounded figures, and the largest line discount (%)."""
    subtotal = discount = net = tax = total = ZERO
    largest = ZERO
    for figures in lines:
        subtotal += figures.gross
        discount += figures.discount
        net += figures.net
        tax += figures.tax
        total += figures.amount
        largest = max(largest, figures.discount_percent, figures.off_book_percent)
    return Totals(subtotal=subtotal, discount=discount, net=net, tax=tax, total=total, max_discount=largest)


def to_cny(amount: Decimal, exchange_rate: Decimal) -> Decimal:
    """An amount of a foreign-currency quote in CNY (rounded half up to the cent)."""
    return cents(amount * exchange_rate)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def _section(number: int) -> str:
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _UNITS[position]
    return out


def in_words(amount: Decimal) -> str:
    """A non-negative amount of yuan in Chinese capital numerals (大写), e.g. 壹万贰仟叁佰元伍角整."""
    value = cents(amount)
    if value < 0:
        raise ValueError("amount in words: negative")
    yuan = int(value)
    fen_total = int((value - yuan) * 100)
    jiao, fen = divmod(fen_total, 10)
    parts: list[str] = []
    sections: list[int] = []
    rest = yuan
    while rest:
        sections.append(rest % 10000)
        rest //= 10000
    words = ""
    need_zero = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            need_zero = bool(words)
            continue
        if words and (need_zero or section < 1000):
            words += "零"
        words += _section(section) + _SECTIONS[index]
        need_zero = False
    if words:
        parts.append(words + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif fen and words:
        parts.append("零")
    if fen:
        parts.append(_DIGITS[fen] + "分")
    if not parts:
        return "零元整"
    text = "".join(parts)
    return text if fen else text + "整"
