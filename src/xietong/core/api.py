"""The API's shared parts: authentication, the one error shape, pagination.

Every endpoint answers errors as ``{"detail": "...", "errors": [{"field": "...", "message": "..."}]}``:
422 invalid input, 404 missing *or* outside the caller's scope, 409 conflict, 403 an action the
caller's roles lack on a record they can see, 401 not authenticated.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import CursorPagination
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyHeader, HttpBearer, django_auth
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import to_json

from .errors import Conflict, NotFound
from .params import LARGEST

log = logging.getLogger("xietong.api")


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


ERROR_RESPONSES: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xt_...`` with a personal access token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from xietong.org.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
            request.authenticated_by_token = True  # type: ignore[attr-defined]
        return user


class JSONRenderer(BaseRenderer):
    """Answers encoded by pydantic's compiled encoder rather than ``json.dumps``, which calls back into
    Python for every datetime and Decimal (a list page of 50 rows: 280 µs → about 60 µs). Times are
    ISO 8601 with microseconds (``2026-11-30T06:55:44.123456Z``); Decimals are strings, as before;
    what pydantic does not know (lazy translations …) goes through ninja's encoder."""

    media_type = "application/json"
    _fallback = NinjaJSONEncoder().default

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return to_json(data, fallback=self._fallback)


def openapi_file(description: str, media_type: str = "application/octet-stream") -> dict[str, Any]:
    """``openapi_extra`` of an endpoint answering a file: its 200 in the schema, as binary content."""
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": description, "content": content}}}


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


_ROW = re.compile(r"\[(\d+)\]\.")


def api_field(name: str) -> str:
    """A service's error key as the API names fields: the JSON path of the body, as schema errors
    name them (``lines.1.quantity``, rows counted from 0). Services name a row as its human reader
    counts it (``lines[2].quantity``, for the form's rows and the import's lines)."""
    return _ROW.sub(lambda found: f".{int(found.group(1)) - 1}.", name)


def _django_validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": api_field(field), "message": message}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"field": "__all__", "message": m} for m in exc.messages]


def _ninja_field(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload", "data")]
    return ".".join(parts) or "__all__"


_ENTER_NUMBER = gettext_lazy("Enter a number.")
_ENTER_WHOLE = gettext_lazy("Enter a whole number.")
_ENTER_DATE = gettext_lazy("Enter a valid date.")
_ENTER_DATETIME = gettext_lazy("Enter a valid date/time.")
_ENTER_OBJECT = gettext_lazy("Enter an object with named fields.")
# pydantic's error kinds in the words Django's forms use for the same mistake
_SCHEMA_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), _ENTER_WHOLE),
    **dict.fromkeys(("float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"), _ENTER_NUMBER),
    **dict.fromkeys(
        ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"), _ENTER_DATE
    ),
    **dict.fromkeys(("datetime_parsing", "datetime_type", "datetime_from_date_parsing"), _ENTER_DATETIME),
    **dict.fromkeys(("time_parsing", "time_type"), gettext_lazy("Enter a valid time.")),
    **dict.fromkeys(("uuid_parsing", "uuid_type"), gettext_lazy("Enter a valid UUID.")),
    **dict.fromkeys(("url_parsing", "url_type"), gettext_lazy("Enter a valid URL.")),
    **dict.fromkeys(("bool_parsing", "bool_type"), gettext_lazy("Enter true or false.")),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), _ENTER_OBJECT),
    "list_type": gettext_lazy("Enter a list of values."),
    "string_type": gettext_lazy("Enter text."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}
