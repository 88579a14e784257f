"""The home page (My day) and the activity feeds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from xietong.core.errors import NotFound, ValidationError
from xietong.core.htmx import page_view, render_page

from . import feeds, myday, timeline


@page_view
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    return render_page(request, "collaboration/myday/page.html", {"sections": myday.build(request.user)})


@page_view
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """``?scope=mine|team[&before=<cursor>]``: the feed, or with ``before`` (htmx "load more") the
    next entries and their button."""
    scope = request.GET.get("scope") or "mine"
    if scope not in feeds.SCOPES:
        raise NotFound()
    try:
        before = timeline.Cursor.decode(request.GET["before"]) if request.GET.get("before") else None
    except ValidationError:
        raise NotFound() from None
    page = feeds.feed_page(user=request.user, scope=scope, before=before)
    more_url = ""
    if page.next is not None:
        more_url = f"{reverse('collaboration:feed')}?{urlencode({'scope': scope, 'before': page.next.encode()})}"
    context = {
        "scope": scope,
        "scopes": list(feeds.SCOPES.items()),
        "items": page.items,
        "before": before,
        "more_url": more_url,
    }
    template = "collaboration/feed/page.html"
    if before is not None:
        template += "#entries"
    return render_page(request, template, context)
