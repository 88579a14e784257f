"""Available-to-promise (ATP, 可承诺量) per product and date, and the check of commitments against it.

For a product on a date ``on``::

    ATP = on hand − allocated + in transit            (inventory positions, all warehouses)
        + open scheduled receipts due on or before ``on``
        − open remainder (unshipped, not closed short) of open orders promised on or before ``on``
          (or without a promised date)

An open order is one neither cancelled nor fully shipped (credit review included: the quantity is
spoken for). The answer is never below zero: ``available_to_promise`` reports 0, and ``atp_detail``
gives the parts and the ``shortage`` (how far below zero it would be). One aggregate query per
source, for any number of products at once.

``check_commitments`` compares the open opportunities in forecast category "commit" with ATP at their
delivery month's end and tells the owner and the product's planner when a line is beyond it;
``check_orders`` finds the open orders promised on a date when their product's ATP would be below
zero (the orders promised by then take more than there is) and tells the order's owner and the
planner.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from .models import InventoryPosition, ScheduledReceipt, SupplyItem
from .signals import add_months, month_start

ZERO = Decimal("0.000")
QTY = Decimal("0.001")
KIND_BEYOND_ATP = "supply_beyond_atp"
KIND_ORDER_BEYOND_ATP = "supply_order_beyond_atp"


def _q(value: Any) -> Decimal:
    return (Decimal(value) if value is not None else ZERO).quantize(QTY)


def _components(product_ids: Iterable[int], on: date) -> dict[int, dict[str, Decimal]]:
    from xietong.orders.choices import OrderStatus
    from xietong.orders.models import OrderLine, open_quantity_expression

    ids = sorted({int(p) for p in product_ids})
    parts = {
        pid: {"on_hand": ZERO, "allocated": ZERO, "in_transit": ZERO, "receipts": ZERO, "orders": ZERO} for pid in ids
    }
    if not ids:
        return parts
    stock = (
        InventoryPosition.objects.filter(item__product_id__in=ids)
        .values("item__product_id")
        .annotate(on_hand=Sum("on_hand"), allocated=Sum("allocated"), in_transit=Sum("in_transit"))
    )
    for row in stock:
        part = parts[row["item__product_id"]]
        for name in ("on_hand", "allocated", "in_transit"):
            part[name] = _q(row[name])
    receipts = (
        ScheduledReceipt.objects.filter(item__product_id__in=ids, is_open=True, due_date__lte=on)
        .values("item__product_id")
        .annotate(total=Sum("quantity"))
    )
    for row in receipts:
        parts[row["item__product_id"]]["receipts"] = _q(row["total"])
    orders = (
        OrderLine.objects.filter(product_id__in=ids)
        .exclude(order__status__in=(OrderStatus.CANCELLED, OrderStatus.SHIPPED))
        .filter(Q(order__promised_date__lte=on) | Q(order__promised_date__isnull=True))
        .values("product_id")
        .annotate(total=Sum(open_quantity_expression()))
    )
    for row in orders:
        parts[row["product_id"]]["orders"] = _q(row["total"])
    return parts


def _net(part: dict[str, Decimal]) -> Decimal:
    return part["on_hand"] - part["allocated"] + part["in_transit"] + part["receipts"] - part["orders"]


def available_to_promise(product_ids: Iterable[int], on: date) -> dict[int, Decimal]:
    """Product id → ATP on ``on`` (never below zero); every product asked for is in the answer."""
    return {pid: max(_net(part), ZERO) for pid, part in _components(product_ids, on).items()}


def atp_details(product_ids: Iterable[int], on: date) -> dict[int, dict[str, Any]]:
    """Product id → the parts of its ATP: on_hand, allocated, in_transit, receipts (open, due by
    ``on``), orders (unshipped, promised by ``on`` or undated), available (≥ 0) and shortage (≥ 0)."""
    out = {}
    for pid, part in _components(product_ids, on).items():
        net = _net(part)
        out[pid] = {"product_id": pid, "on": on, **part, "available": max(net, ZERO), "shortage": max(-net, ZERO)}
    return out


def atp_detail(product_id: int, on: date) -> dict[str, Any]:
    """One product's ``atp_details``."""
    return atp_details([product_id], on)[int(product_id)]


def _month_end(month: date) -> date:
    return add_months(month_start(month), 1) - timedelta(days=1)