# kinds whose message holds a bound from the error's context: kind → (its key in ``ctx``, the name the
# message gives the bound, the message; a plural message takes its form from the bound)
_SCHEMA_BOUNDS: dict[str, tuple[str, str, Any]] = {
    "greater_than_equal": (
        "ge",
        "limit_value",
        gettext_lazy("Ensure this value is greater than or equal to %(limit_value)s."),
    ),
    "greater_than": ("gt", "limit_value", gettext_lazy("Ensure this value is greater than %(limit_value)s.")),
    "less_than_equal": (
        "le",
        "limit_value",
        gettext_lazy("Ensure this value is less than or equal to %(limit_value)s."),
    ),
    "less_than": ("lt", "limit_value", gettext_lazy("Ensure this value is less than %(limit_value)s.")),
    "string_too_long": ("max_length", "max", gettext_lazy("At most %(max)d characters.")),
    "string_too_short": (
        "min_length",
        "min",
        ngettext_lazy("At least %(min)d character.", "At least %(min)d characters.", "min"),
    ),
    "too_long": ("max_length", "count", ngettext_lazy("At most %(count)d item.", "At most %(count)d items.", "count")),
    "too_short": (
        "min_length",
        "count",
        ngettext_lazy("At least %(count)d item.", "At least %(count)d items.", "count"),
    ),
    "decimal_max_digits": (
        "max_digits",
        "max",
        ngettext_lazy(
            "Ensure that there are no more than %(max)s digit in total.",
            "Ensure that there are no more than %(max)s digits in total.",
            "max",
        ),
    ),
    "decimal_max_places": (
        "decimal_places",
        "max",
        ngettext_lazy(
            "Ensure that there are no more than %(max)s decimal place.",
            "Ensure that there are no more than %(max)s decimal places.",
            "max",
        ),
    ),
    "decimal_whole_digits": (
        "whole_digits",
        "max",
        ngettext_lazy(
            "Ensure that there are no more than %(max)s digit before the decimal point.",
            "Ensure that there are no more than %(max)s digits before the decimal point.",
            "max",
        ),
    ),
}


def _schema_message(error: dict[str, Any]) -> str:
    """A schema error (pydantic's ``type`` and ``ctx``) in the request's language, in the words Django's
    forms use for the same mistake; pydantic's own English ``msg`` only for a kind not listed here."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in _SCHEMA_MESSAGES:
        return str(_SCHEMA_MESSAGES[kind])
    if kind in _SCHEMA_BOUNDS:
        key, name, message = _SCHEMA_BOUNDS[kind]
        return str(message % {name: ctx.get(key, 0)})
    if kind in ("literal_error", "enum"):
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")  # pydantic's English "'a', 'b' or 'c'"
        return _("Choose one of: %(choices)s.") % {"choices": choices}
    return str(error.get("msg", "")).removeprefix("Value error, ")


def _too_large(value: Any) -> bool:
    """A whole number, or text of one, past the databases' integers (``as_int`` reads only those)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > LARGEST
    text = value.strip().lstrip("-").lstrip("0") if isinstance(value, str) else ""
    return text.isascii() and text.isdigit() and (len(text) > len(str(LARGEST)) or int(text) > LARGEST)


def _too_large_in_body(request: HttpRequest) -> list[str]:
    """The fields of a JSON body holding such a number, named as schema errors name them
    (``lines.1.product_id``)."""
    if not request.content_type or "json" not in request.content_type:
        return []
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return []
    found: list[str] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, [*path, str(key)])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, [*path, str(index)])
        elif path and _too_large(value):
            found.append(".".join(path))

    walk(body, [])
    return found


NUL = "\x00"


