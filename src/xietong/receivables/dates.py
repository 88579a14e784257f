"""The days money in takes: payment, refund and due dates, and the days the aging may be asked
about (the buckets count back 90 days, the period 89). One bound for all of them, so a date the
aging refuses is never recorded either (and a payment number's year always has four digits)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def check_day(field: str, day: date | None) -> None:
    """Refuse ``day`` outside 1900–2999 (422 naming ``field``); None passes (not given)."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError({field: _("Enter a date between 1900 and 2999.")})
