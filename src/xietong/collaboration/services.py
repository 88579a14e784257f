"""Every write of the collaboration records."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import Notification


@transaction.atomic
def notifications_deliver(
    *,
    event_key: str,
    kind: str,
    recipient_ids: Iterable[int],
    actor_id: int | None = None,
    record: tuple[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Create one notification per recipient for one occurrence, in bulk. Idempotent: running it
    again for the same ``event_key`` creates nothing (unique per recipient and occurrence).
    ``record`` is (``"app_label.model"``, pk). The actor is never notified of their own act."""
    content_type = None
    object_id = ""
    if record is not None:
        app_label, model = record[0].split(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        object_id = str(record[1])
    rows = [
        Notification(
            recipient_id=recipient_id,
            kind=kind,
            actor_id=actor_id,
            content_type=content_type,
            object_id=object_id,
            params=params or {},
            event_key=event_key,
        )
        for recipient_id in sorted(set(recipient_ids))
        if recipient_id != actor_id
    ]
    before = Notification.objects.filter(event_key=event_key).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    if rows:  # e-mail who wants it at once (collaboration/emails.py); also on a re-run: it sends only what is left
        transaction.on_commit(functools.partial(_email_later, event_key), robust=True)
    return Notification.objects.filter(event_key=event_key).count() - before


def _email_later(event_key: str) -> None:
    from .tasks import email_notifications

    email_notifications.enqueue(event_key=event_key)


@transaction.atomic
def notifications_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read: the given ones (others' ids are ignored) or all."""
    qs = Notification.objects.visible_to(actor).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
