"""File pages: upload (drop or choose, several at once), the record's files panel, delete; and the
only ways to the bytes: download, preview (images and PDF only) and thumbnail. Each finds the file
through its visible queryset, so a file of a record the viewer cannot see answers 404 like a missing
one. With htmx upload and delete answer the panel; without, a redirect back to the record's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.components import record_url
from xietong.core.files import stored_file_response
from xietong.core.forms import XtForm, service_errors
from xietong.core.htmx import announce_record_changed, back_to_page, page_view

from . import attachments, registry
from .models import Attachment, attachment_storage

PANEL = "collaboration/attachments/panel.html"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (``<input type=file multiple>``); cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned = []
        for item in items:
            cleaned.append(super().clean(item, initial))
        return cleaned


class AttachmentForm(XtForm):
    attachments = MultipleFileField(label=_("Files"))  # not "files": forms keep the uploads there


def _record_page(record: models.Model) -> str:
    return record_url(ContentType.objects.get_for_model(record).pk, str(record.pk)) or "/"


def _answer(request: HttpRequest, record: models.Model, form: AttachmentForm | None = None) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = render(request, PANEL, {"record": record, "attachment_form": form})
        response["Vary"] = "HX-Request"
        return response if form is not None and form.errors else announce_record_changed(request, response)
    return back_to_page(request, _record_page(record), form=form)


@page_view
@require_GET
def attachment_panel(request: HttpRequest) -> HttpResponse:
    record = registry.resolve(request.user, request.GET.get("record", ""))
    response = render(request, PANEL, {"record": record})
    response["Vary"] = "HX-Request"
    return response


@page_view
@require_POST
def attachment_upload(request: HttpRequest) -> HttpResponse:
    """POST (multipart) record=<app.model:pk> and one or more files in ``attachments``."""
    record = registry.resolve(request.user, request.POST.get("record", ""))
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        with service_errors(form, fields={"file": "attachments"}):
            attachments.attachments_add(actor=request.user, record=record, files=form.cleaned_data["attachments"])
        if form.is_valid():
            return _answer(request, record)
    return _answer(request, record, form)


@page_view
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """404 outside the viewer's scope; 403 for someone who neither uploaded it nor may edit the record."""
    attachment = attachments.attachment_get(user=request.user, pk=pk, active=True)
    attachments.attachment_delete(actor=request.user, attachment=attachment)
    return _answer(request, attachments.record_of(attachment))


def file_response(attachment: Attachment, *, inline: bool = False, thumbnail: bool = False) -> FileResponse:
    """The stored bytes, streamed. A download is ``Content-Disposition: attachment`` with the sanitised
    name (RFC 5987 for non-ASCII); inline only for images and PDF (the callers decide), and every answer
    is sandboxed and never sniffed, so no stored file can act as a page of this site."""
    return stored_file_response(
        attachment_storage,
        attachment.thumbnail.name if thumbnail else attachment.file.name,
        as_attachment=not inline,
        filename=attachment.name if not thumbnail else f"{attachment.pk}.webp",
        content_type="image/webp" if thumbnail else attachment.mime_type,
        max_age=300 if thumbnail else None,  # thumbnails may stay a few minutes in the viewer's cache
    )


@page_view
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(attachments.attachment_get(user=request.user, pk=pk, active=True))


@page_view
@require_GET
def attachment_preview(request: HttpRequest, pk: int) -> FileResponse:
    """Images and PDF shown by the browser (a new tab); any other type is downloaded instead."""
    attachment = attachments.attachment_get(user=request.user, pk=pk, active=True)
    return file_response(attachment, inline=attachment.previewable)


@page_view
@require_GET
def attachment_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(attachments.attachment_get(user=request.user, pk=pk, active=True), inline=True, thumbnail=True)
