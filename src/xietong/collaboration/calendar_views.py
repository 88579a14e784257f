"""The calendar pages: a month or week grid of what is due (every registered source; tasks today), and
its iCalendar export. Navigation (previous, next, today, month/week, scope) swaps the grid with htmx."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.core.dates import day_end, day_start
from xietong.core.errors import ValidationError
from xietong.core.htmx import page_view, render_page

from . import calendar

CALENDAR_ID = "xt-calendar"
VIEWS = ("month", "week")
MONTH_CELL_LIMIT = 4  # entries shown in a month cell; the rest behind "+N more" (the week of that day)


# The days a grid can show with its previous and next weeks and months: December 9999's last week and
# January 0001's previous month lie outside the calendar Python knows.
FIRST_DAY, LAST_DAY = date(1, 2, 1), date(9999, 11, 30)


def _day(value: str | None) -> date:
    """The day asked for (today if none or not a date), held within the days a grid can show."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()
    return min(max(day, FIRST_DAY), LAST_DAY)


def _url(view: str, day: date, scope: str) -> str:
    return f"{reverse('collaboration:calendar')}?{urlencode({'view': view, 'date': day.isoformat(), 'scope': scope})}"


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def calendar_context(user: Any, *, view: str, day: date, scope: str) -> dict[str, Any]:
    if view == "month":
        weeks = calendar.month_days(day)
        days = [d for week in weeks for d in week]
        prev_day, next_day = _shift_month(day, -1), _shift_month(day, 1)
    else:
        days = calendar.week_days(day)
        prev_day, next_day = day - timedelta(days=7), day + timedelta(days=7)
    start, end = day_start(days[0]), day_end(days[-1])
    found = calendar.entries(user=user, start=start, end=end, scope=scope)
    cells = calendar.grid(days, found, month=day.month if view == "month" else None)
    limit = MONTH_CELL_LIMIT if view == "month" else None
    for cell in cells:
        cell.shown = cell.entries[:limit]
        cell.more = len(cell.entries) - len(cell.shown)
        cell.week_url = _url("week", cell.date, scope)
    today = timezone.localdate()
    return {
        "view": view,
        "day": day,
        "scope": scope,
        "first": days[0],
        "last": days[-1],
        "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
        "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
        "count": len(found),
        "now": timezone.now(),
        "prev_url": _url(view, prev_day, scope),
        "next_url": _url(view, next_day, scope),
        "today_url": _url(view, today, scope),
        "view_urls": [
            (code, label, _url(code, day, scope)) for code, label in (("month", _("Month")), ("week", _("Week")))
        ],
        "scope_urls": [(code, label, _url(view, day, scope=code)) for code, label in calendar.SCOPES],
        "ics_url": f"{reverse('collaboration:calendar_ics')}?{urlencode({'scope': scope})}",
        "calendar_id": CALENDAR_ID,
    }


@page_view
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in calendar.SCOPE_CODES else "mine"
    day = _day(request.GET.get("date"))
    context = calendar_context(request.user, view=view, day=day, scope=scope)
    return render_page(request, "collaboration/tasks/calendar.html", context, fragments={CALENDAR_ID: "calendar"})


def ics_response(user: Any, *, scope: str, start: str | None, end: str | None) -> HttpResponse:
    """The iCalendar file of ``user``'s entries (the page and the API answer the same)."""
    begin, finish = calendar.export_range(start, end)
    with translation.override(getattr(user, "language", None) or translation.get_language()):
        found = calendar.entries(user=user, start=begin, end=finish, scope=scope)
        body = calendar.to_ical(found, name=_("XieTong tasks"))  # in the user's language, also with a token
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="xietong.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@page_view
@require_GET
def calendar_ics(request: HttpRequest) -> HttpResponse:
    """``?scope=`` (mine, created, team, all), ``?start=`` / ``?end=`` (dates; default 30 days back, 180
    ahead). An invalid range answers 400 with the reason."""
    try:
        return ics_response(
            request.user,
            scope=request.GET.get("scope", "mine"),
            start=request.GET.get("start"),
            end=request.GET.get("end"),
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
