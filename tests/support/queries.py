"""Query-count guards for list pages and list endpoints (reused by every app).

``assert_queries_constant`` renders a list, adds rows, renders it again and requires the same
number of queries: an N+1 anywhere in the view, selector, template or schema fails it. The
optional ``max_queries`` pins the absolute count so that a new per-request query is noticed too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(func: Callable[[], Any]) -> tuple[int, Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return len(ctx.captured_queries), result, [q["sql"] for q in ctx.captured_queries]


def assert_queries_constant(
    request: Callable[[], Any],
    add_rows: Callable[[], Any],
    *,
    max_queries: int | None = None,
    expect_status: int = 200,
) -> int:
    """``request`` performs the list request; ``add_rows`` adds more rows that appear in the list."""
    request()  # warm caches (content types, sessions) so both measured runs start equal
    before, response, _ = count_queries(request)
    assert getattr(response, "status_code", expect_status) == expect_status
    add_rows()
    after, response, sql = count_queries(request)
    assert getattr(response, "status_code", expect_status) == expect_status
    assert after == before, f"query count grew with rows: {before} → {after}\n" + "\n".join(sql)
    if max_queries is not None:
        assert after <= max_queries, f"{after} queries > {max_queries}:\n" + "\n".join(sql)
    return after


def counts_of_pages(client: Any, urls: list[str]) -> list[int]:
    """The queries each of ``urls`` costs (after one request to warm caches): a line editor shown with
    few and many rows must cost the same."""
    client.get(urls[0])
    return [count_queries(lambda url=url: client.get(url))[0] for url in urls]
