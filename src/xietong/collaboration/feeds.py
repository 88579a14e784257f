"""Activity feeds (docs/subsystems/feeds.md): what happened on records with the collaboration surface,
newest first, across records — the record's own feed is its timeline (timeline.py).

- ``mine``: activity on the records I follow (my own records included: owners follow them) and what
  I did myself;
- ``team``: what the people of my teams did;
- ``following`` (My day's section): what others did on the records I follow.

Both only ever show records the reader sees. A feed source is ``FeedSource(kind, fetch)``;
``fetch(user=..., who=FeedScope, cursor=..., limit=...)`` returns at most ``limit``
``TimelineEntry`` newest first, in a fixed number of queries — the same entries, cursor and
templates as the timeline, so a later app that adds a timeline kind (follow-ups, approvals) adds
its feed source next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core import audit
from xietong.core.components import record_url
from xietong.core.visibility import members_of

from . import registry
from .models import Comment, Follow
from .timeline import _CHANGE_COLUMNS, Cursor, TimelineEntry, _change_text, _comment_text

PAGE_SIZE = 20
SCOPES = {"mine": _("Mine"), "team": _("My team's")}


@dataclass(frozen=True)
class FeedScope:
    """Whose activity: on the ``followed`` records (a predicate over content type / object id
    columns) or by the ``actors`` (ids or a subquery)."""

    user: Any
    name: str

    def followed_q(self, *, ct_field: str = "content_type_id", id_field: str = "object_id") -> Q:
        """Rows on records the user follows: one subquery per kind of record they follow."""
        q = Q(pk__in=[])
        follows = Follow.objects.filter(user_id=self.user.pk)
        for ct_id in follows.values_list("content_type_id", flat=True).distinct().order_by():
            ids = follows.filter(content_type_id=ct_id).values("object_id")
            q |= Q(**{ct_field: ct_id, f"{id_field}__in": ids})
        return q

    def actors(self) -> Any:
        """The people of the user's teams (themselves included)."""
        return members_of(team_ids=self.user.access.team_ids)


def _surface_types() -> list[int]:
    return [ContentType.objects.get_for_model(s.model).pk for s in registry.surfaces()]


def fetch_changes(*, user: Any, who: FeedScope, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    qs = audit.visible_entries(user).filter(content_type_id__in=_surface_types())
    if who.name == "mine":
        qs = qs.filter(who.followed_q() | Q(actor_id=user.pk))
    elif who.name == "following":
        qs = qs.filter(who.followed_q(), ~Q(actor_id=user.pk))
    else:
        qs = qs.filter(actor_id__in=who.actors())
    if cursor is not None:
        qs = qs.filter(cursor.q("change"))
    qs = qs.select_related("actor").only(*_CHANGE_COLUMNS)
    return [
        TimelineEntry("change", e.pk, e.created_at, e.actor, "collaboration/timeline/change.html", e, _change_text)
        for e in qs.order_by("-created_at", "-id")[:limit]
    ]


def fetch_comments(*, user: Any, who: FeedScope, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    """Comments and replies (each on its own: a feed shows what happened, not threads)."""
    qs = Comment.objects.visible_to(user).filter(deleted_at__isnull=True)
    if who.name == "mine":
        qs = qs.filter(who.followed_q() | Q(author_id=user.pk))
    elif who.name == "following":
        qs = qs.filter(who.followed_q()).exclude(author_id=user.pk)
    else:
        qs = qs.filter(author_id__in=who.actors())
    if cursor is not None:
        qs = qs.filter(cursor.q("comment"))
    rows = cast("list[Comment]", list(qs.select_related("author").order_by("-created_at", "-id")[:limit]))
    return [
        TimelineEntry("comment", c.pk, c.created_at, c.author, "collaboration/feed/comment.html", c, _comment_text)
        for c in rows
    ]


@dataclass(frozen=True)
class FeedSource:
    kind: str
    fetch: Callable[..., list[TimelineEntry]]


_sources: dict[str, FeedSource] = {}


def register_source(source: FeedSource) -> FeedSource:
    _sources[source.kind] = source
    return source


register_source(FeedSource("change", fetch_changes))
register_source(FeedSource("comment", fetch_comments))


@dataclass
class FeedItem:
    entry: TimelineEntry
    record: Any  # the record, or None when it is gone
    url: str


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: Cursor | None


def feed_page(*, user: Any, scope: str = "mine", before: Cursor | None = None, size: int = PAGE_SIZE) -> FeedPage:
    """One page of a feed: each source reads ``size + 1`` rows, the records named are fetched once
    per kind (visibility applied again: an entry whose record the reader cannot see is dropped)."""
    who = FeedScope(user=user, name=scope if scope in (*SCOPES, "following") else "mine")
    merged: list[TimelineEntry] = []
    for source in _sources.values():
        merged.extend(source.fetch(user=user, who=who, cursor=before, limit=size + 1))
    merged.sort(key=lambda e: e.key, reverse=True)
    page = merged[:size]
    refs = [(e.obj.content_type_id, str(e.obj.object_id)) for e in page]
    records = registry.visible_records(user, refs)
    items = [
        FeedItem(entry=e, record=records.get(ref), url=record_url(*ref) if ref in records else "")
        for e, ref in zip(page, refs, strict=True)
        if ref in records
    ]
    return FeedPage(items=items, next=page[-1].cursor if len(merged) > size else None)
