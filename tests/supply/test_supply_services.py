"""The supply plan services (supply/supply_services.py) on a small hand-checked world.

Plan: 2027-01, horizon 3 months, in supply review.

- A (buy, lead 0, safety fixed 10): stock 50; demand 20 a month (BU1 12 + BU2 8) → 30, 10, −10 →
  a planned order of 20 in March, nothing short.
- B (make on line L1, lead 45 days = 2 months, lot 50, safety 0): no stock; demand 30 in January,
  30 in February; an open production receipt of 120 due 2027-03-05 →
  January: −30 → 50 (late) → 20; February: −10 → 50 (late) → 40; March: +120 → 160.
  Without the late orders: short 30 in January, 60 in February, nothing in March.
  L1 (capacity 100, 60 in March): load 50, 50, 120 → overloaded in March.
- C (buy, lead 10 days = 1 month, safety 15 days of cover, MOQ 25): stock 40; demand 60, 0, 30 → average 30,
  safety 15 → January: −20 → need 35 → 35 (late) → 15; February 15; March −15 → 30 → 15.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from tests.support.factories import UserFactory, grant, make_role
from tests.support.pipeline import ProductFactory, opportunity
from xietong.collaboration.models import Notification
from xietong.core.errors import Conflict, NotFound
from xietong.org.defaults import ensure_default_roles
from xietong.pipeline.models import OpportunityLine
from xietong.supply import supply_services
from xietong.supply.choices import MakeOrBuy, PlannedOrderStatus, PlanStage, ReceiptKind, SafetyStockMethod
from xietong.supply.models import (
    DemandPlan,
    DemandPlanLine,
    InventoryPosition,
    LineCapacity,
    OpportunityRisk,
    PlannedOrder,
    ProductionLine,
    ProjectedInventory,
    ScheduledReceipt,
    SupplyItem,
    Warehouse,
)

D = Decimal
JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


def _line(plan, product, bu, month, consensus):
    DemandPlanLine.objects.create(
        plan=plan, product=product, business_unit=bu, month=month, proposal=D(consensus), consensus=D(consensus)
    )


@pytest.fixture
def world(org) -> SimpleNamespace:
    supply_services.register_kinds()
    roles = ensure_default_roles()
    planner = UserFactory(username="planner", primary_team=org["supply"])
    grant(planner, roles["supply_planner"])
    rep = UserFactory(username="rep", primary_team=org["pudong"])
    grant(rep, roles["sales_rep"])
    line = ProductionLine.objects.create(code="L1", name="一号线", capacity_per_month=D("100"))
    LineCapacity.objects.create(line=line, month=MAR, capacity=D("100"))
    warehouse = Warehouse.objects.create(code="SH", name="上海仓")
    pa, pb, pc = ProductFactory(name="产品A"), ProductFactory(name="产品B"), ProductFactory(name="产品C")
    a = SupplyItem.objects.create(product=pa, safety_stock=D("10"), planner=planner)
    b = SupplyItem.objects.create(
        product=pb,
        make_or_buy=MakeOrBuy.MAKE,
        lead_time_days=45,
        lot_size=D("50"),
        production_line=line,
        planner=planner,
    )
    c = SupplyItem.objects.create(
        product=pc, lead_time_days=10, moq=D("25"), safety_stock_method=SafetyStockMethod.DAYS, safety_days=15
    )
    at = timezone.make_aware(datetime(2026, 12, 20, 9, 0))
    InventoryPosition.objects.create(item=a, warehouse=warehouse, on_hand=D("55"), allocated=D("5"), as_of=at)
    InventoryPosition.objects.create(item=c, warehouse=warehouse, on_hand=D("30"), in_transit=D("10"), as_of=at)
    ScheduledReceipt.objects.create(
        reference="MO-1", item=b, kind=ReceiptKind.PRODUCTION, due_date=date(2027, 3, 5), quantity=D("120")
    )
    plan = DemandPlan.objects.create(
        cycle=date(2026, 12, 1), title="2026年12月", stage=PlanStage.SUPPLY_REVIEW, first_month=JAN, horizon=3
    )
    for month in (JAN, FEB, MAR):
        _line(plan, pa, org["bu1"], month, "12")
        _line(plan, pa, org["bu2"], month, "8")
    _line(plan, pb, org["bu1"], JAN, "30")
    _line(plan, pb, org["bu1"], FEB, "20")
    _line(plan, pb, org["bu2"], FEB, "10")
    _line(plan, pc, org["bu1"], JAN, "60")
    _line(plan, pc, org["bu1"], MAR, "30")
    deal = opportunity(rep, name="宝钢项目")
    OpportunityLine.objects.create(
        opportunity=deal, product=pb, quantity=D("40"), unit_price=D("1000.00"), delivery_month=FEB
    )
    OpportunityLine.objects.create(
        opportunity=deal, product=pa, quantity=D("5"), unit_price=D("1000.00"), delivery_month=FEB
    )
    safe = opportunity(rep, name="安全项目")
    OpportunityLine.objects.create(opportunity=safe, product=pa, quantity=D("5"), unit_price=D("1.00"))
    return SimpleNamespace(
        org=org, planner=planner, rep=rep, line=line, a=a, b=b, c=c, plan=plan, deal=deal, safe=safe, roles=roles
    )


def _projection(plan, item):
    rows = ProjectedInventory.objects.filter(plan=plan, item=item).order_by("month")
    return [(r.demand, r.receipts, r.planned, r.projected, r.safety_stock, r.shortage) for r in rows]


def test_compute_writes_the_hand_checked_projection_and_planned_orders(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    assert summary == {
        "plan": world.plan.pk,
        "items": 3,
        "periods": 3,
        "shortages": 5,
        "late": 3,
        "planned_orders": 5,
        "kept_orders": 0,
        "overloads": 1,
        "at_risk": 1,
        "resolved": 0,
        "beyond_atp": 0,
        "orders_beyond_atp": 0,
    }
    assert _projection(world.plan, world.a) == [
        (D("20"), D("0"), D("0"), D("30"), D("10"), D("0")),
        (D("20"), D("0"), D("0"), D("10"), D("10"), D("0")),
        (D("20"), D("0"), D("20"), D("10"), D("10"), D("20")),
    ]
    assert _projection(world.plan, world.b) == [
        (D("30"), D("0"), D("50"), D("20"), D("0"), D("30")),
        (D("30"), D("0"), D("50"), D("40"), D("0"), D("10")),
        (D("0"), D("120"), D("0"), D("160"), D("0"), D("0")),
    ]
    assert _projection(world.plan, world.c) == [
        (D("60"), D("0"), D("35"), D("15"), D("15"), D("35")),
        (D("0"), D("0"), D("0"), D("15"), D("15"), D("0")),
        (D("30"), D("0"), D("30"), D("15"), D("15"), D("30")),
    ]
    orders = [
        (o.item_id, o.kind, o.release_date, o.due_month, o.quantity, o.production_line_id, o.status)
        for o in PlannedOrder.objects.filter(plan=world.plan).order_by("item_id", "due_month")
    ]
    assert orders == [
        (world.a.pk, "purchase", MAR, MAR, D("20"), None, "proposed"),
        (world.b.pk, "production", JAN, JAN, D("50"), world.line.pk, "proposed"),
        (world.b.pk, "production", JAN, FEB, D("50"), world.line.pk, "proposed"),
        (world.c.pk, "purchase", JAN, JAN, D("35"), None, "proposed"),
        (world.c.pk, "purchase", FEB, MAR, D("30"), None, "proposed"),
    ]
    (risk,) = OpportunityRisk.objects.all()
    assert (risk.opportunity_id, risk.product_id, risk.month, risk.shortage, risk.plan_id, risk.resolved_at) == (
        world.deal.pk,
        world.b.product_id,
        JAN,
        D("60"),
        world.plan.pk,
        None,
    )
    assert world.b.product.name in risk.reason
    recipients = sorted(
        Notification.objects.filter(kind="supply_opportunity_at_risk").values_list("recipient_id", flat=True)
    )
    assert recipients == [world.rep.pk]  # the planner computed it: the actor is not told of their own act
    world.plan.refresh_from_db()
    assert world.plan.supply_planned_at is not None


def test_capacity_load_flags_the_overloaded_month(world):
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    rows = supply_services.capacity_load(world.plan)
    assert [(r["line_id"], r["month"], r["load"], r["capacity"], r["overloaded"]) for r in rows] == [
        (world.line.pk, JAN, D("50"), D("100"), False),
        (world.line.pk, FEB, D("50"), D("100"), False),
        (world.line.pk, MAR, D("120"), D("100"), True),
    ]


def test_recompute_keeps_decided_orders_as_firm_receipts_and_resolves_risks(world):
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    a_order = PlannedOrder.objects.get(plan=world.plan, item=world.a)
    supply_services.planned_order_decide(actor=world.planner, order=a_order, decision="change", quantity=D("25"))
    # more stock of B arrives: nothing short any more
    ScheduledReceipt.objects.create(reference="MO-2", item=world.b, due_date=date(2026, 12, 28), quantity=D("100"))
    summary = supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    assert (summary["kept_orders"], summary["at_risk"], summary["resolved"]) == (1, 0, 1)
    assert PlannedOrder.objects.filter(plan=world.plan, item=world.a).count() == 1
    kept = PlannedOrder.objects.get(plan=world.plan, item=world.a)
    assert (kept.pk, kept.status, kept.quantity) == (a_order.pk, PlannedOrderStatus.CHANGED, D("25"))
    assert _projection(world.plan, world.a)[2] == (D("20"), D("0"), D("25"), D("15"), D("10"), D("0"))
    assert OpportunityRisk.objects.get().resolved_at is not None


def test_service_level_safety_stock_from_forecast_error(world):
    from xietong.supply.models import ForecastRun, ForecastSeries

    run = ForecastRun.objects.create(status="done", first_month=JAN)
    ForecastSeries.objects.create(
        run=run, product=world.a.product, business_unit=world.org["bu1"], model="x", residual_sd=3.0
    )
    ForecastSeries.objects.create(
        run=run, product=world.a.product, business_unit=world.org["bu2"], model="x", residual_sd=1.0
    )
    SupplyItem.objects.filter(pk=world.a.pk).update(
        safety_stock_method=SafetyStockMethod.SERVICE, service_level=D("0.950"), lead_time_days=100
    )
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    # z(0.95) = 1.6448536…, σ = 3 + 1 = 4, lead 4 months → √4 = 2 → 13.1588… → 13.159 (up to thousandths)
    row = ProjectedInventory.objects.get(plan=world.plan, item=world.a, month=JAN)
    assert row.safety_stock == D("13.159")


@pytest.mark.parametrize("stage", [PlanStage.DEMAND_REVIEW, PlanStage.EXECUTIVE_REVIEW, PlanStage.SUPERSEDED])
def test_compute_refused_outside_supply_review_and_approved(world, stage):
    DemandPlan.objects.filter(pk=world.plan.pk).update(stage=stage)
    with pytest.raises(Conflict):
        supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    assert not ProjectedInventory.objects.exists()


def test_compute_allowed_on_an_approved_plan(world):
    DemandPlan.objects.filter(pk=world.plan.pk).update(stage=PlanStage.APPROVED)
    assert supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)["planned_orders"] == 5


def test_compute_needs_supply_edit(world):
    with pytest.raises(PermissionDenied):
        supply_services.supply_plan_compute(actor=world.rep, plan=world.plan)


def test_a_buyer_with_supply_but_no_demand_plans_computes_and_exports_what_the_supply_pages_show(world):
    """The supply services find a plan through the supply pages' entry point: "supply" alone suffices."""
    from xietong.core.choices import DataScope

    buyer = UserFactory(username="buyer", primary_team=world.org["supply"])
    grant(buyer, make_role("buyer", {"supply": (DataScope.GROUP, {"view", "edit", "export"})}))
    summary = supply_services.supply_plan_compute(actor=buyer, plan=world.plan)
    assert summary["planned_orders"] == 5
    order = PlannedOrder.objects.filter(plan=world.plan).order_by("pk").first()
    assert supply_services.planned_order_decide(actor=buyer, order=order, decision="accept").status == "accepted"
    name, content, _type = supply_services.planned_orders_export(actor=buyer, plan=world.plan, fmt="csv")
    assert name.endswith(".csv") and order.item.product.code in content.decode("utf-8-sig")
    with pytest.raises(NotFound):
        supply_services.supply_plan_compute(actor=buyer, plan=world.plan.pk + 1000)


