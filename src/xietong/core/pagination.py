"""List pages: page-number pagination with counts ("1–50 of 1,234", elided page links) and sorting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

PER_PAGE = 50


def paginate(request: HttpRequest, items: Any, *, per_page: int = PER_PAGE) -> dict[str, Any]:
    """``page_obj`` and ``page_range`` for ``components/pagination.html``; a bad page number shows the
    nearest valid page instead of an error."""
    paginator = Paginator(items, per_page)
    page_obj = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page_obj,
        "page_range": list(paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)),
    }


def ordering(request: HttpRequest, columns: Mapping[str, str], default: str) -> list[str]:
    """``order_by`` arguments for ``?sort=key`` or ``?sort=-key`` (``columns``: key → field); unknown
    keys fall back to ``default``; the primary key breaks ties so pages never overlap."""
    sort = request.GET.get("sort") or default
    key = sort.lstrip("-")
    if key not in columns:
        sort, key = default, default.lstrip("-")
    return [("-" if sort.startswith("-") else "") + columns[key], "pk"]
