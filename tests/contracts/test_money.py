"""The money of contract lines (property-based): per line net + VAT = amount, each to the cent, VAT
half up from the net; the contract's figures are the sums of its lines' rounded figures; the same
inputs always give the same figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from xietong.contracts import money

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999"), places=2)
rates = st.sampled_from(money.VAT_RATES)
lines = st.lists(st.tuples(quantities, prices, rates, st.integers(min_value=0, max_value=100)), min_size=1, max_size=20)


@settings(deadline=None)  # the first example imports the quotes' money module
@given(lines)
def test_the_totals_are_the_sums_of_the_rounded_lines(rows):
    figures = []
    for quantity, price, rate, share in rows:
        gross = (quantity * price).quantize(money.CENT, ROUND_HALF_UP)
        discount = (gross * share / 100).quantize(money.CENT, ROUND_HALF_UP)  # at most the gross
        f = money.line_figures(quantity=quantity, unit_price=price, discount_amount=discount, tax_rate=rate)
        assert f.net == gross - discount
        assert f.tax == (f.net * rate / 100).quantize(money.CENT, ROUND_HALF_UP)
        assert f.amount == f.net + f.tax
        assert f.net >= 0 and f.tax >= 0
        assert f == money.line_figures(quantity=quantity, unit_price=price, discount_amount=discount, tax_rate=rate)
        figures.append(f)
    total = money.totals(figures)
    assert total.net == sum((f.net for f in figures), money.ZERO)
    assert total.tax == sum((f.tax for f in figures), money.ZERO)
    assert total.amount == sum((f.amount for f in figures), money.ZERO) == total.net + total.tax
    assert total.amount.as_tuple().exponent == -2
