"""Reads of the supply plan pages: the projection grid, planned orders, capacity, chart series and
available-to-promise. Everything starts from ``visible_to(user, "view")`` of the "supply" module
(reference data of the whole group: whoever holds "supply" view reads it).

Capacity load and available-to-promise come from the engines (``supply_services.capacity_load``,
``atp.available_to_promise`` / ``atp.atp_detail``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from xietong.core.errors import NotFound
from xietong.core.params import as_int
from xietong.org.policies import require

from . import atp, supply_services
from .choices import PlannedOrderStatus, ReceiptKind
from .models import DemandPlan, PlannedOrder, ProductionLine, ProjectedInventory, ScheduledReceipt, SupplyItem

MODULE = "supply"
CHART_PICKER_LIMIT = 300
ZERO = Decimal("0")


# --- plans ------------------------------------------------------------------------------------------


def plans(user: Any) -> QuerySet[DemandPlan]:
    """Plans the user may open the supply pages of: with "supply" view, every plan's supply plan is
    group reference data (its header — title, cycle, stage — comes with it)."""
    if not user.access.can(MODULE, "view"):
        return DemandPlan.objects.none()
    return DemandPlan.objects.all()


def plan_get(*, user: Any, pk: Any) -> DemandPlan:
    require(user, MODULE, "view")
    plan = plans(user).filter(pk=as_int(pk, 0)).first()
    if plan is None:
        raise NotFound()
    return plan


def plan_choices(*, user: Any, limit: int = 24) -> list[DemandPlan]:
    """The newest plan versions (for the charts' plan picker)."""
    return list(plans(user).order_by("-cycle", "-version")[:limit])


def latest_supply_plan(*, user: Any) -> DemandPlan | None:
    """The newest plan version with a computed supply plan."""
    return plans(user).filter(supply_planned_at__isnull=False).order_by("-cycle", "-version").first()


# --- the projection grid -------------------------------------------------------------------------------


@dataclass
class Cell:
    month: date
    demand: Decimal
    receipts: Decimal
    planned: Decimal
    projected: Decimal
    safety_stock: Decimal
    shortage: Decimal
    uncovered: Decimal = Decimal("0")

    @property
    def level(self) -> str:
        """ "negative" (below zero, or stock missing because planned orders arrive too late),
        "below_safety", or "" (covered)."""
        if self.projected < 0 or self.uncovered > 0:
            return "negative"
        if self.projected < self.safety_stock:
            return "below_safety"
        return ""


@dataclass
class GridRow:
    item: SupplyItem
    cells: list[Cell] = field(default_factory=list)

    @property
    def short(self) -> bool:
        """Needs supply: some month short before planned orders, or not covered after them."""
        return any(c.shortage > 0 or c.level for c in self.cells)

    @property
    def uncovered(self) -> bool:
        """Some month below safety stock even with the planned orders, or missing stock because they
        come too late."""
        return any(c.level for c in self.cells)


def _uncovered_q() -> Q:
    return Q(projected__lt=F("safety_stock")) | Q(projected__lt=0) | Q(uncovered__gt=0)


def _short_q() -> Q:
    return Q(shortage__gt=0) | _uncovered_q()


def projection_items(
    *, user: Any, plan: DemandPlan, q: str = "", line: int | None = None, short_only: bool = False
) -> QuerySet[SupplyItem]:
    """The items of the plan's projection (filters: product code/name, production line, only items
    short in some month), by product code."""
    rows = ProjectedInventory.objects.visible_to(user, "view").filter(plan=plan)
    if short_only:
        rows = rows.filter(_short_q())
    items = SupplyItem.objects.visible_to(user, "view").filter(pk__in=rows.values("item_id"))
    if q:
        items = items.filter(Q(product__code__icontains=q) | Q(product__name__icontains=q))
    if line is not None:
        items = items.filter(production_line_id=line)
    return items.select_related("product", "production_line").order_by("product__code", "pk")


def plan_months(*, user: Any, plan: DemandPlan) -> list[date]:
    rows = ProjectedInventory.objects.visible_to(user, "view").filter(plan=plan)
    return sorted(rows.values_list("month", flat=True).distinct())


def projection_grid(*, user: Any, plan: DemandPlan, items: Iterable[SupplyItem]) -> list[GridRow]:
    """One row per item (in the order given) with a cell per month: demand, scheduled receipts,
    planned receipts, projected inventory, safety stock, shortage. One query for all the items."""
    rows = {item.pk: GridRow(item=item) for item in items}
    if not rows:
        return []
    found = (
        ProjectedInventory.objects.visible_to(user, "view")
        .filter(plan=plan, item_id__in=list(rows))
        .order_by("item_id", "month")
    )
    for p in found:
        rows[p.item_id].cells.append(
            Cell(p.month, p.demand, p.receipts, p.planned, p.projected, p.safety_stock, p.shortage, p.uncovered)
        )
    return list(rows.values())


def supply_summary(*, user: Any, plan: DemandPlan, capacity: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Items short (some month short before planned orders, or not covered after them), items not
    covered (projected below safety stock even after planned orders), planned orders by status,
    overloaded line-months."""
    projections = ProjectedInventory.objects.visible_to(user, "view").filter(plan=plan)
    orders = PlannedOrder.objects.visible_to(user, "view").filter(plan=plan)
    by_status = dict(orders.order_by().values_list("status").annotate(n=Count("pk")))
    return {
        "items": projections.values("item_id").distinct().count(),
        "items_short": projections.filter(_short_q()).values("item_id").distinct().count(),
        "items_uncovered": projections.filter(_uncovered_q()).values("item_id").distinct().count(),
        "planned_orders": sum(by_status.values()),
        "proposed": by_status.get(PlannedOrderStatus.PROPOSED, 0),
        "by_status": by_status,
        "overloads": sum(1 for row in capacity or [] if row["overloaded"]),
    }


# --- capacity -------------------------------------------------------------------------------------------


def capacity_rows(*, user: Any, plan: DemandPlan) -> list[dict[str, Any]]:
    """``supply_services.capacity_load(plan)`` with each row's ``line`` as a ``ProductionLine`` and
    ``percent`` (load / capacity)."""
    require(user, MODULE, "view")
    raw = list(supply_services.capacity_load(plan))
    ids = {r["line"] if isinstance(r["line"], int) else r["line"].pk for r in raw}
    lines = ProductionLine.objects.visible_to(user, "view").in_bulk(ids)
    result = []
    for r in raw:
        line = r["line"] if isinstance(r["line"], ProductionLine) else lines.get(r["line"])
        if line is None:
            continue
        load, capacity = Decimal(r["load"]), Decimal(r["capacity"])
        percent = int((load * 100 / capacity).to_integral_value()) if capacity > 0 else None
        result.append(
            {
                "line": line,
                "month": r["month"],
                "load": load,
                "capacity": capacity,
                "overloaded": bool(r["overloaded"]),
                "percent": percent,
            }
        )
    result.sort(key=lambda r: (r["line"].code, r["month"]))
    return result


# --- planned orders -----------------------------------------------------------------------------------


def planned_orders(
    *, user: Any, plan: DemandPlan, status: str = "", kind: str = "", line: int | None = None, action: str = "view"
) -> QuerySet[PlannedOrder]:
    rows = (
        PlannedOrder.objects.visible_to(user, action)
        .filter(plan=plan)
        .select_related("item__product", "production_line", "decided_by")
    )
    if status in PlannedOrderStatus.values:
        rows = rows.filter(status=status)
    if kind in ReceiptKind.values:
        rows = rows.filter(kind=kind)
    if line is not None:
        rows = rows.filter(production_line_id=line)
    return rows.order_by("release_date", "pk")


def planned_order_get(*, user: Any, pk: Any, action: str = "view") -> PlannedOrder:
    return PlannedOrder.objects.select_related("item__product", "production_line", "decided_by", "plan").get_visible(
        user, pk, action
    )


def production_lines(*, user: Any) -> list[ProductionLine]:
    return list(ProductionLine.objects.visible_to(user, "view").order_by("code"))


# --- charts ---------------------------------------------------------------------------------------------


def _number(value: Decimal) -> float | int:
    """A quantity for the chart: an int when whole, else a float (3 places)."""
    return int(value) if value == value.to_integral_value() else float(value)


def chart_series(
    *, user: Any, plan: DemandPlan, item: int | None = None, line: int | None = None
) -> dict[str, list[Any]]:
    """Per month of the plan's projection: demand, supply (scheduled + planned receipts) and
    projected inventory of one item (``item``, a SupplyItem id) or of the make items of one
    production line (``line``, summed). Empty lists when neither matches anything."""
    rows = ProjectedInventory.objects.visible_to(user, "view").filter(plan=plan)
    if item is not None:
        rows = rows.filter(item_id=item)
    elif line is not None:
        rows = rows.filter(item__production_line_id=line)
    else:
        rows = rows.none()
    totals = (
        rows.order_by("month")
        .values("month")
        .annotate(
            d=Sum("demand"), r=Sum("receipts"), p=Sum("planned"), inv=Sum("projected"), safety=Sum("safety_stock")
        )
    )
    series: dict[str, list[Any]] = {"months": [], "demand": [], "supply": [], "projected": [], "safety": []}
    for t in totals:
        series["months"].append(f"{t['month']:%Y-%m}")
        series["demand"].append(_number(t["d"]))
        series["supply"].append(_number(t["r"] + t["p"]))
        series["projected"].append(_number(t["inv"]))
        series["safety"].append(_number(t["safety"]))
    return series


def chart_items(
    *, user: Any, plan: DemandPlan | None, q: str = "", chosen: int | None = None, limit: int | None = None
) -> list[SupplyItem]:
    """The items of a plan's projection for the product picker (``q``: code or name), at most
    ``limit`` (default ``CHART_PICKER_LIMIT``) by product code; the ``chosen`` item (a SupplyItem
    id) is always among them."""
    if plan is None:
        return []
    rows = projection_items(user=user, plan=plan, q=q)
    items = list(rows[: limit or CHART_PICKER_LIMIT])
    if chosen is not None and all(i.pk != chosen for i in items):
        items[:0] = list(projection_items(user=user, plan=plan).filter(pk=chosen))
    return items


# --- available-to-promise --------------------------------------------------------------------------------


def atp_products(*, user: Any, q: str, limit: int = 20) -> list[SupplyItem]:
    """Supply items whose product code or name contains ``q`` (the ATP lookup)."""
    if not q:
        return []
    items = SupplyItem.objects.visible_to(user, "view").filter(
        Q(product__code__icontains=q) | Q(product__name__icontains=q)
    )
    return list(items.select_related("product").order_by("product__code")[:limit])


def atp_products_by_id(*, user: Any, product_id: int) -> SupplyItem | None:
    return SupplyItem.objects.visible_to(user, "view").select_related("product").filter(product_id=product_id).first()


def atp_lookup(product_ids: Iterable[int], on: date) -> dict[int, Decimal]:
    """``atp.available_to_promise`` (one call for all the products)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    return dict(atp.available_to_promise(ids, on))


def atp_detail(product_id: int, on: date) -> dict[str, Any]:
    """``atp.atp_detail``: on hand, allocated, in transit, receipts, orders, available, shortage."""
    return dict(atp.atp_detail(product_id, on))


def atp_receipts(*, user: Any, product_id: int, on: date) -> list[ScheduledReceipt]:
    """The open scheduled receipts of a product due by ``on``, by date (the ATP detail)."""
    return list(
        ScheduledReceipt.objects.visible_to(user, "view")
        .filter(item__product_id=product_id, is_open=True, due_date__lte=on)
        .order_by("due_date", "pk")
    )
