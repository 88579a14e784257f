"""Attachments: files on any record with the collaboration surface and on its comments
(docs/subsystems/attachments.md). Services (every write) and selectors (every read).

Whoever sees a record may attach files to it (``registry.resolve``), like commenting. Every upload is
checked before a byte is stored: its name is sanitised, its extension must be allowed
(``ATTACHMENT_ALLOWED_TYPES``), its size within ``ATTACHMENT_MAX_BYTES``, and its *content* must be
what the extension says (magic bytes, Pillow for images, the zip directory for Office files): the
type the client sends is never read. Images get a 320 px WebP thumbnail without EXIF.

Files are stored under random keys in the ``"attachments"`` storage (a local directory or an
S3-compatible bucket), never under a public URL; the views serve them after checking visibility.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import events
from xietong.core.components import register_record_panel
from xietong.core.errors import NotFound, PermissionDenied, ValidationError

from . import comments, registry, timeline
from .models import AttachedQuerySet, Attachment, Comment, attachment_storage

NAME_MAX = 150  # characters of a stored file name (the extension is kept)
FILES_PER_UPLOAD = 20
THUMBNAIL_SIZE = 320  # px, the longer side
MAX_PIXELS = 50_000_000  # larger images are refused (decompression bombs)
HEAD_BYTES = 8192  # what the content checks read

# --- what a file is: its content, not its name or the client's word -------------------------------


def _zip_names(upload: File) -> list[str] | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _ooxml(folder: str) -> Callable[[bytes, File], bool]:
    """Word, Excel, PowerPoint (2007+): a zip with ``[Content_Types].xml`` and the part's folder."""

    def check(head: bytes, upload: File) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(upload) or []
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return check


def _odf(mimetype: str) -> Callable[[bytes, File], bool]:
    """OpenDocument: a zip whose first entry, ``mimetype``, is stored uncompressed (so it is in the head)."""
    return lambda head, upload: (
        head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype" and (mimetype.encode() in head[38:120])
    )


def _magic(*prefixes: bytes) -> Callable[[bytes, File], bool]:
    return lambda head, upload: head.startswith(prefixes)


def _zip(head: bytes, upload: File) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and _zip_names(upload) is not None


def _text(head: bytes, upload: File) -> bool:
    """Plain text in any of the encodings people use (UTF-8, GB 18030 …): no NUL bytes."""
    return b"\x00" not in head


def _image(head: bytes, upload: File) -> bool:
    return True  # Pillow decides (see _inspect_image)


