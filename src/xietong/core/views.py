from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import search as global_search
from .htmx import fragment_requested, page_view, render_page

SEARCH_RESULTS_ID = "search-results"  # the dropdown under the top-bar search box (base.html)
DROPDOWN_LIMIT = 5  # hits per kind of record in the dropdown
PAGE_LIMIT = 20  # hits per kind of record on the search page


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse(
            {"status": "error", "database": {"status": "error", "error": exc.__class__.__name__}}, status=503
        )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return JsonResponse(
        {"status": "ok", "database": {"status": "ok", "vendor": connection.vendor, "latency_ms": elapsed_ms}}
    )


@page_view
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The global search: the full page, or the dropdown of the top bar (the same results, fewer)."""
    q = global_search.clean_query(request.GET.get("q"))
    too_short = bool(q) and global_search.is_too_short(q)
    fragments = {SEARCH_RESULTS_ID: "results"}
    limit = DROPDOWN_LIMIT if fragment_requested(request, fragments) else PAGE_LIMIT
    results = global_search.search_all(request.user, q, limit)
    return render_page(
        request, "core/search.html", {"q": q, "too_short": too_short, "results": results}, fragments=fragments
    )
