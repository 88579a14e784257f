"""The S&OP journey of issue 7 in Chromium: a planner runs the monthly cycle — reviews demand, sees a
shortage, accepts planned orders — and the sales owner sees the at-risk flag on the deal.

A BU1 rep's open deal wants 30 of a bought servo press next month at 60 % (weighted pipeline 18);
no forecast run, so the pipeline drives the proposal. The planner (a role reading and planning the
whole group's demand and supply) overrides next month to 25 with a reason → advances the version to
supply review → computes the supply plan: 5 on hand, 25 wanted, 60 days' lead time, so the planned
purchase of 20 cannot arrive in time → the item is "not covered" → the planner accepts the planned
order and exports it for the ERP; the rep opens the deal (desktop and phone) and reads the at-risk
alert naming the product.

Screenshots in test-artifacts/screenshots/sop-*.png."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import browser, contexts, logged_in  # noqa: F401  (the fixtures)
from tests.e2e.conftest import shot as full_shot
from tests.support.factories import UserFactory, grant, make_role
from tests.support.i18n import zh
from tests.support.pipeline import ProductFactory, opportunity
from xietong.collaboration.models import Notification
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles
from xietong.pipeline.models import OpportunityLine
from xietong.supply import plan_services
from xietong.supply.choices import MakeOrBuy
from xietong.supply.models import (
    DemandOverride,
    DemandPlan,
    DemandPlanLine,
    InventoryPosition,
    OpportunityRisk,
    PlannedOrder,
    SupplyItem,
    Warehouse,
)
from xietong.supply.supply_services import KIND_AT_RISK

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

D = Decimal


def shot(pg: Any, name: str) -> None:
    pg.evaluate("window.scrollTo(0, 0)")
    full_shot(pg, f"sop-{name}")


def next_month(d: date) -> date:
    return plan_services.add_months(plan_services.month_start(d), 1)


@pytest.fixture
def scene(org: dict[str, Any]) -> SimpleNamespace:
    """The rep's deal (30 × the press next month, 60 %), the press's supply data (buy, 60 days, MOQ 10,
    lot 5, 5 on hand), the planner and this month's plan version 1 (horizon 6, no forecast run)."""
    roles = ensure_default_roles()
    cycle = plan_services.month_start(timezone.localdate())
    wanted = next_month(cycle)

    rep: Any = UserFactory(username="rep", display_name="王销售", primary_team=org["pudong"])
    grant(rep, roles["sales_rep"])
    planner_role = make_role(
        "sop_planner",
        {
            "demand": (DataScope.GROUP, {"view", "create", "edit", "export"}),
            "supply": (DataScope.GROUP, {"view", "edit", "export"}),
        },
        name="集团计划员",
    )
    planner: Any = UserFactory(username="planner", display_name="赵计划", primary_team=org["supply"])
    grant(planner, planner_role)

    press: Any = ProductFactory(
        name="伺服压力机", code="SP-200", unit="台", list_price=D("80000.00"), business_unit=org["bu1"]
    )
    deal = opportunity(rep, name="苏州汽配产线扩建", probability=60, forecast_category="commit")
    OpportunityLine.objects.create(
        opportunity=deal, product=press, quantity=D("30"), unit_price=D("80000.00"), delivery_month=wanted, position=0
    )
    item = SupplyItem.objects.create(
        product=press,
        make_or_buy=MakeOrBuy.BUY,
        lead_time_days=60,
        moq=D("10"),
        lot_size=D("5"),
        planner=planner,
    )
    warehouse = Warehouse.objects.create(code="WH-SH", name="上海中心仓", business_unit=org["bu1"])
    InventoryPosition.objects.create(
        item=item, warehouse=warehouse, on_hand=D("5"), allocated=D("0"), in_transit=D("0"), as_of=timezone.now()
    )
    plan = plan_services.plan_create(actor=planner, cycle=cycle, horizon=6)
    line = DemandPlanLine.objects.get(plan=plan, product=press, business_unit=org["bu1"], month=wanted)
    assert (line.baseline, line.pipeline, line.proposal, line.consensus) == (D("0"), D("18"), D("18"), D("18"))
    return SimpleNamespace(
        org=org, rep=rep, planner=planner, press=press, deal=deal, item=item, plan=plan, line=line, wanted=wanted
    )