_OLE = _magic(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # Word, Excel, PowerPoint 97-2003 and WPS Office


@dataclass(frozen=True)
class FileType:
    mime_type: str
    check: Callable[[bytes, File], bool]


KNOWN_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", _magic(b"%PDF-")),
    "doc": FileType("application/msword", _OLE),
    "xls": FileType("application/vnd.ms-excel", _OLE),
    "ppt": FileType("application/vnd.ms-powerpoint", _OLE),
    "wps": FileType("application/msword", _OLE),  # WPS Office files are Word/Excel/PowerPoint compatible
    "et": FileType("application/vnd.ms-excel", _OLE),
    "dps": FileType("application/vnd.ms-powerpoint", _OLE),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ooxml("word/")),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ooxml("xl/")),
    "pptx": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ooxml("ppt/")),
    "odt": FileType("application/vnd.oasis.opendocument.text", _odf("application/vnd.oasis.opendocument.text")),
    "ods": FileType(
        "application/vnd.oasis.opendocument.spreadsheet", _odf("application/vnd.oasis.opendocument.spreadsheet")
    ),
    "odp": FileType(
        "application/vnd.oasis.opendocument.presentation", _odf("application/vnd.oasis.opendocument.presentation")
    ),
    "txt": FileType("text/plain", _text),
    "csv": FileType("text/csv", _text),
    "md": FileType("text/markdown", _text),
    "png": FileType("image/png", _image),
    "jpg": FileType("image/jpeg", _image),
    "jpeg": FileType("image/jpeg", _image),
    "gif": FileType("image/gif", _image),
    "webp": FileType("image/webp", _image),
    "zip": FileType("application/zip", _zip),
    "7z": FileType("application/x-7z-compressed", _magic(b"7z\xbc\xaf\x27\x1c")),
    "rar": FileType("application/vnd.rar", _magic(b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")),
    "dwg": FileType("image/vnd.dwg", lambda head, upload: re.match(rb"AC1\d{3}", head) is not None),
}
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp"})
_IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# never accepted, whatever the settings say: documents a browser would run (HTML, SVG, XML, scripts)
NEVER_ALLOWED = frozenset(
    {"htm", "html", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "xslt", "js", "mjs", "php", "swf", "hta"}
)


def allowed_extensions() -> list[str]:
    """``ATTACHMENT_ALLOWED_TYPES``, lower case, without dots (the setting may say ".PDF")."""
    return [e for e in dict.fromkeys(x.strip().lower().lstrip(".") for x in settings.ATTACHMENT_ALLOWED_TYPES) if e]


def accept_attribute() -> str:
    """For ``<input type=file accept=…>``: the allowed extensions (a hint; the server checks)."""
    return ",".join(f".{e}" for e in allowed_extensions() if e not in NEVER_ALLOWED)


# --- names ------------------------------------------------------------------------------------------

_PATH_SEPARATORS = re.compile(r"[/\\]")
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed in file names on Windows; markup characters


def clean_name(raw: str) -> str:
    """The name a file is shown and downloaded under: no path; no control or invisible formatting
    characters (zero-width spaces, and the bidirectional overrides with which ``合同<RLO>fdp.exe``
    would show as ``合同exe.pdf``); no characters Windows refuses; at most ``NAME_MAX`` characters,
    the extension kept."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = _PATH_SEPARATORS.split(name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    if len(name) > NAME_MAX:
        keep = NAME_MAX - (len(ext) + 1 if ext else 0)
        name = f"{stem[:keep].rstrip(' .')}.{ext}" if ext else name[:NAME_MAX].rstrip(" .")
    return name


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower()
    return ext if dot and stem and ext.isalnum() and len(ext) <= 10 else ""


# --- checks ---------------------------------------------------------------------------------------


@dataclass
class CheckedFile:
    """An upload that passed every check, with what was found out about it."""

    upload: File
    name: str
    extension: str
    mime_type: str
    size: int
    sha256: str
    thumbnail: ContentFile | None


def _inspect_image(upload: File, name: str) -> tuple[str, ContentFile]:
    """The image's real type and its thumbnail (WebP, at most 320 px, upright, without EXIF)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    def mismatch() -> ValidationError:
        return ValidationError({"file": _("“%(name)s” is not a readable image.") % {"name": name}})

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in _IMAGE_FORMATS:
                    raise mismatch()
                mime_type = _IMAGE_FORMATS[probe.format]
                if probe.width * probe.height > MAX_PIXELS:
                    raise _too_many_pixels(name)
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))  # JPEG: decode at a fraction
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
                mode = "RGBA" if upright.has_transparency_data else "RGB"
                clean = Image.new(mode, upright.size)
                clean.paste(upright.convert(mode))  # a new image: no EXIF, ICC or comments travel along
                out = io.BytesIO()
                clean.save(out, "WEBP", quality=80)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError):
        raise mismatch() from None
    return mime_type, ContentFile(out.getvalue(), name="thumbnail.webp")


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        {
            "file": _("“%(name)s” has too many pixels (at most %(max)d million).")
            % {"name": name, "max": MAX_PIXELS // 1_000_000}
        }
    )


