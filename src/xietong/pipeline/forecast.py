"""The sales forecast: by month or quarter, rolled up the team tree, with the managers' adjustments
kept apart from the reps' numbers (Salesforce's ForecastingAdjustment) and weekly snapshots.

What counts (every rule here is the one the page, the API and the snapshots use):

- **Rows**: the opportunities the viewer sees (``Opportunity.objects.visible_to``; the snapshots
  see every opportunity) owned by a member of the team or of one of its sub-teams
  (``members_of(paths=[team.path])``).
- **Period** (a month ``2027-01`` or a quarter ``2027-Q1``): an *open* deal counts in the period of
  its expected close date, under the forecast category its owner gave it (an open deal without an
  expected close date is in no period); a *won* deal counts as **closed** on the local date it was
  won (``closed_at``); a *lost* deal counts as **omitted** on the date it was lost, like an open
  deal its owner marked omitted. Omitted deals are shown (count and amount), carry no weighted
  amount and are never in a total.
- **Money** is exact ``Decimal``: the weighted amount of a deal is amount × probability / 100
  rounded to the cent half up (``Opportunity.weighted_amount``), and sums add those cents.
- **Forecast lines** (cumulative, as Salesforce shows them): commit = closed + commit; best case =
  closed + commit + best case; open pipeline = pipeline + best case + commit. A manager's
  adjustment is a number for one of these lines of one team and month.
- **Roll-up**: a row per sub-team (recursively) and per member. A person who is a member of several
  teams of the subtree counts once: in their primary team if it is one of them, else in the
  deepest (then first by path). So a team's numbers are exactly the sum of its sub-teams' rows and
  its own members' rows.
- **Adjustments** (``ForecastAdjustment``, one per team, month and line) never replace the reps'
  numbers; a quarter's adjusted number adds, month by month, the adjustment where there is one and
  the reps' number where there is none. Adjusting needs "approve" in the opportunities module and a
  reach over the team: managing it or a team above it, or a business-unit (or group) scope covering
  its business unit.
- **Who sees the team's figures**: adjustments and the weekly movement are team totals, so they are
  shown only to viewers whose opportunities scope covers every deal of the team (``covers_team``);
  anyone else sees the deals they see, rolled up, and nothing more.
- **Snapshots** (``ForecastSnapshot``): every Monday, per active sales team, for every month from
  the start of the current quarter to two months ahead (so the current quarter is always complete):
  the team's numbers per raw category, and the adjustment of the line of the same name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit
from xietong.core.choices import DataScope
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry
from xietong.core.visibility import members_of
from xietong.org.choices import TeamType
from xietong.org.models import Team, TeamMembership
from xietong.org.policies import require

from .choices import ForecastCategory, OpportunityStatus
from .models import CENT, HUNDRED, ForecastAdjustment, ForecastSnapshot, Opportunity

MODULE = "opportunities"
ZERO = Decimal("0.00")

C = ForecastCategory
CATEGORIES: tuple[str, ...] = (C.CLOSED, C.COMMIT, C.BEST_CASE, C.PIPELINE, C.OMITTED)  # display order
COUNTED: tuple[str, ...] = (C.CLOSED, C.COMMIT, C.BEST_CASE, C.PIPELINE)  # in the totals
LINES: dict[str, tuple[str, ...]] = {  # the cumulative forecast lines a manager may adjust
    C.COMMIT: (C.CLOSED, C.COMMIT),
    C.BEST_CASE: (C.CLOSED, C.COMMIT, C.BEST_CASE),
    C.PIPELINE: (C.PIPELINE, C.BEST_CASE, C.COMMIT),
}
LINE_LABELS: dict[str, Any] = {
    C.COMMIT: gettext_lazy("Commit forecast"),
    C.BEST_CASE: gettext_lazy("Best case forecast"),
    C.PIPELINE: gettext_lazy("Open pipeline"),
}
LINE_HELP: dict[str, Any] = {
    C.COMMIT: gettext_lazy("closed + commit"),
    C.BEST_CASE: gettext_lazy("closed + commit + best case"),
    C.PIPELINE: gettext_lazy("pipeline + best case + commit (open deals)"),
}
SNAPSHOT_MONTHS_AHEAD = 2  # the current month and two more (and the rest of the current quarter)
MAX_AMOUNT = Decimal("99999999999999.99")  # 16 digits, 2 decimals


# --- periods -------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A month ("2027-01") or a quarter ("2027-Q1"): its months, first and last day."""

    code: str
    months: tuple[dt.date, ...]

    @property
    def is_quarter(self) -> bool:
        return len(self.months) > 1

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def end(self) -> dt.date:
        return add_months(self.months[-1], 1) - dt.timedelta(days=1)

    @property
    def quarter(self) -> Period:
        first = dt.date(self.start.year, (self.start.month - 1) // 3 * 3 + 1, 1)
        return Period.of_quarter(first)

    def shifted(self, n: int) -> Period:
        """The period ``n`` steps later (earlier when negative), of the same kind."""
        if self.is_quarter:
            return Period.of_quarter(add_months(self.start, 3 * n))
        return Period.of_month(add_months(self.start, n))

    @classmethod
    def of_month(cls, day: dt.date) -> Period:
        first = month_start(day)
        return cls(code=f"{first:%Y-%m}", months=(first,))

    @classmethod
    def of_quarter(cls, day: dt.date) -> Period:
        first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return cls(
            code=f"{first.year}-Q{(first.month - 1) // 3 + 1}",
            months=(first, add_months(first, 1), add_months(first, 2)),
        )

    @classmethod
    def parse(cls, text: str | None, *, today: dt.date | None = None, field: str = "period") -> Period:
        """``2027-01`` or ``2027-Q1`` (``2027-q1`` too); empty: the current month."""
        value = (text or "").strip().upper()
        if not value:
            return cls.of_month(today or timezone.localdate())
        found = re.fullmatch(r"(\d{4})-(?:(\d{2})|Q([1-4]))", value)
        if found:
            year = int(found.group(1))
            if found.group(3):
                return cls.of_quarter(dt.date(year, (int(found.group(3)) - 1) * 3 + 1, 1))
            month = int(found.group(2))
            if 1 <= month <= 12 and year >= 1:
                return cls.of_month(dt.date(year, month, 1))
        raise ValidationError({field: _("Give a month as 2027-01 or a quarter as 2027-Q1.")})


def parse_month(value: Any, *, field: str = "month") -> dt.date:
    """A month as ``2027-01``, or a date in it (``2027-01-01``) → its first day."""
    if isinstance(value, dt.date):
        return month_start(value)
    text = str(value or "").strip()
    found = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if found:
        try:
            return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3) or 1)).replace(day=1)
        except ValueError:
            pass
    raise ValidationError({field: _("Give the month as 2027-01.")})


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


