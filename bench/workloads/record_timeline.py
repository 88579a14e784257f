"""The first page of a record timeline with 2,000 entries (1,000 changes, 1,000 comments).

Ours: ``collaboration.timeline.timeline_page`` for a BU head who sees the record — the audit source
(one query, the actor joined) and the comments source (the threads the viewer sees, with the
visibility predicate, authors and a replies prefetch), merged in Python — fully evaluated, and
each entry's display text computed, as the panel and the API do. Reference: the same page in
hand-written SQL — two ``SELECT``s of the displayed columns with ``LIMIT 21`` ordered by
``created_at DESC, id DESC``, merged in Python. Both answer the page's (kind, id) sequence.

The data is the workload's own: a team named ``TEAM_NAME`` in the industrial BU with its 2,000
entries, created once with ``bulk_create`` and reused by later runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

from bench import viewers
from bench.core import Context, Workload

TEAM_NAME = "基准·动态时间线"
PER_KIND = 1_000
PAGE = 20

CHANGES_SQL = (
    "SELECT a.id, a.created_at, a.kind, a.verb, a.changes, a.request_id, u.display_name FROM core_auditentry a "
    "LEFT JOIN org_user u ON u.id = a.actor_id WHERE a.content_type_id = %s AND a.object_id = %s "
    f"ORDER BY a.created_at DESC, a.id DESC LIMIT {PAGE + 1}"
)
COMMENTS_SQL = (
    "SELECT c.id, c.created_at, c.body_html, c.edited_at, c.deleted_at, u.display_name FROM collaboration_comment c "
    "JOIN org_user u ON u.id = c.author_id WHERE c.content_type_id = %s AND c.object_id = %s AND c.parent_id IS NULL "
    f"ORDER BY c.created_at DESC, c.id DESC LIMIT {PAGE + 1}"
)


def _load(team: Any, actor: Any) -> None:
    """1,000 audit entries and 1,000 comments, alternating one minute apart (bulk inserts; the
    append-only audit trail takes its time as rows are written, so the clock is set per row)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from xietong.collaboration.comments import render
    from xietong.collaboration.models import Comment
    from xietong.core.models import AuditEntry

    ct = ContentType.objects.get_for_model(team)
    start = timezone.now() - timedelta(minutes=2 * PER_KIND + 10)
    at = [start + timedelta(minutes=2 * i, microseconds=7) for i in range(PER_KIND)]
    entries = [
        AuditEntry(
            actor=actor,
            kind=AuditEntry.Kind.UPDATE,
            content_type=ct,
            object_id=str(team.pk),
            object_repr=team.name,
            changes={"name": [f"旧名称 {i}", f"新名称 {i}"], "is_active": [True, False]},
        )
        for i in range(PER_KIND)
    ]
    with mock.patch("django.utils.timezone.now", side_effect=at):
        AuditEntry.objects.bulk_create(entries, batch_size=500)
    notes = [
        Comment(
            content_type=ct,
            object_id=str(team.pk),
            author=actor,
            body=f"第 {i} 条：**交期**确认，请 @供应计划组 跟进",
            body_html=render(f"第 {i} 条：**交期**确认，请 @供应计划组 跟进"),
        )
        for i in range(PER_KIND)
    ]
    with mock.patch("django.utils.timezone.now", side_effect=[t + timedelta(minutes=1) for t in at]):
        Comment.objects.bulk_create(notes, batch_size=500)


def setup(ctx: Context) -> dict[str, Any]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from xietong.org.models import BusinessUnit, Team, TeamType

    head = viewers.bu_head(ctx)
    bu = BusinessUnit.objects.get(code=viewers.BU)
    team = Team.objects.filter(business_unit=bu, parent=None, name=TEAM_NAME).first()
    if team is None:  # the first run at this scale; later runs reuse it
        with transaction.atomic():
            team = Team.objects.create(business_unit=bu, name=TEAM_NAME, team_type=TeamType.SALES)
            team.compute_path()
            team.save(update_fields=["path", "depth"])
            _load(team, head.user)
    ct_id = ContentType.objects.get_for_model(team).pk
    return {"user": head.user, "team": team, "params": [ct_id, str(team.pk)]}


def ours(ctx: Context) -> list[tuple[str, int]]:
    from xietong.collaboration import timeline

    page = timeline.timeline_page(user=ctx.state["user"], record=ctx.state["team"])
    texts = [entry.text for entry in page.entries]  # what the panel and the API show
    assert len(texts) == len(page.entries)
    return [(entry.kind, entry.id) for entry in page.entries]


def reference(ctx: Context) -> list[tuple[str, int]]:
    params = ctx.state["params"]
    rows = [(r[1], "change", r[0]) for r in ctx.sql(CHANGES_SQL, params)]
    rows += [(r[1], "comment", r[0]) for r in ctx.sql(COMMENTS_SQL, params)]
    rows.sort(reverse=True)
    return [(kind, pk) for _at, kind, pk in rows[:PAGE]]


WORKLOAD = Workload(
    name="record_timeline",
    description="first page (20) of a record timeline with 2,000 entries vs two hand-written SELECTs merged",
    goal_ratio=1.5,
    setup=setup,
    contestants={"ours": ours, "reference": reference},
)