def check_upload(upload: File) -> CheckedFile:
    """Every check an upload must pass before it is stored; ``ValidationError`` on ``file`` otherwise."""
    name = clean_name(getattr(upload, "name", "") or "")
    ext = extension_of(name)
    shown = name or "?"
    allowed = set(allowed_extensions()) - NEVER_ALLOWED
    if not ext or ext not in allowed:
        raise ValidationError(
            {
                "file": _("“%(name)s”: this type of file is not accepted. Accepted: %(types)s.")
                % {"name": shown, "types": ", ".join(sorted(allowed))}
            }
        )
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({"file": _("“%(name)s” is empty.") % {"name": shown}})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("“%(name)s” is %(size)s; a file can be at most %(max)s.")
                % {"name": shown, "size": filesizeformat(size), "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
            }
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    known = KNOWN_TYPES.get(ext)
    mime_type = known.mime_type if known else "application/octet-stream"  # allowed by configuration only
    if known is not None and not known.check(head, upload):
        raise ValidationError(
            {"file": _("The content of “%(name)s” is not what its name says (.%(ext)s).") % {"name": shown, "ext": ext}}
        )
    thumbnail = None
    if ext in IMAGE_EXTENSIONS:
        mime_type, thumbnail = _inspect_image(upload, shown)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload, name, ext, mime_type, size, digest.hexdigest(), thumbnail)


def check_uploads(files: Sequence[File]) -> list[CheckedFile]:
    """All files checked; the problems of all of them reported together on ``file``."""
    if not files:
        raise ValidationError({"file": _("Choose a file.")})
    if len(files) > FILES_PER_UPLOAD:
        raise ValidationError({"file": _("Upload at most %(max)d files at a time.") % {"max": FILES_PER_UPLOAD}})
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("file", exc.messages))
    if problems:
        raise ValidationError({"file": problems})
    return checked


# --- services -------------------------------------------------------------------------------------


def _check_comment(*, actor: Any, record: models.Model, comment: Comment) -> None:
    if comment.content_type_id != ContentType.objects.get_for_model(record).pk or comment.object_id != str(record.pk):
        raise ValidationError({"comment": _("Attach files to a comment on the same record.")})
    if comment.author_id != actor.pk:
        raise ValidationError({"comment": _("Only its author can attach files to a comment.")})
    if comment.deleted_at is not None:
        raise ValidationError({"comment": _("This comment was deleted.")})


def _store(
    *, actor: Any, record: models.Model, checked: CheckedFile, comment: Comment | None, stored: list[Attachment]
) -> Attachment:
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        comment=comment,
        uploader=actor,
        name=checked.name,
        extension=checked.extension,
        mime_type=checked.mime_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    stored.append(attachment)  # before any byte is written: what fails later is cleaned up
    attachment.file.save(checked.name, checked.upload, save=False)
    if checked.thumbnail is not None:
        attachment.thumbnail.save("thumbnail.webp", checked.thumbnail, save=False)
    attachment.save()
    return attachment


def attachments_add(
    *, actor: Any, record: models.Model, files: Sequence[File], comment: Comment | None = None
) -> list[Attachment]:
    """Attach ``files`` to ``record`` (from ``registry.resolve(actor, key)``: whoever sees a record may
    attach files), or to ``comment`` on it (the actor's own). All or nothing: one refused file refuses
    the upload, naming every problem. Publishes ``collaboration.file_added`` per file after the commit."""
    if not registry.has_surface(record):
        raise NotFound()
    if comment is not None:
        _check_comment(actor=actor, record=record, comment=comment)
    return _add_checked(actor=actor, record=record, checked=check_uploads(files), comment=comment)


def _add_checked(
    *, actor: Any, record: models.Model, checked: list[CheckedFile], comment: Comment | None
) -> list[Attachment]:
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            for item in checked:
                attachment = _store(actor=actor, record=record, checked=item, comment=comment, stored=stored)
                events.publish(
                    "collaboration.file_added",
                    key=f"attachment:{attachment.pk}",
                    actor_id=actor.pk,
                    record=registry.record_key(record),
                    attachment_id=attachment.pk,
                    name=attachment.name,
                    comment_id=comment.pk if comment is not None else None,
                )
    except BaseException:
        for attachment in stored:  # the rows rolled back: no bytes may stay behind
            _delete_bytes([attachment.file.name or "", attachment.thumbnail.name or ""])
        raise
    return stored


