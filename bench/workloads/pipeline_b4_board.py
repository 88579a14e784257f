"""B4: the kanban board of a team, and a stage move.

Data (``bench/pipeline_data.py``): as many opportunities as the scale says (4,000 at smoke, 100,000,
1,000,000) on the CRM data set's customers; 5 % are owned by the members of the industrial BU's
华东大区, whose regional manager is the viewer.

Ours: ``pipeline.selectors.board(user=<the 华东大区 manager>, process=<the BU's standard process>,
scope="team")`` fully evaluated — the selector the board page and its API use (two queries: the
count, amount and weighted amount per stage, then the top 20 cards per stage with the customer,
owner, stage and BU joined, numbered by a window function) — ``REQUESTS`` times per call; the
figure is the **p95** of those.

Reference: one hand-written SQL statement through psycopg (SQLite: Django's connection), with the
same visibility predicate as ours ran (in the BU, the viewer's own opportunities and those of the
members of the teams they manage and their sub-teams; those shared with them or their teams; those
whose deal team they are on), the same board filter (open, or closed
in the last 30 days) and the same order: a CTE of the visible rows, ``GROUP BY`` stage for the counts
and sums, ``row_number()`` per stage for the top 20 cards with the customer's and the owner's names,
``REQUESTS`` times, p95.

Goal: ≤ 1.5× the reference; checks: the board p95 ≤ 40 ms and a stage move p99 ≤ 15 ms — ours is
``pipeline.services.opportunity_move`` by the card's owner (a rep of the team) back and forth between
需求确认 and 初步接洽 (the forward gate met: a contact on the deal and the required checklist ticked,
so every forward move checks the gate), ``MOVES`` moves measured after the rounds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bench import pipeline_data
from bench.core import Check, Context, Measured, Skip, VerificationError, Workload, placeholders
from bench.workloads import crm_support

REQUESTS = 20
MOVES = {"demo": 100, "smoke": 200, "100k": 400, "1M": 400}
GOAL_P95 = 0.040
GOAL_MOVE_P99 = 0.015
CARDS = 20
CLOSED_DAYS = 30

# One statement: the visible rows of the process (the viewer's scope), the column sums, and the top
# cards of every column with the names a card shows (looked up per card, so only the top cards are joined).
REFERENCE_SQL = """
WITH visible AS (
    SELECT o.id, o.stage_id, o.amount, o.probability, o.name, o.expected_close, o.customer_id, o.owner_id
    FROM pipeline_opportunity o
    WHERE o.process_id = %s
      AND (o.status = 'open' OR o.closed_at >= %s)
      AND (
        (
          o.business_unit_id = %s
          AND (
            o.owner_id = %s
            OR o.owner_id IN (
                SELECT m.user_id FROM org_teammembership m JOIN org_team t ON t.id = m.team_id
                WHERE t.path LIKE %s
            )
          )
        )
        OR o.id IN (
            SELECT r.object_id FROM core_recordshare r
            WHERE r.content_type_id = %s AND (r.user_id = %s OR r.team_id IN ({teams}))
              AND (r.until IS NULL OR r.until >= %s)
        )
        OR o.id IN (SELECT d.opportunity_id FROM pipeline_dealteammember d WHERE d.user_id = %s)
      )
),
sums AS (
    SELECT stage_id, COUNT(*) AS n, SUM(amount) AS total, SUM(amount * probability / 100) AS weighted
    FROM visible GROUP BY stage_id
),
ranked AS (
    SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.stage_id ORDER BY v.amount DESC, v.id DESC) AS rk
    FROM visible v
)
SELECT s.stage_id, s.n, s.total, s.weighted, r.id, r.name, r.amount, r.expected_close,
       (SELECT c.name FROM customers_customer c WHERE c.id = r.customer_id),
       (SELECT u.display_name FROM org_user u WHERE u.id = r.owner_id)
