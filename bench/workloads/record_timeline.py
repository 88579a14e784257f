"""The first page of a record timeline with 2,000 entries (1,000 changes, 1,000 comments, with replies).

Ours: ``collaboration.timeline.timeline_page`` for a BU head who sees the record, fully evaluated
as the panel and the API show it: each entry's text (the API's ``text``), the actors' names, and
the replies of the comment threads on the page with their authors' names (the panel shows them;
the API reads them lazily, not at all). The record is resolved for the viewer once in setup, as the
view and the API do before building a page (``timeline.resolve_record``: the record page's own
lookup, not the timeline's).

Reference: the same page in hand-written SQL — one ``SELECT`` per source of the displayed columns
(the actor's display and user name joined) with ``LIMIT 21`` ordered by ``created_at DESC, id DESC``,
merged in Python, then one ``SELECT`` of the replies of the threads on the page. Both answer the
page's (kind, id, reply ids) sequence. Until 2026-11 the reference read neither the replies nor the
user names (ours read both): it does now, as ours does.

The data is the workload's own: a team named ``TEAM_NAME`` in the industrial BU with its 2,000
entries and ``REPLIES`` replies (one to every fourth comment), created once with ``bulk_create``
and reused by later runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

from bench import viewers
from bench.core import Context, Workload, placeholders

TEAM_NAME = "基准·动态时间线·回复"
PER_KIND = 1_000
REPLIES = PER_KIND // 4
PAGE = 20

# one SELECT per timeline source, the displayed columns, newest first
SOURCES_SQL = {
    "change": (
        "SELECT a.id, a.created_at, a.kind, a.verb, a.changes, a.request_id, u.display_name, u.username "
        "FROM core_auditentry a LEFT JOIN org_user u ON u.id = a.actor_id "
        "WHERE a.content_type_id = %s AND a.object_id = %s "
        f"ORDER BY a.created_at DESC, a.id DESC LIMIT {PAGE + 1}"
    ),
    "comment": (
        "SELECT c.id, c.created_at, c.body_html, c.edited_at, c.deleted_at, u.display_name, u.username "
        "FROM collaboration_comment c JOIN org_user u ON u.id = c.author_id "
        "WHERE c.content_type_id = %s AND c.object_id = %s AND c.parent_id IS NULL "
        f"ORDER BY c.created_at DESC, c.id DESC LIMIT {PAGE + 1}"
    ),
    "file": (
        "SELECT f.id, f.created_at, f.name, f.size, f.deleted_at, u.display_name, u.username, d.display_name "
        "FROM collaboration_attachment f JOIN org_user u ON u.id = f.uploader_id "
        "LEFT JOIN org_user d ON d.id = f.deleted_by_id WHERE f.content_type_id = %s AND f.object_id = %s "
        f"ORDER BY f.created_at DESC, f.id DESC LIMIT {PAGE + 1}"
    ),
    "task": (
        "SELECT t.id, t.created_at, t.title, t.status, t.priority, t.due_at, u.display_name, u.username "
        "FROM collaboration_task t JOIN org_user u ON u.id = t.assignee_id "
        "WHERE t.content_type_id = %s AND t.object_id = %s "
        f"ORDER BY t.created_at DESC, t.id DESC LIMIT {PAGE + 1}"
    ),
}
# sources that show nothing on this workload's record (a team): ours returns at once, without a query
SOURCES_SQL_NONE = {"follow_up"}  # follow-ups are on leads, customers and contacts only
REPLIES_SQL = (
    "SELECT r.id, r.parent_id, r.created_at, r.body_html, r.edited_at, r.deleted_at, u.display_name, u.username "
    "FROM collaboration_comment r JOIN org_user u ON u.id = r.author_id "
    "WHERE r.content_type_id = %s AND r.object_id = %s AND r.parent_id IN ({ids}) ORDER BY r.parent_id, r.id"
)


def _load(team: Any, actor: Any) -> None:
    """1,000 audit entries and 1,000 comments, alternating one minute apart, and a reply to every
    fourth comment half a minute later (bulk inserts; the append-only audit trail takes its time as
    rows are written, so the clock is set per row)."""
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
        threads = Comment.objects.bulk_create(notes, batch_size=500)
    replies = [
        Comment(
            content_type=ct,
            object_id=str(team.pk),
            author=actor,
            parent=thread,
            body=f"收到，{i} 号线明天排产",
            body_html=render(f"收到，{i} 号线明天排产"),
        )
        for i, thread in enumerate(threads[::4])
    ]
    with mock.patch("django.utils.timezone.now", side_effect=[t + timedelta(seconds=90) for t in at[::4]]):
        Comment.objects.bulk_create(replies, batch_size=500)


def setup(ctx: Context) -> dict[str, Any]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from xietong.collaboration import registry, timeline
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
    kinds = {source.kind for source in timeline.sources()}
    kinds -= SOURCES_SQL_NONE
    if not kinds <= set(SOURCES_SQL):  # a new source must be on the reference's page too
        raise LookupError(f"the reference has no SELECT for the timeline kinds {sorted(kinds - set(SOURCES_SQL))}")
    record = timeline.resolve_record(head.user, registry.record_key(team))  # as the view and the API do
    ct_id = ContentType.objects.get_for_model(team).pk
    return {"user": head.user, "team": record, "params": [ct_id, str(team.pk)], "kinds": sorted(kinds)}


def ours(ctx: Context) -> list[tuple[str, int, tuple[int, ...]]]:
    from xietong.collaboration import timeline

    page = timeline.timeline_page(user=ctx.state["user"], record=ctx.state["team"])
    answer = []
    for entry in page.entries:
        shown = (entry.text, str(entry.actor or ""))  # what the API shows (and the panel, with the replies)
        replies = entry.obj.replies if entry.kind == "comment" else []
        assert all(shown) and all(str(reply.author) for reply in replies)
        answer.append((entry.kind, entry.id, tuple(reply.pk for reply in replies)))
    return answer


def reference(ctx: Context) -> list[tuple[str, int, tuple[int, ...]]]:
    params = ctx.state["params"]
    rows = []
    for kind in ctx.state["kinds"]:
        rows += [(r[1], kind, r[0]) for r in ctx.sql(SOURCES_SQL[kind], params)]
    rows.sort(reverse=True)
    page = [(kind, pk) for _at, kind, pk in rows[:PAGE]]
    threads = [pk for kind, pk in page if kind == "comment"]
    replies: dict[int, list[int]] = {}
    if threads:
        for r in ctx.sql(REPLIES_SQL.format(ids=placeholders(len(threads))), [*params, *threads]):
            replies.setdefault(r[1], []).append(r[0])
    return [(kind, pk, tuple(replies.get(pk, ())) if kind == "comment" else ()) for kind, pk in page]


WORKLOAD = Workload(
    name="record_timeline",
    description="first page (20) of a record timeline with 2,000 entries vs hand-written SELECTs merged",
    goal_ratio=1.5,
    setup=setup,
    contestants={"ours": ours, "reference": reference},
)
