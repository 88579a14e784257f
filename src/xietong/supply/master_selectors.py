"""Reads of S&OP master data, visibility applied (``visible_to``: reference data of the whole group,
read by whoever holds "supply" view).

The items list is one row per catalogue product — every product is a supply item, its settings made
on first save — with its supply settings (or none yet) and its stock summed over warehouses as
subquery annotations (``on_hand``, ``allocated``, ``in_transit``, ``available`` = on hand −
allocated), so a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from xietong.core.errors import NotFound

from .models import InventoryPosition, LineCapacity, ProductionLine, ScheduledReceipt, SupplyItem, Warehouse

QTY_FIELD = DecimalField(max_digits=16, decimal_places=3)
ZERO = Value(Decimal("0"), output_field=QTY_FIELD)


def _stock(field: str) -> Any:
    summed = (
        InventoryPosition.objects.filter(item__product=OuterRef("pk"))
        .order_by()
        .values("item__product")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=QTY_FIELD), ZERO)


def item_list(
    *, user: Any, q: str = "", make_or_buy: str = "", line: Any = None, configured: str = ""
) -> QuerySet[Any]:
    """Products (each with ``supply``: its item or None) the user may see as supply items: every
    product when the user holds "supply" view, none otherwise. ``q`` searches code and name;
    ``make_or_buy`` and ``line`` (a production line id) filter set-up items; ``configured`` "yes" /
    "no": with or without supply settings yet. Ordered by product code."""
    from xietong.catalog.models import Product

    # the rule of ``visibility.SUPPLY``: whoever holds "supply" view reads the whole group's items
    rows = Product.objects.all() if user.access.can("supply", "view") else Product.objects.none()
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if make_or_buy:
        rows = rows.filter(supply__make_or_buy=make_or_buy)
    if line not in (None, ""):
        rows = rows.filter(supply__production_line_id=getattr(line, "pk", line))
    if configured == "yes":
        rows = rows.filter(supply__isnull=False)
    elif configured == "no":
        rows = rows.filter(supply__isnull=True)
    return (
        rows.select_related("supply", "supply__production_line")
        .annotate(
            on_hand=_stock("on_hand"),
            allocated=_stock("allocated"),
            in_transit=_stock("in_transit"),
        )
        .annotate(available=F("on_hand") - F("allocated"))
        .order_by("code", "pk")
    )


def item_get(*, user: Any, product_id: int) -> SupplyItem:
    """The product's supply item (404 when it has none or is not visible)."""
    found = (
        SupplyItem.objects.visible_to(user)
        .select_related("product", "production_line", "planner")
        .filter(product_id=product_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def items(*, user: Any, q: str = "", make_or_buy: str = "", line: Any = None) -> QuerySet[SupplyItem]:
    """Set-up supply items (the API's list), with their product and line."""
    rows = SupplyItem.objects.visible_to(user).select_related("product", "production_line", "planner")
    if q:
        rows = rows.filter(Q(product__code__icontains=q) | Q(product__name__icontains=q))
    if make_or_buy:
        rows = rows.filter(make_or_buy=make_or_buy)
    if line not in (None, ""):
        rows = rows.filter(production_line_id=getattr(line, "pk", line))
    return rows.order_by("product__code", "pk")


def product_for_item(*, user: Any, product_id: int) -> Any:
    """The catalogue product whose supply item the user may set up (404 without "supply" view)."""
    from xietong.catalog.models import Product

    if not user.access.can("supply", "view"):
        raise NotFound()
    found = Product.objects.select_related("supply").filter(pk=product_id).first()
    if found is None:
        raise NotFound()
    return found


def product_by_code(*, user: Any, code: str) -> Any:
    from xietong.catalog.models import Product

    if not user.access.can("supply", "view"):
        return None
    return Product.objects.filter(code=code).first()


def warehouse_list(*, user: Any, action: str = "view", active: bool | None = None) -> QuerySet[Warehouse]:
    rows = Warehouse.objects.visible_to(user, action).select_related("business_unit")
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("code", "pk")


def warehouse_get(*, user: Any, pk: int, action: str = "view") -> Warehouse:
    found = warehouse_list(user=user, action=action).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def line_list(*, user: Any, action: str = "view", active: bool | None = None) -> QuerySet[ProductionLine]:
    rows = ProductionLine.objects.visible_to(user, action).select_related("business_unit")
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("code", "pk")


def line_get(*, user: Any, pk: int, action: str = "view") -> ProductionLine:
    found = line_list(user=user, action=action).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def line_capacities(
    *, user: Any, line: ProductionLine, since: date | None = None, until: date | None = None
) -> QuerySet[LineCapacity]:
    """The line's months of a capacity of their own, from ``since`` to ``until`` (both included)."""
    rows = LineCapacity.objects.visible_to(user).filter(line=line)
    if since is not None:
        rows = rows.filter(month__gte=since)
    if until is not None:
        rows = rows.filter(month__lte=until)
    return rows.order_by("month")


def inventory_list(*, user: Any, warehouse: Any = None, item: str = "") -> QuerySet[InventoryPosition]:
    """Positions, filtered by warehouse (id) and product (code or name contains ``item``)."""
    rows = InventoryPosition.objects.visible_to(user).select_related("item__product", "warehouse")
    if warehouse not in (None, ""):
        rows = rows.filter(warehouse_id=getattr(warehouse, "pk", warehouse))
    if item:
        rows = rows.filter(Q(item__product__code__icontains=item) | Q(item__product__name__icontains=item))
    return rows.order_by("item__product__code", "warehouse__code", "pk")


def receipt_list(
    *,
    user: Any,
    open_only: bool = False,
    item: str = "",
    due_from: date | None = None,
    due_to: date | None = None,
) -> QuerySet[ScheduledReceipt]:
    """Receipts, filtered: open ones only, product (code or name contains ``item``), due in
    [``due_from``, ``due_to``]."""
    rows = ScheduledReceipt.objects.visible_to(user).select_related("item__product", "warehouse")
    if open_only:
        rows = rows.filter(is_open=True)
    if item:
        rows = rows.filter(Q(item__product__code__icontains=item) | Q(item__product__name__icontains=item))
    if due_from is not None:
        rows = rows.filter(due_date__gte=due_from)
    if due_to is not None:
        rows = rows.filter(due_date__lte=due_to)
    return rows.order_by("due_date", "reference", "pk")


def receipt_get(*, user: Any, pk: int, action: str = "view") -> ScheduledReceipt:
    found = (
        ScheduledReceipt.objects.visible_to(user, action)
        .select_related("item__product", "warehouse")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found
