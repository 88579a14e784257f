"""Every read of the collaboration records, visibility applied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from xietong.core.components import record_url

from . import kinds, registry
from .models import Notification


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.visible_to(user).select_related("actor")
    return qs.unread() if unread_only else qs


def unread_count(*, user: Any) -> int:
    return Notification.objects.visible_to(user).unread().count()


def notification_get(*, user: Any, pk: Any) -> Notification:
    return Notification.objects.get_visible(user, pk)


# kinds whose text quotes the record: once the reader cannot see it, they read as the other kind
HIDDEN_WHEN_UNSEEN = {"mentioned": "mentioned_hidden"}


def decorate(notifications: Iterable[Notification], *, user: Any) -> list[Notification]:
    """Give each notification its ``text`` (in the reader's language) and ``url`` — the record's page
    only while the reader may still see the record (one query per kind of record, not per row)."""
    items = list(notifications)
    visible = registry.visible_records(
        user, [(n.content_type_id, n.object_id) for n in items if n.content_type_id is not None]
    )
    for n in items:
        seen = n.content_type_id is not None and (n.content_type_id, n.object_id) in visible
        # a mention quotes the record and the comment: once the reader lost sight of the record, it
        # reads like a mention on a record they cannot see
        kind = HIDDEN_WHEN_UNSEEN.get(n.kind, n.kind) if not seen else n.kind
        n.text = kinds.text_of(kind, n.params)  # type: ignore[attr-defined]
        n.url = record_url(n.content_type_id, n.object_id) if seen else ""  # type: ignore[attr-defined,arg-type]
    return items
