"""REST endpoint of the record timeline: ``/api/v1/timeline?record=org.team:12``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.http import urlencode
from ninja import Field, Router, Schema

from xietong.core.api import ERROR_RESPONSES

from . import timeline

router = Router(tags=["timeline"])


class TimelineEntryOut(Schema):
    kind: str = Field(description='What happened: "change", "comment" or a kind a later app registers.')
    id: int = Field(description="The id of the audit entry, comment … within its kind.")
    created_at: datetime
    actor_id: int | None
    actor_name: str = Field(description='Who; "" for the system.')
    text: str = Field(description="Plain text of the entry in the caller's language.")
    cursor: str = Field(description="Pass as ``before`` to continue after this entry.")

    @staticmethod
    def resolve_actor_id(obj: timeline.TimelineEntry) -> int | None:
        return getattr(obj.actor, "pk", None)

    @staticmethod
    def resolve_actor_name(obj: timeline.TimelineEntry) -> str:
        return str(obj.actor) if obj.actor is not None else ""

    @staticmethod
    def resolve_cursor(obj: timeline.TimelineEntry) -> str:
        return obj.cursor.encode()


class TimelinePageOut(Schema):
    results: list[TimelineEntryOut]
    next: str | None = Field(description="The URL of the next page, or null at the end.")


@router.get("/timeline", response={200: TimelinePageOut, **ERROR_RESPONSES})
def get_timeline(
    request: HttpRequest, record: str, kinds: str = "", before: str = "", page_size: int = timeline.PAGE_SIZE
) -> Any:
    """The record's timeline, newest first: its changes (audit trail), comments (with replies) and
    what later apps add. ``kinds=change,comment`` filters; ``before`` (an entry's ``cursor``, or
    follow ``next``) continues. 404 when the record is missing, outside your scope or of a kind
    without the collaboration surface; 422 for an unknown kind or an invalid cursor."""
    target = timeline.resolve_record(request.user, record)
    wanted = timeline.parse_kinds(kinds)
    cursor = timeline.Cursor.decode(before) if before else None
    page = timeline.timeline_page(user=request.user, record=target, kinds=wanted, before=cursor, size=page_size)
    next_url = None
    if page.next is not None:
        params = {"record": record, "before": page.next.encode(), "page_size": str(page_size)}
        if kinds:
            params["kinds"] = kinds
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    return {"results": page.entries, "next": next_url}
