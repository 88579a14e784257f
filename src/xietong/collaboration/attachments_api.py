"""REST endpoints of attachments: ``/api/v1/attachments?record=org.team:12`` (list, upload) and the
file by id (read, download, delete)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from ninja import Field, FileEx, FormEx, P, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, openapi_file

from . import attachments, registry
from .attachments_views import file_response
from .models import Attachment, Comment

router = Router(tags=["attachments"])


class AttachmentOut(Schema):
    id: int
    record: str = Field(description='The record the file is on, e.g. "org.team:12".')
    comment_id: int | None = Field(description="The comment the file came with, or null.")
    name: str = Field(description="The sanitised original file name: show it escaped.")
    mime_type: str = Field(description="What the content was found to be (not what the uploader's client said).")
    size: int = Field(description="Bytes.")
    sha256: str
    has_thumbnail: bool
    uploader_id: int
    uploader_name: str
    created_at: datetime
    deleted_at: datetime | None = Field(description="Set once deleted; the bytes are gone, the trace stays.")

    @staticmethod
    def resolve_record(obj: Attachment) -> str:
        ct = ContentType.objects.get_for_id(obj.content_type_id)
        return f"{ct.app_label}.{ct.model}:{obj.object_id}"

    @staticmethod
    def resolve_has_thumbnail(obj: Attachment) -> bool:
        return bool(obj.thumbnail)

    @staticmethod
    def resolve_uploader_name(obj: Attachment) -> str:
        return str(obj.uploader)

    @staticmethod
    def resolve_deleted_at(obj: Attachment) -> datetime | None:
        if obj.deleted_at is None and obj.comment is not None and obj.comment.deleted_at is not None:
            return obj.comment.deleted_at  # deleted with its comment
        return obj.deleted_at


@router.get("/attachments", response={200: list[AttachmentOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_attachments(request: HttpRequest, record: str) -> Any:
    """The record's files (on the record and on its comments), newest first; deleted ones are left out.
    404 when the record is missing, outside your scope or of a kind without files."""
    return attachments.attachment_list(user=request.user, record=registry.resolve(request.user, record))


@router.post("/attachments", response={201: AttachmentOut, **ERROR_RESPONSES})
def upload_attachment(
    request: HttpRequest,
    file: FileEx[UploadedFile, P(description="The file (one per request).")],
    record: FormEx[str, P(description='"app_label.model:pk", e.g. "org.team:12".')],
    comment_id: FormEx[int | None, P(description="Attach it to this comment of yours on the record.")] = None,
) -> Any:
    """Multipart upload of one file (``ATTACHMENT_MAX_BYTES``, ``ATTACHMENT_ALLOWED_TYPES``; the content
    must match the extension) → 201. 422 on ``file`` when it is refused, on ``comment`` for a comment
    that is not yours on this record."""
    target = registry.resolve(request.user, record)
    comment = cast(
        "Comment | None",
        Comment.objects.visible_to(request.user).on(target).pick(request.user, comment_id, field="comment"),
    )
    (created,) = attachments.attachments_add(actor=request.user, record=target, files=[file], comment=comment)
    return Status(201, attachments.attachment_get(user=request.user, pk=created.pk))


@router.get("/attachments/{attachment_id}", response={200: AttachmentOut, **ERROR_RESPONSES})
def get_attachment(request: HttpRequest, attachment_id: int) -> Any:
    return attachments.attachment_get(user=request.user, pk=attachment_id)


@router.get(
    "/attachments/{attachment_id}/download",
    response={200: None, **ERROR_RESPONSES},
    openapi_extra=openapi_file("The file, as an attachment."),
)
def download_attachment(request: HttpRequest, attachment_id: int) -> Any:
    """The bytes, ``Content-Disposition: attachment`` with the file name (404 once deleted)."""
    return file_response(attachments.attachment_get(user=request.user, pk=attachment_id, active=True))


@router.delete("/attachments/{attachment_id}", response={204: None, **ERROR_RESPONSES})
def delete_attachment(request: HttpRequest, attachment_id: int) -> Any:
    """Its uploader, or someone who may edit the record (403 otherwise); a trace stays (``deleted_at``)."""
    attachment = attachments.attachment_get(user=request.user, pk=attachment_id)
    attachments.attachment_delete(actor=request.user, attachment=attachment)
    return Status(204, None)