# --- numbers -------------------------------------------------------------------------------------


def weighted(amount: Decimal, probability: int) -> Decimal:
    """amount × probability / 100, to the cent (half up) — ``Opportunity.weighted_amount``."""
    return (amount * probability / HUNDRED).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Figures:
    """One category's (or line's) numbers: deals, amount, weighted amount."""

    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO

    def add(self, other: Figures) -> None:
        self.count += other.count
        self.amount += other.amount
        self.weighted += other.weighted


@dataclass
class Numbers:
    """A forecast's numbers per raw category, with the totals and the cumulative lines."""

    categories: dict[str, Figures] = field(default_factory=lambda: {c: Figures() for c in CATEGORIES})

    def add_deal(self, category: str, amount: Decimal, weight: Decimal) -> None:
        figures = self.categories[category]
        figures.count += 1
        figures.amount += amount
        figures.weighted += weight

    def add(self, other: Numbers) -> None:
        for code, figures in other.categories.items():
            self.categories[code].add(figures)

    def sum_of(self, codes: Iterable[str]) -> Figures:
        out = Figures()
        for code in codes:
            out.add(self.categories[code])
        return out

    @property
    def total(self) -> Figures:
        """Everything but omitted: closed + commit + best case + pipeline."""
        return self.sum_of(COUNTED)

    def line(self, code: str) -> Figures:
        return self.sum_of(LINES[code])

    @property
    def lines(self) -> dict[str, Figures]:
        return {code: self.line(code) for code in LINES}

    @property
    def is_empty(self) -> bool:
        return all(f.count == 0 for f in self.categories.values())

    @classmethod
    def summed(cls, many: Iterable[Numbers]) -> Numbers:
        out = cls()
        for numbers in many:
            out.add(numbers)
        return out


