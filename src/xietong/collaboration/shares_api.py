"""REST endpoints of record shares (core/shares.py): list, share, end — for records with the
collaboration surface (``record`` = ``"app_label.model:pk"``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from xietong.core import shares
from xietong.core.api import ERROR_RESPONSES
from xietong.core.errors import NotFound
from xietong.core.models import RecordShare

from . import registry

router = Router(tags=["shares"])


class ShareOut(Schema):
    id: int
    user_id: int | None
    team_id: int | None
    name: str = Field(description="The person or team shared with.")
    access: str = Field(description='"read" or "edit".')
    until: date | None
    granted_by_id: int
    created_at: datetime

    @staticmethod
    def resolve_name(obj: RecordShare) -> str:
        return str(obj.user or obj.team)


class ShareIn(Schema):
    record: str = Field(description='"app_label.model:pk".')
    user_id: int
    access: str = "read"
    until: date | None = None


@router.get("/shares", response={200: list[ShareOut], **ERROR_RESPONSES})
def list_shares(request: HttpRequest, record: str) -> Any:
    """Who the record is shared with. 404 when the record is missing or outside your scope."""
    return list(shares.shares_of(record=registry.resolve(request.user, record)))


@router.post("/shares", response={201: ShareOut, **ERROR_RESPONSES})
def create_share(request: HttpRequest, payload: ShareIn) -> Any:
    """Share the record with a person (again: changes access and end date). 403 unless you may edit
    the record and its kind can be shared; 422 names the field (user, access, until)."""
    target = registry.resolve(request.user, payload.record)
    person = get_user_model()._default_manager.filter(pk=payload.user_id).first()
    share = shares.share_record(
        actor=request.user, record=target, user=person, access=payload.access, until=payload.until
    )
    return Status(201, share)


@router.delete("/shares/{share_id}", response={204: None, **ERROR_RESPONSES})
def delete_share(request: HttpRequest, share_id: int) -> Any:
    """End a share. 404 when the share or its record is outside your scope; 403 unless you may edit
    the record."""
    share = RecordShare.objects.filter(pk=share_id).select_related("user", "team").first()
    if share is None:
        raise NotFound()
    ref = (share.content_type_id, str(share.object_id))
    record = registry.visible_records(request.user, [ref]).get(ref)
    if record is None:
        raise NotFound()
    shares.share_revoke(actor=request.user, share=share, record=record)
    return Status(204, None)
