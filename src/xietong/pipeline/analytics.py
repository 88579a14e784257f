"""Pipeline analysis (商机分析): stage conversion, time in stage and pipeline velocity, read from the
stage history (``StageMove``), and the win-loss breakdown (赢输单分析) of the closed deals. Pure reads;
the page (``views/analytics.py``) and the API (``analytics_api.py``) show exactly what
``pipeline_analysis`` returns.

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
- **Win-loss**: the won and lost deals of the cohort with their amounts; win rate by count (as
  above) and by amount = won amount / (won + lost amount). The lost deals per ``lost_reason`` (an
  empty reason is a row of its own), with their share of the lost deals, by count then amount; and
  per competitor who won (``lost_to``), the top ``TOP_COMPETITORS`` by count then amount, the rest
  summed in one row, and the deals lost without a competitor named apart. Competitors are compared
  without the surrounding whitespace and case-insensitively ("ABB", " abb" are one competitor),
  shown in their most frequent spelling (on a tie, the first in code point order: "ABB" before
  "Abb").

Five queries (six with the team scope, whose members ``opportunity_list`` reads first), whatever
the number of deals: the stages; the cohort grouped by (furthest stage, status) with counts, amounts
and summed sales cycles — the funnel, the velocity and the won and lost amounts; the stays per
stage; the lost deals grouped by reason; and the lost deals grouped by competitor as written.

The median is taken in the database too, portably on SQLite and PostgreSQL (which have no common
median aggregate): the stays of each stage are numbered with window functions (``ROW_NUMBER`` and
``COUNT`` over the stage), and only the one or two middle rows of each stage come back, carrying the
stage's count and sum for the average. Python then adds a handful of rows per stage, never one row
per deal. The competitors' spellings are merged in Python (``str.strip``, ``str.casefold``) over
those grouped rows — one per distinct spelling, not per deal — rather than by ``TRIM``/``LOWER`` in
the query: SQLite's ``LOWER`` folds ASCII only and SQL's ``TRIM`` strips spaces only (not the
ideographic space the service strips), so SQL would merge differently on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, OuterRef, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core.dates import add_days, day_end, day_start
from xietong.org.policies import require

from . import selectors
from .choices import LostReason, OpportunityStatus, StageKind
from .models import CENT, HUNDRED, Opportunity, SalesProcess, Stage, StageMove

MODULE = "opportunities"
DEFAULT_DAYS = 90  # the period when none is given: the last 90 days, today included
TENTH = Decimal("0.1")
SECONDS_PER_DAY = 86400
MICROSECONDS_PER_DAY = SECONDS_PER_DAY * 1_000_000
TOP_COMPETITORS = 10  # the competitors shown one by one; the rest are summed in one row
ZERO = Decimal("0.00")

SALES_CYCLE = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


# --- the period -------------------------------------------------------------------------------------


def analysis_period(
    *, date_from: dt.date | None = None, date_to: dt.date | None = None, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The period's first and last day: ``date_to`` defaults to today, ``date_from`` to
    ``DEFAULT_DAYS`` days up to ``date_to``. A period that ends before it starts is a
    ``ValidationError`` on ``date_from``."""
    end = date_to or today or timezone.localdate()
    start = date_from or add_days(end, -(DEFAULT_DAYS - 1))
    if start > end:
        raise ValidationError({"date_from": _("The period starts after it ends.")})
    return start, end


