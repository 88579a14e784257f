"""The panels every record page shows: history ("load more") and "why can I see this?"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from xietong.core.components import history_panel, why_panel
from xietong.core.htmx import page_view
from xietong.core.params import as_int

from .. import policies, selectors
from ..models import User


def actor(request: HttpRequest) -> User:
    """The signed-in user (every page is behind ``page_view``, so never anonymous)."""
    return cast(User, request.user)


def _role_get(*, user: User, pk: Any) -> Any:
    """Roles are configuration: every holder of ``roles.view`` sees every role."""
    policies.require(user, "roles", "view")
    return selectors.role_get(pk=pk)


# kind in the URL → (the selector that finds the record for this user, the history URL name)
RECORDS: dict[str, tuple[Callable[..., Any], str]] = {
    "bu": (selectors.business_unit_get, "org:bu_history"),
    "team": (selectors.team_get, "org:team_history"),
    "user": (selectors.user_get, "org:user_history"),
    "role": (_role_get, "org:role_history"),
}


def _record(request: HttpRequest, kind: str, pk: int) -> Any:
    find, _url_name = RECORDS[kind]
    return find(user=actor(request), pk=pk)


def record_for(
    request: HttpRequest,
    find: Callable[..., Any],
    pk: int,
    action: str,
    *,
    module: str = "org",
    within: str | None = None,
) -> Any:
    """The record for a change page: outside what the user sees → 404 (like a missing record); seen
    but the roles lack ``action`` → 403; seen but outside the scope of ``within`` (default: the
    action) → 404, as the service would answer."""
    find(user=actor(request), pk=pk)
    policies.require(actor(request), module, action)
    return find(user=actor(request), pk=pk, action=within or action)


@page_view
def record_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _record(request, kind, pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(obj, url=reverse(RECORDS[kind][1], args=[pk]), offset=as_int(offset, 0))
    return render(request, "components/history.html#entries", context)


@page_view
def record_why(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _record(request, kind, pk)
    return render(request, "components/why.html", why_panel(actor(request), obj))
