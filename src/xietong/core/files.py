"""Stored files answered to a browser: the one way of streaming a file a record keeps (an attachment,
a product's picture, a contract's signed scan)."""

from __future__ import annotations

from typing import Any, Protocol

from django.http import FileResponse
from django.utils.cache import patch_cache_control

from .errors import NotFound

# what a file answer may do in the browser: nothing (no scripts, no forms, no plugins, not framed)
SANDBOX = "sandbox; default-src 'none'; frame-ancestors 'none'"


class Opens(Protocol):
    """A Django storage, or a lazy object standing for one (``collaboration.attachment_storage``)."""

    def open(self, name: str, mode: str = ...) -> Any: ...


def stored_file_response(
    storage: Opens,
    name: str | None,
    *,
    filename: str = "",
    content_type: str | None = None,
    as_attachment: bool = True,
    max_age: int | None = None,
) -> FileResponse:
    """The bytes stored under ``name``, streamed; 404 when there is no name or its file is gone (a
    row that outlived its bytes, as after a restore without the media folder, is missing, not a
    crash). Every answer is sandboxed, never sniffed and private: no stored file can act as a page
    of this site or stay in a shared cache. ``max_age``: seconds the viewer's own cache may keep it
    (none: revalidate every time)."""
    if not name:
        raise NotFound()
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise NotFound() from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    cache: dict[str, Any] = {"max_age": max_age} if max_age is not None else {"no_cache": True}
    patch_cache_control(response, private=True, **cache)
    return response
