from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .context import new_request_id, request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a valid ``X-Request-ID`` from the proxy) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else new_request_id()
        # Not reset on the way out: Django logs 4xx/5xx responses after the middleware returns, and
        # those lines should carry the id too. The next request on this thread sets its own.
        request_id_var.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A number too large for the database (``?customer=99999999999999999999`` on SQLite) is bad
        input, answered 400, not a crash; so is the NUL character in a parameter a page reads itself,
        which PostgreSQL refuses in text (forms refuse it already). The API answers both 422 naming
        the parameter (``core.api``)."""
        if is_out_of_range(exception) or is_null_character(exception):
            from django.shortcuts import render

            return render(request, "400.html", status=400)
        return None


def is_out_of_range(exception: BaseException) -> bool:
    """Whether the database refused a number too large for its integers (SQLite: the driver's
    OverflowError; PostgreSQL compares such a number without complaint)."""
    return isinstance(exception, OverflowError) and "too large to convert" in str(exception)


def is_null_character(exception: BaseException) -> bool:
    """Whether PostgreSQL (or its driver) refused the NUL character in a string."""
    from django.db import DataError

    return isinstance(exception, ValueError | DataError) and "NUL (0x00)" in str(exception)


class EmptyApiBodyMiddleware:
    """An API write sent without a body (``curl -X POST /api/v1/quotes/5/submit``) is read as the empty
    JSON object: an endpoint whose fields are all optional takes it, one with required fields names
    each (it was one error on ``__all__`` either way)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.path.startswith("/api/")
            and request.META.get("CONTENT_LENGTH") in (None, "", "0")  # not read: an upload may be large
            and "HTTP_TRANSFER_ENCODING" not in request.META
        ):
            request._body = b"{}"  # type: ignore[attr-defined]  # what Django reads request.body from
        return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) if user is not None and user.is_authenticated else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind ``TRUSTED_PROXY_COUNT`` proxies that each append to
    ``X-Forwarded-For``, it is the entry that many places from the right (entries further left were
    sent by the client and cannot be trusted); with no proxy configured, ``REMOTE_ADDR``."""
    from django.conf import settings

    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
