"""The domain errors every service raises; views and the API map them to one answer each.

- ``NotFound``: the record does not exist *or* is outside the caller's scope (404, indistinguishable)
- ``django.core.exceptions.PermissionDenied``: the caller sees the record but lacks the action (403)
- ``django.core.exceptions.ValidationError``: invalid input, with a field → messages dict (422)
- ``Conflict``: the request is valid but clashes with the current state (409)
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

__all__ = ["Conflict", "NotFound", "PermissionDenied", "ValidationError"]


class NotFound(Http404):
    """An ``Http404``, so a page that lets it through answers 404 with no wrapper."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(_("Not found.")))


class Conflict(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