def test_decide_accept_change_reject_and_validation(world):
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    first, second, third = PlannedOrder.objects.filter(plan=world.plan, item__in=[world.b, world.c]).order_by("pk")[:3]
    done = supply_services.planned_order_decide(actor=world.planner, order=first, decision="accept", note="好")
    assert (done.status, done.quantity, done.note, done.decided_by_id) == ("accepted", D("50"), "好", world.planner.pk)
    with pytest.raises(ValidationError) as info:
        supply_services.planned_order_decide(actor=world.planner, order=second, decision="change", quantity=D("0"))
    assert list(info.value.message_dict) == ["quantity"]
    with pytest.raises(ValidationError) as info:
        supply_services.planned_order_decide(actor=world.planner, order=second, decision="change", quantity="1e30")
    assert list(info.value.message_dict) == ["quantity"]
    with pytest.raises(ValidationError) as info:
        supply_services.planned_order_decide(actor=world.planner, order=second, decision="maybe")
    assert list(info.value.message_dict) == ["decision"]
    changed = supply_services.planned_order_decide(
        actor=world.planner, order=second, decision="change", quantity=D("75.5"), release_date=date(2027, 1, 15)
    )
    assert (changed.status, changed.quantity, changed.proposed_quantity, changed.release_date) == (
        "changed",
        D("75.5"),
        D("50"),
        date(2027, 1, 15),
    )
    rejected = supply_services.planned_order_decide(actor=world.planner, order=third, decision="reject")
    assert rejected.status == "rejected"
    with pytest.raises(PermissionDenied):
        supply_services.planned_order_decide(actor=world.rep, order=third, decision="accept")
    with pytest.raises(NotFound):
        supply_services.planned_order_decide(actor=world.planner, order=999999, decision="accept")


