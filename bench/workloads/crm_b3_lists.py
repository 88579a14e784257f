"""B3: the customer and lead lists through the API at pages 1, 100 and 10,000, against the floor.

Ours: ``GET /api/v1/customers`` and ``GET /api/v1/leads`` (keyset cursor pages of 50) as the industrial
BU's head, through Django's test client with the session and middleware of the app. The cursor of a
deep page is found once in setup by following ``next`` (pages of 200, then 50). Each call fetches the
page ``REQUESTS`` times and reports the **p95** of those requests.

Reference: a bare view (``bench/bare/sql/<name>``) under the same client, session and middleware that
runs **the same SQL** ours ran for that page — captured from ours in setup, so it is the same keyset
statement with the same visibility predicate by construction — and returns its rows as JSON.

Peer: DjangoCRM's admin changelist of companies (customers) or leads at the same row offset (offset
pagination with ``COUNT(*)``), when the peer is installed (``bench/peer``). Goals: ≤ 1.3× the floor;
≥ 100× faster than the peer at the deep pages (``ours/peer ≤ 0.01``); ≤ 3 queries per request beyond
the session and the user lookups.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import viewers
from bench.core import Check, Context, Measured, Skip, VerificationError, Workload
from bench.workloads import crm_support

REQUESTS = 20
MAX_QUERIES = 3
LISTS = {
    "customers": ("/api/v1/customers", "customers_customer"),
    "leads": ("/api/v1/leads", "leads_lead"),
    # issue 5: "opportunity lists meet B3" (the data set of bench/pipeline_data.py; no peer list)
    "opportunities": ("/api/v1/opportunities?status=all", "pipeline_opportunity"),
}
PEER_LISTS = ("customers", "leads")


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        if response.status_code == 404:
            raise Skip(f"GET {url} answered 404: the endpoint is not there yet")
        raise VerificationError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def _cursor_url(client: Any, base: str, offset: int) -> tuple[str, int]:
    """The URL of the page of 50 that starts at row ``offset``, by following ``next`` — or of the
    deepest full page when the viewer sees fewer rows — and the row offset it starts at."""
    joiner = "&" if "?" in base else "?"
    url, done = f"{base}{joiner}page_size=200", 0
    while offset - done >= 200:
        nxt = json.loads(_get(client, url).content)["next"]
        if not nxt:
            break
        url, done = nxt, done + 200
    url = url.replace("page_size=200", f"page_size={crm_support.PAGE_SIZE}")
    while done < offset:
        answer = json.loads(_get(client, url).content)
        if not answer["next"] or len(answer["results"]) < crm_support.PAGE_SIZE:
            break
        url, done = answer["next"], done + crm_support.PAGE_SIZE
    return url.replace("http://testserver", ""), done


def _is_auth(sql: str) -> bool:
    return "django_session" in sql or ('FROM "org_user"' in sql and '"org_user"."id" =' in sql and "LIMIT 21" in sql)


def _make(list_name: str, depth: str) -> Workload:
    base, table = LISTS[list_name]
    name = f"crm_b3_{list_name}_page_{depth}"

    def setup(ctx: Context) -> dict[str, Any]:
        data = crm_support.dataset(ctx)
        rows = data.customers
        if list_name == "opportunities":
            from bench import pipeline_data

            rows = pipeline_data.load(ctx.scale).opportunities
        page = {"1": 1, "100": 100, "deep": crm_support.deep_page(rows)}[depth]
        head = viewers.bu_head(ctx)
        client = crm_support.logged_in_client(head.user, ctx)
        if page > 1:
            url, offset = _cursor_url(client, base, (page - 1) * crm_support.PAGE_SIZE)
            page = offset // crm_support.PAGE_SIZE + 1
        else:
            url = f"{base}{'&' if '?' in base else '?'}page_size={crm_support.PAGE_SIZE}"
        _get(client, url)  # warm the caches the first request fills (access, content types)
        with CaptureQueriesContext(connection) as captured:
            _get(client, url)
        statements = [q["sql"] for q in captured.captured_queries if not _is_auth(q["sql"])]
        crm_support.BARE_SQL[name] = [s for s in statements if table in s]
        if not crm_support.BARE_SQL[name]:
            raise VerificationError(f"{name}: no statement of ours reads {table}: {statements}")
        state = {
            "client": client,
            "url": url,
            "bare": f"/bench/bare/sql/{name}",
            "page": page,
            "queries": len(statements),
            "statements": statements,
        }
        try:
            from bench.peer import djangocrm

            if list_name not in PEER_LISTS:
                raise Skip("the peer has no list of this kind in its admin that we load")
            state["peer"] = djangocrm.changelist_url(list_name, (page - 1) * crm_support.PAGE_SIZE)
        except Skip as exc:
            state["peer_skip"] = str(exc)
        return state

    def _p95(ctx: Context, url: str) -> Measured:
        client, times, response = ctx.state["client"], [], None
        for _ in range(REQUESTS):
            seconds, response = crm_support.timed(lambda: client.get(url))
            times.append(seconds)
        assert response is not None
        if response.status_code != 200:
            raise VerificationError(f"GET {url} answered {response.status_code}")
        return Measured(json.loads(response.content)["results"], crm_support.percentile(times, 95))

    def ours(ctx: Context) -> Measured:
        return _p95(ctx, ctx.state["url"])

    def reference(ctx: Context) -> Measured:
        return _p95(ctx, ctx.state["bare"])

    def peer(ctx: Context) -> Measured:
        if "peer" not in ctx.state:
            raise Skip(ctx.state.get("peer_skip", "the peer is not installed"))
        from bench.peer import djangocrm

        times = djangocrm.agent().get_times(ctx.state["peer"], REQUESTS)
        return Measured(None, crm_support.percentile(times, 95))

    def verify(answers: dict[str, Any]) -> None:
        ours_ids = [row["id"] for row in answers["ours"]]
        bare_ids = [row[0] for row in answers["reference"][0]][: len(ours_ids)]  # each statement selects the id first
        if not ours_ids or ours_ids != bare_ids:
            raise VerificationError(f"{name}: ours {ours_ids[:5]}… vs the bare view's {bare_ids[:5]}…")

    def checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
        return [
            Check("page measured (the viewer's deepest full page if fewer)", f"{ctx.state['page']:,}", "—", True),
            Check(
                "queries per request beyond the session and user lookups",
                str(ctx.state["queries"]),
                f"≤ {MAX_QUERIES}",
                ctx.state["queries"] <= MAX_QUERIES,
            ),
        ]

    contestants: dict[str, Any] = {"ours": ours, "reference": reference}
    extra: dict[str, float] = {}
    if depth != "1" and list_name in PEER_LISTS:
        contestants["peer"] = peer
        extra = {"peer": 0.01} if depth == "deep" else {}
    return Workload(
        name=name,
        description=f"GET {base} page {depth} (p95 of {REQUESTS}) vs a bare view running the same SQL",
        goal_ratio=1.3,
        setup=setup,
        contestants=contestants,
        verify=verify,
        checks=checks,
        extra_goals=extra,
    )


WORKLOADS = [_make(list_name, depth) for list_name in LISTS for depth in ("1", "100", "deep")]
