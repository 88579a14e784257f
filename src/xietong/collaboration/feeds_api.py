"""REST endpoint of the activity feeds: ``/api/v1/feed?scope=mine|team`` (a record's own feed is
``/api/v1/timeline?record=...``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from xietong.core.api import ERROR_RESPONSES
from xietong.core.errors import ValidationError

from . import feeds, registry, timeline

router = Router(tags=["feeds"])


class FeedItemOut(Schema):
    kind: str = Field(description='"change", "comment" or a kind a later app registers.')
    id: int
    created_at: datetime
    actor_id: int | None
    actor_name: str
    text: str = Field(description="Plain text of the entry in the caller's language.")
    record: str = Field(description='The record it happened on, "app_label.model:pk".')
    record_name: str
    cursor: str = Field(description="Pass as ``before`` to continue after this entry.")

    @staticmethod
    def resolve_kind(obj: feeds.FeedItem) -> str:
        return obj.entry.kind

    @staticmethod
    def resolve_id(obj: feeds.FeedItem) -> int:
        return obj.entry.id

    @staticmethod
    def resolve_created_at(obj: feeds.FeedItem) -> datetime:
        return obj.entry.created_at

    @staticmethod
    def resolve_actor_id(obj: feeds.FeedItem) -> int | None:
        return getattr(obj.entry.actor, "pk", None)

    @staticmethod
    def resolve_actor_name(obj: feeds.FeedItem) -> str:
        return str(obj.entry.actor) if obj.entry.actor is not None else ""

    @staticmethod
    def resolve_text(obj: feeds.FeedItem) -> str:
        return obj.entry.text

    @staticmethod
    def resolve_record(obj: feeds.FeedItem) -> str:
        return registry.record_key(obj.record)

    @staticmethod
    def resolve_record_name(obj: feeds.FeedItem) -> str:
        return str(obj.record)

    @staticmethod
    def resolve_cursor(obj: feeds.FeedItem) -> str:
        return obj.entry.cursor.encode()


class FeedPageOut(Schema):
    results: list[FeedItemOut]
    next: str | None = Field(description="The URL of the next page, or null at the end.")


@router.get("/feed", response={200: FeedPageOut, **ERROR_RESPONSES})
def get_feed(request: HttpRequest, scope: str = "mine", before: str = "") -> Any:
    """``mine``: activity on the records you follow and your own; ``team``: what the people of your
    teams did. Only records you see. 422 for an unknown scope or an invalid cursor."""
    if scope not in feeds.SCOPES:
        raise ValidationError({"scope": _("Choose one of: %(choices)s.") % {"choices": ", ".join(feeds.SCOPES)}})
    cursor = timeline.Cursor.decode(before) if before else None
    page = feeds.feed_page(user=request.user, scope=scope, before=cursor)
    next_url = None
    if page.next is not None:
        query = urlencode({"scope": scope, "before": page.next.encode()})
        next_url = request.build_absolute_uri(f"{request.path}?{query}")
    return {"results": page.items, "next": next_url}
