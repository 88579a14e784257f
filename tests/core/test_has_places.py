from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from xietong.core.validators import has_places, positive_quantity


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


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a quantity, e.g. 10 or 2.5."),
        (None, "Enter a quantity, e.g. 10 or 2.5."),
        ("NaN", "Enter a quantity, e.g. 10 or 2.5."),
        ("0", "The quantity must be more than zero."),
        (-1, "The quantity must be more than zero."),
        ("1.0001", "A quantity has at most three decimal places."),
        ("1e30", "The number is too large."),  # rounding it would raise InvalidOperation
        (1e308, "The number is too large."),
        ("100000000000", "The number is too large."),
    ],
)
def test_positive_quantity_names_the_field_and_says_what_is_wrong(value, message):
    with pytest.raises(ValidationError) as exc:
        positive_quantity(value, "lines.0.quantity")
    assert exc.value.message_dict == {"lines.0.quantity": [gettext(message)]}


def test_positive_quantity_reads_text_and_numbers():
    assert [positive_quantity(v, "q") for v in ("1,000", "2.5", 3, "99999999999.999")] == [
        Decimal("1000"),
        Decimal("2.5"),
        Decimal("3"),
        Decimal("99999999999.999"),
    ]