def test_decisions_allowed_on_approved_refused_on_superseded(world):
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    order = PlannedOrder.objects.filter(plan=world.plan).first()
    DemandPlan.objects.filter(pk=world.plan.pk).update(stage=PlanStage.APPROVED)
    assert (
        supply_services.planned_order_decide(actor=world.planner, order=order, decision="accept").status == "accepted"
    )
    DemandPlan.objects.filter(pk=world.plan.pk).update(stage=PlanStage.SUPERSEDED)
    with pytest.raises(Conflict):
        supply_services.planned_order_decide(actor=world.planner, order=order, decision="reject")


def test_export_csv_and_xlsx_marks_orders_exported_and_locks_them(world):
    supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    orders = list(PlannedOrder.objects.filter(plan=world.plan).order_by("release_date", "pk"))
    supply_services.planned_order_decide(actor=world.planner, order=orders[0], decision="accept")
    supply_services.planned_order_decide(actor=world.planner, order=orders[1], decision="change", quantity=D("60.125"))
    supply_services.planned_order_decide(actor=world.planner, order=orders[2], decision="reject")
    name, content, content_type = supply_services.planned_orders_export(actor=world.planner, plan=world.plan, fmt="csv")
    assert (name, content_type) == ("planned-orders-2026-12-v1.csv", "text/csv; charset=utf-8")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        (f"XT-PO-{world.plan.pk}-{orders[0].pk}", orders[0].item.product.code, "50.000"),
        (f"XT-PO-{world.plan.pk}-{orders[1].pk}", orders[1].item.product.code, "60.125"),
    ]
    assert set(PlannedOrder.objects.filter(plan=world.plan).values_list("status", flat=True)) == {
        "exported",
        "rejected",
        "proposed",
    }
    assert PlannedOrder.objects.get(pk=orders[0].pk).exported_at is not None
    with pytest.raises(Conflict):
        supply_services.planned_order_decide(actor=world.planner, order=orders[0], decision="reject")
    name, content, content_type = supply_services.planned_orders_export(
        actor=world.planner, plan=world.plan, fmt="xlsx"
    )
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[0], v[4]) for v in values] == [
        (f"XT-PO-{world.plan.pk}-{orders[0].pk}", D("50.000")),
        (f"XT-PO-{world.plan.pk}-{orders[1].pk}", D("60.125")),
    ]
    with pytest.raises(ValidationError) as info:
        supply_services.planned_orders_export(actor=world.planner, plan=world.plan, fmt="pdf")
    assert list(info.value.message_dict) == ["format"]