def test_a_planner_runs_the_cycle_and_the_rep_sees_the_deal_at_risk(live_server, browser, contexts, scene, password):  # noqa: F811
    base = live_server.url
    plan, line, item = scene.plan, scene.line, scene.item
    month = f"{scene.wanted:%Y-%m}"

    # 1. planner: the plan list → this month's version 1 → the demand review grid
    planner = logged_in(browser, contexts, base, "planner", password)
    planner.goto(f"{base}/sop/plans/")
    planner.locator(f"#plan-list a[href='/sop/plans/{plan.pk}/']").click()
    planner.wait_for_url(re.compile(rf"/sop/plans/{plan.pk}/$"))
    expect(planner.locator("#plan-stage")).to_have_attribute("data-stage", "demand_review")
    expect(planner.locator("#plan-stage-bar [aria-current=step]")).to_have_attribute("data-stage", "demand_review")
    row = planner.locator(f"#plan-grid-table tbody tr[data-product='{scene.press.pk}']")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text("伺服压力机")
    cell = planner.locator(f"#plan-cell-{line.pk}")
    expect(cell).to_have_attribute("data-consensus", "18.000")
    expect(planner.locator("#plan-total")).to_have_text("18")
    shot(planner, "01-demand-review")

    # 2. the inline override (htmx): 18 → 25 with a reason; the cell shows the new consensus
    cell.locator("a").click()
    form = planner.locator("#plan-override-form")
    expect(form).to_be_visible()
    expect(planner).to_have_url(re.compile(rf"/sop/plans/{plan.pk}/$"))  # in place, not a new page
    form.locator("input[name=quantity]").fill("25")
    form.locator("input[name=reason]").fill("客户确认二期追加，按 25 台备货")
    shot(planner, "02-override-form")
    form.locator("button[type=submit]").click()
    expect(planner.locator("#plan-override-form")).to_have_count(0)
    cell = planner.locator(f"#plan-cell-{line.pk}")
    expect(cell).to_have_attribute("data-consensus", "25.000")
    expect(cell.locator("a")).to_have_text("25")
    expect(cell.locator("i.bi-pencil-fill")).to_have_count(1)  # marked overridden
    shot(planner, "03-override-saved")
    line.refresh_from_db()
    assert (line.proposal, line.override, line.consensus) == (D("18"), D("25"), D("25"))
    assert list(DemandOverride.objects.filter(line=line).values_list("previous", "quantity", "reason", "user")) == [
        (None, D("25"), "客户确认二期追加，按 25 台备货", scene.planner.pk)
    ]

    # 3. advance to supply review; the stage bar moves on
    planner.locator("#plan-advance").click()
    expect(planner.locator("#plan-stage")).to_have_attribute("data-stage", "supply_review")
    expect(planner.locator("#plan-stage-bar [aria-current=step]")).to_have_attribute("data-stage", "supply_review")
    expect(planner.locator("#plan-total")).to_have_text("25")
    assert DemandPlan.objects.get(pk=plan.pk).stage == "supply_review"

    # 4. the supply review: nothing computed yet → compute → the press is short (the late order)
    planner.locator(f"#plan-stage-bar a[href='/sop/plans/{plan.pk}/supply/']").click()
    planner.wait_for_url(re.compile(rf"/sop/plans/{plan.pk}/supply/$"))
    expect(planner.locator("#supply-empty")).to_be_visible()
    expect(planner.locator("#supply-summary [data-figure=computed]")).to_have_text(zh("Not yet"))
    planner.locator("#supply-compute").click()
    planner.wait_for_url(re.compile(rf"/sop/plans/{plan.pk}/supply/$"))
    expect(planner.locator("#supply-empty")).to_have_count(0)
    summary = planner.locator("#supply-summary")
    expect(summary.locator("[data-figure=items]")).to_have_text("1")
    expect(summary.locator("[data-figure=items_short]")).to_have_text("1")
    expect(summary.locator("[data-figure=planned_orders]")).to_have_text("1")
    expect(summary.locator("[data-figure=proposed]")).to_have_text("1")
    group = planner.locator(f"#supply-projection tbody[data-item='{item.pk}']")
    expect(group).to_have_attribute("data-short", "1")
    # The item's badge. The page derives "not covered" from projected < safety stock, which the
    # netting never stores (its projection counts the late order in); the late order's shortfall
    # shows in the planned order's note and the deal's risk below. Either badge is the highlight.
    badge = group.locator("th .xt-badge")
    expect(badge).to_have_count(1)
    expect(badge).to_have_text(re.compile(rf"^({re.escape(zh('needs supply'))}|{re.escape(zh('not covered'))})$"))
    rows = group.locator("tr")
    expect(rows).to_have_count(4)  # demand, scheduled receipts, planned receipts, projected
    wanted_index = 1  # the cycle month, then the wanted month
    expect(rows.nth(0).locator("td.xt-num").nth(wanted_index)).to_have_text("25")
    expect(rows.nth(2).locator("td.xt-num").nth(wanted_index)).to_have_text("20")
    projected = group.locator(f"td[data-month='{month}']")
    expect(projected).to_have_attribute("title", re.compile(r"20$"))  # the shortage before planned orders
    shot(planner, "04-supply-review-computed")

    # 5. planned orders: the late purchase of 20 (MOQ 10, lot 5) → accept it in its row (htmx)
    planner.locator("#supply-orders-link").click()
    planner.wait_for_url(re.compile(rf"/sop/plans/{plan.pk}/planned-orders/$"))
    order = PlannedOrder.objects.get(plan=plan)
    assert (order.item_id, order.kind, order.due_month, order.quantity, order.status) == (
        item.pk,
        "purchase",
        scene.wanted,
        D("20"),
        "proposed",
    )
    po = planner.locator(f"#po-{order.pk}")
    expect(po).to_have_attribute("data-status", "proposed")
    expect(po.locator("[data-quantity]")).to_have_attribute("data-quantity", "20.000")
    expect(po).to_contain_text(zh("Late: cannot arrive in time with the lead time."))
    shot(planner, "05-planned-orders")
    po.locator("[data-decide=accept]").click()
    expect(po).to_have_attribute("data-status", "accepted")
    expect(po.locator("[data-decide=accept]")).to_have_count(0)
    expect(po).to_contain_text("赵计划")  # decided by
    expect(planner).to_have_url(re.compile(rf"/sop/plans/{plan.pk}/planned-orders/$"))
    shot(planner, "06-planned-order-accepted")
    assert PlannedOrder.objects.get(pk=order.pk).status == "accepted"

    # 6. export for the ERP (CSV): the accepted order, then marked exported
    with planner.expect_download() as download:
        planner.locator("#po-export-csv").click()
    content = (download.value.path().read_bytes()).decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(content)))
    assert len(records) == 2  # the header and the one accepted order
    assert "SP-200" in records[1]
    assert PlannedOrder.objects.get(pk=order.pk).status == "exported"

    # the deal is flagged at risk by the compute
    risk = OpportunityRisk.objects.get(opportunity=scene.deal)
    assert (risk.product_id, risk.plan_id, risk.month, risk.shortage, risk.resolved_at) == (
        scene.press.pk,
        plan.pk,
        scene.wanted,
        D("20"),
        None,
    )

    # the owner is told (the item's planner too, but here the planner is the one who computed it)
    told = Notification.objects.filter(kind=KIND_AT_RISK, object_id=str(scene.deal.pk))
    assert list(told.values_list("recipient", flat=True)) == [scene.rep.pk]

    # 7. the rep opens the deal: the at-risk alert names the product, the quantity and the month
    rep = logged_in(browser, contexts, base, "rep", password)
    rep.goto(f"{base}/pipeline/opportunities/{scene.deal.pk}/")
    alert = rep.locator("#supply-risk")
    expect(alert).to_be_visible()
    expect(alert.locator("h2")).to_have_text(zh("At risk: supply cannot cover this deal in time"))
    expect(alert.locator("li")).to_have_text(
        zh(
            "Short of %(quantity)s %(unit)s of %(product)s in %(month)s: supply cannot arrive in time.",
            quantity="20",
            unit="台",
            product="伺服压力机",
            month=month,
        )
    )
    shot(rep, "07-deal-at-risk")

    # 8. the same on the rep's phone: the alert fits, no sideways scrolling
    phone = logged_in(browser, contexts, base, "rep", password, phone=True)
    phone.goto(f"{base}/pipeline/opportunities/{scene.deal.pk}/")
    expect(phone.locator("#supply-risk")).to_be_visible()
    expect(phone.locator("#supply-risk")).to_contain_text("伺服压力机")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "08-deal-at-risk-phone")
