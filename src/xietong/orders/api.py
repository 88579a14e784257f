"""REST endpoints of orders and shipments:

- ``/api/v1/orders`` (list with ``?status=``, ``?customer_id=``, ``?contract_id=``, ``?late=``,
  ``?scope=mine``; create from a contract with lines, ``Idempotency-Key`` honoured), an order by id,
  its ``/confirm``, ``/schedule``, ``/cancel`` and ``/close-short``;
- ``/api/v1/shipments`` (list with ``?order=``; record one with its lines), a shipment by id, its
  correction (``PATCH``: date, carrier, tracking number, note), its quantities (``PUT .../lines``)
  and ``/void``.

Thin: parse → selector or service → schema. An id the caller cannot see is a 404 in the path and a
422 naming the field in a body; an order in credit review answers 409 on every change.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref
from xietong.core.idempotency import idempotent
from xietong.org.policies import require

from . import selectors, services
from .choices import SYSTEM_REASON_CODES, OrderStatus
from .models import Order, Shipment

router = Router(tags=["orders"])

MODULE = "orders"


class OrderLineOut(Schema):
    id: int
    contract_line_id: int | None
    position: int
    product: Ref
    quantity: Decimal
    shipped_quantity: Decimal
    closed_quantity: Decimal = Field(Decimal("0"), description="Closed short: will not ship.")
    remaining_quantity: Decimal = Field(description="Still to ship: quantity − shipped − closed.")
    unit_price: Decimal
    amount: Decimal

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["product"]
        return ref(obj.product)

    @staticmethod
    def resolve_remaining_quantity(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["remaining_quantity"]
        return obj.open_quantity


class OrderOut(Schema):
    id: int
    number: str
    status: str
    is_late: bool = Field(description="Open (or in credit review) and past its promised date.")
    contract: Ref
    customer: Ref
    business_unit: Ref
    owner: Ref
    operations_team: Ref | None
    amount: Decimal
    promised_date: date | None
    scheduled_date: date | None
    ship_to: str
    receiver: str
    receiver_phone: str
    note: str
    confirmed_at: datetime | None
    shipped_at: datetime | None
    cancelled_reason: str = Field(
        description="Why it was cancelled: a person's words as typed, the system's in the caller's language."
    )
    cancelled_reason_code: str = Field(
        "", description="credit_rejected or contract_terminated when the system cancelled it; empty otherwise."
    )
    closed_short_reason: str = Field("", description="Set when the order was closed short.")
    created_at: datetime

    @staticmethod
    def resolve_is_late(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["is_late"]
        return bool(getattr(obj, "is_late", False))

    @staticmethod
    def resolve_contract(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["contract"]
        return {"id": obj.contract_id, "name": obj.contract.number}

    @staticmethod
    def resolve_cancelled_reason(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["cancelled_reason"]
        return obj.get_cancelled_reason_display()

    @staticmethod
    def resolve_cancelled_reason_code(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj.get("cancelled_reason_code", "")
        return SYSTEM_REASON_CODES.get(obj.cancelled_reason, "")

    @staticmethod
    def resolve_customer(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["customer"]
        return ref(obj.customer)

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["business_unit"]
        return ref(obj.business_unit)

    @staticmethod
    def resolve_owner(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["owner"]
        return ref(obj.owner)

    @staticmethod
    def resolve_operations_team(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["operations_team"]
        return ref(obj.operations_team)


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["lines"]
        return list(obj.lines.all())


class OrderLineIn(Schema):
    contract_line_id: int
    quantity: Decimal = Field(gt=0)


class OrderIn(Schema):
    contract_id: int
    lines: list[OrderLineIn] | None = Field(None, description="Default: everything still unordered.")
    operations_team_id: int | None = Field(None, description="Default: the BU's operations team.")
    promised_date: date
    ship_to: str = ""
    receiver: str = ""
    receiver_phone: str = ""
    note: str = ""


class ScheduleIn(Schema):
    scheduled_date: date


class CancelIn(Schema):
    reason: str


class CloseShortIn(Schema):
    reason: str


class ShipmentLineOut(Schema):
    id: int
    order_line_id: int
    product: Ref
    quantity: Decimal

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["product"]
        return ref(obj.order_line.product)


class ShipmentOut(Schema):
    id: int
    number: str
    order: Ref
    shipped_on: date
    carrier: str
    tracking_number: str
    warehouse: str
    note: str
    created_at: datetime
    voided_at: datetime | None = Field(None, description="Set when the shipment was voided.")
    void_reason: str = ""
    lines: list[ShipmentLineOut]

    @staticmethod
    def resolve_order(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["order"]
        return {"id": obj.order_id, "name": obj.order.number}

    @staticmethod
    def resolve_lines(obj: Any) -> Any:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry, or the create's own body)
            return obj["lines"]
        return list(obj.lines.all())


class ShipmentLineIn(Schema):
    order_line_id: int
    quantity: Decimal = Field(gt=0)


class ShipmentIn(Schema):
    order_id: int
    shipped_on: date
    carrier: str
    tracking_number: str = ""
    warehouse: str = ""
    note: str = ""
    lines: list[ShipmentLineIn]


class ShipmentPatch(Schema):
    shipped_on: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None


class ShipmentLineQuantityIn(Schema):
    shipment_line: int = Field(description="The id of a line of this shipment.")
    quantity: Decimal


class ShipmentLinesIn(Schema):
    lines: list[ShipmentLineQuantityIn]


class ShipmentVoidIn(Schema):
    reason: str


# --- orders -----------------------------------------------------------------------------------------


@router.get("/orders", response={200: list[OrderOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_orders(
    request: HttpRequest,
    status: str = "",
    scope: str = "all",
    customer_id: int | None = None,
    contract_id: int | None = None,
    late: bool = False,
    q: str = "",
) -> Any:
    """``status``: one of the order statuses, or "open"; ``scope``: all (default) or mine (I am the
    sales owner); ``late``: open orders past their promised date."""
    user: Any = request.user
    require(user, MODULE, "view")
    if status and status != "open" and status not in OrderStatus.values:
        raise ValidationError({"status": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(OrderStatus.values)}})
    if scope not in ("all", "mine"):
        raise ValidationError({"scope": _("Choose one of: %(allowed)s.") % {"allowed": "all, mine"}})
    return selectors.order_list(
        user=user,
        scope=scope,
        status=status,
        customer=customer_id,
        contract=contract_id,
        late=late,
        q=q.strip(),
    )


@router.post("/orders", response={201: OrderDetailOut, **ERROR_RESPONSES})
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    """From a signed or active contract; the quantities at most what each contract line still has
    unordered (422 naming the line and both numbers). Over the customer's credit limit or with
    overdue receivables the order starts in credit review (status ``credit_review``)."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        try:
            order = services.order_create(
                actor=user,
                contract=payload.contract_id,
                lines=None
                if payload.lines is None
                else [{"contract_line": line.contract_line_id, "quantity": line.quantity} for line in payload.lines],
                operations_team=payload.operations_team_id,
                promised_date=payload.promised_date,
                ship_to=payload.ship_to,
                receiver=payload.receiver,
                receiver_phone=payload.receiver_phone,
                note=payload.note,
            )
        except ValidationError as exc:
            raise _api_fields(exc) from None
        return 201, OrderDetailOut.from_orm(selectors.order_get(user=user, pk=order.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="orders.order_create", payload=payload.dict(), create=create)
    return Status(status, body)


def _api_fields(exc: ValidationError) -> ValidationError:
    """The services name ``contract``, ``operations_team`` and ``lines.N.contract_line``; the API's
    fields end in ``_id``."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {}
    for name, errors in exc.message_dict.items():
        if name in ("contract", "operations_team", "order") or name.endswith((".contract_line", ".order_line")):
            name = f"{name}_id"
        renamed[name] = errors
    return ValidationError(renamed)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **ERROR_RESPONSES})
def get_order(request: HttpRequest, order_id: int) -> Any:
    return selectors.order_get(user=request.user, pk=order_id)


@router.post("/orders/{order_id}/confirm", response={200: OrderDetailOut, **ERROR_RESPONSES})
def confirm_order(request: HttpRequest, order_id: int) -> Any:
    """new → confirmed (operations)."""
    order: Order = services.order_confirm(actor=request.user, order=order_id)
    return selectors.order_get(user=request.user, pk=order.pk)


@router.post("/orders/{order_id}/schedule", response={200: OrderDetailOut, **ERROR_RESPONSES})
def schedule_order(request: HttpRequest, order_id: int, payload: ScheduleIn) -> Any:
    """Set or move the ship date (confirmed → scheduled); a date after the promised one tells the owner."""
    order = services.order_schedule(actor=request.user, order=order_id, scheduled_date=payload.scheduled_date)
    return selectors.order_get(user=request.user, pk=order.pk)


@router.post("/orders/{order_id}/cancel", response={200: OrderDetailOut, **ERROR_RESPONSES})
def cancel_order(request: HttpRequest, order_id: int, payload: CancelIn) -> Any:
    """Only before anything shipped (409 after)."""
    order = services.order_cancel(actor=request.user, order=order_id, reason=payload.reason)
    return selectors.order_get(user=request.user, pk=order.pk)


@router.post("/orders/{order_id}/close-short", response={200: OrderDetailOut, **ERROR_RESPONSES})
def close_order_short(request: HttpRequest, order_id: int, payload: CloseShortIn) -> Any:
    """A partly shipped order whose rest will not ship: each line's unshipped rest is closed (free for
    another order of the contract) and the order is shipped, its ``amount`` what its lines keep. 409
    for any other status (an order with nothing shipped is cancelled instead)."""
    order = services.order_close_short(actor=request.user, order=order_id, reason=payload.reason)
    return selectors.order_get(user=request.user, pk=order.pk)


# --- shipments -------------------------------------------------------------------------------------


@router.get("/shipments", response={200: list[ShipmentOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_shipments(request: HttpRequest, order: int | None = None) -> Any:
    require(request.user, MODULE, "view")
    return selectors.shipment_list(user=request.user, order=order)


@router.post("/shipments", response={201: ShipmentOut, **ERROR_RESPONSES})
def create_shipment(request: HttpRequest, payload: ShipmentIn) -> Any:
    """A shipment of a confirmed or scheduled order; each line at most what remains unshipped (422
    naming the line and both numbers). Partial shipments are allowed."""
    user: Any = request.user
    if not Order.objects.visible_to(user).filter(pk=payload.order_id).exists():
        raise ValidationError({"order_id": _("No such order.")})
    try:
        shipment: Shipment = services.shipment_create(
            actor=user,
            order=payload.order_id,
            lines=[{"order_line": line.order_line_id, "quantity": line.quantity} for line in payload.lines],
            shipped_on=payload.shipped_on,
            carrier=payload.carrier,
            tracking_number=payload.tracking_number,
            warehouse=payload.warehouse,
            note=payload.note,
        )
    except ValidationError as exc:
        raise _api_fields(exc) from None
    return Status(201, selectors.shipment_get(user=user, pk=shipment.pk))


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **ERROR_RESPONSES})
def get_shipment(request: HttpRequest, shipment_id: int) -> Any:
    return selectors.shipment_get(user=request.user, pk=shipment_id)


@router.patch("/shipments/{shipment_id}", response={200: ShipmentOut, **ERROR_RESPONSES})
def update_shipment(request: HttpRequest, shipment_id: int, payload: ShipmentPatch) -> Any:
    """Correct a shipment's date, carrier, tracking number or note (the fields given); its quantities
    stay. 409 while the order is in credit review or once it is cancelled."""
    services.shipment_update(actor=request.user, shipment=shipment_id, **payload.dict(exclude_unset=True))
    return selectors.shipment_get(user=request.user, pk=shipment_id)


@router.put("/shipments/{shipment_id}/lines", response={200: ShipmentOut, **ERROR_RESPONSES})
def update_shipment_lines(request: HttpRequest, shipment_id: int, payload: ShipmentLinesIn) -> Any:
    """Correct a shipment's quantities (the lines given; the others stay): each more than zero and at
    most its old quantity plus what the order line still has unshipped (422 naming the line and both
    numbers). The order's shipped quantities and status follow. 409 while the order is in credit
    review, once it is cancelled or closed short, and for a void shipment."""
    services.shipment_quantities_update(
        actor=request.user,
        shipment=shipment_id,
        lines=[{"shipment_line": line.shipment_line, "quantity": line.quantity} for line in payload.lines],
    )
    return selectors.shipment_get(user=request.user, pk=shipment_id)


@router.post("/shipments/{shipment_id}/void", response={200: ShipmentOut, **ERROR_RESPONSES})
def void_shipment(request: HttpRequest, shipment_id: int, payload: ShipmentVoidIn) -> Any:
    """A shipment recorded in error: its quantities go back to unshipped; it is kept, marked void.
    409 while the order is in credit review, once it is cancelled or closed short, or already void."""
    services.shipment_void(actor=request.user, shipment=shipment_id, reason=payload.reason)
    return selectors.shipment_get(user=request.user, pk=shipment_id)