def test_committed_opportunity_beyond_atp_tells_owner_and_planner(world, django_capture_on_commit_callbacks):
    OpportunityLine.objects.filter(opportunity=world.safe).update(delivery_month=JAN, quantity=D("80"))
    type(world.safe).objects.filter(pk=world.safe.pk).update(forecast_category="commit")
    with django_capture_on_commit_callbacks(execute=True):
        summary = supply_services.supply_plan_compute(
            actor=world.rep.__class__.objects.get(pk=world.planner.pk), plan=world.plan
        )
    assert summary["beyond_atp"] == 1
    notes = Notification.objects.filter(kind="supply_beyond_atp")
    assert [(n.recipient_id, n.object_id) for n in notes] == [(world.rep.pk, str(world.safe.pk))]


def test_a_committed_line_of_a_product_without_supply_data_is_not_checked_against_atp(
    world, django_capture_on_commit_callbacks
):
    # a service (no supply item): nothing is stocked, so there is no ATP to fall short of
    service = ProductFactory(name="安装调试服务")
    OpportunityLine.objects.create(
        opportunity=world.safe, product=service, quantity=D("16"), unit_price=D("1.00"), delivery_month=JAN
    )
    type(world.safe).objects.filter(pk=world.safe.pk).update(forecast_category="commit")
    with django_capture_on_commit_callbacks(execute=True):
        summary = supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    assert summary["beyond_atp"] == 0
    assert not Notification.objects.filter(kind="supply_beyond_atp").exists()


