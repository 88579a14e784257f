"""``GET /api/v1/calendar.ics``: the caller's calendar as an iCalendar file (session or access token)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from xietong.core.api import ERROR_RESPONSES

from . import calendar_views

router = Router(tags=["calendar"])


@router.get(
    "/calendar.ics",
    response={401: ERROR_RESPONSES[401], 422: ERROR_RESPONSES[422]},
    openapi_extra={
        "responses": {
            200: {
                "description": "An iCalendar (RFC 5545) file: a VEVENT per entry, UID ``task-<id>@<host>``, UTC.",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def calendar_ics(request: HttpRequest, scope: str = "mine", start: str = "", end: str = "") -> Any:
    """What is due in ``[start, end]`` (ISO dates; default 30 days back to 180 ahead, at most two years)
    that the caller sees: ``scope`` mine (assigned to me or I collaborate), created, team or all.
    Invalid dates or span: 422."""
    return calendar_views.ics_response(request.user, scope=scope, start=start or None, end=end or None)
