"""The timeline panel's htmx view: a filter chip reloads the panel, "load more" appends a page."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from xietong.core.errors import NotFound, ValidationError
from xietong.core.htmx import page_view

from . import registry, timeline

PANEL = "collaboration/timeline/panel.html"


def panel_dom_id(record: Any) -> str:
    return f"xt-timeline-{record._meta.label_lower.replace('.', '-')}-{record.pk}"


def timeline_url(
    key: str, kinds: set[str] | None, before: timeline.Cursor | None = None, *, inner: bool = False
) -> str:
    params = {"record": key}
    if kinds:
        params["kinds"] = ",".join(sorted(kinds))
    if before is not None:
        params["before"] = before.encode()
    if inner:
        params["part"] = "inner"
    return f"{reverse('collaboration:timeline')}?{urlencode(params)}"


def panel_context(
    *, user: Any, record: models.Model, kinds: set[str] | None, before: timeline.Cursor | None
) -> dict[str, Any]:
    """What the panel (or one "load more" page of it) shows: entries, chips by kind, the next page."""
    key = registry.record_key(record)
    page = timeline.timeline_page(user=user, record=record, kinds=kinds, before=before)
    chips = [{"label": _("All"), "url": timeline_url(key, None), "active": kinds is None}] + [
        {"label": s.label, "url": timeline_url(key, {s.kind}), "active": kinds == {s.kind}} for s in timeline.sources()
    ]
    return {
        "key": key,
        "dom_id": panel_dom_id(record),
        "entries": page.entries,
        "chips": chips,
        "before": before,
        "more_url": timeline_url(key, kinds, page.next) if page.next else "",
        # the panel reloads only its inside, so the element listening for "xt-record-changed" stays
        # in the page: a swapped-in panel would miss an event sent before htmx had processed it
        "reload_url": timeline_url(key, kinds, inner=True),
    }


@page_view
@require_GET
def timeline_view(request: HttpRequest) -> HttpResponse:
    """``?record=org.team:12[&kinds=change,comment][&before=<cursor>][&part=inner]``: the panel; with
    ``part=inner`` only its inside (the panel's own reload); with ``before`` the next entries and their
    "load more" button (htmx swaps them in place of the old button).
    404 for a record the viewer cannot see."""
    record = timeline.resolve_record(request.user, request.GET.get("record", ""))
    try:
        kinds = timeline.parse_kinds(request.GET.get("kinds"))
        before = timeline.Cursor.decode(request.GET["before"]) if request.GET.get("before") else None
    except ValidationError:
        raise NotFound() from None
    panel = panel_context(user=request.user, record=record, kinds=kinds, before=before)
    if before is not None:
        name = f"{PANEL}#entries"
    elif request.GET.get("part") == "inner":
        name = f"{PANEL}#body"
    else:
        name = PANEL
    response = render(request, name, {"record": record, "panel": panel})
    response["Vary"] = "HX-Request"
    return response
