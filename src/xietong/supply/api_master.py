"""REST endpoints of S&OP master data and the ERP's upserts:

- ``/api/v1/supply/items`` (list; upsert one by ``product_id`` or ``product_code``),
  ``/api/v1/supply/items/{product_id}`` (get, patch);
- ``/api/v1/warehouses`` (list, create), ``/api/v1/warehouses/{id}`` (get, patch);
- ``/api/v1/production-lines`` (list, create), ``/api/v1/production-lines/{id}`` (get, patch),
  ``/api/v1/production-lines/{id}/capacities`` (the months of a capacity of their own: list ``?from=&to=``;
  bulk upsert ``{"rows": [{"month", "capacity"}]}``, ``capacity`` null: the usual capacity again);
- ``/api/v1/inventory``, ``/api/v1/scheduled-receipts`` (list; bulk upsert ``{"rows": [...]}``) and
  ``/api/v1/sales-history`` (bulk upsert).

Bulk upserts are all-or-nothing: one bad row and nothing is applied; the 422 names every problem
as ``rows.<n>.<field>`` with ``n`` the row's number counted from 1. They answer the counts
``{"created", "updated", "unchanged"}``; sending the same rows again changes nothing (all
"unchanged"), and a retry with the same ``Idempotency-Key`` gets the first answer back. Reading
takes "supply" view, writing "supply" edit (403 without).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref
from xietong.core.idempotency import idempotent
from xietong.org.policies import require

from . import master_selectors as selectors
from . import master_services as services
from .choices import DataSource
from .models import SupplyItem

router = Router(tags=["supply"])

MODULE = "supply"
Number = Decimal | str | None


# --- schemas ----------------------------------------------------------------------------------------


class ItemOut(Schema):
    product_id: int
    product_code: str
    product_name: str
    make_or_buy: str
    lead_time_days: int
    moq: Decimal
    lot_size: Decimal
    safety_stock_method: str
    safety_stock: Decimal
    safety_days: int
    service_level: Decimal
    production_line: Ref | None
    planner: Ref | None
    source: str
    updated_at: datetime

    @staticmethod
    def resolve_product_code(obj: Any) -> Any:
        return obj["product_code"] if isinstance(obj, dict) else obj.product.code

    @staticmethod
    def resolve_product_name(obj: Any) -> Any:
        return obj["product_name"] if isinstance(obj, dict) else obj.product.name

    @staticmethod
    def resolve_production_line(obj: Any) -> Any:
        return obj["production_line"] if isinstance(obj, dict) else ref(obj.production_line)

    @staticmethod
    def resolve_planner(obj: Any) -> Any:
        return obj["planner"] if isinstance(obj, dict) else ref(obj.planner)


class ItemFields(Schema):
    make_or_buy: str | None = Field(None, description="make | buy")
    lead_time_days: int | str | None = Field(None, description="Whole days, 0 or more.")
    moq: Number = Field(None, description="Minimum order quantity, 0 or more.")
    lot_size: Number = Field(None, description="Orders are rounded up to a multiple of it; 0: any quantity.")
    safety_stock_method: str | None = Field(None, description="fixed | days | service")
    safety_stock: Number = Field(None, description="Units, for the method fixed.")
    safety_days: int | str | None = Field(None, description="Days of cover (> 0) for the method days.")
    service_level: Number = Field(None, description="0.5–0.999 for the method service.")
    production_line_id: int | None = None
    planner_id: int | None = None


class ItemUpsertIn(ItemFields):
    product_id: int | None = Field(None, description="The product, by id …")
    product_code: str | None = Field(None, description="… or by its code.")


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    business_unit: Ref | None
    address: str
    is_active: bool

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        return obj["business_unit"] if isinstance(obj, dict) else ref(obj.business_unit)


class WarehouseIn(Schema):
    code: str
    name: str
    business_unit_id: int | None = None
    address: str = ""
    is_active: bool = True


class WarehousePatch(Schema):
    code: str | None = None
    name: str | None = None
    business_unit_id: int | None = None
    address: str | None = None
    is_active: bool | None = None


class ProductionLineOut(Schema):
    id: int
    code: str
    name: str
    business_unit: Ref | None
    capacity_per_month: Decimal
    is_active: bool

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        return obj["business_unit"] if isinstance(obj, dict) else ref(obj.business_unit)


class ProductionLineIn(Schema):
    code: str
    name: str
    business_unit_id: int | None = None
    capacity_per_month: Number = Field(None, description="Units per month, 0 or more.")
    is_active: bool = True


class ProductionLinePatch(Schema):
    code: str | None = None
    name: str | None = None
    business_unit_id: int | None = None
    capacity_per_month: Number = Field(None, description="Units per month, 0 or more.")
    is_active: bool | None = None


class CapacityOut(Schema):
    month: date = Field(description="The 1st of the month.")
    capacity: Decimal


class CapacityRow(Schema):
    month: date | str | None = Field(None, description='"2027-03" or any date of the month (required).')
    capacity: Number = Field(
        None, description="Units in that month, 0 or more (required); null: the line's usual capacity again."
    )


class CapacitiesIn(Schema):
    rows: list[CapacityRow]


class PositionOut(Schema):
    id: int
    item: str = Field(description="The product code.")
    product_name: str
    warehouse: str = Field(description="The warehouse code.")
    on_hand: Decimal
    allocated: Decimal
    in_transit: Decimal
    as_of: datetime
    source: str

    @staticmethod
    def resolve_item(obj: Any) -> Any:
        return obj.item.product.code

    @staticmethod
    def resolve_product_name(obj: Any) -> Any:
        return obj.item.product.name

    @staticmethod
    def resolve_warehouse(obj: Any) -> Any:
        return obj.warehouse.code


class ReceiptOut(Schema):
    id: int
    reference: str
    item: str = Field(description="The product code.")
    warehouse: str | None
    kind: str
    due_date: date
    quantity: Decimal
    is_open: bool
    source: str

    @staticmethod
    def resolve_item(obj: Any) -> Any:
        return obj.item.product.code

    @staticmethod
    def resolve_warehouse(obj: Any) -> Any:
        return obj.warehouse.code if obj.warehouse_id else None


class InventoryRow(Schema):
    item: str | None = Field(None, description="Product code (required).")
    warehouse: str | None = Field(None, description="Warehouse code (required).")
    on_hand: Number = None
    allocated: Number = None
    in_transit: Number = None
    as_of: datetime | date | str | None = None


class ReceiptRow(Schema):
    reference: str | None = Field(None, description="The ERP's order number (required; the key).")
    item: str | None = Field(None, description="Product code (required for a new receipt).")
    warehouse: str | None = None
    kind: str | None = Field(None, description="purchase | production (default purchase).")
    due_date: date | str | None = None
    quantity: Number = None
    is_open: bool | str | None = None


class HistoryRow(Schema):
    item: str | None = Field(None, description="Product code.")
    business_unit: str | None = Field(None, description="Business unit code or name.")
    month: date | str | None = Field(None, description='"2026-03" or any date of the month.')
    quantity: Number = None


class InventoryIn(Schema):
    rows: list[InventoryRow]


class ReceiptsIn(Schema):
    rows: list[ReceiptRow]


class HistoryIn(Schema):
    rows: list[HistoryRow]


class CountsOut(Schema):
    created: int
    updated: int
    unchanged: int


class CapacityCountsOut(CountsOut):
    removed: int = Field(description="Months back to the line's usual capacity.")


# --- helpers -----------------------------------------------------------------------------------------


def _item_fields(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("product_id", None)
    data.pop("product_code", None)
    if "production_line_id" in data:
        data["production_line"] = data.pop("production_line_id")
    if "planner_id" in data:
        data["planner"] = data.pop("planner_id")
    return data


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def _bulk(request: HttpRequest, payload: Any, scope: str, upsert: Any) -> Any:
    user: Any = request.user
    require(user, MODULE, "edit")
    rows = [row.dict(exclude_none=True) for row in payload.rows]

    def run() -> tuple[int, Any]:
        return 200, upsert(actor=user, rows=rows, source=DataSource.API)

    status, body = idempotent(request, scope=scope, payload=payload.dict(), create=run)
    return Status(status, body)


# --- items ------------------------------------------------------------------------------------------


@router.get("/supply/items", response={200: list[ItemOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_items(request: HttpRequest, q: str = "", make_or_buy: str = "", line_id: int | None = None) -> Any:
    """Products set up for supply planning; ``q`` searches product code and name."""
    require(request.user, MODULE, "view")
    return selectors.items(user=request.user, q=q.strip(), make_or_buy=make_or_buy, line=line_id)


@router.post("/supply/items", response={200: ItemOut, 201: ItemOut, **ERROR_RESPONSES})
def upsert_item(request: HttpRequest, payload: ItemUpsertIn) -> Any:
    """Create or change the supply settings of a product (by ``product_id`` or ``product_code``);
    fields left out keep their values. 201 when the item is new."""
    user: Any = request.user
    require(user, MODULE, "edit")
    product = None
    if payload.product_id is not None:
        product = selectors.product_for_item(user=user, product_id=payload.product_id)
    elif payload.product_code:
        product = selectors.product_by_code(user=user, code=payload.product_code.strip())
        if product is None:
            raise ValidationError({"product_code": _("No product has this code.")})
    else:
        raise ValidationError({"product_id": _("Name the product by product_id or product_code.")})

    def run() -> tuple[int, Any]:
        existed = SupplyItem.objects.filter(product=product).exists()
        try:
            item = services.item_upsert(actor=user, product=product, source=DataSource.API, **_item_fields(payload))
        except ValidationError as exc:
            raise _renamed(exc, {"production_line": "production_line_id", "planner": "planner_id"}) from None
        out = ItemOut.from_orm(selectors.item_get(user=user, product_id=item.product_id)).model_dump(mode="json")
        return (200 if existed else 201), out

    status, body = idempotent(request, scope="supply.item_upsert", payload=payload.dict(), create=run)
    return Status(status, body)


@router.get("/supply/items/{product_id}", response={200: ItemOut, **ERROR_RESPONSES})
def get_item(request: HttpRequest, product_id: int) -> Any:
    return selectors.item_get(user=request.user, product_id=product_id)


@router.patch("/supply/items/{product_id}", response={200: ItemOut, **ERROR_RESPONSES})
def patch_item(request: HttpRequest, product_id: int, payload: ItemFields) -> Any:
    """Change the given fields of a set-up item (404 for a product without one)."""
    user: Any = request.user
    item = selectors.item_get(user=user, product_id=product_id)
    try:
        services.item_upsert(actor=user, product=item.product_id, source=DataSource.API, **_item_fields(payload))
    except ValidationError as exc:
        raise _renamed(exc, {"production_line": "production_line_id", "planner": "planner_id"}) from None
    return selectors.item_get(user=user, product_id=product_id)


# --- warehouses and lines ------------------------------------------------------------------------------


def _coded_call(service: Callable[..., Any], **kwargs: Any) -> Any:
    """A warehouse or production line service called with the API's ``business_unit_id`` as its
    ``business_unit``, its errors named as the API names them."""
    if "business_unit_id" in kwargs:
        kwargs["business_unit"] = kwargs.pop("business_unit_id")
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc, {"business_unit": "business_unit_id"}) from None


def _create_coded(request: HttpRequest, payload: Any, *, create: Callable[..., Any], out: Any, scope: str) -> Any:
    """201 with the new record (``Idempotency-Key`` honoured, scope ``supply.<scope>_create``)."""
    user: Any = request.user

    def run() -> tuple[int, Any]:
        record = _coded_call(create, actor=user, **payload.dict())
        return 201, out.from_orm(record).model_dump(mode="json")

    status, body = idempotent(request, scope=f"supply.{scope}_create", payload=payload.dict(), create=run)
    return Status(status, body)


@router.get("/warehouses", response={200: list[WarehouseOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_warehouses(request: HttpRequest, active: bool | None = None) -> Any:
    require(request.user, MODULE, "view")
    return selectors.warehouse_list(user=request.user, active=active)


@router.post("/warehouses", response={201: WarehouseOut, **ERROR_RESPONSES})
def create_warehouse(request: HttpRequest, payload: WarehouseIn) -> Any:
    return _create_coded(request, payload, create=services.warehouse_create, out=WarehouseOut, scope="warehouse")


@router.get("/warehouses/{warehouse_id}", response={200: WarehouseOut, **ERROR_RESPONSES})
def get_warehouse(request: HttpRequest, warehouse_id: int) -> Any:
    return selectors.warehouse_get(user=request.user, pk=warehouse_id)


@router.patch("/warehouses/{warehouse_id}", response={200: WarehouseOut, **ERROR_RESPONSES})
def patch_warehouse(request: HttpRequest, warehouse_id: int, payload: WarehousePatch) -> Any:
    user: Any = request.user
    warehouse = selectors.warehouse_get(user=user, pk=warehouse_id)
    _coded_call(services.warehouse_update, actor=user, warehouse=warehouse, **payload.dict(exclude_unset=True))
    return selectors.warehouse_get(user=user, pk=warehouse_id)


@router.get("/production-lines", response={200: list[ProductionLineOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_lines(request: HttpRequest, active: bool | None = None) -> Any:
    require(request.user, MODULE, "view")
    return selectors.line_list(user=request.user, active=active)


@router.post("/production-lines", response={201: ProductionLineOut, **ERROR_RESPONSES})
def create_line(request: HttpRequest, payload: ProductionLineIn) -> Any:
    return _create_coded(request, payload, create=services.line_create, out=ProductionLineOut, scope="line")


@router.get("/production-lines/{line_id}", response={200: ProductionLineOut, **ERROR_RESPONSES})
def get_line(request: HttpRequest, line_id: int) -> Any:
    return selectors.line_get(user=request.user, pk=line_id)


@router.patch("/production-lines/{line_id}", response={200: ProductionLineOut, **ERROR_RESPONSES})
def patch_line(request: HttpRequest, line_id: int, payload: ProductionLinePatch) -> Any:
    user: Any = request.user
    line = selectors.line_get(user=user, pk=line_id)
    _coded_call(services.line_update, actor=user, line=line, **payload.dict(exclude_unset=True))
    return selectors.line_get(user=user, pk=line_id)


@router.get("/production-lines/{line_id}/capacities", response={200: list[CapacityOut], **ERROR_RESPONSES})
def list_capacities(
    request: HttpRequest,
    line_id: int,
    from_: str = Query("", alias="from"),
    to: str = "",
) -> Any:
    """The months whose capacity differs from the line's usual one, by month; ``from`` / ``to``:
    months (YYYY-MM, or any date of the month), both included."""
    line = selectors.line_get(user=request.user, pk=line_id)
    return selectors.line_capacities(
        user=request.user, line=line, since=_month_param("from", from_), until=_month_param("to", to)
    )


def _month_param(name: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return services.clean_month(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


@router.put("/production-lines/{line_id}/capacities", response={200: CapacityCountsOut, **ERROR_RESPONSES})
def upsert_capacities(request: HttpRequest, line_id: int, payload: CapacitiesIn) -> Any:
    """Set the line's capacity in the months sent (the others keep theirs): ``capacity`` ≥ 0, or
    null for the line's usual capacity again. All rows or none (422 naming ``rows.<n>.<field>``, n
    from 1)."""
    user: Any = request.user
    line = selectors.line_get(user=user, pk=line_id)
    rows = [row.dict(exclude_unset=True) for row in payload.rows]

    def run() -> tuple[int, Any]:
        return 200, services.line_capacities_upsert(actor=user, line=line, rows=rows)

    target = {"line": line.pk, "rows": rows}
    status, body = idempotent(request, scope="supply.line_capacities_upsert", payload=target, create=run)
    return Status(status, body)


# --- inventory, receipts, history ---------------------------------------------------------------------


@router.get("/inventory", response={200: list[PositionOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_inventory(request: HttpRequest, warehouse_id: int | None = None, item: str = "") -> Any:
    """Positions; ``item`` searches product code and name."""
    require(request.user, MODULE, "view")
    return selectors.inventory_list(user=request.user, warehouse=warehouse_id, item=item.strip())


@router.post("/inventory", response={200: CountsOut, **ERROR_RESPONSES})
def upsert_inventory(request: HttpRequest, payload: InventoryIn) -> Any:
    """Set positions by (product code, warehouse code): ``on_hand``, ``allocated``, ``in_transit``
    (≥ 0; left out: unchanged), ``as_of``. All rows or none (422 naming ``rows.<n>.<field>``, n from 1)."""
    return _bulk(request, payload, "supply.inventory_upsert", services.inventory_upsert)


@router.get("/scheduled-receipts", response={200: list[ReceiptOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_receipts(
    request: HttpRequest,
    open: bool = False,
    item: str = "",
    due_from: str = "",
    due_to: str = "",
) -> Any:
    """``open``: open receipts only; ``item`` searches product code and name; ``due_from`` /
    ``due_to``: dates (YYYY-MM-DD), both included."""
    require(request.user, MODULE, "view")
    return selectors.receipt_list(
        user=request.user,
        open_only=open,
        item=item.strip(),
        due_from=_date_param("due_from", due_from),
        due_to=_date_param("due_to", due_to),
    )


def _date_param(name: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({name: _("Enter a date, e.g. 2027-03-31.")}) from None


@router.post("/scheduled-receipts", response={200: CountsOut, **ERROR_RESPONSES})
def upsert_receipts(request: HttpRequest, payload: ReceiptsIn) -> Any:
    """Open purchase and production orders by ``reference``. All rows or none (422 naming
    ``rows.<n>.<field>``, n from 1)."""
    return _bulk(request, payload, "supply.receipts_upsert", services.receipts_upsert)


@router.post("/sales-history", response={200: CountsOut, **ERROR_RESPONSES})
def upsert_history(request: HttpRequest, payload: HistoryIn) -> Any:
    """Quantity sold per product × business unit (code or name) × month. All rows or none (422
    naming ``rows.<n>.<field>``, n from 1)."""
    return _bulk(request, payload, "supply.history_upsert", services.history_upsert)
