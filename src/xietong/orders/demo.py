"""Demo orders (org/demo.py runs this step after the contracts' and receivables' steps).

Signed and active demo contracts get orders through the services, as their owners and the BU's
operations clerks would: most in full, some with part of each line; then operations confirm some,
schedule some, ship some partly (with carrier and tracking number) and some fully, and a few are
left past their promised date so the queue and the delay notices have something to show.

Deterministic (seeded) and idempotent: a contract with an order gets no new one. Contracts whose
customer is over its credit limit wait in credit review like any other. Nothing happens when no
contract is signed yet.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xietong.core.errors import Conflict
from xietong.org.demo import register_demo_step

from . import services
from .choices import OrderStatus
from .models import Order

SEED = 20261129
CARRIERS = ("顺丰速运", "德邦物流", "京东物流", "中通快运")
WAREHOUSES = ("上海青浦仓", "苏州工业园仓", "天津武清仓")


def operator_of(team_id: int | None) -> Any:
    """The operations team's manager (else its first member) when they may edit orders, or None."""
    from xietong.org.models import TeamMembership

    if team_id is None:
        return None
    membership = (
        TeamMembership.objects.filter(team_id=team_id, user__is_active=True)
        .select_related("user")
        .order_by("-is_manager", "user_id")
        .first()
    )
    user = membership.user if membership else None
    return user if user is not None and user.access.can("orders", "edit") else None


def load(created: Counter[str]) -> None:
    from xietong.contracts.models import Contract

    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    today = timezone.localdate()
    contracts = (
        Contract.objects.filter(status__in=services.ORDERABLE_CONTRACT_STATUSES)
        .exclude(orders__isnull=False)
        .select_related("owner")
        .order_by("pk")[:60]
    )
    for contract in contracts:
        if services.default_operations_team(contract.business_unit_id) is None:
            continue
        partial = rng.random() < 0.3
        lines = None
        if partial:
            lines = [
                {"contract_line": row["line"].pk, "quantity": max(row["remaining"] // 2, 1)}
                for row in services.contract_remaining(contract)
                if row["remaining"] >= 2
            ] or None
        try:
            order = services.order_create(
                actor=contract.owner,
                contract=contract,
                lines=lines,
                promised_date=today + timedelta(days=rng.randint(5, 45)),
                ship_to=f"{contract.customer.name} 收货仓库",
                receiver="仓库管理员",
                receiver_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            )
        except (ValidationError, Conflict, PermissionDenied):
            continue
        created["orders"] += 1
        if order.status != OrderStatus.NEW:
            continue
        operator = operator_of(order.operations_team_id)
        if operator is None:
            continue
        fate = rng.random()
        if fate < 0.2:
            continue  # still new in the queue
        services.order_confirm(actor=operator, order=order)
        if fate < 0.35:
            # late: promised last week, still only confirmed
            Order.objects.filter(pk=order.pk).update(promised_date=today - timedelta(days=rng.randint(1, 10)))
            continue
        services.order_schedule(actor=operator, order=order, scheduled_date=today + timedelta(days=rng.randint(1, 5)))
        if fate < 0.55:
            continue
        order_lines = list(order.lines.all())
        whole = fate >= 0.8
        shipment_lines = [
            {"order_line": ol.pk, "quantity": ol.quantity if whole else max(ol.quantity // 2, 1)}
            for ol in order_lines
            if whole or ol.quantity >= 2
        ]
        if not shipment_lines:
            continue
        services.shipment_create(
            actor=operator,
            order=order,
            lines=shipment_lines,
            # a few days back, never before the contract was signed
            shipped_on=max(today - timedelta(days=rng.randint(0, 3)), contract.signed_date or today),
            carrier=rng.choice(CARRIERS),
            tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
            warehouse=rng.choice(WAREHOUSES),
        )
        created["shipments"] += 1


register_demo_step(load)