FROM sums s
LEFT JOIN ranked r ON r.stage_id = s.stage_id AND r.rk <= %s
ORDER BY s.stage_id, r.rk
"""


def _setup(ctx: Context) -> dict[str, Any]:
    crm_support.dataset(ctx)
    board = crm_support.require("xietong.pipeline.selectors", "board")
    move = crm_support.require("xietong.pipeline.services", "opportunity_move")
    data = pipeline_data.load(ctx.scale, progress=lambda message: crm_support_progress(message))
    from django.db import connection

    from xietong.customers.models import Contact
    from xietong.org.models import User
    from xietong.pipeline.models import ChecklistCheck, ChecklistItem, Opportunity, OpportunityContact, SalesProcess

    if not data.skipped:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    manager = User.objects.get(pk=data.manager_id)
    _ = manager.access  # computed once per request in the app; cached on the object from here on
    process = SalesProcess.objects.get(pk=data.processes[pipeline_data.BOARD_BU])
    stages = list(process.stages.order_by("position"))
    first, second = stages[0], stages[1]
    # the card that moves: an open one of the team at the first stage, owned by a rep (not the manager)
    card = (
        Opportunity.objects.filter(
            process=process, stage=first, status="open", pk__gte=data.first_id, pk__lte=data.last_id
        )
        .exclude(owner_id=data.manager_id)
        .filter(owner__primary_team__path__startswith=data.team_path)
        .order_by("pk")
        .first()
    )
    if card is None:
        raise Skip("no open opportunity of the board team at the first stage")
    contact = Contact.objects.filter(customer_id=card.customer_id).order_by("pk").first()
    if contact is None:
        raise Skip("the card's customer has no contact")
    OpportunityContact.objects.get_or_create(opportunity=card, contact=contact, defaults={"role": "decision_maker"})
    for item in ChecklistItem.objects.filter(stage=first, required=True):
        ChecklistCheck.objects.get_or_create(opportunity=card, item=item)
    owner = User.objects.get(pk=card.owner_id)
    _ = owner.access
    from django.contrib.contenttypes.models import ContentType

    # the viewer's teams, read with plain SQL (not through Access), for the shares arm of the predicate
    teams = [r[0] for r in ctx.sql("SELECT team_id FROM org_teammembership WHERE user_id = %s", [manager.pk])]
    return {
        "viewer_teams": teams or [0],
        "content_type": ContentType.objects.get_for_model(Opportunity).pk,
        "data": data,
        "board": board,
        "move": move,
        "manager": manager,
        "process": process,
        "card": card.pk,
        "owner": owner,
        "stages": (first, second),
    }


def crm_support_progress(message: str) -> None:
    from bench import core

    core.err(f"  {message}")


def _ours_once(ctx: Context) -> list[tuple[int, int, Decimal, list[int]]]:
    s = ctx.state
    columns = s["board"](user=s["manager"], process=s["process"], scope="team")
    return [
        (c.stage.pk, c.count, c.amount, [card.pk for card in c.cards])  # every card fully loaded
        for c in columns
        if c.count
    ]


def _reference_once(ctx: Context) -> list[tuple[int, int, Decimal, list[int]]]:
    s = ctx.state
    data = s["data"]
    since = timezone.now() - timedelta(days=CLOSED_DAYS)
    if ctx.vendor != "postgresql":
        from django.db import connection

        since = connection.ops.adapt_datetimefield_value(since)
    viewer, teams = s["manager"].pk, s["viewer_teams"]
    today = timezone.localdate()
    params = [s["process"].pk, since, s["process"].business_unit_id, viewer, data.team_path + "%"]
    params += [s["content_type"], viewer, *teams, today, viewer, CARDS]
    rows = ctx.sql(REFERENCE_SQL.replace("{teams}", placeholders(len(teams))), params)
    out: dict[int, tuple[int, int, Decimal, list[int]]] = {}
    for stage_id, n, total, _weighted, card_id, *_card in rows:
        if stage_id not in out:
            out[stage_id] = (stage_id, n, Decimal(total).quantize(Decimal("0.01")), [])
        if card_id is not None:
            out[stage_id][3].append(card_id)
    positions = {st.pk: st.position for st in s["process"].stages.all()}
    return [out[k] for k in sorted(out, key=lambda pk: positions[pk])]


def _p95(ctx: Context, once: Any) -> Measured:
    times, answer = [], None
    for _ in range(REQUESTS):
        seconds, answer = crm_support.timed(lambda: once(ctx))
        times.append(seconds)
    return Measured(answer, crm_support.percentile(times, 95), {"p95": crm_support.percentile(times, 95)})


def ours(ctx: Context) -> Measured:
    return _p95(ctx, _ours_once)


def reference(ctx: Context) -> Measured:
    return _p95(ctx, _reference_once)


def _verify(answers: dict[str, Any]) -> None:
    ours_answer, ref = answers["ours"], answers["reference"]
    if ours_answer != ref or not ours_answer:
        raise VerificationError(f"pipeline_b4_board: ours {ours_answer!r:.400} vs the reference {ref!r:.400}")


def _moves(ctx: Context) -> list[float]:
    s = ctx.state
    first, second = s["stages"]
    times = []
    for n in range(MOVES.get(ctx.scale, 200)):
        target = second if n % 2 == 0 else first
        seconds, moved = crm_support.timed(
            lambda target=target: s["move"](actor=s["owner"], opportunity=s["card"], stage=target)
        )
        if moved.stage_id != target.pk:
            raise VerificationError(f"the move to {target} left the card at stage {moved.stage_id}")
        times.append(seconds)
    return times


def _checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    import statistics

    p95 = statistics.median(info["p95"] for info in infos["ours"]) if infos.get("ours") else float("nan")
    visible = sum(n for _stage, n, _amount, _cards in _ours_once(ctx))
    data = ctx.state["data"]
    move_p99 = crm_support.percentile(_moves(ctx), 99)
    return [
        Check(
            "opportunities on the team's board (of the data set's)",
            f"{visible:,} of {data.opportunities:,}",
            "about 5 %",
            True,
        ),
        Check("board p95 (ours)", f"{p95 * 1000:.2f} ms", f"≤ {GOAL_P95 * 1000:.0f} ms", p95 <= GOAL_P95),
        Check(
            f"stage move p99 (opportunity_move, {MOVES.get(ctx.scale, 200)} moves)",
            f"{move_p99 * 1000:.2f} ms",
            f"≤ {GOAL_MOVE_P99 * 1000:.0f} ms",
            move_p99 <= GOAL_MOVE_P99,
        ),
    ]


WORKLOAD = Workload(
    name="pipeline_b4_board",
    description=f"selectors.board of a team (p95 of {REQUESTS}) vs one hand-written SQL; stage move p99",
    goal_ratio=1.5,
    setup=_setup,
    contestants={"ours": ours, "reference": reference},
    verify=_verify,
    checks=_checks,
)
