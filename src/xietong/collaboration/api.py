"""REST endpoints of notifications (the rest of the collaboration surface follows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page

from . import selectors, services
from .models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    actor_id: int | None
    created_at: datetime
    read_at: datetime | None


class CountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class ReadIn(Schema):
    ids: list[int] | None = None


def _out(items: list[Notification], request: HttpRequest) -> list[Notification]:
    return selectors.decorate(items, user=request.user)


@router.get("/notifications", response=list[NotificationOut])
@paginate(Page, ordering=("-id",), after=_out)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    return selectors.notification_list(user=request.user, unread_only=unread)


@router.get("/notifications/unread-count", response=CountOut)
def unread_count(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(user=request.user)}


@router.post("/notifications/read", response={200: MarkedOut, **ERROR_RESPONSES})
def read_notifications(request: HttpRequest, payload: ReadIn) -> Any:
    """Mark the given notifications read (ids of others' notifications are ignored), or all without ids."""
    return {"marked": services.notifications_mark_read(actor=request.user, ids=payload.ids)}


@router.get("/notifications/{notification_id}", response={200: NotificationOut, **ERROR_RESPONSES})
def get_notification(request: HttpRequest, notification_id: int) -> Any:
    return _out([selectors.notification_get(user=request.user, pk=notification_id)], request)[0]


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERROR_RESPONSES})
def read_notification(request: HttpRequest, notification_id: int) -> Any:
    notification = selectors.notification_get(user=request.user, pk=notification_id)
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    return _out([selectors.notification_get(user=request.user, pk=notification_id)], request)[0]