@transaction.atomic
def comment_create_with_files(
    *, actor: Any, record: models.Model, body: str, parent: Comment | None = None, files: Sequence[File] = ()
) -> Comment:
    """A comment and its files, together or not at all (the comment form's upload). The files are
    checked before the comment is written, so a refused file leaves no comment and tells nobody."""
    checked = check_uploads(files) if files else []
    comment = comments.comment_create(actor=actor, record=record, body=body, parent=parent)
    if checked:
        _add_checked(actor=actor, record=record, checked=checked, comment=comment)
    return comment


def _delete_bytes(names: Iterable[str]) -> None:
    for name in names:
        if name:
            attachment_storage.delete(name)


def record_of(attachment: Attachment) -> models.Model:
    model = ContentType.objects.get_for_id(attachment.content_type_id).model_class()
    assert model is not None
    return model._default_manager.get(pk=attachment.object_id)


def record_editable(*, user: Any, record: models.Model) -> bool:
    return type(record)._default_manager.visible_to(user, "edit").filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def _soft_delete(attachment: Attachment, actor: Any) -> None:
    names = [attachment.file.name or "", attachment.thumbnail.name or ""]
    attachment.deleted_at, attachment.deleted_by = timezone.now(), actor
    attachment.file.name, attachment.thumbnail = "", None  # type: ignore[assignment]
    attachment.save(update_fields=["deleted_at", "deleted_by", "file", "thumbnail"])
    transaction.on_commit(lambda: _delete_bytes(names))


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> Attachment:
    """Its uploader, or someone who may edit the record, deletes a file: the bytes and the thumbnail
    go (after the commit), a trace stays (name, size, who deleted it and when). Deleting twice is a no-op."""
    attachment = cast(Attachment, Attachment.objects.select_for_update().get(pk=attachment.pk))
    if attachment.deleted_at is not None:
        return attachment
    if attachment.uploader_id != actor.pk and not record_editable(user=actor, record=record_of(attachment)):
        raise PermissionDenied(
            _("Only the person who uploaded a file, or someone who may edit the record, can delete it.")
        )
    _soft_delete(attachment, actor)
    return attachment


@transaction.atomic
def attachments_delete_of_comment(*, actor: Any, comment: Comment) -> int:
    """When a comment is deleted, its files go with it (their bytes too); returns how many.
    ``comments.comment_delete`` calls it (the selectors also hide a deleted comment's files)."""
    files = cast(
        "list[Attachment]",
        list(Attachment.objects.select_for_update().filter(comment=comment, deleted_at__isnull=True)),
    )
    for attachment in files:
        _soft_delete(attachment, actor)
    return len(files)


# --- selectors ------------------------------------------------------------------------------------


def _active(qs: AttachedQuerySet) -> AttachedQuerySet:
    """Not deleted, nor attached to a deleted comment."""
    return qs.filter(deleted_at__isnull=True).filter(Q(comment__isnull=True) | Q(comment__deleted_at__isnull=True))


def attachment_list(*, user: Any, record: models.Model) -> AttachedQuerySet:
    """The record's files the viewer sees (on the record and on its comments), newest first, with
    their uploaders: one query."""
    return _active(Attachment.objects.visible_to(user).on(record)).select_related("uploader", "comment").order_by("-id")


def attachment_get(*, user: Any, pk: Any, active: bool = False) -> Attachment:
    """The attachment if ``user`` sees its record (``NotFound`` otherwise, as for a missing one);
    ``active=True`` (to serve its bytes): also ``NotFound`` once deleted."""
    qs = Attachment.objects.select_related("uploader", "comment", "deleted_by")
    if active:
        qs = _active(qs)
    return cast(Attachment, qs.get_visible(user, pk))


