"""Demo S&OP data (org/demo.py runs this step after the orders' step).

- three warehouses and a production line per business unit with a monthly capacity (one line runs
  near its limit, so the supply review has an overload to show);
- supply master data for every product: services and consumables are bought, machines are made;
  lead times from two weeks to three months, MOQ and lot sizes, the three safety-stock methods;
- four years of monthly demand per product and business unit: a level per product, a yearly season
  (Spring Festival dip in February, a year-end peak), a slow trend and noise; one product in ten sells
  in lumps (intermittent), most months nothing. The last three years are XieTong's own order history
  (annual framework contracts of each BU's key customers, monthly call-off orders shipped in full:
  ``orders.demo_history``; each order invoiced and paid: ``receivables.demo_history``), the year
  before them an ERP export as a company starting with XieTong would import it (``SalesHistory``);
- inventory in the warehouses (some items short), open purchase and production orders;
- statistical forecasts run by the first supply planner (last month's and this month's), last
  month's plan approved (with sales managers' overrides on its first month) and this month's plan in
  supply review with its supply plan computed: shortages, planned orders, and the opportunities they
  put at risk;
- two contingency plans (应急预案) linked to this month's plan.

Deterministic (seeded) and idempotent: nothing is done once a warehouse exists, or when the demo
products are not there.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xietong.catalog.demo import SERVICE_LINE, UNSTOCKED_CODES
from xietong.org.demo import first_holder, register_demo_step

from .choices import ContingencyTrigger, DataSource, MakeOrBuy, ReceiptKind, SafetyStockMethod
from .models import (
    ContingencyPlan,
    InventoryPosition,
    ProductionLine,
    SalesHistory,
    ScheduledReceipt,
    SupplyItem,
    Warehouse,
)

SEED = 20261201
ERP_MONTHS = 12  # the year before XieTong, imported from the ERP
ORDER_MONTHS = 36  # XieTong's own orders
WAREHOUSES = (
    ("WH-SH", "上海青浦仓", "上海市青浦区华新镇华腾路 1288 号"),
    ("WH-SZ", "苏州工业园仓", "江苏省苏州市工业园区星港街 88 号"),
    ("WH-TJ", "天津武清仓", "天津市武清区京滨工业园 6 号"),
)
LINES = {
    "ind": ("LINE-IND-1", "数控装配一线", "40"),
    "med": ("LINE-MED-1", "医疗设备装配线", "60"),
    "energy": ("LINE-NE-1", "储能模组线", "25"),
}
# a month's weight in the year: the Spring Festival dip, the year-end push
SEASON = (1.0, 0.55, 0.95, 1.0, 1.05, 1.1, 0.95, 0.9, 1.05, 1.1, 1.2, 1.4)


def _month(d: date, offset: int) -> date:
    index = d.year * 12 + d.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _master_data(rng: random.Random, created: Counter[str]) -> tuple[list[SupplyItem], dict[str, Any]]:
    from xietong.catalog.models import Product
    from xietong.org.models import BusinessUnit

    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=LINES)}
    warehouses = [Warehouse.objects.create(code=c, name=n, address=a) for c, n, a in WAREHOUSES]
    created["warehouses"] += len(warehouses)
    lines = {}
    for code, (line_code, name, capacity) in LINES.items():
        bu = units.get(code)
        lines[bu.pk if bu else None] = ProductionLine.objects.create(
            code=line_code, name=name, business_unit=bu, capacity_per_month=Decimal(capacity)
        )
    created["production lines"] += len(lines)
    planners = {bu.pk: first_holder("supply_planner", bu.pk) for bu in units.values()}
    items = []
    # services and software licences are not stocked: no supply item, so no ATP on their lines, no
    # netting, no risk
    goods = Product.objects.filter(status="active").exclude(product_line=SERVICE_LINE).exclude(code__in=UNSTOCKED_CODES)
    for n, product in enumerate(goods.order_by("code")):
        make = product.list_price >= Decimal("50000")
        method = (SafetyStockMethod.FIXED, SafetyStockMethod.DAYS, SafetyStockMethod.SERVICE)[n % 3]
        items.append(
            SupplyItem(
                product=product,
                make_or_buy=MakeOrBuy.MAKE if make else MakeOrBuy.BUY,
                lead_time_days=rng.choice((14, 30, 45, 60, 90)),
                moq=Decimal(rng.choice((1, 2, 5, 10))),
                lot_size=Decimal(rng.choice((1, 1, 2, 5))),  # whole units: 台, 套 …
                safety_stock_method=method,
                safety_stock=Decimal(rng.randint(1, 6)),
                safety_days=rng.choice((15, 30, 45)),
                service_level=Decimal("0.950"),
                production_line=lines.get(product.business_unit_id) if make else None,
                planner=planners.get(product.business_unit_id or 0) or next(iter(planners.values()), None),
                source=DataSource.DEMO,
            )
        )
    SupplyItem.objects.bulk_create(items)
    created["supply items"] += len(items)
    return items, units


def _history(
    rng: random.Random, items: list[SupplyItem], units: dict[str, Any], this_month: date, created: Counter[str]
) -> dict[int, float]:
    """Four years of monthly demand per product × BU: the last three as XieTong's own orders (framework
    contracts with monthly call-offs, ``orders.demo_history``), the year before as an imported ERP
    export (``SalesHistory``); returns each product's recent monthly level (for stock)."""
    from xietong.contracts.models import Contract
    from xietong.orders import demo_history
    from xietong.receivables import demo_history as money_history

    quantities: dict[tuple[int, int, date], Decimal] = {}
    level_of: dict[int, float] = {}
    all_units = list(units.values())
    months = ERP_MONTHS + ORDER_MONTHS
    for n, item in enumerate(items):
        product = item.product
        owners = [u for u in all_units if u.pk == product.business_unit_id] or all_units
        intermittent = n % 10 == 7
        base = rng.uniform(2, 30) if product.list_price < Decimal("100000") else rng.uniform(1, 8)
        trend = rng.uniform(-0.005, 0.015)
        level_of[product.pk] = 0.0
        for bu in owners:
            share = 1.0 if len(owners) == 1 else rng.uniform(0.2, 0.6)
            for back in range(months, 0, -1):
                month = _month(this_month, -back)
                t = months - back
                if intermittent:
                    quantity = rng.choice((0, 0, 0, 0, 0, rng.randint(3, 12)))
                else:
                    mean = base * share * SEASON[month.month - 1] * (1 + trend) ** t
                    quantity = max(0, round(rng.gauss(mean, mean * 0.15)))
                quantities[(product.pk, bu.pk, month)] = Decimal(quantity)
                if back <= 6:
                    level_of[product.pk] += quantity / 6
    first_order_month = _month(this_month, -ORDER_MONTHS)
    in_orders = {key: q for key, q in quantities.items() if key[2] >= first_order_month and q > 0}
    left = demo_history.write(in_orders, today=timezone.localdate(), rng=rng, created=created)
    framework = Contract.objects.filter(number__startswith=demo_history.NUMBER_PREFIX).select_related(
        "customer", "owner"
    )
    money_history.write(framework.order_by("pk"), today=timezone.localdate(), rng=rng, created=created)
    rows = [
        SalesHistory(product_id=p, business_unit_id=b, month=m, quantity=q, source=DataSource.DEMO)
        for (p, b, m), q in sorted(quantities.items())
        if m < first_order_month or (p, b, m) in left
    ]
    SalesHistory.objects.bulk_create(rows, batch_size=2000)
    created["sales history months"] += len(rows)
    return level_of


