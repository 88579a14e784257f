"""Followers of records: services and selectors (the record was resolved through the registry,
so the caller has checked that the actor sees it)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet

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
