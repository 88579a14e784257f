"""Quote-to-cash: an approver's list of 10,000 pending approvals pages at the B3 ratio.

Data: 10,000 pending approval requests of quotes (one pending task each) waiting for the industrial
BU's head, made once with bulk inserts and reused (``bench: 10k pending`` marks them); the documents
themselves are not needed by the list.

Ours: ``GET /api/v1/approvals`` (the caller's pending approvals, newest first, keyset cursor pages of
50) through Django's test client with the app's session and middleware, at pages 1, 100 and the last
full page (200); the deep cursors are found in setup by following ``next``. Reference: the bare view
running the same SQL ours ran for that page (captured in setup), returning its rows as JSON — the
floor, exactly as B3 (``crm_b3_lists``). Goal: ≤ 1.3× the floor, ≤ 3 queries per request beyond the
session and user lookups.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import viewers
from bench.core import Check, Context, Measured, VerificationError, Workload
from bench.workloads import crm_support
from bench.workloads.crm_b3_lists import _cursor_url, _get, _is_auth

ITEMS = 10_000
MARK = "bench: 10k pending"
REQUESTS = 20
MAX_QUERIES = 3
URL = "/api/v1/approvals"


def _ensure_pending(approver: Any) -> None:
    """10,000 pending requests for ``approver`` (made once: the mark is the flow name)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from xietong.approvals.models import ApprovalRequest, ApprovalTask
    from xietong.quotes.models import Quote

    have = ApprovalTask.objects.filter(
        approver=approver, status="pending", request__flow_name=MARK, request__status="pending"
    ).count()
    if have >= ITEMS:
        return
    content_type = ContentType.objects.get_for_model(Quote)
    now = timezone.now()
    steps = [{"name": "折扣审批", "kind": "user", "mode": "any", "approver_ids": [approver.pk], "skipped": False}]
    with transaction.atomic():
        ApprovalRequest.objects.filter(flow_name=MARK).delete()
        requests = ApprovalRequest.objects.bulk_create(
            [
                ApprovalRequest(
                    document_type="quote",
                    content_type=content_type,
                    object_id=f"bench-{i}",
                    flow_name=MARK,
                    steps=steps,
                    submitter=approver,
                    status="pending",
                    current_step=0,
                    step_started_at=now,
                    title=f"BJ-BENCH-{i:05d} v1",  # the reader sees the document type before it
                    amount=Decimal(10_000 + i),
                    url="",
                    business_unit_id=approver.business_unit_id,
                    submitted_at=now - timedelta(minutes=ITEMS - i),
                )
                for i in range(ITEMS)
            ],
            batch_size=2000,
        )
        if requests[0].pk is None:  # a backend that does not return ids
            requests = list(ApprovalRequest.objects.filter(flow_name=MARK).order_by("pk"))
        ApprovalTask.objects.bulk_create(
            [ApprovalTask(request=r, step=0, approver=approver, status="pending", created_at=now) for r in requests],
            batch_size=2000,
        )


def _make(depth: str) -> Workload:
    name = f"q2c_approvals_pending_page_{depth}"

    def setup(ctx: Context) -> dict[str, Any]:
        head = viewers.bu_head(ctx)
        _ensure_pending(head.user)
        client = crm_support.logged_in_client(head.user, ctx)
        page = {"1": 1, "100": 100, "deep": ITEMS // crm_support.PAGE_SIZE}[depth]
        if page > 1:
            url, offset = _cursor_url(client, URL, (page - 1) * crm_support.PAGE_SIZE)
            page = offset // crm_support.PAGE_SIZE + 1
        else:
            url = f"{URL}?page_size={crm_support.PAGE_SIZE}"
        _get(client, url)
        with CaptureQueriesContext(connection) as captured:
            _get(client, url)
        statements = [q["sql"] for q in captured.captured_queries if not _is_auth(q["sql"])]
        crm_support.BARE_SQL[name] = [s for s in statements if "approvals_" in s]
        if not crm_support.BARE_SQL[name]:
            raise VerificationError(f"{name}: no statement of ours reads the approvals: {statements}")

        return {
            "client": client,
            "url": url,
            "bare": f"/bench/bare/sql/{name}",
            "page": page,
            "queries": len(statements),
        }

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

    def verify(answers: dict[str, Any]) -> None:
        ours_ids = [row["id"] for row in answers["ours"]]
        rows = answers["reference"][0][: len(ours_ids)]
        # the page reads the caller's pending tasks: one of its columns is the request id ours shows
        columns = [[row[c] for row in rows] for c in range(len(rows[0]))] if rows else []
        if len(ours_ids) != crm_support.PAGE_SIZE or ours_ids not in columns:
            bare_ids = columns[0] if columns else []
            raise VerificationError(f"{name}: ours {ours_ids[:5]}… vs the bare view's {bare_ids[:5]}…")

    def checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
        return [
            Check("page measured", f"{ctx.state['page']:,} of {ITEMS // crm_support.PAGE_SIZE}", "—", True),
            Check(
                "queries per request beyond the session and user lookups",
                str(ctx.state["queries"]),
                f"≤ {MAX_QUERIES}",
                ctx.state["queries"] <= MAX_QUERIES,
            ),
        ]

    return Workload(
        name=name,
        description=f"GET {URL} (10k pending) page {depth} (p95 of {REQUESTS}) vs a bare view running the same SQL",
        goal_ratio=1.3,
        setup=setup,
        contestants={"ours": ours, "reference": reference},
        verify=verify,
        checks=checks,
    )


WORKLOADS = [_make(depth) for depth in ("1", "100", "deep")]