def _stock(
    rng: random.Random, items: list[SupplyItem], level_of: dict[int, float], today: date, created: Counter[str]
) -> None:
    warehouses = list(Warehouse.objects.order_by("code"))
    now = timezone.now()
    positions, receipts = [], []
    for n, item in enumerate(items):
        level = level_of.get(item.product_id, 0.0)
        # most items hold one to three months; one in five is short
        cover = rng.uniform(0.1, 0.6) if n % 5 == 0 else rng.uniform(1.0, 3.0)
        on_hand = Decimal(round(level * cover))
        allocated = Decimal(min(int(on_hand), round(level * 0.3)))
        positions.append(
            InventoryPosition(
                item=item,
                warehouse=warehouses[n % len(warehouses)],
                on_hand=on_hand,
                allocated=allocated,
                in_transit=Decimal(rng.choice((0, 0, 1, 2))),
                as_of=now,
                source=DataSource.DEMO,
            )
        )
        if n % 3 == 0 and level >= 1:
            receipts.append(
                ScheduledReceipt(
                    reference=f"{'MO' if item.make_or_buy == MakeOrBuy.MAKE else 'PO'}-DEMO-{n + 1:04d}",
                    item=item,
                    warehouse=warehouses[n % len(warehouses)],
                    kind=ReceiptKind.PRODUCTION if item.make_or_buy == MakeOrBuy.MAKE else ReceiptKind.PURCHASE,
                    due_date=today + timedelta(days=rng.randint(10, 80)),
                    quantity=Decimal(max(1, round(level * rng.uniform(0.5, 1.5)))),
                    source=DataSource.DEMO,
                )
            )
    InventoryPosition.objects.bulk_create(positions)
    ScheduledReceipt.objects.bulk_create(receipts)
    created["inventory positions"] += len(positions)
    created["scheduled receipts"] += len(receipts)


