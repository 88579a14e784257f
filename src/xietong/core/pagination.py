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


# --- keyset pages for big lists (customers, contacts, leads) -----------------------------------------
# OFFSET pagination reads and throws away every row before the page: page 10,000 costs 10,000 pages.
# A keyset page continues after (or before) the last row shown — ``WHERE (sort, id) < (v, id)`` on an
# index — so every page costs the same. The links are "previous / next" with an opaque cursor; the
# count is capped (``capped_count``): counting millions of visible rows exactly on every page would
# cost more than the page itself, so beyond ``COUNT_CAP`` the list says "10,000+".

COUNT_CAP = 10_000


def capped_count(items: Any, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(count, more)``: the exact count up to ``cap``; ``more`` when there are more than ``cap``
    rows. One query that reads at most ``cap + 1`` index entries (``COUNT(*)`` over a ``LIMIT``)."""
    count = items.order_by()[: cap + 1].count()
    return (cap, True) if count > cap else (count, False)


def _encode_value(value: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
        raise ValueError(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(value)
    return value


def encode_cursor(value: Any, pk: int) -> str:
    import base64
    import json

    raw = json.dumps([_encode_value(value), pk], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[Any, int] | None:
    """``(value, pk)`` of a cursor, or None for a missing or mangled one (the list starts over)."""
    import base64
    import binascii
    import json

    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        value, pk = json.loads(raw)
        return _decode_value(value), int(pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _after(field: str, desc: bool, value: Any, pk: int) -> Any:
    """Rows after ``(value, pk)`` in the order ``field`` (nulls last) then pk, both ``desc`` or not."""
    from django.db.models import Q

    cmp, pk_cmp = ("lt", "lt") if desc else ("gt", "gt")
    if value is None:
        return Q(**{f"{field}__isnull": True, f"pk__{pk_cmp}": pk})
    return Q(**{f"{field}__{cmp}": value}) | Q(**{field: value, f"pk__{pk_cmp}": pk}) | Q(**{f"{field}__isnull": True})


def _before(field: str, desc: bool, value: Any, pk: int) -> Any:
    """Rows before ``(value, pk)`` in the same order."""
    from django.db.models import Q

    cmp, pk_cmp = ("gt", "gt") if desc else ("lt", "lt")
    if value is None:
        return Q(**{f"{field}__isnull": False}) | Q(**{f"{field}__isnull": True, f"pk__{pk_cmp}": pk})
    return Q(**{f"{field}__{cmp}": value}) | Q(**{field: value, f"pk__{pk_cmp}": pk})


def _order(field: str, desc: bool, reverse: bool) -> list[Any]:
    from django.db.models import F

    if field == "pk":
        down = desc != reverse
        return ["-pk" if down else "pk"]
    if reverse:
        expr = F(field).asc(nulls_first=True) if desc else F(field).desc(nulls_first=True)
        return [expr, "pk" if desc else "-pk"]
    expr = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
    return [expr, "-pk" if desc else "pk"]


def _value_of(row: Any, field: str) -> Any:
    value = row
    for part in field.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def keyset_paginate(
    request: HttpRequest,
    items: Any,
    *,
    columns: Mapping[str, str],
    default: str,
    per_page: int | None = None,
    count: bool = True,
) -> dict[str, Any]:
    """One keyset page of ``items`` sorted by ``?sort=`` (a key of ``columns``, ``-`` for descending;
    unknown keys fall back to ``default``; ties broken by the primary key; nulls last), continued with
    ``?after=`` / ``?before=`` cursors. Context for ``components/keyset_pagination.html``: ``rows``,
    ``next_cursor``, ``previous_cursor``, ``count`` and ``count_more`` (see ``capped_count``)."""
    per_page = per_page or PER_PAGE
    sort = request.GET.get("sort") or default
    key = sort.lstrip("-")
    if key not in columns:
        sort, key = default, default.lstrip("-")
    field, desc = columns[key], sort.startswith("-")
    after = decode_cursor(request.GET.get("after", ""))
    before = None if after else decode_cursor(request.GET.get("before", ""))
    qs = items
    if field == "pk":
        if after:
            qs = qs.filter(**{f"pk__{'lt' if desc else 'gt'}": after[1]})
        elif before:
            qs = qs.filter(**{f"pk__{'gt' if desc else 'lt'}": before[1]})
    elif after:
        qs = qs.filter(_after(field, desc, *after))
    elif before:
        qs = qs.filter(_before(field, desc, *before))
    rows = list(qs.order_by(*_order(field, desc, reverse=bool(before)))[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before:
        rows.reverse()
    has_next = more if not before else True
    has_previous = bool(after) or (before is not None and more)
    total, count_more = capped_count(items) if count else (0, False)

    def cursor(row: Any) -> str:
        return encode_cursor(None if field == "pk" else _value_of(row, field), row.pk)

    return {
        "rows": rows,
        "next_cursor": cursor(rows[-1]) if rows and has_next else "",
        "previous_cursor": cursor(rows[0]) if rows and has_previous else "",
        "count": total,
        "count_more": count_more,
        "sort": sort,
    }
