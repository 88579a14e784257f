"""Quantities show without trailing zeros and never in exponent form (``Decimal.normalize`` alone
turns 10 into 1E+1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xietong.core.templatetags.xt import qty


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10.000"), "10"),
        (Decimal("100"), "100"),
        (Decimal("2.500"), "2.5"),
        (Decimal("0.125"), "0.125"),
        (Decimal("0E-3"), "0"),
        (Decimal("13.00"), "13"),
        ("5", "5"),
        (None, "—"),
        ("", "—"),
        ("n/a", "n/a"),
    ],
)
def test_a_quantity_is_shown_plainly(value, shown):
    assert qty(value) == shown