# --- who may do what ------------------------------------------------------------------------------


def _reaches(access: Any, team: Team, action: str) -> bool:
    """Whether the user's ``action`` grants in the opportunities module cover every deal of ``team``'s
    subtree: a group scope; a business-unit scope over its BU; team and sub-teams from a team at or
    above it; self and subordinates from a team they manage at or above it."""
    for grant in access.grants_for(MODULE, action):
        if grant.business_unit_id is not None and grant.business_unit_id != team.business_unit_id:
            continue
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return True
        if grant.scope >= DataScope.BUSINESS_UNIT:
            if team.business_unit_id in access.scope_business_units(grant):
                return True
            continue
        if grant.scope == DataScope.TEAM_TREE:
            paths = [t.path for t in access.teams]
        elif grant.scope == DataScope.SUBORDINATES:
            paths = access.managed_paths
        else:
            paths = []
        if any(team.path.startswith(p) for p in paths):
            return True
    return False


def covers_team(user: Any, team: Team) -> bool:
    """Whether ``user`` sees every opportunity of the team and its sub-teams: then the team's totals
    (the manager's adjustments, the weekly movement) are theirs to see."""
    return _reaches(user.access, team, "view")


def may_adjust(user: Any, team: Team) -> bool:
    """ "approve" in the opportunities module, and managing the team (or one above it) — or a business
    unit or group scope covering it. (Team-tree "approve" alone is not enough: a manager adjusts the
    teams they manage, not the teams they belong to.)"""
    access = user.access
    if not covers_team(user, team):
        return False
    for grant in access.grants_for(MODULE, "approve"):
        if grant.business_unit_id is not None and grant.business_unit_id != team.business_unit_id:
            continue
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return True
        if grant.scope >= DataScope.BUSINESS_UNIT and team.business_unit_id in access.scope_business_units(grant):
            return True
        if any(team.path.startswith(p) for p in access.managed_paths):
            return True
    return False


# --- teams ------------------------------------------------------------------------------------------


def forecast_teams(user: Any) -> QuerySet[Team]:
    """The teams whose forecast ``user`` may open: the active sales teams they see."""
    return Team.objects.visible_to(user).filter(is_active=True, team_type=TeamType.SALES).order_by("path")