def _overrides(plan: Any, units: dict[str, Any]) -> int:
    """In last month's demand review each BU's first sales manager raised or cut the two largest lines
    of its first month, with a reason (so the forecasts page has a bias per person to show)."""
    from xietong.org.models import UserRole

    from . import plan_services
    from .models import DemandPlanLine

    done = 0
    for bu in units.values():
        grant = (
            UserRole.objects.filter(role__code="sales_manager", user__business_unit=bu, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if grant is None:
            continue
        lines = DemandPlanLine.objects.filter(plan=plan, business_unit=bu, month=plan.first_month, consensus__gt=0)
        for n, line in enumerate(lines.order_by("-consensus", "pk")[:2]):
            factor, reason = (
                (Decimal("1.3"), "大客户追加订单，预计本月交付")
                if n == 0
                else (Decimal("0.8"), "渠道库存偏高，压减备货")
            )
            quantity = (line.consensus * factor).quantize(Decimal("1"))
            plan_services.line_override(actor=grant.user, line=line, quantity=quantity, reason=reason)
            done += 1
    return done


def _cycle(units: dict[str, Any], this_month: date, created: Counter[str]) -> None:
    """A forecast, last month's plan approved, this month's in supply review with its supply plan."""
    from . import forecast_services, plan_services, supply_services

    planner = next((p for p in (first_holder("supply_planner", bu.pk) for bu in units.values()) if p is not None), None)
    if planner is None:
        return
    # last month's cycle ran on last month's forecast; its first month now has actuals to compare
    last_run = forecast_services.forecast_run(actor=planner, first_month=_month(this_month, -1), horizon=18)
    run = forecast_services.forecast_run(actor=planner, first_month=this_month, horizon=18)
    created["forecast runs"] += 2
    last = plan_services.plan_create(actor=planner, cycle=_month(this_month, -1), horizon=18, forecast_run=last_run)
    created["demand overrides"] += _overrides(last, units)
    plan_services.plan_advance(actor=planner, plan=last)  # → supply review
    plan_services.plan_advance(actor=planner, plan=last)  # → executive review (approved at once without a flow)
    current = plan_services.plan_create(actor=planner, cycle=this_month, horizon=18, forecast_run=run)
    created["demand plans"] += 2
    plan_services.plan_advance(actor=planner, plan=current)  # → supply review
    supply_services.supply_plan_compute(actor=planner, plan=current)
    for name, trigger, threshold, line, actions in (
        (
            "储能需求激增预案",
            ContingencyTrigger.DEMAND_UP,
            Decimal("30"),
            "储能系统",
            "1. 启用第二班次，储能模组线产能提升 40%；\n"
            "2. 电芯供应商启动备选（宁德/亿纬）；\n3. 销售按毛利优先级确认交期。",
        ),
        (
            "关键部件供应商延期预案",
            ContingencyTrigger.SUPPLIER_DELAY,
            None,
            "",
            "1. 启用安全库存并每日盘点；\n2. 通知受影响商机负责人，调整承诺交期；\n3. 采购启用二供并加急空运。",
        ),
    ):
        plan = ContingencyPlan.objects.create(
            name=name, trigger=trigger, threshold_percent=threshold, product_line=line, actions=actions, owner=planner
        )
        plan.plans.add(current)
    created["contingency plans"] += 2


def load(created: Counter[str]) -> None:
    from xietong.catalog.models import Product

    if Warehouse.objects.exists() or not Product.objects.filter(code="VMC-850").exists():
        return
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    today = timezone.localdate()
    this_month = today.replace(day=1)
    items, units = _master_data(rng, created)
    level_of = _history(rng, items, units, this_month, created)
    _stock(rng, items, level_of, today, created)
    _cycle(units, this_month, created)


register_demo_step(load)
