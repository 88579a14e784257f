"""The money filters: the fast formatting gives exactly what Django's ``number_format`` gives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import given
from hypothesis import strategies as st

from xietong.core.templatetags.xt import money, money_cell

AMOUNTS = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=4, allow_nan=False)


@given(amount=AMOUNTS, language=st.sampled_from(["zh-hans", "en"]))
def test_money_is_what_number_format_gives(amount: Decimal, language: str) -> None:
    with translation.override(language):
        expected = formats.number_format(abs(amount), 2, use_l10n=True, force_grouping=True)
        assert money(amount) == (f"-¥{expected}" if amount < 0 else f"¥{expected}")


def test_money_and_the_cell_exactly() -> None:
    with translation.override("zh-hans"):
        assert money(Decimal("1234567.891")) == "¥1,234,567.89"
        assert money(Decimal("-0.5")) == "-¥0.50"
        assert money("12") == "¥12.00"
        assert money(None) == "—"
        assert money("abc") == "—"
        assert money_cell(Decimal("-1000")) == '<span class="xt-money xt-negative">-¥1,000.00</span>'
        assert money_cell(Decimal("3.1")) == '<span class="xt-money">¥3.10</span>'
        assert money_cell("") == '<span class="xt-money">—</span>'


def test_money_in_another_currency_by_its_sign_or_code() -> None:
    with translation.override("zh-hans"):
        assert money(Decimal("1234.5"), "USD") == "$1,234.50"
        assert money(Decimal("-2"), "EUR") == "-€2.00"
        assert money(Decimal("7"), "THB") == "THB 7.00"
        assert money(Decimal("7"), "") == "¥7.00"
        assert money_cell(Decimal("-1000"), "HKD") == '<span class="xt-money xt-negative">-HK$1,000.00</span>'
        assert money_cell(Decimal("5"), "<b>") == '<span class="xt-money">&lt;B&gt; 5.00</span>'


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("2705034.00", "2,705,034.00"),  # an amount in a change history
        ("-12500.50", "-12,500.50"),
        ("1500.000", "1,500.000"),  # a quantity
        ("13.00", "13.00"),  # a rate: nothing to group
        ("13800138000", "13800138000"),  # a phone number is not a figure
        ("2026-12-01", "2026-12-01"),
        ("HT-2026.0001", "HT-2026.0001"),
    ],
)
def test_recorded_figures_are_grouped_in_the_change_history(recorded, shown):
    from xietong.core.templatetags.xt import _audit_value

    assert _audit_value(recorded) == shown