def with_comment_files(*, user: Any, comment_list: Iterable[Comment]) -> None:
    """Give each comment its ``files`` (its attachments the viewer sees, oldest first): one query."""
    by_id = {c.pk: c for c in comment_list}
    for c in by_id.values():
        c.files = []  # type: ignore[attr-defined]
    if not by_id:
        return
    found = Attachment.objects.visible_to(user).filter(comment_id__in=list(by_id), deleted_at__isnull=True)
    for attachment in found.select_related("uploader").order_by("id"):
        by_id[cast(int, attachment.comment_id)].files.append(attachment)  # type: ignore[attr-defined]


def panel_dom_id(record: Any) -> str:
    return f"xt-files-{record._meta.label_lower.replace('.', '-')}-{record.pk}"


# --- the record timeline: a source "file" ---------------------------------------------------------


def _file_text(attachment: Any) -> str:
    if attachment.is_deleted:
        return _("Deleted the file “%(name)s”") % {"name": attachment.name}
    return _("Uploaded “%(name)s” (%(size)s)") % {"name": attachment.name, "size": filesizeformat(attachment.size)}


@dataclass(slots=True, eq=False)
class FileRow:
    """An upload as ``collaboration/timeline/file.html`` and ``_file_text`` read it, read-only."""

    id: int
    created_at: datetime
    name: str
    size: int
    deleted_at: datetime | None
    comment_deleted_at: datetime | None
    uploader: Any  # timeline.Person
    deleted_by: Any  # timeline.Person or None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_deleted(self) -> bool:
        """Deleted itself, or through its comment (as ``Attachment.is_deleted``)."""
        return self.deleted_at is not None or self.comment_deleted_at is not None


@cache
def _file_rows() -> Any:
    return Attachment.objects.order_by("-created_at", "-id").values_list(
        "id",
        "created_at",
        "name",
        "size",
        "deleted_at",
        "comment__deleted_at",
        "uploader_id",
        "uploader__username",
        "uploader__display_name",
        "deleted_by_id",
        "deleted_by__username",
        "deleted_by__display_name",
    )


def fetch_files(
    *, user: Any, record: models.Model, cursor: timeline.Cursor | None, limit: int
) -> list[timeline.TimelineEntry]:
    """The record's uploads, deleted ones as a trace (one query, names joined). Files are seen by
    exactly who sees their record, which the timeline has checked (``attached_rows``)."""
    qs = timeline.attached_rows(_file_rows(), user=user, record=record)
    if cursor is not None:
        qs = qs.filter(cursor.q("file"))
    person = timeline.people()
    entries = []
    for pk, created_at, name, size, deleted_at, comment_deleted_at, *who in qs[:limit]:
        uploader = person(*who[:3])
        deleted_by = person(*who[3:]) if who[3] is not None else None
        row = FileRow(pk, created_at, name, size, deleted_at, comment_deleted_at, uploader, deleted_by)
        entries.append(timeline.TimelineEntry("file", pk, created_at, uploader, _FILE_TEMPLATE, row, _file_text))
    return entries


_FILE_TEMPLATE = "collaboration/timeline/file.html"


timeline.register_source(timeline.TimelineSource("file", gettext_lazy("Files"), fetch_files))

# the panel on record pages with the collaboration surface (templatetags/attachments_tags.py)
register_record_panel("collaboration/attachments/panel.html", order=100)


# --- configuration check --------------------------------------------------------------------------


@checks.register()
def check_attachment_types(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    configured = set(allowed_extensions())
    if configured & NEVER_ALLOWED:
        messages.append(
            checks.Warning(
                f"ATTACHMENT_ALLOWED_TYPES lists {', '.join(sorted(configured & NEVER_ALLOWED))}, never accepted",
                hint="Browsers would run these as pages; they are refused whatever the setting says.",
                id="xietong.W010",
            )
        )
    unknown = configured - NEVER_ALLOWED - set(KNOWN_TYPES)
    if unknown:
        messages.append(
            checks.Info(
                f"ATTACHMENT_ALLOWED_TYPES lists {', '.join(sorted(unknown))}: their content is not checked",
                hint="They are stored as application/octet-stream and only ever downloaded.",
                id="xietong.I011",
            )
        )
    return messages
