"""The record timeline (docs/subsystems/timeline.md): everything that happened on a record, newest
first, merged from registered sources — the audit trail ("change"), comments ("comment") and, as
later apps add them, follow-ups, approvals, stage moves, tasks.

A source is ``TimelineSource(kind, label, fetch)``; ``fetch(user=..., record=..., cursor=..., limit=...)``
returns at most ``limit`` ``TimelineEntry`` of the record older than ``cursor`` (``cursor.q(kind)``
is the keyset predicate), newest first by (created_at, id), in a fixed number of queries.
``timeline_page`` only calls it for a record the reader sees: rows seen by exactly who sees the
record (changes, comments) need no other check; a source whose rows are narrower (a private
follow-up) still applies its own visibility. Pages are merged here in Python and continue with a
keyset cursor ``(created_at, kind, id)``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from xietong.core.components import register_record_panel
from xietong.core.errors import NotFound, ValidationError
from xietong.core.models import AuditEntry

from . import registry
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


# --- the record, seen ------------------------------------------------------------------------------
# A page is only ever built for a record its reader sees. The view and the API resolve the record for
# the reader (``resolve_record``), the panel on record pages checks it (``sees_record``); either
# vouches for it on the instance, tied to the reader's ``Access`` of this request, so that
# ``timeline_page`` need not ask again and sources whose rows are seen by exactly who sees the record
# (changes, comments) need no visibility predicate of their own. A record nobody vouched for is
# checked (one query) by ``timeline_page``.

_VOUCHED = "_timeline_seen_with"


def _vouched(user: Any, record: models.Model) -> bool:
    access = getattr(user, "access", None)
    return access is not None and record.__dict__.get(_VOUCHED) is access


def _vouch(user: Any, record: models.Model) -> None:
    record.__dict__[_VOUCHED] = user.access


def resolve_record(user: Any, key: str) -> models.Model:
    """``registry.resolve`` for the timeline: the record named by ``key`` if ``user`` sees it,
    ``NotFound`` otherwise (unknown kind, missing, invisible: all alike)."""
    record = registry.resolve(user, key)
    _vouch(user, record)
    return record


def sees_record(user: Any, record: models.Model) -> bool:
    """Whether ``user`` sees ``record`` (one query, none when it was vouched for already)."""
    if _vouched(user, record):
        return True
    manager = type(record)._default_manager
    if getattr(user, "access", None) is None or not hasattr(manager, "visible_to"):
        return False
    if not manager.visible_to(user).filter(pk=record.pk).exists():
        return False
    _vouch(user, record)
    return True


def attached_rows(qs: Any, *, user: Any, record: models.Model) -> Any:
    """For sources whose rows are seen by exactly who sees their record (an ``AttachedQuerySet``:
    comments, files): ``qs`` narrowed to ``record``'s rows, with the visibility predicate only when
    the record was not vouched for ``user`` (``timeline_page`` has always checked it)."""
    qs = qs.filter(content_type_id=ContentType.objects.get_for_model(record).pk, object_id=str(record.pk))
    return qs if _vouched(user, record) else qs.visible_to(user)


def timeline_page(
    *,
    user: Any,
    record: models.Model,
    kinds: set[str] | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of ``record``'s timeline, newest first. Each source reads at most ``size + 1`` rows
    (a fixed number of queries each), so the cost does not grow with the record's history.
    ``NotFound`` when ``user`` does not see the record."""
    if not sees_record(user, record):
        raise NotFound()
    size = max(1, min(size, MAX_PAGE_SIZE))
    merged: list[TimelineEntry] = []
    for source in _sources.values():
        if kinds is None or source.kind in kinds:
            merged.extend(source.fetch(user=user, record=record, cursor=before, limit=size + 1))
    merged.sort(key=lambda e: e.key, reverse=True)
    page = merged[:size]
    return TimelinePage(entries=page, next=page[-1].cursor if len(merged) > size else None)


# --- the built-in sources ---------------------------------------------------------------------
# Both read plain rows (``values_list``: only the columns shown, the actor's name joined) into the
# small read-only objects below rather than model instances: a page is 40-odd rows, and building
# models (and their users) was most of its cost. The templates and the API read the same attributes
# from these as from models (``pk``, ``created_at``, ``actor``/``author`` with ``str`` and
# ``get_full_name`` …), so sources of later apps may hand either.

_CHANGE_TEMPLATE = "collaboration/timeline/change.html"
_COMMENT_TEMPLATE = "collaboration/timeline/comment.html"


