"""The record timeline (docs/subsystems/timeline.md): everything that happened on a record, newest
first, merged from registered sources — the audit trail ("change"), comments ("comment") and, as
later apps add them, follow-ups, approvals, stage moves, tasks.

A source is ``TimelineSource(kind, label, fetch)``; ``fetch(user=..., record=..., cursor=..., limit=...)``
returns at most ``limit`` ``TimelineEntry`` of the record older than ``cursor`` (``cursor.q(kind)``
is the keyset predicate), newest first by (created_at, id), in a fixed number of queries. The
record is already resolved (the caller sees it); a source still applies its own visibility.
Pages are merged here in Python and continue with a keyset cursor ``(created_at, kind, id)``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from xietong.core import audit
from xietong.core.components import register_record_panel
from xietong.core.errors import ValidationError

from . import comments
from .models import Comment

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """The last entry shown: the next page holds the entries ordered strictly before it by
    (created_at, kind, id), descending."""

    created_at: datetime
    kind: str
    id: int

    def q(self, kind: str, *, created_field: str = "created_at", id_field: str = "pk") -> Q:
        """The rows of a source of ``kind`` that come after this cursor in timeline order."""
        older = Q(**{f"{created_field}__lt": self.created_at})
        same_time = Q(**{created_field: self.created_at})
        if kind < self.kind:
            return older | same_time
        if kind == self.kind:
            return older | (same_time & Q(**{f"{id_field}__lt": self.id}))
        return older

    def encode(self) -> str:
        return f"{(self.created_at - _EPOCH) // _MICROSECOND}.{self.kind}.{self.id}"

    @classmethod
    def decode(cls, value: str) -> Cursor:
        parts = (value or "").split(".")
        try:
            if len(parts) < 3 or not parts[1]:
                raise ValueError(value)
            return cls(_EPOCH + int(parts[0]) * _MICROSECOND, ".".join(parts[1:-1]), int(parts[-1]))
        except (ValueError, OverflowError):
            raise ValidationError({"before": gettext("Invalid cursor.")}) from None


@dataclass
class TimelineEntry:
    kind: str
    id: int
    created_at: datetime
    actor: Any  # a user or None (the system)
    template: str  # renders the entry with ``entry`` (this) in its context
    obj: Any  # what the source read: an audit entry, a comment thread …
    text_of: Callable[[Any], str] = field(repr=False, default=str)

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.created_at, self.kind, self.id)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.created_at, self.kind, self.id)

    @property
    def objs(self) -> list[Any]:
        """``[obj]``, for templates that render lists of entries (``components/history.html#entries``)."""
        return [self.obj]

    @property
    def text(self) -> str:
        """Plain text of the entry (the API's ``text``), in the reader's language."""
        return self.text_of(self.obj)


Fetch = Callable[..., list[TimelineEntry]]


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: Any  # lazy translation: the filter chip
    fetch: Fetch


_sources: dict[str, TimelineSource] = {}


def register_source(source: TimelineSource) -> TimelineSource:
    _sources[source.kind] = source
    return source


def sources() -> list[TimelineSource]:
    return list(_sources.values())


def parse_kinds(value: str | None) -> set[str] | None:
    """``"change,comment"`` → the known kinds named; None (all) for an empty value."""
    names = {k.strip() for k in (value or "").split(",") if k.strip()}
    if not names:
        return None
    unknown = names - set(_sources)
    if unknown:
        raise ValidationError({"kinds": gettext("Unknown kind: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}})
    return names


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next: Cursor | None


def timeline_page(
    *,
    user: Any,
    record: models.Model,
    kinds: set[str] | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of ``record``'s timeline, newest first. Each source reads at most ``size + 1`` rows
    (a fixed number of queries each), so the cost does not grow with the record's history."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    merged: list[TimelineEntry] = []
    for source in _sources.values():
        if kinds is None or source.kind in kinds:
            merged.extend(source.fetch(user=user, record=record, cursor=before, limit=size + 1))
    merged.sort(key=lambda e: e.key, reverse=True)
    page = merged[:size]
    return TimelinePage(entries=page, next=page[-1].cursor if len(merged) > size else None)


# --- the built-in sources ---------------------------------------------------------------------


def _change_text(entry: Any) -> str:
    from xietong.core.templatetags.xt import audit_changes, audit_verb

    rows = "; ".join(f"{label}: {old} → {new}" for label, old, new in audit_changes(entry))
    return f"{audit_verb(entry)}: {rows}" if rows else audit_verb(entry)


# what the entry markup and its text read (components/history.html): not the actor's password and such
_CHANGE_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "verb",
    "content_type_id",
    "object_id",
    "changes",
    "request_id",
    "actor__display_name",
    "actor__username",
)


def fetch_changes(*, user: Any, record: models.Model, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    """The record's audit entries (one query, the actor joined)."""
    qs = audit.history(record).only(*_CHANGE_COLUMNS)
    if cursor is not None:
        qs = qs.filter(cursor.q("change"))
    return [
        TimelineEntry("change", e.pk, e.created_at, e.actor, "collaboration/timeline/change.html", e, _change_text)
        for e in qs.order_by("-created_at", "-id")[:limit]
    ]


_TAG = re.compile(r"<[^>]*>")


def _comment_text(thread: Any) -> str:
    if thread.deleted_at is not None:
        return gettext("This comment was deleted.")
    # body_html is nh3's well-formed output: dropping its tags is exact (and far cheaper than strip_tags)
    return " ".join(html.unescape(_TAG.sub("", thread.body_html)).split())


def fetch_comments(*, user: Any, record: models.Model, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    """The record's top-level comments the viewer sees, each with its replies (two queries)."""
    qs = comments.comment_thread(user=user, record=record, mentions=False)
    if cursor is not None:
        qs = qs.filter(cursor.q("comment"))
    threads = cast("list[Comment]", list(qs.order_by("-created_at", "-id")[:limit]))
    return [
        TimelineEntry("comment", c.pk, c.created_at, c.author, "collaboration/timeline/comment.html", c, _comment_text)
        for c in threads
    ]


register_source(TimelineSource("change", pgettext_lazy("timeline kind", "Changes"), fetch_changes))
register_source(TimelineSource("comment", _("Comments"), fetch_comments))

# the panel on record pages with the collaboration surface (templatetags/timeline_tags.py)
register_record_panel("collaboration/timeline/panel.html", order=5)
