"""The files panel on record pages (collaboration/attachments/panel.html) and file icons."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.conf import settings

from .. import attachments, registry
from ..models import Attachment

register = template.Library()

_ICONS = {
    "application/pdf": "bi-file-earmark-pdf",
    "text/csv": "bi-filetype-csv",
    "text/plain": "bi-file-earmark-text",
    "text/markdown": "bi-file-earmark-text",
    "application/zip": "bi-file-earmark-zip",
    "application/x-7z-compressed": "bi-file-earmark-zip",
    "application/vnd.rar": "bi-file-earmark-zip",
}


@register.filter
def file_icon(attachment: Any) -> str:
    """A Bootstrap icon for the file's type (by its checked content type, never its name)."""
    mime = attachment.mime_type
    if mime in _ICONS:
        return _ICONS[mime]
    if mime.startswith("image/"):
        return "bi-file-earmark-image"
    if "spreadsheet" in mime or "excel" in mime:
        return "bi-file-earmark-spreadsheet"
    if "presentation" in mime or "powerpoint" in mime:
        return "bi-file-earmark-slides"
    if "word" in mime or mime.endswith(".text") or "ms-works" in mime:
        return "bi-file-earmark-word"
    return "bi-file-earmark"


@register.simple_tag(takes_context=True)
def attachment_panel(context: Any, record: Any) -> dict[str, Any] | None:
    """What the panel shows, or None (nothing rendered) when ``record`` has no collaboration surface
    or the viewer cannot see it. A fixed number of queries, however many files."""
    user = registry.panel_viewer(context, record)
    if user is None:
        return None
    files = cast("list[Attachment]", list(attachments.attachment_list(user=user, record=record)))
    editor = any(f.uploader_id != user.pk for f in files) and attachments.record_editable(user=user, record=record)
    for f in files:
        f.can_delete = f.uploader_id == user.pk or editor  # type: ignore[attr-defined]
    from ..attachments_views import AttachmentForm

    return {
        "key": registry.record_key(record),
        "files": files,
        "form": context.get("attachment_form") or AttachmentForm(),
        "dom_id": attachments.panel_dom_id(record),
        "accept": attachments.accept_attribute(),
        "max_bytes": settings.ATTACHMENT_MAX_BYTES,
    }
