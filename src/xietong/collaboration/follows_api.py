"""REST endpoints of followers: who follows a record, and follow / unfollow it yourself."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from xietong.core.api import ERROR_RESPONSES

from . import follows, registry

router = Router(tags=["followers"])


class FollowerOut(Schema):
    id: int
    name: str


class FollowingOut(Schema):
    record: str
    following: bool
    followers: list[FollowerOut]


class FollowIn(Schema):
    record: str


def _state(request: HttpRequest, record: Any) -> dict[str, Any]:
    people = follows.followers(user=request.user, record=record)
    return {
        "record": registry.record_key(record),
        "following": follows.is_following(user=request.user, record=record),
        "followers": [{"id": p.pk, "name": str(p)} for p in people],
    }


@router.get("/followers", response={200: FollowingOut, **ERROR_RESPONSES})
def list_followers(request: HttpRequest, record: str) -> Any:
    """The record's followers you can see, and whether you follow it (404 for a record you cannot see)."""
    return _state(request, registry.resolve(request.user, record))


@router.post("/followers", response={201: FollowingOut, **ERROR_RESPONSES})
def follow_record(request: HttpRequest, payload: FollowIn) -> Any:
    record = registry.resolve(request.user, payload.record)
    follows.follow(actor=request.user, record=record)
    return Status(201, _state(request, record))


@router.delete("/followers", response={200: FollowingOut, **ERROR_RESPONSES})
def unfollow_record(request: HttpRequest, record: str) -> Any:
    found = registry.resolve(request.user, record)
    follows.unfollow(actor=request.user, record=found)
    return _state(request, found)
