"""The calendar: what is due when, from every app that registers a source, as a month or week grid and
as an iCalendar file (docs/subsystems/calendar.md).

An app adds its dated things (tasks today; due follow-ups and meetings later) by registering a
source, from its ``ready()`` or a module imported there::

    calendar.register(CalendarSource("followup", _("Follow-ups"), fetch_followups))

``fetch(user, start, end, scope="mine")`` answers the entries ``user`` may see that start in
``[start, end)`` (aware datetimes), narrowed to ``scope`` (``SCOPES``; a source that has no notion of
a scope treats every scope as "mine"). Visibility is the source's job: start from the model's
``visible_to(user)``. Entries are plain values, so the grid, the iCalendar export and later the
"My day" page treat every source alike.
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.core.dates import add_days, day_end, day_start

# the scopes every source understands (the task list's tabs, minus "overdue")
SCOPES: list[tuple[str, str | Promise]] = [
    ("mine", _("Mine")),
    ("created", _("Created by me")),
    ("team", _("My team")),
    ("all", _("All I can see")),
]
SCOPE_CODES = tuple(code for code, _label in SCOPES)


@dataclass(frozen=True)
class CalendarEntry:
    """One dated thing. ``key`` is stable across exports and unique over all sources ("task-12"):
    the iCalendar UID is ``key@host``. ``state`` is ``active``, ``done`` or ``cancelled`` (the grid
    strikes the last two through; the export maps it to STATUS)."""

    kind: str
    key: str
    title: str
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    url: str = ""
    css_class: str = ""
    status: str = ""  # the source's own status code …
    status_label: str | Promise = ""  # … and its label in the reader's language
    state: str = "active"
    description: str = ""  # plain text
    updated_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled")

    @property
    def day(self) -> date:
        return self.start.date() if self.all_day else timezone.localdate(self.start)


Fetch = Callable[..., list[CalendarEntry]]


@dataclass(frozen=True)
class CalendarSource:
    kind: str
    label: str | Promise
    fetch: Fetch


_sources: dict[str, CalendarSource] = {}


def register(source: CalendarSource) -> None:
    _sources[source.kind] = source


def sources() -> list[CalendarSource]:
    return list(_sources.values())


def entries(*, user: Any, start: datetime, end: datetime, scope: str = "mine") -> list[CalendarEntry]:
    """Every source's entries in ``[start, end)``, in time order (all-day entries first in a day)."""
    scope = scope if scope in SCOPE_CODES else "mine"
    found: list[CalendarEntry] = []
    for source in _sources.values():
        found.extend(source.fetch(user, start, end, scope=scope))
    return sorted(found, key=lambda e: (e.day, not e.all_day, e.start, e.key))


# --- the grid -------------------------------------------------------------------------------------


def month_days(day: date) -> list[list[date]]:
    """The weeks (Monday first) of ``day``'s month, with the days of the months before and after that
    fill the first and last weeks."""
    return pycalendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)