# --- the numbers -------------------------------------------------------------------------------------


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` of ``whole`` in percent, to one decimal (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def days(seconds: Decimal | int) -> Decimal:
    """Seconds as days, to one decimal (half up)."""
    return (Decimal(seconds) / SECONDS_PER_DAY).quantize(TENTH, ROUND_HALF_UP)


def _money(total: Decimal) -> Decimal:
    """A database ``SUM`` of amounts as money, to the cent: SQLite answers it without the scale
    (``85000``, not ``85000.00``), PostgreSQL with it."""
    return total.quantize(CENT)


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
class LostReasonRow:
    """The lost deals of one ``lost_reason`` (``code`` "" when none was given)."""

    code: str
    label: str
    count: int
    amount: Decimal
    share: Decimal | None  # percent of the lost deals


@dataclass(frozen=True)
class CompetitorRow:
    """The deals lost to one competitor, named in its most frequent spelling."""

    name: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class OtherCompetitors:
    """The competitors past the top ``TOP_COMPETITORS``, summed."""

    competitors: int  # how many competitors the row sums
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Competitors:
    """The lost deals per competitor who won."""

    top: list[CompetitorRow]  # at most ``TOP_COMPETITORS``, by count then amount
    other: OtherCompetitors | None  # None unless there are more competitors
    none_named_count: int  # lost without a competitor named
    none_named_amount: Decimal


@dataclass(frozen=True)
class WinLoss:
    """The win-loss breakdown of the cohort's closed deals (see the module docstring)."""

    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal
    reasons: list[LostReasonRow]
    competitors: Competitors

    @property
    def win_rate(self) -> Decimal | None:
        """Won / (won + lost) by count, in percent."""
        return percent(self.won_count, self.won_count + self.lost_count)

    @property
    def win_rate_by_amount(self) -> Decimal | None:
        """Won amount / (won + lost amount), in percent: a few large losses weigh as they cost."""
        return percent(self.won_amount, self.won_amount + self.lost_amount)


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
    win_loss: WinLoss


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
            created_at__gte=day_start(date_from),
            created_at__lt=day_end(date_to),
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


def _lost_reasons(ids: QuerySet[Opportunity, Any], lost_count: int) -> list[LostReasonRow]:
    """The lost deals of ``ids`` per reason, by count then amount (then in the order of the choices,
    no reason last), labelled in the current language. A code no longer among the choices shows as
    stored, after them, as ``get_lost_reason_display`` would."""
    labels = dict(LostReason.choices)
    order = {code: i for i, code in enumerate([*labels, ""])}
    rows = [
        LostReasonRow(
            code=code,
            label=str(labels.get(code, code)) if code else _("No reason given"),
            count=n,
            amount=_money(amount),
            share=percent(n, lost_count),
        )
        for code, n, amount in Opportunity.objects.filter(pk__in=ids, status=OpportunityStatus.LOST)
        .values_list("lost_reason")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    ]
    return sorted(rows, key=lambda r: (-r.count, -r.amount, order.get(r.code, len(order))))


def _competitors(ids: QuerySet[Opportunity, Any]) -> Competitors:
    """The lost deals of ``ids`` per competitor who won. The database groups by the name as written;
    the spellings of one competitor merge here (see the module docstring for why not in SQL)."""
    deals: dict[str, Counter[str]] = defaultdict(Counter)  # competitor → its spellings → deals
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for written, n, amount in (
        Opportunity.objects.filter(pk__in=ids, status=OpportunityStatus.LOST)
        .values_list("lost_to")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    ):
        spelling = written.strip()
        deals[spelling.casefold()][spelling] += n
        amounts[spelling.casefold()] += _money(amount)
    none_named = deals.pop("", Counter())
    ranked = sorted(
        (
            CompetitorRow(
                name=min(spelled, key=lambda s: (-spelled[s], s)),  # the most frequent, then the first
                count=spelled.total(),
                amount=amounts[key],
            )
            for key, spelled in deals.items()
        ),
        key=lambda row: (-row.count, -row.amount, row.name),
    )
    rest = ranked[TOP_COMPETITORS:]
    other = None
    if rest:
        other = OtherCompetitors(
            competitors=len(rest), count=sum(r.count for r in rest), amount=sum((r.amount for r in rest), ZERO)
        )
    return Competitors(
        top=ranked[:TOP_COMPETITORS],
        other=other,
        none_named_count=none_named.total(),
        none_named_amount=amounts.pop("", ZERO),
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

    # the funnel, the velocity and the won and lost amounts: the cohort grouped by (furthest open stage, status)
    step_of = {s.position: i for i, s in enumerate(open_stages)}
    won_step = len(open_stages)
    at_step: dict[tuple[int, str], int] = defaultdict(int)  # (step, status) → deals
    count, amount, cycle = 0, ZERO, 0
    by_status: dict[str, int] = defaultdict(int)
    amount_by_status: dict[str, Decimal] = defaultdict(lambda: ZERO)
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
        amount_by_status[status] += row["amount"]
        if status == OpportunityStatus.WON:
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
    won_count, won_amount = by_status[OpportunityStatus.WON], amount_by_status[OpportunityStatus.WON]
    lost_count = by_status[OpportunityStatus.LOST]
    if won_stage is not None:
        rows.append(
            StageRow(
                stage=won_stage,
                reached=won_count,
                reached_percent=percent(won_count, count),
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
        velocity=_velocity(by_status[OpportunityStatus.OPEN], won_count, lost_count, won_amount, cycle),
        win_loss=WinLoss(
            won_count=won_count,
            won_amount=won_amount,
            lost_count=lost_count,
            lost_amount=amount_by_status[OpportunityStatus.LOST],
            reasons=_lost_reasons(ids, lost_count),
            competitors=_competitors(ids),
        ),
    )
