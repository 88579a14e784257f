from decimal import Decimal

import pytest

from xietong.core.validators import has_places


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("12.34", 2, True),
        ("12.345", 2, False),
        ("1.500", 2, True),  # trailing zeros are no places
        ("-0.005", 2, False),
        ("0E-10", 2, True),
        ("100", 0, True),
        ("1.5", 0, False),
        ("0.000001", 6, True),
        ("0.0000001", 6, False),
        ("1e30", 2, True),  # quantize raises InvalidOperation here; has_places answers
        ("123456789012345678901234567890.12", 2, True),
        ("123456789012345678901234567890.123", 2, False),
        ("NaN", 2, False),
        ("Infinity", 2, False),
    ],
)
def test_has_places(value, places, expected):
    assert has_places(Decimal(value), places) is expected
