"""Where uploaded import files and finished exports are kept: a local directory,
``settings.IMPORTS_ROOT`` (default ``MEDIA_ROOT/imports``), never served directly — the views and
the API hand a file only to the person whose job it is. The readers need a local path (python-calamine
reads from a path); with several servers, point ``IMPORTS_ROOT`` at a shared volume."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.utils import timezone


def root() -> Path:
    return Path(settings.IMPORTS_ROOT)


def new_path(folder: str, extension: str) -> str:
    """A fresh relative path under ``folder`` (a random name: the user's file name never reaches the disk)."""
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def absolute(relative: str) -> Path:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise ValueError(f"outside the imports storage: {relative}")
    return path


def save(upload: File, relative: str) -> Path:
    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def prepare(relative: str) -> Path:
    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def delete(relative: str) -> None:
    if relative:
        absolute(relative).unlink(missing_ok=True)
