"""REST endpoints of the supply plan and available-to-promise:

- ``GET /api/v1/supply-plans`` — the demand plan versions with their supply plan state
  (``supply_planned_at``, planned orders by status);
- ``GET /api/v1/supply-plans/{plan_id}/planned-orders`` (paginated; ``?status=``, ``?kind=``);
- ``POST /api/v1/supply-plans/{plan_id}/compute`` — net the plan (supply review or approved only,
  409 otherwise); the summary;
- ``POST /api/v1/planned-orders/{id}/accept`` (``?note=``) | ``/change`` ({quantity, release_date?, note?}) |
  ``/reject`` (``?note=``) — 409 for an exported order or a superseded plan;
- ``POST /api/v1/supply-plans/{plan_id}/export?format=csv|xlsx`` — the accepted and changed orders
  for the ERP, which become "exported" (hence a POST);
- ``GET /api/v1/supply-plans/{plan_id}/capacity`` — load against capacity per line and month;
- ``GET /api/v1/atp?product=&date=`` — ``product`` an id or a code, repeatable; ``date`` default today.

Reading takes "supply" view, computing and deciding "supply" edit, exporting "supply" export. A
plan or order the caller cannot see answers 404, like a missing one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from xietong.catalog.models import Product
from xietong.core.api import ERROR_RESPONSES, Page, Ref, openapi_file
from xietong.core.params import as_int
from xietong.org.policies import require

from . import atp, supply_selectors, supply_services
from .choices import PlannedOrderStatus, ReceiptKind
from .models import DemandPlan, PlannedOrder

router = Router(tags=["supply"])

MODULE = "supply"


class SupplyPlanOut(Schema):
    id: int
    cycle: date
    version: int
    title: str
    stage: str
    first_month: date
    horizon: int
    supply_planned_at: datetime | None
    planned_orders: dict[str, int] = Field(description="Planned orders by status.")

    @staticmethod
    def resolve_planned_orders(obj: Any) -> Any:
        return {status: getattr(obj, f"n_{status}", 0) or 0 for status in PlannedOrderStatus.values}


class PlannedOrderOut(Schema):
    id: int
    plan_id: int
    item_id: int
    product: Ref
    product_code: str
    kind: str
    release_date: date
    due_month: date
    proposed_quantity: Decimal
    quantity: Decimal
    production_line: Ref | None
    status: str
    note: str
    decided_by_id: int | None
    decided_at: datetime | None
    exported_at: datetime | None

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        return {"id": obj.item.product_id, "name": obj.item.product.name}

    @staticmethod
    def resolve_product_code(obj: Any) -> Any:
        return obj.item.product.code

    @staticmethod
    def resolve_production_line(obj: Any) -> Any:
        line = obj.production_line
        return {"id": line.pk, "name": line.name} if line is not None else None


class ComputeOut(Schema):
    plan: int
    items: int
    periods: int
    shortages: int
    late: int
    planned_orders: int
    kept_orders: int
    overloads: int
    at_risk: int
    resolved: int
    beyond_atp: int
    orders_beyond_atp: int


class ChangeIn(Schema):
    quantity: Decimal | None = None
    release_date: date | None = None
    note: str = ""


class CapacityLoadOut(Schema):
    line: Ref
    month: date
    load: Decimal
    capacity: Decimal
    overloaded: bool

    @staticmethod
    def resolve_line(obj: Any) -> Any:
        return {"id": obj["line"].pk, "name": obj["line"].name}


class AtpOut(Schema):
    product: Ref
    product_code: str
    date: date
    available: Decimal
    shortage: Decimal
    on_hand: Decimal
    allocated: Decimal
    in_transit: Decimal
    receipts: Decimal
    orders: Decimal


def _plan(request: HttpRequest, plan_id: int, action: str = "view") -> DemandPlan:
    require(request.user, MODULE, action)
    return supply_selectors.plan_get(user=request.user, pk=plan_id)


@router.get("/supply-plans", response={200: list[SupplyPlanOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_supply_plans(request: HttpRequest) -> Any:
    """Newest first; each with its planned orders counted by status."""
    require(request.user, MODULE, "view")
    counts = {
        f"n_{status}": Count("planned_orders", filter=Q(planned_orders__status=status))
        for status in PlannedOrderStatus.values
    }
    return supply_selectors.plans(request.user).annotate(**counts)


@router.get("/supply-plans/{plan_id}/planned-orders", response={200: list[PlannedOrderOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_planned_orders(request: HttpRequest, plan_id: int, status: str = "", kind: str = "") -> Any:
    plan = _plan(request, plan_id)
    if status and status not in PlannedOrderStatus.values:
        raise ValidationError(
            {"status": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(PlannedOrderStatus.values)}}
        )
    if kind and kind not in ReceiptKind.values:
        raise ValidationError({"kind": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(ReceiptKind.values)}})
    rows = (
        PlannedOrder.objects.visible_to(request.user)
        .filter(plan=plan)
        .select_related("item__product", "production_line")
    )
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


@router.post("/supply-plans/{plan_id}/compute", response={200: ComputeOut, **ERROR_RESPONSES})
def compute_supply_plan(request: HttpRequest, plan_id: int) -> Any:
    """Net the plan against stock and receipts: projections, planned orders, risks (409 unless the
    plan is in supply review or approved)."""
    plan = _plan(request, plan_id, "edit")
    return supply_services.supply_plan_compute(actor=request.user, plan=plan)


def _decided(request: HttpRequest, order: PlannedOrder) -> PlannedOrder:
    found: PlannedOrder = PlannedOrder.objects.select_related("item__product", "production_line").get(pk=order.pk)
    return found


@router.post("/planned-orders/{order_id}/accept", response={200: PlannedOrderOut, **ERROR_RESPONSES})
def accept_planned_order(request: HttpRequest, order_id: int, note: str = "") -> Any:
    """At the proposed quantity; ``?note=`` optional."""
    order = supply_services.planned_order_decide(actor=request.user, order=order_id, decision="accept", note=note)
    return _decided(request, order)


@router.post("/planned-orders/{order_id}/change", response={200: PlannedOrderOut, **ERROR_RESPONSES})
def change_planned_order(request: HttpRequest, order_id: int, payload: ChangeIn) -> Any:
    """A new quantity (> 0, at most three decimals) and optionally a new release date."""
    order = supply_services.planned_order_decide(
        actor=request.user,
        order=order_id,
        decision="change",
        quantity=payload.quantity,
        release_date=payload.release_date,
        note=payload.note,
    )
    return _decided(request, order)


@router.post("/planned-orders/{order_id}/reject", response={200: PlannedOrderOut, **ERROR_RESPONSES})
def reject_planned_order(request: HttpRequest, order_id: int, note: str = "") -> Any:
    """``?note=`` optional."""
    order = supply_services.planned_order_decide(actor=request.user, order=order_id, decision="reject", note=note)
    return _decided(request, order)


@router.post(
    "/supply-plans/{plan_id}/export",
    response={200: None, **ERROR_RESPONSES},
    openapi_extra=openapi_file("The file, as an attachment."),
)
def export_planned_orders(request: HttpRequest, plan_id: int, fmt: str = Query("csv", alias="format")) -> Any:
    """The accepted and changed planned orders (and those exported before) as CSV or XLSX."""
    plan = _plan(request, plan_id, "export")
    filename, content, content_type = supply_services.planned_orders_export(actor=request.user, plan=plan, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/supply-plans/{plan_id}/capacity", response={200: list[CapacityLoadOut], **ERROR_RESPONSES})
def plan_capacity(request: HttpRequest, plan_id: int) -> Any:
    """Per active production line and month: load, capacity, overloaded."""
    plan = _plan(request, plan_id)
    return supply_services.capacity_load(plan)


@router.get("/atp", response={200: list[AtpOut], **ERROR_RESPONSES})
def available_to_promise(
    request: HttpRequest,
    product: list[str] = Query(...),  # noqa: B008 (ninja's way to declare a repeatable query parameter)
    on: date | None = Query(None, alias="date"),  # noqa: B008
) -> Any:
    """Available-to-promise of each ``product`` (id or code, repeatable) on ``date`` (default today)."""
    require(request.user, MODULE, "view")
    on = on or timezone.localdate()
    wanted = [p.strip() for p in product if p.strip()]
    if not wanted or len(wanted) > 200:
        raise ValidationError({"product": _("Name between 1 and 200 products.")})
    read = [(p, as_int(p, None)) for p in wanted]
    ids = [i for _p, i in read if i is not None]
    codes = [p for p, i in read if i is None]
    found = list(
        Product.objects.visible_to(request.user).filter(Q(pk__in=ids) | Q(code__in=codes)).order_by("code", "pk")
    )
    known = {str(p.pk) for p in found} | {p.code for p in found}
    missing = [p for p in wanted if p not in known]
    if missing:
        raise ValidationError({"product": _("No such product: %(products)s.") % {"products": ", ".join(missing)}})
    details = atp.atp_details([p.pk for p in found], on)
    keys = ("available", "shortage", "on_hand", "allocated", "in_transit", "receipts", "orders")
    return [
        {
            "product": {"id": p.pk, "name": p.name},
            "product_code": p.code,
            "date": on,
            **{k: details[p.pk][k] for k in keys},
        }
        for p in found
    ]