@dataclass(frozen=True, slots=True)
class Person:
    """Who did something, as the timeline shows them (id and name, not the user's whole row)."""

    pk: int
    username: str
    display_name: str

    def __str__(self) -> str:
        return self.display_name or self.username  # as ``User.__str__``

    def get_full_name(self) -> str:
        return self.display_name or self.username


def people() -> Callable[[int, str, str], Person]:
    """One ``Person`` per user within one query's rows."""
    seen: dict[int, Person] = {}

    def person(pk: int, username: str, display_name: str) -> Person:
        found = seen.get(pk)
        if found is None:
            found = seen[pk] = Person(pk, username, display_name)
        return found

    return person


_KIND_LABELS = dict(AuditEntry.Kind.choices)


@dataclass(slots=True, eq=False)
class ChangeRow:
    """An audit entry as ``components/history.html#entries`` and ``_change_text`` read it."""

    id: int
    created_at: datetime
    kind: str
    verb: str
    changes: dict[str, Any]
    request_id: str
    content_type_id: int
    object_id: str
    actor: Person | None

    @property
    def pk(self) -> int:
        return self.id

    def get_kind_display(self) -> str:
        return str(_KIND_LABELS.get(self.kind, self.kind))


# the columns of a change row, in ``ChangeRow`` order after (content type, object id), actor last
_CHANGE_ROW = ("id", "created_at", "kind", "verb", "changes", "request_id")
_ACTOR = ("actor_id", "actor__username", "actor__display_name")

# what the entry markup and its text read (components/history.html), for sources that load models
# (feeds.py): not the actor's password and such
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


@cache
def _change_rows() -> Any:
    """Built once per process (a queryset is immutable; every use filters a copy): the columns and
    order of a page of changes, so a page only adds its filters."""
    return AuditEntry.objects.order_by("-created_at", "-id").values_list(*_CHANGE_ROW, *_ACTOR)


_texts: dict[tuple[Any, ...], str] = {}


def _memo(key: tuple[Any, ...], compute: Callable[..., str], *args: Any) -> str:
    """Labels depend only on ``key`` (the language among it): translated once per process, not per
    row. (The labels are registered at start-up, ``audit.register_verb`` …; the keys are bounded by
    the languages, verbs and fields there are.)"""
    text = _texts.get(key)
    if text is None:
        text = _texts[key] = compute(*args)
    return text


def _model_field_label(content_type_id: int | None, name: str) -> str:
    from xietong.core.templatetags.xt import _field_label

    model = ContentType.objects.get_for_id(content_type_id).model_class() if content_type_id else None
    return _field_label(model, name)


def _value_text(value: Any, language: str | None) -> str:
    from xietong.core.templatetags.xt import _audit_value

    if value is None or value is True or value is False or value == "":
        return _memo(("value", language, type(value), value), _audit_value, value)  # yes, no, —
    return _audit_value(value)


def _change_text(entry: Any) -> str:
    """The plain text of an audit entry (a ``ChangeRow`` or an ``AuditEntry``), word for word what
    ``audit_verb`` and ``audit_changes`` show in the markup."""
    from xietong.core.templatetags.xt import audit_verb

    language = get_language()
    verb = _memo(("verb", language, entry.kind, entry.verb), audit_verb, entry)
    rows = []
    for name, pair in (entry.changes or {}).items():
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        label = _memo(("field", language, entry.content_type_id, name), _model_field_label, entry.content_type_id, name)
        rows.append(f"{label}: {_value_text(old, language)} → {_value_text(new, language)}")
    return f"{verb}: {'; '.join(rows)}" if rows else verb


