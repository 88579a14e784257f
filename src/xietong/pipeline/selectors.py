"""Reads of the pipeline, visibility applied: the opportunity list with its filters, the board (a
column per stage with count, amounts and the top cards), an opportunity with what its page shows,
and pipeline health (stale, overdue, too long in a stage).

Every read starts from ``Opportunity.objects.visible_to(user)``: the board, the list, the exports,
the API and the forecast agree about which opportunities a user sees.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Sum, When
from django.utils import timezone

from xietong.core.errors import NotFound
from xietong.core.visibility import members_of

from .choices import OpportunityStatus, StageKind
from .models import DealTeamMember, Opportunity, OpportunityLine, SalesProcess, Stage

SCOPES = ("all", "mine", "team")
STATUSES = ("open", "won", "lost", "closed", "all")
BOARD_CARDS = 20  # cards per column on the first board page
CENT = Decimal("0.01")
CLOSED_DAYS = 30  # won and lost columns show what closed in the last 30 days (unless a close month is chosen)
STALE_DAYS = 14  # no activity for this long: stale


def visible_processes(user: Any) -> QuerySet[SalesProcess]:
    return (
        SalesProcess.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("business_unit")
        .order_by("business_unit__name", "-is_default", "name")
    )


def process_get(*, user: Any, pk: int) -> SalesProcess:
    process = visible_processes(user).filter(pk=pk).first()
    if process is None:
        raise NotFound()
    return process


def default_process_for(user: Any) -> SalesProcess | None:
    """The process a user's board opens with: their BU's default, else the first they see."""
    processes = list(visible_processes(user))
    mine = [p for p in processes if p.business_unit_id == user.business_unit_id]
    pick = next((p for p in mine if p.is_default), None) or next(iter(mine or processes), None)
    return pick


def month_range(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=pycalendar.monthrange(first.year, first.month)[1])


def opportunity_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    scope: str = "all",
    owner: Any = None,
    team: Any = None,
    business_unit: Any = None,
    process: Any = None,
    stage: Any = None,
    status: str = "open",
    close_month: date | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    product_line: str = "",
    customer: Any = None,
) -> QuerySet[Opportunity]:
    """The opportunities ``user`` sees, filtered. ``scope``: all, mine (owned or on the deal team)
    or team (owned by people in the teams the user manages, or else their own teams, sub-teams
    included). ``status``: open (default), won, lost, closed or all."""
    qs = Opportunity.objects.visible_to(user, action)
    if scope == "mine":
        # membership as a subquery, not a join: a join repeats a deal once per member, and sums over
        # ``values()`` would count it that many times (DISTINCT does not reach them)
        on_team = DealTeamMember.objects.filter(user_id=user.pk).values("opportunity_id")
        qs = qs.filter(Q(owner_id=user.pk) | Q(pk__in=on_team))
    elif scope == "team":
        access = user.access
        paths = access.managed_paths or [t.path for t in access.teams]
        # the people as a list (one small query): the planner then reads their deals by the owner index
        # instead of filtering every deal of the process through a subquery
        people = {user.pk, *members_of(paths=paths).values_list("user_id", flat=True)}
        qs = qs.filter(owner_id__any_of=sorted(people))
    if status == "closed":
        qs = qs.exclude(status=OpportunityStatus.OPEN)
    elif status in OpportunityStatus.values:
        qs = qs.filter(status=status)
    if owner is not None:
        qs = qs.filter(owner_id=getattr(owner, "pk", owner))
    if team is not None:
        qs = qs.filter(owner_id__in=members_of(paths=[team.path]))
    if business_unit is not None:
        qs = qs.filter(business_unit_id=getattr(business_unit, "pk", business_unit))
    if process is not None:
        qs = qs.filter(process_id=getattr(process, "pk", process))
    if stage is not None:
        qs = qs.filter(stage_id=getattr(stage, "pk", stage))
    if customer is not None:
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if close_month is not None:
        close_from, close_to = month_range(close_month)
    if close_from is not None:
        qs = qs.filter(expected_close__gte=close_from)
    if close_to is not None:
        qs = qs.filter(expected_close__lte=close_to)
    if amount_min is not None:
        qs = qs.filter(amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(amount__lte=amount_max)
    if product_line:
        qs = qs.filter(
            pk__in=OpportunityLine.objects.filter(product__product_line=product_line).values("opportunity_id")
        )
    term = q.strip()
    if term:
        qs = qs.filter(
            Q(name__icontains=term) | Q(customer__name__icontains=term) | Q(customer__short_name__icontains=term)
        )
    return qs.select_related("customer", "owner", "stage", "business_unit")


# --- the board ----------------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


# what a card shows (pipeline/partials/card.html) and its health needs (``health_of``)
CARD_FIELDS = (
    "name",
    "amount",
    "probability",
    "expected_close",
    "status",
    "stage",
    "stage_entered_at",
    "last_activity_at",
    "closed_at",
    "customer__name",
    "owner__username",
    "owner__display_name",
    "stage__name",
    "stage__kind",
    "stage__expected_days",
)


def board(*, user: Any, process: SalesProcess, per_column: int = BOARD_CARDS, **filters: Any) -> list[Column]:
    """A column per stage of ``process``: how many opportunities, their amount and weighted amount, and
    the top ``per_column`` cards by amount. A fixed number of queries whatever the size: the stages;
    the sums per stage (one pass over the visible opportunities of the process, grouped without a sort);
    the ids of each non-empty stage's top cards, each read in amount order from the board index until
    it has enough (on PostgreSQL one statement, an array per stage; elsewhere one query per stage); and
    the cards' columns for those few. On PostgreSQL both
    passes are index-only: the two board indexes carry what the visibility rules, the board filter and
    the sums read (docs/subsystems/pipeline.md). Won and lost columns hold what closed in the last
    ``CLOSED_DAYS`` days unless a close month or dates are chosen."""
    filters = {k: v for k, v in filters.items() if k != "status"}
    stages = list(process.stages.order_by("position"))
    rows = opportunity_list(user=user, process=process, status="all", **filters)
    since = None
    if not any(filters.get(k) for k in ("close_month", "close_from", "close_to")):
        since = timezone.now() - timedelta(days=CLOSED_DAYS)
        rows = rows.filter(Q(status=OpportunityStatus.OPEN) | Q(closed_at__gte=since))
    rows = rows.order_by()
    columns = {s.pk: Column(stage=s) for s in stages}
    # grouped by probability too (a stage's deals have a few): the weighted sum is Σ probability ×
    # Σ amount, exact, with no multiplication per row in the database
    weighted: dict[int, Decimal] = {}
    for stage_id, probability, n, total in rows.values_list("stage_id", "probability").annotate(
        n=Count("pk"), total=Sum("amount")
    ):
        column = columns.get(stage_id)
        if column is not None:
            column.count += n
            column.amount += total
            weighted[stage_id] = weighted.get(stage_id, Decimal("0")) + total * probability
    for stage_id, column in columns.items():
        column.amount = column.amount.quantize(CENT, ROUND_HALF_UP)
        column.weighted = (weighted.get(stage_id, Decimal("0")) / 100).quantize(CENT, ROUND_HALF_UP)
    filled = [stage_id for stage_id, column in columns.items() if column.count]
    if not filled:
        return [columns[s.pk] for s in stages]
    ranked = rows.order_by("-amount", "-pk").values_list("pk", flat=True)
    # a won or lost column holds what closed lately: read from the closed index by date, not by amount
    recent = ranked.filter(closed_at__gte=since) if since is not None else ranked
    if connection.vendor == "postgresql":
        # one statement, planned once: per stage, an array of its top ids
        per_stage = Stage.objects.filter(pk__in=filled).annotate(
            top=Case(
                When(kind=StageKind.OPEN, then=ArraySubquery(ranked.filter(stage_id=OuterRef("pk"))[:per_column])),
                default=ArraySubquery(recent.filter(stage_id=OuterRef("pk"))[:per_column]),
            )
        )
        top = [pk for ids in per_stage.values_list("top", flat=True) for pk in ids]
    else:
        kinds = {s.pk: s.kind for s in stages}
        top = [
            pk
            for stage_id in filled
            for pk in (ranked if kinds[stage_id] == StageKind.OPEN else recent).filter(stage_id=stage_id)[:per_column]
        ]
    cards = (
        Opportunity.objects.filter(pk__in=top)
        .select_related("customer", "owner", "stage")
        .only(*CARD_FIELDS)
        .order_by("stage_id", "-amount", "-pk")
    )
    for card in cards:
        columns[card.stage_id].cards.append(card)
    return [columns[s.pk] for s in stages]


def column_cards(
    *,
    user: Any,
    process: SalesProcess,
    stage: Stage,
    after: tuple[Decimal, int] | None,
    limit: int = BOARD_CARDS,
    **filters: Any,
) -> list[Opportunity]:
    """More cards of one column, after the (amount, id) of the last card shown."""
    filters = {k: v for k, v in filters.items() if k != "status"}
    rows = opportunity_list(user=user, process=process, status="all", stage=stage, **filters)
    if not any(filters.get(k) for k in ("close_month", "close_from", "close_to")) and stage.kind != StageKind.OPEN:
        rows = rows.filter(closed_at__gte=timezone.now() - timedelta(days=CLOSED_DAYS))
    if after is not None:
        amount, pk = after
        rows = rows.filter(Q(amount__lt=amount) | Q(amount=amount, pk__lt=pk))
    return list(rows.order_by("-amount", "-pk")[:limit])


# --- one opportunity -------------------------------------------------------------------------------------


def opportunity_get(*, user: Any, pk: int, action: str = "view") -> Opportunity:
    found = (
        Opportunity.objects.visible_to(user, action)
        .select_related("customer", "owner", "stage", "process", "business_unit", "lead")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def can_edit(user: Any, opportunity: Opportunity) -> bool:
    return Opportunity.objects.visible_to(user, "edit").filter(pk=opportunity.pk).exists()


# --- pipeline health ----------------------------------------------------------------------------------------


def health_q(now: Any = None, stale_days: int = STALE_DAYS) -> dict[str, Q]:
    """The conditions of an unhealthy open opportunity, by name: stale (no activity for
    ``stale_days``), overdue (the expected close date passed), slow (longer in its stage than the
    stage expects)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # per stage (a process has a handful): portable, and each arm uses the board index's stage column
    slow = Q(pk__in=[])
    for stage_id, days in Stage.objects.filter(kind=StageKind.OPEN, expected_days__isnull=False).values_list(
        "pk", "expected_days"
    ):
        slow |= Q(stage_id=stage_id, stage_entered_at__lt=now - timedelta(days=days or 0))
    return {
        "stale": Q(last_activity_at__lt=now - timedelta(days=stale_days)) | Q(last_activity_at__isnull=True),
        "overdue": Q(expected_close__lt=today),
        "slow": slow,
    }