def check_commitments(*, first_month: date, actor_id: int | None = None, event: str = "") -> list[dict[str, Any]]:
    """Open opportunities in forecast category "commit" whose line quantity (summed per product and
    delivery month) exceeds ATP at that month's end; notifies the owner and the product's planner
    after the commit (once per ``event`` and opportunity × product × month). Lines without a
    delivery month use the expected close month, then ``first_month``; months before
    ``first_month`` count as ``first_month``. Products without supply data are not checked (as for
    orders and the line badges). Returns the findings."""
    from xietong.pipeline.choices import ForecastCategory, OpportunityStatus
    from xietong.pipeline.models import OpportunityLine

    lines = (
        OpportunityLine.objects.filter(
            opportunity__status=OpportunityStatus.OPEN,
            opportunity__forecast_category=ForecastCategory.COMMIT,
            product__supply__isnull=False,  # a product without supply data (a service) has no ATP
        )
        .select_related("opportunity", "product")
        .order_by("opportunity_id", "pk")
    )
    wanted: dict[tuple[int, int, date], Decimal] = {}
    info: dict[tuple[int, int, date], Any] = {}
    for line in lines:
        opp = line.opportunity
        month = line.delivery_month or opp.expected_close or first_month
        month = max(month_start(month), first_month)
        key = (opp.pk, line.product_id, month)
        wanted[key] = wanted.get(key, ZERO) + line.quantity
        info[key] = line
    by_date: dict[date, set[int]] = {}
    for _opp, product_id, month in wanted:
        by_date.setdefault(_month_end(month), set()).add(product_id)
    atp: dict[tuple[int, date], Decimal] = {}
    for on, products in by_date.items():
        for pid, value in available_to_promise(products, on).items():
            atp[(pid, on)] = value
    planners = dict(
        SupplyItem.objects.filter(product_id__in={k[1] for k in wanted}).values_list("product_id", "planner_id")
    )
    findings = []
    for key, quantity in sorted(wanted.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        opp_id, product_id, month = key
        available = atp[(product_id, _month_end(month))]
        if quantity <= available:
            continue
        line = info[key]
        finding = {
            "opportunity_id": opp_id,
            "product_id": product_id,
            "month": month,
            "quantity": _q(quantity),
            "available": available,
        }
        findings.append(finding)
        recipients = [r for r in (line.opportunity.owner_id, planners.get(product_id)) if r]
        _notify(
            event_key=f"supply:atp:{event}:{opp_id}:{product_id}:{month:%Y-%m}",
            kind=KIND_BEYOND_ATP,
            recipient_ids=recipients,
            actor_id=actor_id,
            record=("pipeline.opportunity", opp_id),
            params={
                "opportunity": line.opportunity.name,
                "product": str(line.product),
                "quantity": format(_q(quantity).normalize(), "f"),
                "available": format(available.normalize(), "f"),
                "month": f"{month:%Y-%m}",
            },
        )
    return findings


def check_orders(*, actor_id: int | None = None, event: str = "") -> list[dict[str, Any]]:
    """Open order lines whose product is short on the order's promised date (ATP below zero then,
    counting every open order promised by that date); undated orders are checked as of today.
    Notifies the order's owner and the product's planner after the commit, once per ``event`` and
    order × product. Returns the findings (order_id, product_id, on, shortage)."""
    from django.utils import timezone

    from xietong.orders.choices import OrderStatus
    from xietong.orders.models import OrderLine, open_quantity_expression

    today = timezone.localdate()
    lines = list(
        OrderLine.objects.exclude(order__status__in=(OrderStatus.CANCELLED, OrderStatus.SHIPPED))
        .alias(open=open_quantity_expression())
        .filter(open__gt=0, product__supply__isnull=False)
        .values("order_id", "order__number", "order__owner_id", "order__promised_date", "product_id")
        .order_by("order_id", "product_id")
        .distinct()
    )
    by_date: dict[date, set[int]] = {}
    for line in lines:
        on = line["order__promised_date"] or today
        by_date.setdefault(on, set()).add(line["product_id"])
    short: dict[tuple[int, date], Decimal] = {}
    for on, products in by_date.items():
        for pid, part in _components(products, on).items():
            net = _net(part)
            if net < 0:
                short[(pid, on)] = -net
    if not short:
        return []
    planners = dict(
        SupplyItem.objects.filter(product_id__in={k[0] for k in short}).values_list("product_id", "planner_id")
    )
    findings = []
    seen: set[tuple[int, int]] = set()
    for line in lines:
        on = line["order__promised_date"] or today
        key = (line["order_id"], line["product_id"])
        shortage = short.get((line["product_id"], on))
        if shortage is None or key in seen:
            continue
        seen.add(key)
        findings.append({"order_id": key[0], "product_id": key[1], "on": on, "shortage": shortage})
        recipients = [r for r in (line["order__owner_id"], planners.get(line["product_id"])) if r]
        _notify(
            event_key=f"supply:order-atp:{event}:{key[0]}:{key[1]}",
            kind=KIND_ORDER_BEYOND_ATP,
            recipient_ids=recipients,
            actor_id=actor_id,
            record=("orders.order", key[0]),
            params={
                "order": line["order__number"],
                "product_id": key[1],
                "shortage": format(shortage.normalize(), "f"),
                "on": on.isoformat(),
            },
        )
    return findings


def _notify(
    *,
    event_key: str,
    kind: str,
    recipient_ids: list[int],
    actor_id: int | None,
    record: tuple[str, int],
    params: dict[str, Any],
) -> None:
    """Notifications after the commit, through the collaboration task (as orders do)."""
    if not recipient_ids:
        return
    transaction.on_commit(
        functools.partial(
            _deliver_later,
            event_key=event_key,
            kind=kind,
            recipient_ids=sorted(set(recipient_ids)),
            actor_id=actor_id,
            record=[record[0], record[1]],
            params=params,
        ),
        robust=True,
    )


def _deliver_later(
    *,
    event_key: str,
    kind: str,
    recipient_ids: list[int],
    actor_id: int | None,
    record: list[Any],
    params: dict[str, Any],
) -> None:
    from xietong.collaboration.tasks import deliver_notifications

    deliver_notifications.enqueue(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        record=record,
        params=params,
    )