def week_days(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


@dataclass
class Day:
    date: date
    in_month: bool = True
    is_today: bool = False
    entries: list[CalendarEntry] = field(default_factory=list)
    shown: list[CalendarEntry] = field(default_factory=list)  # what the cell shows …
    more: int = 0  # … and how many more there are
    week_url: str = ""


def grid(days: Iterable[date], found: Iterable[CalendarEntry], *, month: int | None = None) -> list[Day]:
    today = timezone.localdate()
    cells = {d: Day(date=d, in_month=month is None or d.month == month, is_today=d == today) for d in days}
    for entry in found:
        cell = cells.get(entry.day)
        if cell is not None:
            cell.entries.append(entry)
    return list(cells.values())


# --- iCalendar ------------------------------------------------------------------------------------

ICS_STATUS = {"active": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}


def base_url() -> str:
    return str(getattr(settings, "XIETONG_BASE_URL", "http://localhost:8000")).rstrip("/")


def uid_host() -> str:
    return urlsplit(base_url()).hostname or "localhost"


EXPORT_DAYS_BACK, EXPORT_DAYS_AHEAD = 30, 180  # the default range, from local midnights
MAX_EXPORT_DAYS = 732  # two years: a subscription polls this often, it stays a small file


def export_range(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The export's ``[start, end)`` from ISO dates (``end`` inclusive: the whole day). Without
    either, 30 days back to 180 ahead; one given alone keeps that length. Raises ``ValidationError``
    for a bad date or span."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext

    def parse(name: str, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError({name: gettext("Enter a date as YYYY-MM-DD.")}) from None

    first = parse("start", start) if start else None
    last = parse("end", end) if end else None
    length, today = EXPORT_DAYS_BACK + EXPORT_DAYS_AHEAD, timezone.localdate()
    if first is None:
        first = add_days(last, -length) if last else add_days(today, -EXPORT_DAYS_BACK)
    if last is None:
        last = add_days(first, length) if start else add_days(today, EXPORT_DAYS_AHEAD)
    begin, finish = day_start(first), day_end(last)
    if finish <= begin:
        raise ValidationError({"end": gettext("The end must not be before the start.")})
    if (finish - begin).days > MAX_EXPORT_DAYS:
        raise ValidationError({"end": gettext("Export at most %(days)d days at once.") % {"days": MAX_EXPORT_DAYS}})
    return begin, finish


def to_ical(found: Iterable[CalendarEntry], *, name: str) -> bytes:
    """An iCalendar (RFC 5545) file of VEVENTs, one per entry; times in UTC. The icalendar library
    escapes text (commas, semicolons, new lines) and folds long lines.

    VEVENT rather than VTODO: the calendars people subscribe from (Outlook, Google, Apple, DingTalk)
    show events, while many ignore to-dos. A finished entry keeps STATUS:CONFIRMED and gets a "✓" in
    front of its summary; a cancelled one is STATUS:CANCELLED."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//XieTong//Calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    host, base, now = uid_host(), base_url(), timezone.now()
    labels = {source.kind: str(source.label) for source in _sources.values()}
    for entry in found:
        event = Event()
        event.add("uid", f"{entry.key}@{host}")
        event.add("dtstamp", (entry.updated_at or now).astimezone(UTC))
        if entry.updated_at is not None:
            event.add("last-modified", entry.updated_at.astimezone(UTC))
        if entry.all_day:
            event.add("dtstart", entry.day)
            event.add("dtend", (entry.end.date() if entry.end else entry.day + timedelta(days=1)))
        else:
            event.add("dtstart", entry.start.astimezone(UTC))
            if entry.end is not None:
                event.add("dtend", entry.end.astimezone(UTC))
        event.add("summary", f"✓ {entry.title}" if entry.state == "done" else entry.title)
        if entry.description:
            event.add("description", entry.description)
        if entry.url:
            event.add("url", f"{base}{entry.url}")
        event.add("status", ICS_STATUS.get(entry.state, "CONFIRMED"))
        if entry.kind in labels:
            event.add("categories", [labels[entry.kind]])
        cal.add_component(event)
    return bytes(cal.to_ical())


# --- tasks: the first source ----------------------------------------------------------------------


def _task_state(status: str) -> str:
    return {"done": "done", "cancelled": "cancelled"}.get(status, "active")


def task_entries(user: Any, start: datetime, end: datetime, scope: str = "mine") -> list[CalendarEntry]:
    """The tasks ``user`` sees (``Task.objects.visible_to``) due in ``[start, end)``, narrowed like the
    task list's tabs (tasks_services.in_view): one query."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from .tasks_services import task_calendar

    found = []
    for task in task_calendar(user=user, start=start, end=end, view=scope):
        assert task.due_at is not None
        details = f"{gettext('Assignee')}: {task.assignee} · {gettext('Status')}: {task.get_status_display()}"
        found.append(
            CalendarEntry(
                kind="task",
                key=f"task-{task.pk}",
                title=task.title,
                start=task.due_at,
                url=reverse("collaboration:task_detail", args=[task.pk]),
                css_class=f"xt-cal-task xt-cal-priority-{task.priority}",
                status=task.status,
                status_label=task.get_status_display(),
                state=_task_state(task.status),
                description=f"{task.description}\n\n{details}" if task.description else details,
                updated_at=task.updated_at,
            )
        )
    return found


register(CalendarSource("task", _("Tasks"), task_entries))