def forecast_team_get(*, user: Any, pk: Any) -> Team:
    """A team of ``forecast_teams``, else ``NotFound`` (missing and out of sight answer alike)."""
    try:
        found = forecast_teams(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound()
    return found


def default_team(user: Any, teams: list[Team]) -> Team | None:
    """The team the page opens with: the top team they manage, else their primary team, else the first."""
    by_id = {t.pk: t for t in teams}
    managed = sorted((p for p in user.access.managed_paths), key=lambda p: (p.count("/"), p))
    for path in managed:
        found = next((t for t in teams if t.path == path), None)
        if found is not None:
            return found
    if user.primary_team_id in by_id:
        return by_id[user.primary_team_id]
    return teams[0] if teams else None


# --- the roll-up -------------------------------------------------------------------------------------


@dataclass
class Row:
    """A line of the roll-up: a team (with its sub-rows) or a person."""

    kind: str  # "team" or "rep"
    pk: int
    name: str
    depth: int
    numbers: Numbers = field(default_factory=Numbers)
    months: dict[dt.date, Numbers] = field(default_factory=lambda: defaultdict(Numbers))
    team: Team | None = None
    children: list[Row] = field(default_factory=list)  # sub-teams, then members
    is_active: bool = True

    @property
    def indent(self) -> str:
        """A Bootstrap padding class for the row's depth below the team shown."""
        return {0: "", 1: "ps-2", 2: "ps-4"}.get(self.depth, "ps-5")

    def add_deal(self, month: dt.date, category: str, amount: Decimal, weight: Decimal) -> None:
        self.numbers.add_deal(category, amount, weight)
        self.months[month].add_deal(category, amount, weight)

    def walk(self) -> Iterable[Row]:
        yield self
        for child in self.children:
            yield from child.walk()


def _deal_place(row: Mapping[str, Any]) -> tuple[str, dt.date] | None:
    """(category, month) of a deal under the counting rules; None outside any period."""
    status = row["status"]
    if status == OpportunityStatus.OPEN:
        if row["expected_close"] is None:
            return None
        return row["forecast_category"], month_start(row["expected_close"])
    if row["closed_at"] is None:
        return None
    day = timezone.localtime(row["closed_at"]).date()
    return (C.CLOSED if status == OpportunityStatus.WON else C.OMITTED), month_start(day)


def _in_period(start: dt.date, end: dt.date) -> Q:
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return Q(status=OpportunityStatus.OPEN, expected_close__gte=start, expected_close__lte=end) | Q(
        status__in=(OpportunityStatus.WON, OpportunityStatus.LOST), closed_at__gte=since, closed_at__lt=until
    )


def rollup(*, team: Team, start: dt.date, end: dt.date, opportunities: QuerySet[Opportunity]) -> Row:
    """The team's tree of rows for the deals of ``opportunities`` in [start, end]. Three queries: the
    sub-teams, the memberships, the deals (values only: the sums are exact Decimals in Python)."""
    teams = list(Team.objects.filter(path__startswith=team.path).order_by("path"))
    nodes: dict[int, Row] = {
        t.pk: Row(kind="team", pk=t.pk, name=t.name, depth=t.depth - team.depth, team=t, is_active=t.is_active)
        for t in teams
    }
    for t in teams:
        if t.pk != team.pk and t.parent_id in nodes:
            nodes[t.parent_id].children.append(nodes[t.pk])
    depth = {t.pk: (t.depth, t.path) for t in teams}

    # each person once: their primary team if in the subtree, else the deepest membership
    home: dict[int, int] = {}
    people: dict[int, Mapping[str, Any]] = {}
    for m in (
        TeamMembership.objects.filter(team__path__startswith=team.path)
        .values(
            "user_id", "team_id", "user__primary_team_id", "user__display_name", "user__username", "user__is_active"
        )
        .order_by("user_id", "team_id")
    ):
        uid = m["user_id"]
        people.setdefault(uid, m)
        current = home.get(uid)
        if current is not None and current == m["user__primary_team_id"]:
            continue
        if (
            current is None
            or m["team_id"] == m["user__primary_team_id"]
            or (-depth[m["team_id"]][0], depth[m["team_id"]][1]) < (-depth[current][0], depth[current][1])
        ):
            home[uid] = m["team_id"]

    reps: dict[int, Row] = {}

    def rep_row(uid: int, name: str = "") -> Row:
        if uid not in reps:
            info = people.get(uid, {})
            team_id = home.get(uid, team.pk)
            reps[uid] = Row(
                kind="rep",
                pk=uid,
                name=info.get("user__display_name") or info.get("user__username") or name,
                depth=nodes[team_id].depth + 1,
                is_active=info.get("user__is_active", True),
            )
        return reps[uid]

    for uid in home:
        if people[uid]["user__is_active"]:  # people who left show only with deals in the period
            rep_row(uid)
    rows = opportunities.filter(owner_id__in=members_of(paths=[team.path])).filter(_in_period(start, end))
    for deal in rows.values(
        "owner_id",
        "owner__display_name",
        "status",
        "forecast_category",
        "expected_close",
        "closed_at",
        "amount",
        "probability",
    ):
        place = _deal_place(deal)
        if place is None:
            continue
        category, month = place
        if not start <= month <= end:
            continue
        amount = deal["amount"]
        weight = ZERO if category == C.OMITTED else weighted(amount, deal["probability"])
        rep_row(deal["owner_id"], deal["owner__display_name"]).add_deal(month, category, amount, weight)

    for uid, row in sorted(reps.items(), key=lambda item: (item[1].name, item[0])):
        nodes[home.get(uid, team.pk)].children.append(row)

    def total(node: Row) -> None:
        for child in node.children:
            if child.kind == "team":
                total(child)
            node.numbers.add(child.numbers)
            for month, numbers in child.months.items():
                node.months[month].add(numbers)

    root = nodes[team.pk]
    total(root)
    # within each team: sub-teams first (by path), then members (by name)
    for node in nodes.values():
        node.children.sort(key=lambda r: (r.kind != "team", r.team.path if r.team else "", r.name, r.pk))
    return root


# --- the forecast of a team and period --------------------------------------------------------------


@dataclass
class Line:
    """A cumulative forecast line of the period: the reps' number and, apart, the manager's."""

    code: str
    reps: Figures
    adjusted: Decimal | None  # None: no adjustment in any month of the period
    adjusted_months: int  # how many months of the period have an adjustment
    months: int
    adjustment: ForecastAdjustment | None = None  # a month's adjustment (comment, who, when)
    change: Decimal | None = None  # the reps' amount now − at the last snapshot

    @property
    def label(self) -> str:
        return str(LINE_LABELS[self.code])

    @property
    def help(self) -> str:
        return str(LINE_HELP[self.code])

    @property
    def partly_adjusted(self) -> bool:
        """A quarter adjusted in some months only: the others count with the reps' numbers."""
        return 0 < self.adjusted_months < self.months


@dataclass(frozen=True)
class HistoryItem:
    entry: AuditEntry
    line: str
    month: dt.date


@dataclass
class Forecast:
    team: Team
    period: Period
    root: Row
    covers: bool  # the viewer sees every deal of the team: totals, adjustments and movement shown
    may_adjust: bool
    lines: list[Line]
    snapshot_week: dt.date | None = None
    changes: dict[str, Decimal] = field(default_factory=dict)  # category → amount now − at the snapshot
    history: list[HistoryItem] = field(default_factory=list)

    @property
    def numbers(self) -> Numbers:
        return self.root.numbers

    @property
    def rows(self) -> list[Row]:
        """The roll-up below the team, depth first (sub-teams before members)."""
        return [row for row in self.root.walk() if row is not self.root]

    @property
    def categories(self) -> list[tuple[str, str, Figures, Decimal | None]]:
        """(code, label, figures, change) in display order."""
        return [
            (code, str(ForecastCategory(code).label), self.numbers.categories[code], self.changes.get(code))
            for code in CATEGORIES
        ]


def _prune(row: Row) -> None:
    """Drop the people with nothing the viewer sees (for viewers who do not see the whole team)."""
    row.children = [c for c in row.children if c.kind == "team" or not c.numbers.is_empty]
    for child in row.children:
        if child.kind == "team":
            _prune(child)


def _last_snapshot(team: Team, period: Period, today: dt.date) -> tuple[dt.date | None, dict[str, Decimal]]:
    """The latest snapshot week (on or before today) holding every month of the period: its amount
    per category summed over the months. Two queries."""
    week = (
        ForecastSnapshot.objects.filter(team=team, month__in=period.months, week__lte=today)
        .order_by("-week")
        .values_list("week", flat=True)
        .first()
    )
    if week is None:
        return None, {}
    amounts: dict[str, Decimal] = {c: ZERO for c in CATEGORIES}
    months = set()
    for month, category, amount in ForecastSnapshot.objects.filter(
        team=team, week=week, month__in=period.months
    ).values_list("month", "category", "amount"):
        months.add(month)
        amounts[category] = amounts.get(category, ZERO) + amount
    if months != set(period.months):
        return None, {}
    return week, amounts


def forecast_get(*, user: Any, team: Team, period: Period, today: dt.date | None = None) -> Forecast:
    """The forecast of ``team`` for ``period`` as ``user`` sees it (``team`` from ``forecast_team_get``)."""
    require(user, MODULE, "view")
    today = today or timezone.localdate()
    root = rollup(team=team, start=period.start, end=period.end, opportunities=Opportunity.objects.visible_to(user))
    covers = covers_team(user, team)
    if not covers:
        _prune(root)
    adjustments: dict[tuple[dt.date, str], ForecastAdjustment] = {}
    week: dt.date | None = None
    snapshot: dict[str, Decimal] = {}
    history: list[HistoryItem] = []
    if covers:
        adjustments = {
            (a.month, a.category): a
            for a in ForecastAdjustment.objects.filter(team=team, month__in=period.months).select_related("adjusted_by")
        }
        week, snapshot = _last_snapshot(team, period, today)
        if adjustments:
            by_id = {str(a.pk): a for a in adjustments.values()}
            history = [
                HistoryItem(entry=e, line=str(LINE_LABELS[by_id[e.object_id].category]), month=by_id[e.object_id].month)
                for e in AuditEntry.objects.filter(
                    content_type__app_label="pipeline", content_type__model="forecastadjustment", object_id__in=by_id
                )
                .select_related("actor")
                .order_by("-created_at", "-pk")[:20]
            ]
    changes: dict[str, Decimal] = {}
    if week is not None:
        changes = {c: root.numbers.categories[c].amount - snapshot.get(c, ZERO) for c in CATEGORIES}
    lines = []
    for code in LINES:
        given = [adjustments.get((m, code)) for m in period.months]
        adjusted = None
        if any(given):
            adjusted = sum(
                (
                    adj.amount if adj is not None else root.months[m].line(code).amount
                    for m, adj in zip(period.months, given, strict=True)
                ),
                ZERO,
            )
        lines.append(
            Line(
                code=code,
                reps=root.numbers.line(code),
                adjusted=adjusted,
                adjusted_months=sum(1 for a in given if a is not None),
                months=len(period.months),
                adjustment=given[0] if not period.is_quarter else None,
                change=sum((changes[c] for c in LINES[code]), ZERO) if week is not None else None,
            )
        )
    return Forecast(
        team=team,
        period=period,
        root=root,
        covers=covers,
        may_adjust=may_adjust(user, team),
        lines=lines,
        snapshot_week=week,
        changes=changes,
        history=history,
    )


def forecast_adjustment(*, team: Team, month: dt.date, category: str) -> ForecastAdjustment | None:
    """The manager's number for one line of a team and month (``team`` from ``forecast_team_get``)."""
    return ForecastAdjustment.objects.filter(team=team, month=month, category=category).first()


# --- services: adjustments ---------------------------------------------------------------------------

AUDITED = ("amount", "comment")  # the record itself names the team, month and line; the entry the actor


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter an amount such as 1250000.00.")}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("Enter an amount of zero or more.")})
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Enter the amount to the cent at most.")})
    return amount.quantize(CENT)


@transaction.atomic
def forecast_adjust(
    *, actor: Any, team: Team | int, month: Any, category: str, amount: Any, comment: str
) -> ForecastAdjustment:
    """Set the manager's number for one forecast line (commit, best case or open pipeline) of a team
    and month, with a comment. The reps' numbers are never touched; changing an adjustment keeps the
    earlier one in the audit trail. 404: a team the actor does not see; 403: not theirs to adjust."""
    found = forecast_team_get(user=actor, pk=getattr(team, "pk", team))
    if not may_adjust(actor, found):
        raise PermissionDenied(_("Only a manager of the team, or of a team above it, may adjust its forecast."))
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, parse in (
        ("month", lambda: parse_month(month)),
        ("amount", lambda: _amount(amount)),
    ):
        try:
            values[name] = parse()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if category not in LINES:
        errors["category"] = [_("Choose commit, best case or pipeline.")]
    text = (comment or "").strip()
    if not text:
        errors["comment"] = [_("Say why you adjust the forecast.")]
    elif len(text) > 500:
        errors["comment"] = [_("Keep the comment to 500 characters.")]
    if errors:
        raise ValidationError(errors)
    adjustment = (
        ForecastAdjustment.objects.select_for_update()
        .filter(team=found, month=values["month"], category=category)
        .first()
    )
    if adjustment is None:
        adjustment = ForecastAdjustment.objects.create(
            team=found,
            month=values["month"],
            category=category,
            amount=values["amount"],
            comment=text,
            adjusted_by=actor,
        )
        audit.record(
            actor=actor,
            obj=adjustment,
            kind=AuditEntry.Kind.CREATE,
            verb="forecast_adjust",
            changes={k: [None, v] for k, v in audit.snapshot(adjustment, AUDITED).items()},
        )
        return adjustment
    before = audit.snapshot(adjustment, AUDITED)
    adjustment.amount, adjustment.comment, adjustment.adjusted_by = values["amount"], text, actor
    adjustment.save()
    audit.record_update(actor=actor, obj=adjustment, before=before, verb="forecast_adjust")
    return adjustment


# --- services: weekly snapshots ----------------------------------------------------------------------


def snapshot_months(today: dt.date) -> tuple[dt.date, ...]:
    """From the first month of the current quarter to two months ahead (3 to 5 months)."""
    first = Period.of_month(today).quarter.start
    last = add_months(month_start(today), SNAPSHOT_MONTHS_AHEAD)
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    return tuple(months)


def snapshot_due(today: dt.date) -> bool:
    """On Mondays (a re-run updates the week's rows), or any day of a week that has none yet (the
    scheduler was down on Monday)."""
    return today.weekday() == 0 or not ForecastSnapshot.objects.filter(week=week_of(today)).exists()


@transaction.atomic
def forecast_snapshot_take(*, today: dt.date | None = None) -> int:
    """Store this week's snapshot of every active sales team (idempotent: a re-run in the same week
    updates the same rows). Counts every opportunity, whoever sees it. Returns the rows written."""
    today = today or timezone.localdate()
    week, months = week_of(today), snapshot_months(today)
    start, end = months[0], add_months(months[-1], 1) - dt.timedelta(days=1)
    adjusted = {
        (a["team_id"], a["month"], a["category"]): a["amount"]
        for a in ForecastAdjustment.objects.filter(month__in=months).values("team_id", "month", "category", "amount")
    }
    rows: list[ForecastSnapshot] = []
    for team in Team.objects.filter(is_active=True, team_type=TeamType.SALES).order_by("path"):
        root = rollup(team=team, start=start, end=end, opportunities=Opportunity.objects.all())
        for month in months:
            numbers = root.months.get(month) or Numbers()
            for category in CATEGORIES:
                figures = numbers.categories[category]
                rows.append(
                    ForecastSnapshot(
                        week=week,
                        team=team,
                        month=month,
                        category=category,
                        amount=figures.amount,
                        weighted=figures.weighted,
                        count=figures.count,
                        adjusted=adjusted.get((team.pk, month, category)),
                    )
                )
    ForecastSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["week", "team", "month", "category"],
        update_fields=["amount", "weighted", "adjusted", "count"],
    )
    return len(rows)
