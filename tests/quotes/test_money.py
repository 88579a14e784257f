"""The rounding rule of quotes (money.py): worked examples and Hypothesis properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xietong.quotes import money

D = Decimal


def test_worked_example_of_the_rounding_rule() -> None:
    # 3 × 33.335 = 100.005 → 100.01; 10 % of it 10.001 → 10.00; net 90.01; VAT 13 % 11.7013 → 11.70
    figures = money.line(quantity=D("3"), unit_price=D("33.335"), discount_value=D("10"), tax_rate=D("13"))
    assert figures == money.LineFigures(
        gross=D("100.01"),
        discount=D("10.00"),
        discount_percent=D("10.00"),
        net=D("90.01"),
        tax=D("11.70"),
        amount=D("101.71"),
        off_book_percent=D("10.00"),
    )


def test_half_up_rounds_the_half_cent_up() -> None:
    figures = money.line(quantity=D("1"), unit_price=D("0.05"), tax_rate=D("9"))
    assert figures.tax == D("0.00")  # 0.0045 → 0.00
    figures = money.line(quantity=D("0.5"), unit_price=D("0.01"), tax_rate=D("0"))
    assert figures.gross == D("0.01")  # 0.005 → 0.01 (half up, not half even)


def test_an_amount_discount_gives_its_percent_of_the_gross() -> None:
    figures = money.line(quantity=D("2"), unit_price=D("300.00"), discount_kind="amount", discount_value=D("50"))
    assert (figures.discount, figures.discount_percent, figures.net, figures.tax) == (
        D("50.00"),
        D("8.33"),
        D("550.00"),
        D("71.50"),
    )


def test_a_discount_larger_than_the_gross_is_refused() -> None:
    with pytest.raises(money.DiscountTooLarge) as caught:
        money.line(quantity=D("1"), unit_price=D("10.00"), discount_kind="amount", discount_value=D("10.01"))
    assert (caught.value.discount, caught.value.gross) == (D("10.01"), D("10.00"))


def test_totals_are_sums_of_the_rounded_lines_and_the_largest_discount() -> None:
    lines = [
        money.line(quantity=D("1"), unit_price=D("0.333"), tax_rate=D("13")),
        money.line(quantity=D("1"), unit_price=D("0.333"), tax_rate=D("13"), discount_value=D("5")),
    ]
    totals = money.totals(lines)
    assert totals == money.Totals(
        subtotal=D("0.66"), discount=D("0.02"), net=D("0.64"), tax=D("0.08"), total=D("0.72"), max_discount=D("5.00")
    )


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (D("0"), "零元整"),
        (D("10"), "壹拾元整"),
        (D("12345.67"), "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (D("100005.00"), "壹拾万零伍元整"),
        (D("1000000.50"), "壹佰万元伍角整"),
        (D("226000.00"), "贰拾贰万陆仟元整"),
        (D("0.05"), "伍分"),
    ],
)
def test_amounts_in_chinese_capital_numerals(amount: Decimal, words: str) -> None:
    assert money.in_words(amount) == words


quantities = st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
rates = st.sampled_from([D("13"), D("9"), D("6"), D("0")])


@st.composite
def lines(draw: st.DrawFn) -> money.LineFigures:
    quantity, price, rate = draw(quantities), draw(prices), draw(rates)
    if draw(st.booleans()):
        return money.line(quantity=quantity, unit_price=price, discount_value=draw(percents), tax_rate=rate)
    gross = money.cents(quantity * price)
    amount = draw(st.decimals(min_value=D("0"), max_value=gross, places=2))
    return money.line(quantity=quantity, unit_price=price, discount_kind="amount", discount_value=amount, tax_rate=rate)


@settings(max_examples=200, deadline=None)
@given(st.lists(lines(), max_size=30))
def test_totals_equal_the_sum_of_the_lines(figures: list[money.LineFigures]) -> None:
    totals = money.totals(figures)
    assert totals.subtotal == sum((f.gross for f in figures), D("0"))
    assert totals.discount == sum((f.discount for f in figures), D("0"))
    assert totals.net == sum((f.net for f in figures), D("0"))
    assert totals.tax == sum((f.tax for f in figures), D("0"))
    assert totals.total == totals.net + totals.tax == sum((f.amount for f in figures), D("0"))


@settings(max_examples=300, deadline=None)
@given(quantities, prices, percents, rates)
def test_rounding_is_stable_and_the_discount_never_exceeds_the_gross(
    quantity: Decimal, price: Decimal, percent: Decimal, rate: Decimal
) -> None:
    first = money.line(quantity=quantity, unit_price=price, discount_value=percent, tax_rate=rate)
    again = money.line(quantity=quantity, unit_price=price, discount_value=percent, tax_rate=rate)
    assert first == again
    for value in (first.gross, first.discount, first.net, first.tax, first.amount):
        assert value == value.quantize(money.CENT)
    assert D("0") <= first.discount <= first.gross
    assert first.net >= 0
    # the stored figures fed back as an amount discount give the same line
    same = money.line(
        quantity=quantity, unit_price=price, discount_kind="amount", discount_value=first.discount, tax_rate=rate
    )
    assert (same.gross, same.discount, same.net, same.tax, same.amount) == (
        first.gross,
        first.discount,
        first.net,
        first.tax,
        first.amount,
    )


def test_the_documented_example_of_two_lines() -> None:
    lines = [
        money.line(quantity=D("3"), unit_price=D("33.335"), discount_value=D("10"), tax_rate=D("13")),
        money.line(
            quantity=D("2"), unit_price=D("300.00"), discount_kind="amount", discount_value=D("50"), tax_rate=D("6")
        ),
    ]
    assert money.totals(lines) == money.Totals(
        subtotal=D("700.01"),
        discount=D("60.00"),
        net=D("640.01"),
        tax=D("44.70"),
        total=D("684.71"),
        max_discount=D("10.00"),
    )


def test_a_unit_price_below_the_book_price_is_a_discount_for_approval() -> None:
    # typed 80.00 where the book asks 100.00: no discount given, but 20 % below the book
    typed = money.line(quantity=D("3"), unit_price=D("80.00"), tax_rate=D("13"), book_price=D("100.00"))
    assert (typed.discount_percent, typed.off_book_percent, typed.net) == (D("0.00"), D("20.00"), D("240.00"))
    # and a discount on top of it counts from the book's price: 3 × 100 = 300 → net 216 is 28 % below
    both = money.line(
        quantity=D("3"), unit_price=D("80.00"), discount_value=D("10"), tax_rate=D("13"), book_price=D("100.00")
    )
    assert (both.discount_percent, both.off_book_percent, both.net) == (D("10.00"), D("28.00"), D("216.00"))
    assert money.totals([typed, both]).max_discount == D("28.00")


def test_a_price_at_or_above_the_book_counts_only_the_discount_given() -> None:
    above = money.line(
        quantity=D("1"), unit_price=D("120.00"), discount_value=D("15"), tax_rate=D("13"), book_price=D("100.00")
    )
    at = money.line(quantity=D("1"), unit_price=D("100.00"), discount_value=D("5"), book_price=D("100.00"))
    free = money.line(quantity=D("1"), unit_price=D("0.00"), book_price=D("0.00"))
    unknown = money.line(quantity=D("1"), unit_price=D("50.00"), discount_value=D("7"))
    assert [f.off_book_percent for f in (above, at, free, unknown)] == [D("15.00"), D("5.00"), D("0.00"), D("7.00")]


@settings(max_examples=300, deadline=None)
@given(quantities, prices, prices, percents)
def test_the_discount_for_approval_lies_between_the_discount_given_and_100(
    quantity: Decimal, price: Decimal, book: Decimal, percent: Decimal
) -> None:
    figures = money.line(quantity=quantity, unit_price=price, discount_value=percent, book_price=book)
    assert figures.discount_percent <= figures.off_book_percent <= D("100")
    assert figures.off_book_percent == figures.off_book_percent.quantize(money.CENT)
