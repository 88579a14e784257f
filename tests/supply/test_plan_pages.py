# ruff: noqa: F811  (the fixtures shared from test_plan_services are imported by name)
"""The S&OP cycle pages for zh-hans users: plan versions, the demand review grid (the user's BUs),
the inline override (htmx, 404 outside the BU, refused on a frozen plan), advancing, meetings, the
comparison, forecasts and contingency plans; and the part of the permission matrix for plan lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from tests.conftest import login
from tests.supply import plan_matrix
from tests.supply.test_plan_services import DEC, JAN, line, make_plan, people, products, run, signals  # noqa: F401
from tests.support.factories import UserFactory, grant
from tests.support.i18n import zh
from xietong.org.defaults import ensure_default_roles
from xietong.supply import plan_services
from xietong.supply.choices import ContingencyTrigger, PlanStage
from xietong.supply.models import ContingencyPlan, DemandOverride, DemandPlan, DemandPlanLine, ReviewMeeting

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HX-Request": "true"}


def test_the_plan_list_shows_versions_and_the_new_button_only_to_creators(people, signals, run):
    plan = make_plan(people, run)
    page = login(people.planner).get("/sop/plans/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-plan="{plan.pk}"' in html
    assert 'id="plan-new"' in html
    assert zh("Demand review") in html
    manager_page = login(people.mgr1).get("/sop/plans/").content.decode()
    assert f'data-plan="{plan.pk}"' in manager_page
    assert 'id="plan-new"' not in manager_page


def test_a_planner_makes_a_version_on_the_page(people, signals, run):
    response = login(people.planner).post("/sop/plans/new/", {"cycle": "2026-12", "horizon": "3", "title": ""})
    plan = DemandPlan.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/sop/plans/{plan.pk}/"
    assert (plan.cycle, plan.horizon, plan.title) == (DEC, 3, zh("%(month)s S&OP", month="2026年12月"))
    assert login(people.mgr1).get("/sop/plans/new/").status_code == 403


def test_the_grid_shows_only_the_users_business_units(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    html = login(people.mgr1).get(f"/sop/plans/{plan.pk}/").content.decode()
    assert f'data-line="{dec.pk}"' in html
    assert f'data-product="{products.p1.pk}"' in html
    assert f'data-product="{products.p2.pk}"' not in html
    assert 'data-consensus="10.000"' in html
    assert f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/" in html  # the manager may override
    rep = login(people.rep1).get(f"/sop/plans/{plan.pk}/").content.decode()
    assert f'data-line="{dec.pk}"' in rep
    assert "/override/" not in rep  # a rep reads only
    planner = login(people.planner).get(f"/sop/plans/{plan.pk}/").content.decode()
    assert f'data-product="{products.p2.pk}"' in planner
    assert 'id="plan-advance"' in planner


def test_the_grid_filters_by_business_unit_as_an_htmx_fragment(people, products, signals, run):
    plan = make_plan(people, run)
    response = login(people.planner).get(
        f"/sop/plans/{plan.pk}/?business_unit={people.org['bu2'].pk}", headers={**HTMX, "HX-Target": "plan-grid"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'data-product="{products.p2.pk}"' in html
    assert f'data-product="{products.p1.pk}"' not in html
    searched = login(people.planner).get(f"/sop/plans/{plan.pk}/?q=CNC", headers={**HTMX, "HX-Target": "plan-grid"})
    assert f'data-product="{products.p1.pk}"' in searched.content.decode()
    assert f'data-product="{products.p2.pk}"' not in searched.content.decode()


def test_an_inline_override_returns_the_cell(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    client = login(people.mgr1)
    form = client.get(f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", headers=HTMX)
    assert form.status_code == 200
    assert 'id="plan-override-form"' in form.content.decode()
    saved = client.post(
        f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", {"quantity": "12.5", "reason": "大客户追加"}, headers=HTMX
    )
    assert saved.status_code == 200
    html = saved.content.decode()
    assert 'data-consensus="12.500"' in html
    dec.refresh_from_db()
    assert (dec.override, dec.consensus) == (D("12.500"), D("12.500"))
    # the row's and the plan's totals follow out of band
    from xietong.supply.plan_selectors import plan_totals, row_total

    row = f'id="plan-row-total-{dec.product_id}-{dec.business_unit_id}" hx-swap-oob="true">'
    assert row + format(row_total(user=people.mgr1, line=dec).normalize(), "f") + "</td>" in html
    total = plan_totals(user=people.mgr1, plan=plan)["consensus"]
    assert f'<dd id="plan-total" hx-swap-oob="true">{format(total.normalize(), "f")}</dd>' in html


def test_an_override_without_a_reason_shows_the_error_at_the_field(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    with translation.override("zh-hans"):
        response = login(people.mgr1).post(
            f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", {"quantity": "3", "reason": ""}, headers=HTMX
        )
    assert response.status_code == 200
    assert 'id="plan-override-form"' in response.content.decode()
    assert zh("This field is required.") in response.content.decode()
    assert DemandOverride.objects.count() == 0


def test_the_override_page_of_another_bus_line_is_404(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    client = login(people.mgr2)
    assert client.get(f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/").status_code == 404
    assert (
        client.post(f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", {"quantity": "1", "reason": "x"}).status_code
        == 404
    )
    assert DemandOverride.objects.count() == 0


def test_a_frozen_plan_refuses_the_override_page_with_409(people, products, signals, run):
    plan = make_plan(people, run)
    DemandPlan.objects.filter(pk=plan.pk).update(stage=PlanStage.APPROVED)
    dec = line(plan, products.p1, DEC)
    response = login(people.mgr1).post(
        f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", {"quantity": "1", "reason": "x"}
    )
    assert response.status_code == 409
    assert DemandOverride.objects.count() == 0
    page = login(people.mgr1).get(f"/sop/plans/{plan.pk}/").content.decode()
    assert 'id="plan-locked"' in page
    assert "/override/" not in page


def test_advance_on_the_page(people, signals, run):
    plan = make_plan(people, run)
    response = login(people.planner).post(f"/sop/plans/{plan.pk}/advance/")
    assert response.status_code == 303
    plan.refresh_from_db()
    assert plan.stage == PlanStage.SUPPLY_REVIEW
    assert login(people.mgr1).post(f"/sop/plans/{plan.pk}/advance/").status_code == 403


def test_a_meeting_is_recorded_on_the_page(people, signals, run):
    plan = make_plan(people, run)
    response = login(people.mgr1).post(
        f"/sop/plans/{plan.pk}/meetings/",
        {"stage": "demand_review", "held_on": "2026-12-05", "attendees": [people.planner.pk], "minutes": "上调华东"},
    )
    assert response.status_code == 303
    meeting = ReviewMeeting.objects.get()
    assert (meeting.plan_id, meeting.minutes, list(meeting.attendees.all())) == (plan.pk, "上调华东", [people.planner])
    assert f'data-meeting="{meeting.pk}"' in login(people.rep1).get(f"/sop/plans/{plan.pk}/").content.decode()


def test_the_compare_page_shows_the_change_against_the_previous_version(people, products, signals, run):
    make_plan(people, run)
    second = make_plan(people, run)
    plan_services.line_override(actor=people.mgr1, line=line(second, products.p1, JAN), quantity="7", reason="x")
    html = login(people.planner).get(f"/sop/plans/{second.pk}/compare/").content.decode()
    assert f'data-product="{products.p1.pk}" data-month="2027-01" data-delta="-1.500"' in html
    assert login(people.planner).get(f"/sop/plans/{second.pk}/compare/?with=999999").status_code == 404


def test_the_forecasts_page_renders_with_the_run_button_for_creators(people, run):
    from xietong.supply.models import ForecastRun

    ForecastRun.objects.filter(pk=run.pk).update(wape=0.21, mase=0.8, bias=0.05, models_chosen={"AutoETS": 2})
    html = login(people.planner).get("/sop/forecasts/").content.decode()
    assert f'data-run="{run.pk}"' in html
    assert 'id="forecast-run"' in html
    assert "forecast-accuracy-data" in html
    manager = login(people.mgr1).get("/sop/forecasts/")
    assert manager.status_code == 200
    assert 'id="forecast-run"' not in manager.content.decode()


def test_the_forecasts_page_charts_the_bias_by_business_unit(people, run, org):
    import json
    import re

    from xietong.supply.models import ForecastSeries

    ForecastSeries.objects.create(
        run=run, product=run.forecasts.first().product, business_unit=org["bu1"], model="AutoETS", bias=0.2
    )
    ForecastSeries.objects.create(
        run=run, product=run.forecasts.first().product, business_unit=org["bu2"], model="ADIDA", bias=-0.1
    )
    html = login(people.planner).get("/sop/forecasts/").content.decode()
    found = re.search(r'<script id="forecast-bias-data" type="application/json">(.*?)</script>', html, re.S)
    assert found
    data = json.loads(found.group(1))
    assert data["labels"] == {"wape": "WAPE", "bias": zh("Bias")}
    assert data["bu"] == [{"name": org["bu2"].name, "bias": -0.1}, {"name": org["bu1"].name, "bias": 0.2}]  # by name
    assert 'id="forecast-bias-bu-chart"' in html
    assert html.count("vendor/echarts/echarts.min.js") == 1


def test_contingency_plans_are_kept_by_planners(people):
    client = login(people.planner)
    response = client.post(
        "/sop/contingency/new/",
        {
            "name": "数控机床需求激增",
            "trigger": ContingencyTrigger.DEMAND_UP,
            "threshold_percent": "30",
            "product_line": "数控机床",
            "actions": "启用第二班次",
            "owner": people.planner.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 303
    made = ContingencyPlan.objects.get()
    assert (made.name, made.threshold_percent, made.owner_id) == ("数控机床需求激增", D("30.00"), people.planner.pk)
    assert f'data-contingency="{made.pk}"' in client.get("/sop/contingency/").content.decode()
    edited = client.post(
        f"/sop/contingency/{made.pk}/edit/",
        {"name": "改名", "trigger": "other", "actions": "x", "owner": people.planner.pk},
    )
    assert edited.status_code == 303
    made.refresh_from_db()
    assert (made.name, made.is_active) == ("改名", False)
    assert login(people.mgr1).get("/sop/contingency/new/").status_code == 404


def _contingency(people: Any, name: str = "关键部件供应商延期预案") -> ContingencyPlan:
    return plan_services.contingency_create(
        actor=people.planner, name=name, trigger=ContingencyTrigger.SUPPLIER_DELAY, actions="启用备选供应商"
    )


def test_a_planner_deletes_a_contingency_plan_from_its_edit_page(people):
    from xietong.core.models import AuditEntry

    kept = _contingency(people, "储能需求激增预案")
    made = _contingency(people)
    client = login(people.planner)
    page = client.get(f"/sop/contingency/{made.pk}/edit/").content.decode()
    assert f'action="/sop/contingency/{made.pk}/delete/"' in page
    assert 'id="contingency-delete" data-xt-confirm="' in page  # the browser asks before it posts
    response = client.post(f"/sop/contingency/{made.pk}/delete/")
    assert (response.status_code, response["Location"]) == (303, "/sop/contingency/")
    assert list(ContingencyPlan.objects.values_list("pk", flat=True)) == [kept.pk]
    entry = AuditEntry.objects.get(kind="delete")
    assert (entry.object_id, entry.object_repr, entry.actor_id) == (
        str(made.pk),
        "关键部件供应商延期预案",
        people.planner.pk,
    )
    listed = client.get("/sop/contingency/").content.decode()
    assert f'data-contingency="{made.pk}"' not in listed
    assert f'data-contingency="{kept.pk}"' in listed


def test_who_may_not_keep_contingency_plans_cannot_delete_them(people):
    made = _contingency(people)
    # a sales manager reads contingency plans but does not keep them: 404, like the edit page
    assert login(people.mgr1).get(f"/sop/contingency/{made.pk}/edit/").status_code == 404
    assert login(people.mgr1).post(f"/sop/contingency/{made.pk}/delete/").status_code == 404
    nobody = UserFactory(username="nobody", primary_team=people.org["east"])
    assert login(nobody).post(f"/sop/contingency/{made.pk}/delete/").status_code == 404
    assert login(people.planner).post("/sop/contingency/999999/delete/").status_code == 404
    assert list(ContingencyPlan.objects.values_list("pk", flat=True)) == [made.pk]


def test_a_get_does_not_delete_a_contingency_plan(people):
    made = _contingency(people)
    response = login(people.planner).get(f"/sop/contingency/{made.pk}/delete/")
    assert response.status_code == 405
    assert list(ContingencyPlan.objects.values_list("pk", flat=True)) == [made.pk]


def test_pages_render_for_a_zh_hans_user(people, products, signals, run):
    plan = make_plan(people, run)
    client = login(people.mgr1)
    for url in (
        "/sop/plans/",
        f"/sop/plans/{plan.pk}/",
        f"/sop/plans/{plan.pk}/compare/",
        "/sop/forecasts/",
        "/sop/contingency/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "zh-hans", url


def test_every_role_gets_404_for_a_line_of_another_bu(org):
    """``plan_matrix``'s routes for a BU1 holder of each role that reads demand, and no role at all
    (the whole matrix runs them with every role: tests/test_permission_matrix.py)."""
    roles = ensure_default_roles()
    outsider = UserFactory(username="outsider", primary_team=org["north"])
    records = plan_matrix.foreign(org, outsider)
    for code in ("bu_head", "sales_manager", "sales_rep", "supply_planner", "production_planner", "operations", ""):
        user = UserFactory(username=f"holder_{code or 'none'}", primary_team=org["shanghai"])
        if code:
            grant(user, roles[code])
        client = login(user)
        for route in plan_matrix.ROUTES:
            response = route.send(client, records["demand_line"])
            assert response.status_code == 404, f"{code}: {route.method} {route.url(records['demand_line'])}"
    found = DemandPlanLine.objects.get()
    assert (found.override, found.consensus, found.month) == (None, D("5.000"), date(2031, 1, 1))
    assert DemandOverride.objects.count() == 0


def test_the_run_forecast_button_runs_it(people, monkeypatch):
    import sys
    import types

    from xietong.supply.models import ForecastRun

    made: list[Any] = []

    def fake_run(*, actor: Any, first_month: date, horizon: int = 18, season_length: int = 12) -> ForecastRun:
        made.append((actor.pk, first_month, horizon))
        return ForecastRun.objects.create(status="done", first_month=first_month, horizon=horizon, series_count=4)

    module = types.ModuleType("xietong.supply.forecast_services")
    module.forecast_run = fake_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xietong.supply.forecast_services", module)
    import xietong.supply as supply_package

    monkeypatch.setattr(supply_package, "forecast_services", module, raising=False)
    response = login(people.planner).post("/sop/forecasts/run/", {"first_month": "2027-01", "horizon": "12"})
    assert response.status_code == 303
    assert made == [(people.planner.pk, date(2027, 1, 1), 12)]
    assert (
        login(people.mgr1).post("/sop/forecasts/run/", {"first_month": "2027-01", "horizon": "12"}).status_code == 403
    )
    assert len(made) == 1
