"""Days as instants (core/dates.py): the bounds of a local day, held at the ends of the calendar, so
that a filter given ``0001-01-01`` or ``9999-12-31`` means "from the beginning" / "to the end"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from xietong.core.dates import EARLIEST, LATEST, add_days, day_end, day_start


def test_a_day_runs_from_its_local_midnight_to_the_next():
    assert day_start(date(2026, 12, 2)) == datetime(2026, 12, 1, 16, tzinfo=UTC)  # Asia/Shanghai
    assert day_end(date(2026, 12, 2)) == datetime(2026, 12, 2, 16, tzinfo=UTC)


def test_the_ends_of_the_calendar_are_held_not_overflowed():
    assert day_start(date.min) == EARLIEST  # its local midnight lies before year 1 in UTC
    assert EARLIEST < day_end(date.min) < datetime(1, 1, 2, tzinfo=UTC)  # (Shanghai's offset was +8:05:43 then)
    assert day_start(date.max) == datetime(9999, 12, 30, 16, tzinfo=UTC)
    assert day_end(date.max) == LATEST
    assert (add_days(date(1, 1, 5), -10), add_days(date(9999, 12, 30), 10)) == (date.min, date.max)
    assert add_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers?created_from=0001-01-01&created_to=9999-12-31",
        "/customers/?created_from=0001-01-01&created_to=9999-12-31",
        "/api/v1/leads?created_from=0001-01-01&created_to=9999-12-31",
        "/leads/?created_from=0001-01-01&created_to=9999-12-31",
        "/api/v1/opportunities?close_month=9999-12-31",
        "/pipeline/?close_month=9999-12",
        "/api/v1/calendar.ics?start=9999-12-31",
        "/api/v1/calendar.ics?start=0001-01-01",
        "/api/v1/calendar.ics?end=0001-01-01",
        "/api/v1/calendar.ics?end=9999-12-31",
    ],
)
def test_filters_at_the_ends_of_the_calendar_answer_rather_than_fail(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("asked", "shown", "first", "last"),
    [
        ("0001-01-01", date(1, 2, 1), "0001-01-29", "0001-03-04"),  # its previous month would be in year 0
        ("9999-12-31", date(9999, 11, 30), "9999-11-01", "9999-12-05"),  # December's last week ends in 10000
        ("2026-12-02", date(2026, 12, 2), "2026-11-30", "2027-01-03"),
    ],
)
def test_the_calendar_page_at_the_ends_of_the_calendar_shows_the_nearest_month_it_can(
    admin_client, asked, shown, first, last
):
    month = admin_client.get(f"/tasks/calendar/?date={asked}")
    week = admin_client.get(f"/tasks/calendar/?view=week&date={asked}", headers={"HX-Request": "true"})

    assert (month.status_code, week.status_code) == (200, 200)
    assert month.context["day"] == week.context["day"] == shown
    assert (month.context["first"].isoformat(), month.context["last"].isoformat()) == (first, last)


@pytest.mark.parametrize(
    ("day", "refused"),
    [
        (date(1, 1, 1), True),
        (date(1899, 12, 31), True),
        (date(1900, 1, 1), False),
        (date(2999, 12, 31), False),
        (date(3000, 1, 1), True),
        (None, False),
    ],
)
def test_check_day_holds_business_days_to_1900_through_2999(day, refused):
    from django.core.exceptions import ValidationError

    from xietong.core.dates import check_day

    if not refused:
        check_day("due_date", day)
        return
    with pytest.raises(ValidationError) as caught:
        check_day("due_date", day)
    assert caught.value.message_dict == {"due_date": ["请输入 1900 年到 2999 年之间的日期。"]}
