"""Reads of the S&OP cycle pages and API: plan versions, the demand grid (lines in the user's demand
scope), overrides, meetings, contingency plans, forecast runs and their accuracy (by BU, by rep, per
series).

Plans are of the whole group (``DemandPlan.objects.visible_to``); their lines belong to a BU and are
read through ``DemandPlanLine.objects.visible_to`` — a line of another BU answers 404. Forecast runs
are of the whole group too; their series belong to a BU and are read within the BUs of the user's
demand scope (``series_in_scope``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from xietong.org.policies import require

from . import plan_services
from .choices import ForecastStatus
from .models import (
    ContingencyPlan,
    DemandOverride,
    DemandPlan,
    DemandPlanLine,
    ForecastRun,
    ForecastSeries,
    ReviewMeeting,
)

MODULE = "demand"
ZERO = Decimal("0.000")


def plan_list(*, user: Any, cycle: date | None = None) -> QuerySet[DemandPlan]:
    require(user, MODULE, "view")
    rows = DemandPlan.objects.visible_to(user).select_related("created_by", "previous", "forecast_run")
    if cycle is not None:
        rows = rows.filter(cycle=plan_services.month_start(cycle))
    return rows.order_by("-cycle", "-version")


def plan_get(*, user: Any, pk: Any, action: str = "view") -> DemandPlan:
    """The plan, or ``NotFound`` (also without "demand" view at all: a record id never answers 403)."""
    return DemandPlan.objects.select_related("created_by", "previous", "forecast_run").get_visible(user, pk, action)


def line_list(
    *,
    user: Any,
    plan: DemandPlan,
    product: int | None = None,
    business_unit: int | None = None,
    month: date | None = None,
    product_line: str = "",
    q: str = "",
    action: str = "view",
) -> QuerySet[DemandPlanLine]:
    rows = (
        DemandPlanLine.objects.visible_to(user, action)
        .filter(plan=plan)
        .select_related("product", "business_unit")
        .annotate(override_count=Count("overrides"))
    )
    if product is not None:
        rows = rows.filter(product_id=product)
    if business_unit is not None:
        rows = rows.filter(business_unit_id=business_unit)
    if month is not None:
        rows = rows.filter(month=plan_services.month_start(month))
    if product_line:
        rows = rows.filter(product__product_line=product_line)
    if q:
        rows = rows.filter(Q(product__name__icontains=q) | Q(product__code__icontains=q))
    return rows


def line_get(*, user: Any, plan: DemandPlan, pk: Any, action: str = "view") -> DemandPlanLine:
    return (
        DemandPlanLine.objects.select_related("product", "business_unit", "plan")
        .filter(plan=plan)
        .get_visible(user, pk, action)
    )


@dataclass
class GridRow:
    product: Any
    business_unit: Any
    cells: list[DemandPlanLine | None] = field(default_factory=list)
    total: Decimal = ZERO


def plan_grid(*, lines: QuerySet[DemandPlanLine], months: list[date]) -> list[GridRow]:
    """Rows product × BU, one cell per month (None where the plan has no line), in product code order."""
    index = {m: i for i, m in enumerate(months)}
    rows: dict[tuple[int, int], GridRow] = {}
    for line in lines.order_by("product__code", "business_unit__code", "month"):
        key = (line.product_id, line.business_unit_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = GridRow(line.product, line.business_unit, [None] * len(months))
        position = index.get(line.month)
        if position is not None:
            row.cells[position] = line
            row.total += line.consensus
    return list(rows.values())


def product_lines(*, user: Any, plan: DemandPlan) -> list[str]:
    names = (
        DemandPlanLine.objects.visible_to(user)
        .filter(plan=plan)
        .exclude(product__product_line="")
        .values_list("product__product_line", flat=True)
        .distinct()
    )
    return sorted(set(names))


def business_units(*, user: Any, plan: DemandPlan) -> list[Any]:
    from xietong.org.models import BusinessUnit

    ids = DemandPlanLine.objects.visible_to(user).filter(plan=plan).values("business_unit_id")
    return list(BusinessUnit.objects.filter(pk__in=ids).order_by("code"))


def override_list(*, user: Any, line: DemandPlanLine) -> QuerySet[DemandOverride]:
    return DemandOverride.objects.visible_to(user).filter(line=line).select_related("user")


def meeting_list(*, plan: DemandPlan) -> QuerySet[ReviewMeeting]:
    return ReviewMeeting.objects.filter(plan=plan).select_related("created_by").prefetch_related("attendees")


def contingency_list(*, user: Any, plan: DemandPlan | None = None) -> QuerySet[ContingencyPlan]:
    rows = ContingencyPlan.objects.visible_to(user).select_related("owner", "item__product")
    if plan is not None:
        rows = rows.filter(plans=plan)
    return rows.order_by("name", "pk")


def may_see_contingencies(user: Any) -> bool:
    return bool(user.access.can("supply", "view") or user.access.can(MODULE, "view"))


def contingency_get(*, user: Any, pk: Any) -> ContingencyPlan:
    from xietong.core.errors import NotFound

    if not may_see_contingencies(user):
        raise NotFound()
    return ContingencyPlan.objects.visible_to(user).get_visible(user, pk)


def row_total(*, user: Any, line: DemandPlanLine) -> Decimal:
    """The consensus of a line's product and BU over the plan's months (the grid row's total)."""
    total = (
        DemandPlanLine.objects.visible_to(user)
        .filter(plan_id=line.plan_id, product_id=line.product_id, business_unit_id=line.business_unit_id)
        .aggregate(total=Sum("consensus"))["total"]
    )
    return total or ZERO


def plan_totals(*, user: Any, plan: DemandPlan) -> dict[str, Decimal]:
    sums = (
        DemandPlanLine.objects.visible_to(user)
        .filter(plan=plan)
        .aggregate(
            baseline=Sum("baseline"),
            open_orders=Sum("open_orders"),
            pipeline=Sum("pipeline"),
            proposal=Sum("proposal"),
            consensus=Sum("consensus"),
        )
    )
    return {k: v or ZERO for k, v in sums.items()}


# --- forecasts and accuracy -------------------------------------------------------------------------------


def forecast_runs(*, user: Any) -> QuerySet[ForecastRun]:
    require(user, MODULE, "view")
    return ForecastRun.objects.visible_to(user).select_related("created_by").order_by("-created_at", "-pk")


def accuracy_over_time(*, user: Any, limit: int = 24) -> list[dict[str, Any]]:
    """The finished runs' WAPE / MASE / bias, oldest first (for the chart)."""
    runs = list(forecast_runs(user=user).filter(status=ForecastStatus.DONE)[:limit])
    return [
        {
            "run": r.pk,
            "first_month": r.first_month.strftime("%Y-%m"),
            "wape": r.wape,
            "mase": r.mase,
            "bias": r.bias,
        }
        for r in reversed(runs)
    ]


def bias_by_business_unit(*, user: Any, run: ForecastRun | None) -> list[dict[str, Any]]:
    """Mean backtest bias of a run's series per BU (the BUs of the user's demand scope)."""
    if run is None:
        return []
    rows = series_in_scope(user=user).filter(run=run, bias__isnull=False)
    grouped: dict[int, list[float]] = defaultdict(list)
    names: dict[int, str] = {}
    for series in rows.select_related("business_unit"):
        grouped[series.business_unit_id].append(float(series.bias or 0))
        names[series.business_unit_id] = series.business_unit.name
    return [
        {"business_unit": names[bu], "series": len(values), "bias": sum(values) / len(values)}
        for bu, values in sorted(grouped.items(), key=lambda kv: names[kv[0]])
    ]


def forecast_run_get(*, user: Any, pk: Any) -> ForecastRun:
    """The run, or ``NotFound`` (also without "demand" view at all: a record id never answers 403)."""
    return ForecastRun.objects.select_related("created_by").get_visible(user, pk)


def series_in_scope(*, user: Any, action: str = "view") -> QuerySet[ForecastSeries]:
    """Forecast series of the BUs in the user's "demand" scope for ``action`` (a series belongs to a
    BU, as a plan line does; the runs are of the group)."""
    return ForecastSeries.objects.visible_to(user, action)


SERIES_SORTS = {"wape": "wape", "mase": "mase", "bias": "bias", "product": "product__code"}
SERIES_DEFAULT_SORT = "-wape"  # the worst first


def series_list(
    *,
    user: Any,
    run: ForecastRun,
    business_unit: int | None = None,
    model: str = "",
    q: str = "",
    sort: list[str] | None = None,
    action: str = "view",
) -> QuerySet[ForecastSeries]:
    """A run's series in the user's demand BUs with their product and BU. ``sort``: ``order_by``
    names (``core.pagination.ordering``); series without a figure (too short to backtest) come last
    either way, on every database."""
    rows = series_in_scope(user=user, action=action).filter(run=run).select_related("product", "business_unit")
    if business_unit is not None:
        rows = rows.filter(business_unit_id=business_unit)
    if model:
        rows = rows.filter(model=model)
    if q:
        rows = rows.filter(Q(product__name__icontains=q) | Q(product__code__icontains=q))
    order: list[Any] = []
    for name in sort or ["product__code", "business_unit__code", "pk"]:
        expr = F(name.lstrip("-"))
        order.append(expr.desc(nulls_last=True) if name.startswith("-") else expr.asc(nulls_last=True))
    return rows.order_by(*order)


def series_business_units(*, user: Any, run: ForecastRun) -> list[Any]:
    """The BUs that have series of ``run`` in the user's demand scope (the filter's choices)."""
    from xietong.org.models import BusinessUnit

    ids = series_in_scope(user=user).filter(run=run).values("business_unit_id")
    return list(BusinessUnit.objects.filter(pk__in=ids).order_by("code"))


def series_models(*, user: Any, run: ForecastRun) -> list[str]:
    """The models chosen for ``run``'s series in the user's demand scope (the filter's choices)."""
    names = series_in_scope(user=user).filter(run=run).values_list("model", flat=True).distinct()
    return sorted(set(names))


def bias_by_rep(*, user: Any, today: date | None = None) -> list[dict[str, Any]]:
    """Per user who overrode demand: the latest override of each line in a past month against the
    actual demand of that product × BU × month; bias = (Σ override − Σ actual) / Σ actual."""
    this_month = plan_services.month_start(today or timezone.localdate())
    overrides = (
        DemandOverride.objects.visible_to(user)
        .filter(line__month__lt=this_month, quantity__isnull=False)
        .select_related("user", "line")
        .order_by("line_id", "-at", "-pk")
    )
    latest: dict[int, DemandOverride] = {}
    for o in overrides:
        latest.setdefault(o.line_id, o)
    if not latest:
        return []
    months = sorted({o.line.month for o in latest.values()})
    actual = plan_services.actual_demand(start=months[0], end=plan_services.add_months(months[-1], 1))
    per_user: dict[int, dict[str, Any]] = {}
    for o in latest.values():
        row = per_user.setdefault(o.user_id, {"user": o.user, "overrides": 0, "override": ZERO, "actual": ZERO})
        row["overrides"] += 1
        row["override"] += o.quantity or ZERO
        row["actual"] += actual.get((o.line.product_id, o.line.business_unit_id, o.line.month), ZERO)
    result = []
    for row in per_user.values():
        row["bias"] = float((row["override"] - row["actual"]) / row["actual"]) if row["actual"] else None
        result.append(row)
    return sorted(result, key=lambda r: str(r["user"]))