def fetch_changes(*, user: Any, record: models.Model, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    """The record's audit entries (one query, the actor's name joined). Their visibility is the
    record's (``audit.visible_entries``), which ``timeline_page`` has checked."""
    ct_id, object_id = ContentType.objects.get_for_model(record).pk, str(record.pk)
    qs = _change_rows().filter(content_type_id=ct_id, object_id=object_id)
    if cursor is not None:
        qs = qs.filter(cursor.q("change"))
    person = people()
    entries = []
    for pk, created_at, kind, verb, changes, request_id, actor_id, username, display_name in qs[:limit]:
        actor = person(actor_id, username, display_name) if actor_id is not None else None  # None: the system
        row = ChangeRow(pk, created_at, kind, verb, changes, request_id, ct_id, object_id, actor)
        entries.append(TimelineEntry("change", pk, created_at, row.actor, _CHANGE_TEMPLATE, row, _change_text))
    return entries


@dataclass(slots=True, eq=False)
class CommentRow:
    """A comment or reply as ``collaboration/comments/comment.html`` reads it, read-only."""

    id: int
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    body_html: str  # sanitised when written (comments.render)
    author: Person
    thread: _Threads | None = field(default=None, repr=False)  # a top-level comment's page

    can_edit: ClassVar[bool] = False  # the timeline is read-only: edit and delete in the comments panel
    can_delete: ClassVar[bool] = False

    @property
    def pk(self) -> int:
        return self.id

    @property
    def replies(self) -> list[CommentRow]:
        """Its replies, oldest first (read with those of the whole page, when first asked)."""
        return self.thread.replies_of(self.id) if self.thread is not None else []


# the columns of a comment row, in ``CommentRow`` order, the author last
_COMMENT_ROW = ("id", "created_at", "edited_at", "deleted_at", "body_html")
_AUTHOR = ("author_id", "author__username", "author__display_name")


@cache
def _thread_rows() -> Any:
    return Comment.objects.filter(parent=None).order_by("-created_at", "-id").values_list(*_COMMENT_ROW, *_AUTHOR)


@cache
def _reply_rows() -> Any:
    # by thread, then oldest first: the order of the parent index, so the database reads only the
    # page's replies rather than every comment of the record in id order
    return Comment.objects.order_by("parent_id", "id").values_list("parent_id", *_COMMENT_ROW, *_AUTHOR)


class _Threads:
    """The comment threads of one page. Their replies are read together, in one query, the first
    time one thread's replies are shown: the panel shows them, the API (which shows each entry's
    text) does not."""

    __slots__ = ("_replies", "ct_id", "ids", "object_id")

    def __init__(self, ct_id: int, object_id: str, ids: list[int]) -> None:
        self.ct_id, self.object_id, self.ids = ct_id, object_id, ids
        self._replies: dict[int, list[CommentRow]] | None = None

    def replies_of(self, thread_id: int) -> list[CommentRow]:
        if self._replies is None:
            self._replies = {}
            person = people()
            # the record's own replies only (a reply is always on its thread's record; said again here)
            qs = _reply_rows().filter(content_type_id=self.ct_id, object_id=self.object_id, parent_id__in=self.ids)
            for parent_id, pk, created_at, edited_at, deleted_at, body_html, *author in qs:
                reply = CommentRow(pk, created_at, edited_at, deleted_at, body_html, person(*author))
                self._replies.setdefault(parent_id, []).append(reply)
        return self._replies.get(thread_id, [])


_TAG = re.compile(r"<[^>]*>")


def _comment_text(thread: Any) -> str:
    if thread.deleted_at is not None:
        return gettext("This comment was deleted.")
    # body_html is nh3's well-formed output: dropping its tags is exact (and far cheaper than strip_tags)
    return " ".join(html.unescape(_TAG.sub("", thread.body_html)).split())


def fetch_comments(*, user: Any, record: models.Model, cursor: Cursor | None, limit: int) -> list[TimelineEntry]:
    """The record's top-level comments, each with its replies (one query, and one more for the
    replies of the whole page when they are shown). A comment is seen by exactly who sees its
    record (``AttachedPolicy``), which ``timeline_page`` has checked (``attached_rows``)."""
    qs = attached_rows(_thread_rows(), user=user, record=record)
    if cursor is not None:
        qs = qs.filter(cursor.q("comment"))
    rows = list(qs[:limit])
    threads = _Threads(ContentType.objects.get_for_model(record).pk, str(record.pk), [row[0] for row in rows])
    person = people()
    entries = []
    for pk, created_at, edited_at, deleted_at, body_html, *author in rows:
        thread = CommentRow(pk, created_at, edited_at, deleted_at, body_html, person(*author), threads)
        entries.append(
            TimelineEntry("comment", pk, created_at, thread.author, _COMMENT_TEMPLATE, thread, _comment_text)
        )
    return entries


register_source(TimelineSource("change", pgettext_lazy("timeline kind", "Changes"), fetch_changes))
register_source(TimelineSource("comment", _("Comments"), fetch_comments))

# the panel on record pages with the collaboration surface (templatetags/timeline_tags.py)
register_record_panel("collaboration/timeline/panel.html", order=5)
