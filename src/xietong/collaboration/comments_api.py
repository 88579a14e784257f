"""REST endpoints of comments: ``/api/v1/comments?record=org.team:12`` and the comment by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page

from . import comments, registry
from .models import Comment

router = Router(tags=["comments"])


class MentionOut(Schema):
    user_id: int | None
    team_id: int | None
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.user or obj.team)


class CommentOut(Schema):
    id: int
    record: str = Field(description='The record commented on, e.g. "org.team:12".')
    parent_id: int | None
    author_id: int
    author_name: str
    body: str = Field(description="Markdown source; empty once deleted.")
    body_html: str = Field(description="Sanitised HTML (nh3): safe to show, but show it where htmx is disabled.")
    mentions: list[MentionOut]
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None

    @staticmethod
    def resolve_record(obj: Comment) -> str:
        ct = ContentType.objects.get_for_id(obj.content_type_id)
        return f"{ct.app_label}.{ct.model}:{obj.object_id}"

    @staticmethod
    def resolve_author_name(obj: Comment) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_mentions(obj: Comment) -> list[Any]:
        return list(obj.mentions.all())


class CommentCreatedOut(CommentOut):
    unseen_mentions: list[int] = Field(
        description="People mentioned who cannot see the record: they were told only that they were mentioned."
    )
    can_share: bool = Field(description="Whether you may share the record with them (POST /api/v1/shares).")


class CommentIn(Schema):
    record: str = Field(description='"app_label.model:pk", e.g. "org.team:12".')
    body: str
    parent_id: int | None = None


class CommentEditIn(Schema):
    body: str


@router.get("/comments", response={200: list[CommentOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_comments(request: HttpRequest, record: str) -> Any:
    """The record's comments, newest first, replies included (``parent_id``). 404 when the record is
    missing, outside your scope or of a kind without comments."""
    return comments.comment_list(user=request.user, record=registry.resolve(request.user, record))


@router.post("/comments", response={201: CommentCreatedOut, **ERROR_RESPONSES})
def create_comment(request: HttpRequest, payload: CommentIn) -> Any:
    target = registry.resolve(request.user, payload.record)
    parent = cast(
        "Comment | None",
        Comment.objects.visible_to(request.user).on(target).pick(request.user, payload.parent_id, field="parent"),
    )
    comment = comments.comment_create(actor=request.user, record=target, body=payload.body, parent=parent)
    offer = comments.share_offer(actor=request.user, comment=comment)
    created = comments.comment_get(user=request.user, pk=comment.pk)
    created.unseen_mentions = [u.pk for u in offer["people"]] if offer else []  # type: ignore[attr-defined]
    created.can_share = bool(offer and offer["can_share"])  # type: ignore[attr-defined]
    return Status(201, created)


@router.get("/comments/{comment_id}", response={200: CommentOut, **ERROR_RESPONSES})
def get_comment(request: HttpRequest, comment_id: int) -> Any:
    return comments.comment_get(user=request.user, pk=comment_id)


@router.patch("/comments/{comment_id}", response={200: CommentOut, **ERROR_RESPONSES})
def edit_comment(request: HttpRequest, comment_id: int, payload: CommentEditIn) -> Any:
    """Only its author, within ``COMMENT_EDIT_MINUTES`` of posting (409 after)."""
    comment = comments.comment_get(user=request.user, pk=comment_id)
    comments.comment_edit(actor=request.user, comment=comment, body=payload.body)
    return comments.comment_get(user=request.user, pk=comment_id)


@router.delete("/comments/{comment_id}", response={204: None, **ERROR_RESPONSES})
def delete_comment(request: HttpRequest, comment_id: int) -> Any:
    """Only its author; a trace stays (``deleted_at``, empty body)."""
    comment = comments.comment_get(user=request.user, pk=comment_id)
    comments.comment_delete(actor=request.user, comment=comment)
    return Status(204, None)