def test_an_open_order_beyond_atp_tells_its_owner_and_the_planner(world, django_capture_on_commit_callbacks):
    from tests.support.money import contract, order

    # B has no stock and nothing due before March: an order of 10 promised on 2027-01-15 is short
    late = order(contract(world.rep, lines=[(world.b.product, "10", "100.00")]), promised_date=date(2027, 1, 15))
    # A has 50 available: an order of 5 is fine
    order(contract(world.rep, lines=[(world.a.product, "5", "100.00")]), promised_date=date(2027, 1, 15))
    with django_capture_on_commit_callbacks(execute=True):
        summary = supply_services.supply_plan_compute(actor=world.planner, plan=world.plan)
    assert summary["orders_beyond_atp"] == 1
    notes = Notification.objects.filter(kind="supply_order_beyond_atp")
    assert [(n.recipient_id, n.object_id, n.params["shortage"]) for n in notes] == [(world.rep.pk, str(late.pk), "10")]


def test_the_daily_check_tells_owner_and_planner_once_of_an_order_beyond_atp(world, django_capture_on_commit_callbacks):
    from tests.support.money import contract, order
    from xietong.supply import tasks

    late = order(contract(world.rep, lines=[(world.b.product, "10", "100.00")]), promised_date=date(2027, 1, 15))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_promises.call() == 1
    notes = Notification.objects.filter(kind="supply_order_beyond_atp").order_by("recipient_id")
    assert [(n.recipient_id, n.object_id) for n in notes] == sorted(
        [(world.rep.pk, str(late.pk)), (world.b.planner_id, str(late.pk))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.check_promises.call()  # the next day: still beyond, nobody is told twice
    assert Notification.objects.filter(kind="supply_order_beyond_atp").count() == 2