class NullCharacters(ValueError):
    """A JSON body holds the NUL character in these fields (``lines.1.name``)."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def _null_character_fields(value: Any, path: list[str]) -> list[str]:
    if isinstance(value, str):
        return [".".join(path) or "__all__"] if NUL in value else []
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _null_character_fields(item, [*path, str(key)])] + (
            [".".join(path) or "__all__"] if any(NUL in str(key) for key in value) else []
        )
    if isinstance(value, list):
        return [f for index, item in enumerate(value) for f in _null_character_fields(item, [*path, str(index)])]
    return []


class InputParser(Parser):
    """ninja's JSON parser refusing the NUL character anywhere in the input, as Django's form fields do
    (``ProhibitNullCharactersValidator``): PostgreSQL cannot store it in text and SQLite would keep it
    silently. A body holding one is answered 422 naming each field (``install_error_handlers``), a
    query parameter likewise."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        fields = _null_character_fields(data, [])
        if fields:
            raise NullCharacters(fields)  # ninja wraps it in HttpError(400); answered below
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        where = "query" if data is request.GET else "form" if data is request.POST else None  # not FILES
        bad = [key for key in data if NUL in key or any(NUL in v for v in data.getlist(key))] if where else []
        if bad:
            message = _("Null characters are not allowed.")
            raise NinjaValidationError([{"loc": [where, key], "msg": message} for key in bad])
        return super().parse_querydict(data, list_fields, request)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
    ) -> HttpResponse:
        return api.create_response(request, error_body(detail, errors), status=status)

    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        if exc.errors and all(list(e.get("loc", []))[:1] == ["path"] for e in exc.errors):
            return respond(request, 404, _("Not found."))  # /users/abc is an unknown id, like /users/999
        errors = []
        for e in exc.errors:
            if "loc" in e:
                errors.append({"field": _ninja_field(list(e["loc"])), "message": _schema_message(e)})
            else:  # some ninja parts raise {"field": "message"} dicts
                errors.extend({"field": str(k), "message": str(v)} for k, v in e.items())
        return respond(request, 422, _("The input is invalid."), errors)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, 422, _("The input is invalid."), _django_validation_errors(exc))

    @api.exception_handler(NotFound)
    def on_not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return respond(request, 404, _("Not found."))

    @api.exception_handler(Http404)
    def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, _("Not found."))

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, str(exc) or _("You do not have permission to do this."))

    @api.exception_handler(Conflict)
    def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        errors = [{"field": exc.field, "message": str(exc)}] if exc.field else []
        return respond(request, 409, str(exc), errors)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, _("Authentication required."))

    @api.exception_handler(OverflowError)
    def on_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        from .middleware import is_out_of_range

        if not is_out_of_range(exc):
            raise exc
        names = [name for name, value in request.GET.items() if _too_large(value)]
        names += _too_large_in_body(request)
        message = _("The number is out of range.")
        return respond(request, 422, _("The input is invalid."), [{"field": n, "message": message} for n in names])

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and "csrf" in str(exc).lower():
            return respond(request, 403, _("CSRF check failed: reload the page and try again."))
        if isinstance(exc.__cause__, NullCharacters):
            message = _("Null characters are not allowed.")
            errors = [{"field": field, "message": message} for field in exc.__cause__.fields]
            return respond(request, 422, _("The input is invalid."), errors)
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):  # ninja's, untranslated
            message = _("The body is not valid JSON.")
            return respond(request, 422, _("The input is invalid."), [{"field": "__all__", "message": message}])
        return respond(request, exc.status_code, str(exc))


# A reference in an answer, given as a dict (``ref(obj)``) or an object with ``id`` and ``name``. Plain
# pydantic, so it is read by pydantic's compiled validator rather than through ninja's per-attribute
# getter — a list page holds several per row. (The docstring is the API's description.)
class Ref(BaseModel):
    """A record's id and name."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


def ref(obj: Any) -> dict[str, Any] | None:
    """``{"id", "name"}`` of a record (its ``str``), or None."""
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class Page(CursorPagination):
    """Keyset (cursor) pages: ``?page_size=`` (default 50, at most 200) and the opaque ``?cursor=``
    from the previous answer's ``next`` / ``previous``. No COUNT on every page, so the cost of a page
    does not grow with the table. Each list endpoint names a unique ordering.
    """

    PAGE_SIZE = 50
    MAX_PAGE_SIZE = 200

    class Cursor(CursorPagination.Cursor):
        @classmethod
        def from_encoded_param(cls, encoded_param: str | None, context: Any = None) -> CursorPagination.Cursor:
            """A cursor that decodes but holds nonsense is invalid input too (422), not a crash."""
            try:
                return super().from_encoded_param(encoded_param, context)
            except PydanticValidationError:
                raise NinjaValidationError([{"cursor": _("Invalid cursor.")}]) from None

    def __init__(
        self,
        *,
        ordering: tuple[str, ...],
        after: Callable[[list[Any], HttpRequest], list[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``after`` receives the page's rows (already fetched) to add what needs one query per page
        rather than one per row, e.g. links to records the caller may still see."""
        super().__init__(ordering=ordering, page_size=self.PAGE_SIZE, max_page_size=self.MAX_PAGE_SIZE, **kwargs)
        self.after = after

    def _get_position(self, item: Any) -> str:
        """Rows may be dicts (a list read with ``values()``, which spares a model per row) as well as
        models."""
        if isinstance(item, dict):
            return str(item[self._order_attribute])
        return super()._get_position(item)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        result = super().paginate_queryset(queryset, pagination, request, **params)
        if self.after is not None:
            result[self.items_attribute] = self.after(list(result[self.items_attribute]), request)
        return result


__all__ = [
    "ERROR_RESPONSES",
    "APIKeyHeader",
    "ErrorOut",
    "InputParser",
    "JSONRenderer",
    "Page",
    "Ref",
    "TokenAuth",
    "django_auth",
    "install_error_handlers",
    "openapi_file",
    "ref",
]
