# ruff: noqa: F811  (the fixtures shared from test_plan_services are imported by name)
"""The demand plans API: versions, lines (the caller's BUs), overrides (422 naming the field, 404
outside the BU, 409 frozen), advance / approve through the approval engine, compare, forecasts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import login
from tests.supply.test_plan_services import (  # noqa: F401
    DEC,
    FEB,
    JAN,
    approval_flow,
    line,
    make_plan,
    people,
    products,
    run,
    signals,
)
from xietong.supply import plan_selectors
from xietong.supply.choices import PlanStage
from xietong.supply.models import DemandOverride, DemandPlan, ForecastRun

pytestmark = pytest.mark.django_db

D = Decimal


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_planner_makes_a_version_and_lists_it(people, signals, run):
    client = login(people.planner)
    response = _post(client, "/api/v1/demand-plans", {"cycle": "2026-12-09", "horizon": 3})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["cycle"], body["version"], body["stage"], body["horizon"], body["forecast_run_id"]) == (
        "2026-12-01",
        1,
        "demand_review",
        3,
        run.pk,
    )
    listed = client.get("/api/v1/demand-plans").json()
    assert [p["id"] for p in listed["results"]] == [body["id"]]
    assert client.get(f"/api/v1/demand-plans/{body['id']}").json()["is_frozen"] is False


def test_a_sales_manager_cannot_make_versions(people, signals):
    response = _post(login(people.mgr1), "/api/v1/demand-plans", {"cycle": "2026-12-01"})
    assert response.status_code == 403
    assert DemandPlan.objects.count() == 0


def test_a_bad_horizon_is_422_naming_it(people, signals):
    response = _post(login(people.planner), "/api/v1/demand-plans", {"cycle": "2026-12-01", "horizon": 99})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["horizon"]


def test_lines_are_those_of_the_callers_business_units_with_filters(people, products, signals, run):
    plan = make_plan(people, run)
    mine = login(people.mgr1).get(f"/api/v1/demand-plans/{plan.pk}/lines").json()["results"]
    assert [(r["product"]["id"], r["month"], r["consensus"]) for r in mine] == [
        (products.p1.pk, "2026-12-01", "10.000"),
        (products.p1.pk, "2027-01-01", "8.500"),
    ]
    theirs = login(people.mgr2).get(f"/api/v1/demand-plans/{plan.pk}/lines").json()["results"]
    assert [(r["product"]["id"], r["business_unit"]["id"], r["consensus"]) for r in theirs] == [
        (products.p2.pk, people.org["bu2"].pk, "1.234")
    ]
    everything = login(people.planner)
    assert len(everything.get(f"/api/v1/demand-plans/{plan.pk}/lines").json()["results"]) == 3
    only_jan = everything.get(f"/api/v1/demand-plans/{plan.pk}/lines?month=2027-01-01").json()["results"]
    assert [r["month"] for r in only_jan] == ["2027-01-01"]
    only_bu2 = everything.get(f"/api/v1/demand-plans/{plan.pk}/lines?business_unit={people.org['bu2'].pk}").json()
    assert [r["product"]["id"] for r in only_bu2["results"]] == [products.p2.pk]


def test_override_through_the_api(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    response = _post(
        login(people.mgr1),
        f"/api/v1/demand-plans/{plan.pk}/lines/{dec.pk}/override",
        {"quantity": "12", "reason": "大客户追加"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["override"], response.json()["consensus"]) == ("12.000", "12.000")


def test_override_without_a_reason_is_422_naming_the_reason(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    response = _post(
        login(people.mgr1), f"/api/v1/demand-plans/{plan.pk}/lines/{dec.pk}/override", {"quantity": "1", "reason": ""}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]


def test_override_of_another_bus_line_is_404(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    response = _post(
        login(people.mgr2), f"/api/v1/demand-plans/{plan.pk}/lines/{dec.pk}/override", {"quantity": "1", "reason": "x"}
    )
    assert response.status_code == 404
    assert DemandOverride.objects.count() == 0


def test_override_of_a_frozen_plan_is_409(people, products, signals, run):
    plan = make_plan(people, run)
    DemandPlan.objects.filter(pk=plan.pk).update(stage=PlanStage.EXECUTIVE_REVIEW)
    dec = line(plan, products.p1, DEC)
    response = _post(
        login(people.mgr1), f"/api/v1/demand-plans/{plan.pk}/lines/{dec.pk}/override", {"quantity": "1", "reason": "x"}
    )
    assert response.status_code == 409
    assert DemandOverride.objects.count() == 0


def test_advance_and_approve_through_the_engine(people, signals, run):
    from xietong.approvals import services as approvals
    from xietong.approvals.models import ApprovalRequest

    approval_flow(people.boss)
    plan = make_plan(people, run)
    client = login(people.planner)
    assert _post(client, f"/api/v1/demand-plans/{plan.pk}/approve", {}).status_code == 409  # not in supply review
    assert _post(client, f"/api/v1/demand-plans/{plan.pk}/advance", {}).json()["stage"] == "supply_review"
    response = _post(client, f"/api/v1/demand-plans/{plan.pk}/approve", {})
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["is_frozen"]) == ("executive_review", True)
    assert _post(client, f"/api/v1/demand-plans/{plan.pk}/advance", {}).status_code == 409
    approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.boss)
    assert client.get(f"/api/v1/demand-plans/{plan.pk}").json()["stage"] == "approved"


def test_compare_with_the_previous_version(people, products, signals, run):
    first = make_plan(people, run)
    second = make_plan(people, run)
    from xietong.supply import plan_services

    plan_services.line_override(actor=people.mgr1, line=line(second, products.p1, JAN), quantity="7", reason="x")
    body = login(people.planner).get(f"/api/v1/demand-plans/{second.pk}/compare").json()
    assert body["with_id"] == first.pk
    assert [(r["product_id"], r["month"], r["a"], r["b"], r["delta"]) for r in body["versions"]] == [
        (products.p1.pk, "2026-12-01", "10.000", "10.000", "0.000"),
        (products.p1.pk, "2027-01-01", "7.000", "8.500", "-1.500"),
        (products.p2.pk, "2027-02-01", "1.234", "1.234", "0.000"),
    ]
    explicit = login(people.planner).get(f"/api/v1/demand-plans/{first.pk}/compare?with={second.pk}").json()
    assert explicit["with_id"] == second.pk
    assert [r["delta"] for r in explicit["versions"]] == ["0.000", "1.500", "0.000"]


def test_forecast_runs_are_listed_and_run(people, monkeypatch, run):
    import sys
    import types

    made: list[Any] = []

    def fake_run(*, actor: Any, first_month: date, horizon: int = 18, season_length: int = 12) -> ForecastRun:
        made.append((actor.pk, first_month, horizon))
        return ForecastRun.objects.create(status="done", first_month=first_month, horizon=horizon, created_by=actor)

    module = types.ModuleType("xietong.supply.forecast_services")
    module.forecast_run = fake_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xietong.supply.forecast_services", module)
    import xietong.supply as supply_package

    monkeypatch.setattr(supply_package, "forecast_services", module, raising=False)
    client = login(people.planner)
    response = _post(client, "/api/v1/forecasts/run", {"first_month": "2027-01-15", "horizon": 6})
    assert response.status_code == 201, response.content
    assert made == [(people.planner.pk, date(2027, 1, 1), 6)]
    listed = client.get("/api/v1/forecasts/runs")
    assert listed.status_code == 200, listed.content
    assert [r["id"] for r in listed.json()["results"]] == [response.json()["id"], run.pk]
    assert _post(login(people.mgr1), "/api/v1/forecasts/run", {"first_month": "2027-01-01"}).status_code == 403


def test_the_selector_grid_places_cells_by_month(people, products, signals, run):
    plan = make_plan(people, run)
    rows = plan_selectors.plan_grid(
        lines=plan_selectors.line_list(user=people.planner, plan=plan), months=[DEC, JAN, FEB]
    )
    assert [(r.product.code, [c.consensus if c else None for c in r.cells], r.total) for r in rows] == [
        ("CNC-1", [D("10.000"), D("8.500"), None], D("18.500")),
        ("MED-1", [None, None, D("1.234")], D("1.234")),
    ]
