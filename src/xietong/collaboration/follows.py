"""Followers of records: services and selectors (the record was resolved through the registry,
so the caller has checked that the actor sees it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet

from . import registry
from .models import Follow


def _key(record: models.Model) -> dict[str, Any]:
    return {"content_type": ContentType.objects.get_for_model(record), "object_id": str(record.pk)}


@transaction.atomic
def follow(*, actor: Any, record: models.Model) -> bool:
    """``actor`` follows ``record``; True when they did not already."""
    _follow, created = Follow.objects.get_or_create(user=actor, **_key(record))
    return created


@transaction.atomic
def unfollow(*, actor: Any, record: models.Model) -> bool:
    """``actor`` stops following ``record``; True when they did follow it."""
    deleted, _ = Follow.objects.filter(user=actor, **_key(record)).delete()
    return bool(deleted)


def is_following(*, user: Any, record: models.Model) -> bool:
    return Follow.objects.filter(user=user, **_key(record)).exists()


def followers(*, user: Any, record: models.Model) -> QuerySet[Any]:
    """The record's followers among the people ``user`` sees."""
    from django.contrib.auth import get_user_model

    people = get_user_model()._default_manager
    ids = Follow.objects.filter(**_key(record)).values("user_id")
    return people.visible_to(user).filter(pk__in=ids, is_active=True).order_by("username")  # type: ignore[attr-defined]


def follower_ids(*, record: models.Model) -> list[int]:
    """Everyone following ``record`` (for notifications, which check visibility when shown)."""
    return list(Follow.objects.filter(**_key(record)).values_list("user_id", flat=True))


# --- owners follow; followers hear of what matters ----------------------------------------------


def _sees(user: Any, record: models.Model) -> bool:
    return type(record)._default_manager.visible_to(user).filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def visible_followers(*, record: models.Model, exclude: Iterable[int] = ()) -> list[int]:
    """The active followers of ``record`` who still see it (checked one by one: a record has few
    followers, and this runs in a background task), but those in ``exclude``."""
    from django.contrib.auth import get_user_model

    skip = set(exclude)
    people = get_user_model()._default_manager.filter(
        pk__in=Follow.objects.filter(**_key(record)).values("user_id"), is_active=True
    )
    return sorted(u.pk for u in people if u.pk not in skip and _sees(u, record))


def _record_of(label: str, object_id: Any) -> models.Model | None:
    surface = registry.surface_of(label)
    if surface is None:
        return None
    return surface.model._default_manager.filter(pk=object_id).first()


@transaction.atomic
def owner_follows(*, record: models.Model) -> int | None:
    """The record's owner follows it (once; a follow is never duplicated). Returns the owner's id."""
    surface = registry.surface_of(record._meta.label_lower)
    if surface is None or not surface.owner_field:
        return None
    owner_id = getattr(record, f"{surface.owner_field}_id", None)
    if owner_id is not None:
        Follow.objects.bulk_create([Follow(user_id=owner_id, **_key(record))], ignore_conflicts=True)
    return owner_id


def record_changed(*, entry_id: int) -> None:
    """React to one audit entry of a record with the surface: a new owner follows the record and is
    told; followers who still see it hear of changes to the fields that matter (not the actor)."""
    from xietong.core.models import AuditEntry

    from .services import notifications_deliver

    entry = AuditEntry.objects.filter(pk=entry_id).select_related("actor", "content_type").first()
    if entry is None:
        return
    label = f"{entry.content_type.app_label}.{entry.content_type.model}"
    surface = registry.surface_of(label)
    record = _record_of(label, entry.object_id)
    if surface is None or record is None:
        return
    fields = set(entry.changes)
    actor = str(entry.actor) if entry.actor else ""
    owner_changed = surface.owner_field is not None and (
        entry.kind == AuditEntry.Kind.CREATE or surface.owner_field in fields
    )
    told: set[int] = set()
    if owner_changed:
        owner_id = owner_follows(record=record)
        if owner_id is not None and owner_id != entry.actor_id:
            told.add(owner_id)
            notifications_deliver(
                event_key=f"audit:{entry.pk}:owner",
                kind="record_owner",
                recipient_ids=[owner_id],
                actor_id=entry.actor_id,
                record=(label, record.pk),
                params={"actor": actor, "record": str(record)},
            )
    if entry.kind != AuditEntry.Kind.UPDATE:
        return
    matter = fields if surface.notify_fields is None else fields & set(surface.notify_fields)
    if not matter:
        return
    exclude = {*told, *([entry.actor_id] if entry.actor_id else [])}
    notifications_deliver(
        event_key=f"audit:{entry.pk}:followers",
        kind="record_changed",
        recipient_ids=visible_followers(record=record, exclude=exclude),
        actor_id=entry.actor_id,
        record=(label, record.pk),
        params={"actor": actor, "record": str(record), "model": label, "fields": sorted(matter)},
    )


def tell_followers(
    *, event_key: str, kind: str, record: list[Any], actor_id: int | None, params: dict[str, Any], exclude: list[int]
) -> int:
    """Tell the followers of ``record`` (``[label, pk]``) who still see it, but ``exclude`` and the actor."""
    from .services import notifications_deliver

    found = _record_of(record[0], record[1])
    if found is None:
        return 0
    recipients = visible_followers(record=found, exclude=[*exclude, *([actor_id] if actor_id else [])])
    if "actor" not in params:
        from django.contrib.auth import get_user_model

        actor = get_user_model()._default_manager.filter(pk=actor_id).first() if actor_id else None
        params = {**params, "actor": str(actor) if actor else ""}
    return notifications_deliver(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipients,
        actor_id=actor_id,
        record=(record[0], record[1]),
        params={**params, "record": str(found)},
    )
