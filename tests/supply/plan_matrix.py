"""This area's part of the permission matrix (tests/test_permission_matrix.py): the S&OP cycle's pages
and endpoints with an id.

Plans are of the whole group (every holder of "demand" view reads every version), so the routes that
address a plan are not scoped (``NOT_SCOPED``). A plan's lines belong to a business unit: the routes
that address a line (its override, page and API) answer 404 for a line of BU2 to every role — the
override needs "demand" edit on the line, and no default role holds "demand" edit beyond its BU.
(Reading lines has no id route: ``/api/v1/demand-plans/{id}/lines`` filters to the caller's BUs.)
Forecast runs are of the whole group like plans; a run's series are filtered to the caller's BUs the
same way (no route addresses a series by id: tests/supply/test_forecast_series.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.support.matrix import Route
from tests.support.pipeline import ProductFactory
from xietong.supply.models import DemandPlan, DemandPlanLine

_PLAN = {"plan": lambda line: line.plan_id}

ROUTES: list[Route] = [
    Route("GET", "/sop/plans/{plan}/lines/{pk}/override/", "demand_line", extra=_PLAN),
    Route(
        "POST", "/sop/plans/{plan}/lines/{pk}/override/", "demand_line", {"quantity": "1", "reason": "x"}, extra=_PLAN
    ),
    Route(
        "POST",
        "/api/v1/demand-plans/{plan}/lines/{pk}/override",
        "demand_line",
        {"quantity": "1", "reason": "x"},
        api=True,
        extra=_PLAN,
    ),
]

_GROUP = "demand plans are of the whole group (every holder of demand view reads them); their lines are filtered by BU"
_CONTINGENCY = "contingency plans are reference data of the whole group (supply / demand planners)"
_RUNS = "forecast runs are of the whole group (every holder of demand view reads them); their series are filtered by BU"
NOT_SCOPED: dict[str, str] = {
    "sop/plans/*/": _GROUP,
    "sop/plans/*/advance/": _GROUP + " (advancing takes demand create, group-wide by default)",
    "sop/plans/*/meetings/": _GROUP,
    "sop/plans/*/compare/": _GROUP,
    "sop/contingency/*/edit/": _CONTINGENCY,
    "sop/contingency/*/delete/": _CONTINGENCY
    + " (a user who may not keep them gets 404: tests/supply/test_plan_pages.py)",
    "sop/forecasts/runs/*/": _RUNS,
    "sop/forecasts/runs/*/export/": _RUNS,
    "api/v1/forecasts/runs/*/series": _RUNS,
    "api/v1/demand-plans/*": _GROUP,
    "api/v1/demand-plans/*/lines": _GROUP
    + " (the lines listed are the caller's BUs' only: tests/supply/test_api_plan.py)",
    "api/v1/demand-plans/*/advance": _GROUP,
    "api/v1/demand-plans/*/approve": _GROUP,
    "api/v1/demand-plans/*/compare": _GROUP + " (sums over the caller's BUs only)",
}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """A line of BU2 in a plan version of its own cycle."""
    product = ProductFactory(code="MX-DEMAND", name="外部需求产品")
    plan = DemandPlan.objects.create(
        cycle=date(2031, 1, 1), version=1, title="外部计划", first_month=date(2031, 1, 1), horizon=3
    )
    line = DemandPlanLine.objects.create(
        plan=plan,
        product=product,
        business_unit=org["bu2"],
        month=date(2031, 1, 1),
        proposal="5",
        consensus="5",
    )
    return {"demand_line": line}
