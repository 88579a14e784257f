"""Days as instants: where a day starts and ends in the current time zone, for filtering what
happened (``created_at``…) by the days a user typed; and the days a business record may carry.

A filter may be given any day the calendar holds, ``0001-01-01`` and ``9999-12-31`` included; their
midnights may lie outside what a ``datetime`` in UTC can hold. Such days mean "from the beginning" and
"to the end", so their bounds are held at ``EARLIEST`` and ``LATEST`` rather than failing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST = datetime(1, 1, 1, tzinfo=UTC)  # UTC, as the database keeps them
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def add_days(day: date, days: int) -> date:
    """``day`` plus ``days`` (negative: minus), held at the ends of the calendar instead of failing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in the current time zone (aware)."""
    try:
        moment = timezone.make_aware(datetime.combine(day, time.min))
        moment.astimezone(UTC)  # the database keeps UTC: it must be representable there too
    except OverflowError:
        return EARLIEST if day.year == date.min.year else LATEST
    return min(max(moment, EARLIEST), LATEST)


def day_end(day: date) -> datetime:
    """The first instant after ``day`` (the exclusive end of a range that includes ``day``)."""
    return LATEST if day == date.max else day_start(day + timedelta(days=1))


# The days a business record may carry — a signing, payment, refund or due date, and a day a report is
# asked about (the aging counts back 90 days from it). One bound everywhere, so a date one page refuses
# is never recorded through another, and a number made of the year (HK-202612-…) has four digits.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def day_in_range(day: date) -> bool:
    """Whether a business record may carry ``day`` (1900–2999)."""
    return FIRST_DAY <= day <= LAST_DAY


def check_day(field: str, day: date | None) -> None:
    """Refuse ``day`` outside 1900–2999 (a 422 naming ``field``); None passes (not given)."""
    if day is not None and not day_in_range(day):
        raise ValidationError({field: _("Enter a date between 1900 and 2999.")})