def unhealthy(*, user: Any, scope: str = "mine", now: Any = None) -> QuerySet[Opportunity]:
    """Open opportunities of ``user`` (``scope`` mine) or of their team (``team``) that are stale,
    overdue or too long in their stage, oldest activity first."""
    conditions = health_q(now)
    qs = opportunity_list(user=user, scope=scope, status="open")
    return qs.filter(conditions["stale"] | conditions["overdue"] | conditions["slow"]).order_by(
        F("last_activity_at").asc(nulls_first=True), "pk"
    )


def health_of(opportunity: Opportunity, now: Any = None) -> list[str]:
    """Which health conditions one open opportunity meets (codes: stale, overdue, slow)."""
    if opportunity.status != OpportunityStatus.OPEN:
        return []
    now = now or timezone.now()
    out = []
    last = opportunity.last_activity_at
    if last is None or last < now - timedelta(days=STALE_DAYS):
        out.append("stale")
    if opportunity.expected_close is not None and opportunity.expected_close < timezone.localdate(now):
        out.append("overdue")
    days = opportunity.stage.expected_days
    if days is not None and opportunity.stage_entered_at < now - timedelta(days=days):
        out.append("slow")
    return out


# --- filter choices -------------------------------------------------------------------------------------


def product_line_choices(user: Any) -> list[str]:
    """The product lines of the products ``user`` sees, for the board's and the list's filter (one query)."""
    from xietong.catalog.models import Product

    return list(
        Product.objects.visible_to(user)
        .exclude(product_line="")
        .order_by("product_line")
        .values_list("product_line", flat=True)
        .distinct()
    )
