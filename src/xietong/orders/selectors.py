"""Reads of orders and shipments, visibility applied: every list and record starts from
``Order.objects.visible_to(user, action)``; shipments are read through their order."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from xietong.core.errors import NotFound

from .choices import OrderStatus
from .models import Order, OrderLine, Shipment, ShipmentLine
from .services import LATE_STATUSES, OPEN_STATUSES, UNFINISHED_STATUSES

LIST_RELATED = ("customer", "owner", "operations_team", "contract", "business_unit")


def _late_q(today: date) -> Q:
    return Q(status__in=LATE_STATUSES, promised_date__lt=today)


def with_late(rows: QuerySet[Order], today: date | None = None) -> QuerySet[Order]:
    today = today or timezone.localdate()
    return rows.annotate(
        is_late=Case(When(_late_q(today), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def order_list(
    *,
    user: Any,
    action: str = "view",
    scope: str = "all",
    status: str = "",
    customer: Any = None,
    contract: Any = None,
    opportunity: Any = None,
    late: bool = False,
    q: str = "",
    today: date | None = None,
) -> QuerySet[Order]:
    """Visible orders (``scope`` "mine": the user's own as sales owner), filtered, newest first, each
    with ``is_late``."""
    today = today or timezone.localdate()
    rows = Order.objects.visible_to(user, action).select_related(*LIST_RELATED)
    if scope == "mine":
        rows = rows.filter(owner_id=user.pk)
    if status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status in OrderStatus.values:
        rows = rows.filter(status=status)
    if customer not in (None, ""):
        rows = rows.filter(customer_id=getattr(customer, "pk", customer))
    if contract not in (None, ""):
        rows = rows.filter(contract_id=getattr(contract, "pk", contract))
    if opportunity not in (None, ""):
        rows = rows.filter(contract__opportunity_id=getattr(opportunity, "pk", opportunity))
    if late:
        rows = rows.filter(_late_q(today))
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(contract__number__icontains=q))
    return with_late(rows, today).order_by("-pk")


def operations_queue(*, user: Any, scope: str = "team", status: str = "", today: date | None = None) -> QuerySet[Order]:
    """Open orders for operations: ``scope`` "team" — of the teams the user belongs to; "all" —
    everything open in their scope. Late first, then by promised date (none last), then oldest."""
    today = today or timezone.localdate()
    rows = Order.objects.visible_to(user, "view").select_related(*LIST_RELATED)
    if scope == "team":
        rows = rows.filter(operations_team_id__in=user.access.team_ids)
    if status in [s.value for s in OPEN_STATUSES]:
        rows = rows.filter(status=status)
    else:
        rows = rows.filter(status__in=OPEN_STATUSES)
    return with_late(rows, today).order_by("-is_late", "promised_date", "pk")  # type: ignore[misc]


def unfinished_orders_of_contract(*, user: Any, contract: Any) -> QuerySet[Order]:
    """The contract's orders the user sees that are not finished — in credit review or open for
    operations (not shipped, closed short or cancelled) — oldest first."""
    return (
        Order.objects.visible_to(user, "view")
        .filter(contract_id=getattr(contract, "pk", contract), status__in=UNFINISHED_STATUSES)
        .order_by("pk")
    )


def order_get(*, user: Any, pk: int, action: str = "view") -> Order:
    """One visible order with its lines (and their products), shipments (with their lines): a few
    queries whatever its size."""
    order = (
        with_late(Order.objects.visible_to(user, action).select_related(*LIST_RELATED, "confirmed_by", "created_by"))
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product", "contract_line")),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("created_by").prefetch_related(
                    Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product"))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def shipment_list(*, user: Any, order: Any = None) -> QuerySet[Shipment]:
    rows = Shipment.objects.filter(order__in=Order.objects.visible_to(user, "view").values("pk"))
    if order not in (None, ""):
        rows = rows.filter(order_id=getattr(order, "pk", order))
    return rows.select_related("order").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product"))
    )


def shipment_get(*, user: Any, pk: int) -> Shipment:
    found = shipment_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def orderable_contracts(*, user: Any) -> QuerySet[Any]:
    """Contracts the user sees that can be ordered (signed or active)."""
    from xietong.contracts.models import Contract

    return (
        Contract.objects.visible_to(user)
        .filter(status__in=("signed", "active"))
        .select_related("customer")
        .order_by("-pk")
    )
