"""Pipeline analysis (商机分析): stage conversion, time in stage and pipeline velocity, read from the
stage history (``StageMove``). Pure reads; the page (``views/analytics.py``) and the API
(``analytics_api.py``) show exactly what ``pipeline_analysis`` returns.

What counts (every rule here is the one the page, the API and the tests use):

- **Cohort**: the opportunities of one sales process *created* in the period (local dates, both
  ends included; default: the last ``DEFAULT_DAYS`` days up to today) that the viewer sees, narrowed
  by the board's scope, owner and team (``selectors.opportunity_list``). Every number below is about
  these deals, so the funnel, the times and the velocity describe the same opportunities.
- **Reached**: a deal reached an open stage when it ever entered that stage or a later open one
  (the ``to_stage`` of its moves, skipped stages included); a won deal reached every stage. Its
  *furthest* stage is the last open stage it reached. For each open stage: *moved on* = the deals
  that reached the next stage (after the last open stage: won), conversion = moved on / reached,
  and the rest stayed behind there — *lost* (lost with this as their furthest stage) or *still
  open* — so reached = moved on + lost + still open. A deal without any move (never the case for
  deals made by the services) counts in the cohort but in no stage.
- **Win rate**: won / (won + lost) of the cohort's closed deals.
- **Time in stage**: the completed stays: a move out of an open stage records the seconds spent
  in it (``seconds_in_from``). A deal still in a stage has not completed that stay and is left out;
  a deal that entered a stage twice has two stays. Average and median, in days.
- **Pipeline velocity** (the classic formula): open deals × average won amount × win rate ÷
  average sales cycle (days from created to won, of the won deals) — the money the cohort's open
  deals are expected to bring per day. It is computed from the exact sums (one division, rounded
  to the cent half up); its parts are shown rounded (amounts to the cent, percentages and days to
  one decimal). Without a won deal, or with a cycle of zero, there is no velocity (``None``).

Three queries (four with the team scope, whose members ``opportunity_list`` reads first), whatever
the number of deals: the stages; the cohort grouped by (furthest stage, status) with counts, amounts
and summed sales cycles — the funnel and the velocity; and the stays per stage. The median is taken
in the database too, portably on SQLite and PostgreSQL (which have no common median aggregate): the
stays of each stage are numbered with window functions (``ROW_NUMBER`` and ``COUNT`` over the
stage), and only the one or two middle rows of each stage come back, carrying the stage's count and
sum for the average. Python then adds a handful of rows per stage, never one row per deal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, OuterRef, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.org.policies import require

from . import selectors
from .choices import OpportunityStatus, StageKind
from .models import CENT, HUNDRED, Opportunity, SalesProcess, Stage, StageMove

MODULE = "opportunities"
DEFAULT_DAYS = 90  # the period when none is given: the last 90 days, today included
TENTH = Decimal("0.1")
SECONDS_PER_DAY = 86400
MICROSECONDS_PER_DAY = SECONDS_PER_DAY * 1_000_000

SALES_CYCLE = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


# --- the period -------------------------------------------------------------------------------------


def analysis_period(
    *, date_from: dt.date | None = None, date_to: dt.date | None = None, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The period's first and last day: ``date_to`` defaults to today, ``date_from`` to
    ``DEFAULT_DAYS`` days up to ``date_to``. A period that ends before it starts is a
    ``ValidationError`` on ``date_from``."""
    end = date_to or today or timezone.localdate()
    start = date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError({"date_from": _("The period starts after it ends.")})
    return start, end


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- the numbers -------------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, to one decimal (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def days(seconds: Decimal | int) -> Decimal:
    """Seconds as days, to one decimal (half up)."""
    return (Decimal(seconds) / SECONDS_PER_DAY).quantize(TENTH, ROUND_HALF_UP)


def _microseconds(value: dt.timedelta) -> int:
    """A duration as whole microseconds (exact: no float on the way)."""
    return (value.days * SECONDS_PER_DAY + value.seconds) * 1_000_000 + value.microseconds


@dataclass(frozen=True)
class StageTime:
    """The completed stays in a stage: how many, their average and median in days."""

    stays: int = 0
    average_days: Decimal | None = None
    median_days: Decimal | None = None


@dataclass(frozen=True)
class StageRow:
    """One step of the funnel: an open stage, or the won stage at the end (``moved_on`` None)."""

    stage: Stage
    reached: int
    reached_percent: Decimal | None  # of the cohort: the width of the funnel's bar
    moved_on: int | None
    lost: int
    still_open: int
    time: StageTime

    @property
    def conversion(self) -> Decimal | None:
        """The percentage of the deals that reached the stage and went on to the next one."""
        return None if self.moved_on is None else percent(self.moved_on, self.reached)

    @property
    def is_won(self) -> bool:
        return self.stage.kind == StageKind.WON


@dataclass(frozen=True)
class Velocity:
    """Pipeline velocity and its parts (see the module docstring)."""

    open_count: int
    won_count: int
    lost_count: int
    win_rate: Decimal | None  # percent: won / (won + lost)
    average_won_amount: Decimal | None
    average_cycle_days: Decimal | None
    per_day: Decimal | None


@dataclass(frozen=True)
class Analysis:
    process: SalesProcess
    date_from: dt.date
    date_to: dt.date
    count: int  # the cohort: deals created in the period
    amount: Decimal
    won_amount: Decimal
    stages: list[StageRow]  # the open stages in order, then the won stage
    velocity: Velocity


# --- the analysis ---------------------------------------------------------------------------------------


def cohort_ids(
    *, user: Any, process: SalesProcess, date_from: dt.date, date_to: dt.date, **filters: Any
) -> QuerySet[Opportunity, Any]:
    """The ids of the opportunities of ``process`` created from ``date_from`` to ``date_to`` (local
    days) that ``user`` sees, narrowed by ``filters`` (``scope``, ``owner``, ``team``: as the
    board's). Ids, to be used as ``pk IN (…)``: the aggregates then group the opportunities
    themselves, without the joins of a scope ("mine" reads the deal team, whose rows would count a
    deal once per member)."""
    return (
        selectors.opportunity_list(user=user, process=process, status="all", **filters)
        .filter(
            created_at__gte=_local_midnight(date_from),
            created_at__lt=_local_midnight(date_to + dt.timedelta(days=1)),
        )
        .values("pk")
    )


def _furthest_open_position() -> Subquery:
    """Per opportunity: the position of the last open stage it ever entered."""
    return Subquery(
        StageMove.objects.filter(opportunity_id=OuterRef("pk"), to_stage__kind=StageKind.OPEN)
        .order_by()
        .values("opportunity_id")
        .annotate(furthest=Max("to_stage__position"))
        .values("furthest")
    )


def _stage_times(ids: QuerySet[Opportunity, Any]) -> dict[int, StageTime]:
    """The completed stays per open stage (by stage id) of the opportunities ``ids``, from the middle
    one or two stays of each stage, numbered by the database (see the module docstring)."""
    stays = StageMove.objects.filter(
        opportunity_id__in=ids, from_stage__kind=StageKind.OPEN, seconds_in_from__isnull=False
    ).order_by()
    by_stage = [F("from_stage_id")]
    middle = (
        stays.annotate(
            row=Window(RowNumber(), partition_by=by_stage, order_by=[F("seconds_in_from").asc(), F("pk").asc()]),
            stays=Window(Count("pk"), partition_by=by_stage),
            total=Window(Sum("seconds_in_from"), partition_by=by_stage),
        )
        # the middle rows: n odd → row (n + 1) / 2; n even → rows n / 2 and n / 2 + 1
        .filter(stays__lte=F("row") * 2, stays__gte=F("row") * 2 - 2)
        .values_list("from_stage_id", "stays", "total", "seconds_in_from")
    )
    found: dict[int, tuple[int, int, list[int]]] = {}
    for stage_id, count, total, seconds in middle:
        found.setdefault(stage_id, (count, total, []))[2].append(cast(int, seconds))  # never null: filtered
    return {
        stage_id: StageTime(
            stays=count,
            average_days=days(Decimal(total) / count),
            median_days=days(Decimal(sum(values)) / len(values)),
        )
        for stage_id, (count, total, values) in found.items()
    }


def _velocity(open_count: int, won_count: int, lost_count: int, won_amount: Decimal, cycle: int) -> Velocity:
    """The velocity from exact sums (``cycle``: the won deals' sales cycles in microseconds):
    open × (won amount / won) × (won / closed) ÷ (cycle / won) = open × won amount × won ÷ (closed ×
    cycle), one division."""
    closed = won_count + lost_count
    per_day = None
    if won_count and cycle > 0:
        per_day = (
            Decimal(open_count) * won_amount * won_count * MICROSECONDS_PER_DAY / (Decimal(closed) * cycle)
        ).quantize(CENT, ROUND_HALF_UP)
    return Velocity(
        open_count=open_count,
        won_count=won_count,
        lost_count=lost_count,
        win_rate=percent(won_count, closed),
        average_won_amount=(won_amount / won_count).quantize(CENT, ROUND_HALF_UP) if won_count else None,
        average_cycle_days=(Decimal(cycle) / MICROSECONDS_PER_DAY / won_count).quantize(TENTH, ROUND_HALF_UP)
        if won_count
        else None,
        per_day=per_day,
    )


def pipeline_analysis(
    *, user: Any, process: SalesProcess, date_from: dt.date, date_to: dt.date, **filters: Any
) -> Analysis:
    """The analysis of ``process`` (from ``selectors.process_get``: one the user sees) for the deals
    created from ``date_from`` to ``date_to`` that ``user`` sees, with the board's ``scope``,
    ``owner`` and ``team`` filters."""
    require(user, MODULE, "view")
    stages = list(process.stages.order_by("position"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won_stage = next((s for s in stages if s.kind == StageKind.WON), None)
    ids = cohort_ids(user=user, process=process, date_from=date_from, date_to=date_to, **filters)

    # the funnel and the velocity: the cohort grouped by (furthest open stage, status)
    step_of = {s.position: i for i, s in enumerate(open_stages)}
    won_step = len(open_stages)
    at_step: dict[tuple[int, str], int] = defaultdict(int)  # (step, status) → deals
    count, amount, won_amount, cycle = 0, Decimal("0.00"), Decimal("0.00"), 0
    by_status: dict[str, int] = defaultdict(int)
    for row in (
        Opportunity.objects.filter(pk__in=ids)
        .annotate(furthest=_furthest_open_position())
        .values("furthest", "status")
        .annotate(n=Count("pk"), amount=Sum("amount"), cycle=Sum(SALES_CYCLE))
        .order_by()
    ):
        status, n = row["status"], row["n"]
        count += n
        amount += row["amount"]
        by_status[status] += n
        if status == OpportunityStatus.WON:
            won_amount += row["amount"]
            cycle += _microseconds(row["cycle"]) if row["cycle"] is not None else 0
            at_step[won_step, status] += n
        elif row["furthest"] in step_of:
            at_step[step_of[row["furthest"]], status] += n

    # a deal reached every step up to its furthest
    reached = [sum(n for (at, _status), n in at_step.items() if at >= step) for step in range(won_step + 1)]
    times = _stage_times(ids)
    rows = [
        StageRow(
            stage=stage,
            reached=reached[step],
            reached_percent=percent(reached[step], count),
            moved_on=reached[step + 1],
            lost=at_step[step, OpportunityStatus.LOST],
            still_open=at_step[step, OpportunityStatus.OPEN],
            time=times.get(stage.pk, StageTime()),
        )
        for step, stage in enumerate(open_stages)
    ]
    if won_stage is not None:
        won = by_status[OpportunityStatus.WON]
        rows.append(
            StageRow(
                stage=won_stage,
                reached=won,
                reached_percent=percent(won, count),
                moved_on=None,
                lost=0,
                still_open=0,
                time=StageTime(),
            )
        )
    return Analysis(
        process=process,
        date_from=date_from,
        date_to=date_to,
        count=count,
        amount=amount,
        won_amount=won_amount,
        stages=rows,
        velocity=_velocity(
            by_status[OpportunityStatus.OPEN],
            by_status[OpportunityStatus.WON],
            by_status[OpportunityStatus.LOST],
            won_amount,
            cycle,
        ),
    )
