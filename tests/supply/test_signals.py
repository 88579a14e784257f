"""Demand signals: history (imported + orders), open orders, weighted pipeline — exact sums."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.support import money
from tests.support.factories import UserFactory
from tests.support.pipeline import ProductFactory, opportunity
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, OrderLine
from xietong.pipeline.choices import OpportunityStatus
from xietong.pipeline.models import OpportunityLine
from xietong.supply import signals
from xietong.supply.models import SalesHistory

pytestmark = pytest.mark.django_db

D = Decimal


def test_month_helpers() -> None:
    assert signals.month_start(date(2026, 3, 17)) == date(2026, 3, 1)
    assert signals.add_months(date(2026, 11, 5), 3) == date(2027, 2, 1)
    assert signals.add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)
    assert signals.add_months(date(2026, 1, 1), 0) == date(2026, 1, 1)


@pytest.fixture
def people(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "rep1": UserFactory(primary_team=org["east"]),
        "rep2": UserFactory(primary_team=org["north"]),
    }


def _order(owner: Any, product: Any, qty: str, *, status: str = OrderStatus.NEW, **kwargs: Any) -> Order:
    c = money.contract(owner, lines=[(product, qty, "100.00")])
    return money.order(c, status=status, **kwargs)


def test_demand_history_adds_imported_history_and_orders_by_local_month(org: dict[str, Any], people: Any) -> None:
    bu1, bu2 = org["bu1"], org["bu2"]
    p, q = ProductFactory(), ProductFactory()
    SalesHistory.objects.create(product=p, business_unit=bu1, month=date(2026, 1, 1), quantity=D("5.500"))
    SalesHistory.objects.create(product=p, business_unit=bu1, month=date(2026, 3, 1), quantity=D("2.000"))
    SalesHistory.objects.create(product=p, business_unit=bu2, month=date(2026, 1, 1), quantity=D("1.000"))
    SalesHistory.objects.create(product=q, business_unit=bu1, month=date(2025, 12, 1), quantity=D("9.000"))  # before
    SalesHistory.objects.create(product=q, business_unit=bu1, month=date(2026, 4, 1), quantity=D("9.000"))  # after
    # 2026-02-28 17:30 UTC is 2026-03-01 01:30 in Shanghai: March
    o1 = _order(people["rep1"], p, "3.250")
    o2 = _order(people["rep1"], p, "1.125")
    cancelled = _order(people["rep1"], p, "100", status=OrderStatus.CANCELLED)
    o3 = _order(people["rep2"], q, "4")
    short = _order(people["rep1"], p, "10", status=OrderStatus.SHIPPED)  # closed short: 7 shipped, 3 not taken
    OrderLine.objects.filter(order=short).update(shipped_quantity=D("7"), closed_quantity=D("3"))
    Order.objects.filter(pk__in=[o1.pk, o2.pk, cancelled.pk, short.pk]).update(
        created_at=datetime(2026, 2, 28, 17, 30, tzinfo=UTC)
    )
    Order.objects.filter(pk=o3.pk).update(created_at=datetime(2026, 2, 10, 3, 0, tzinfo=UTC))

    got = signals.demand_history(start=date(2026, 1, 1), end=date(2026, 4, 1))

    assert got == {
        (p.pk, bu1.pk, date(2026, 1, 1)): D("5.500"),
        (p.pk, bu1.pk, date(2026, 3, 1)): D("13.375"),  # 2 + 3.25 + 1.125 + (10 − 3 closed short)
        (p.pk, bu2.pk, date(2026, 1, 1)): D("1.000"),
        (q.pk, bu2.pk, date(2026, 2, 1)): D("4.000"),
    }
    # the engine's reading: the same groups as floats, one row per source (March twice), same totals
    rows = signals.demand_history_floats(start=date(2026, 1, 1), end=date(2026, 4, 1))
    assert all(isinstance(quantity, float) for *_key, quantity in rows)
    summed: dict[Any, float] = {}
    for product, bu, month, quantity in rows:
        summed[(product, bu, month.replace(day=1))] = summed.get((product, bu, month.replace(day=1)), 0.0) + quantity
    assert sorted(rows) == sorted(
        [
            (p.pk, bu1.pk, date(2026, 1, 1), 5.5),
            (p.pk, bu1.pk, date(2026, 3, 1), 2.0),
            (p.pk, bu1.pk, date(2026, 3, 1), 11.375),  # the orders' 3.25 + 1.125 + 7
            (p.pk, bu2.pk, date(2026, 1, 1), 1.0),
            (q.pk, bu2.pk, date(2026, 2, 1), 4.0),
        ]
    )
    assert summed == {key: float(value) for key, value in got.items()}


def test_open_orders_unshipped_by_promised_month(org: dict[str, Any], people: Any) -> None:
    bu1 = org["bu1"]
    p = ProductFactory()
    first = date(2026, 5, 1)
    a = _order(people["rep1"], p, "10", promised_date=date(2026, 7, 20))
    OrderLine.objects.filter(order=a).update(shipped_quantity=D("2.500"))
    b = _order(people["rep1"], p, "4", promised_date=date(2026, 3, 2))  # overdue: first month
    _order(people["rep1"], p, "6", promised_date=None)  # no date: first month
    _order(people["rep1"], p, "50", promised_date=date(2026, 7, 1), status=OrderStatus.CANCELLED)
    _order(people["rep1"], p, "60", promised_date=date(2026, 7, 1), status=OrderStatus.SHIPPED)
    full = _order(people["rep1"], p, "7", promised_date=date(2026, 6, 1), status=OrderStatus.PARTLY_SHIPPED)
    OrderLine.objects.filter(order=full).update(shipped_quantity=D("7"))  # nothing left
    assert b.status == OrderStatus.NEW

    got = signals.open_orders(first_month=first)

    assert got == {(p.pk, bu1.pk, date(2026, 7, 1)): D("7.500"), (p.pk, bu1.pk, first): D("10.000")}


def test_weighted_pipeline_by_delivery_or_close_month_within_the_horizon(org: dict[str, Any], people: Any) -> None:
    bu1 = org["bu1"]
    p, q = ProductFactory(), ProductFactory()
    first = date(2026, 5, 1)
    opp = opportunity(people["rep1"], probability=30, expected_close=date(2026, 8, 15))
    OpportunityLine.objects.create(
        opportunity=opp, product=p, quantity=D("10"), unit_price=D("1"), delivery_month=date(2026, 6, 1)
    )
    OpportunityLine.objects.create(
        opportunity=opp, product=p, quantity=D("0.005"), unit_price=D("1"), delivery_month=date(2026, 6, 1)
    )
    OpportunityLine.objects.create(opportunity=opp, product=q, quantity=D("5"), unit_price=D("1"))  # close month
    OpportunityLine.objects.create(
        opportunity=opp, product=q, quantity=D("2"), unit_price=D("1"), delivery_month=date(2026, 1, 1)
    )
    OpportunityLine.objects.create(
        opportunity=opp, product=q, quantity=D("9"), unit_price=D("1"), delivery_month=date(2026, 11, 1)
    )
    lost = opportunity(people["rep1"], probability=90, status=OpportunityStatus.LOST)
    OpportunityLine.objects.create(
        opportunity=lost, product=p, quantity=D("100"), unit_price=D("1"), delivery_month=date(2026, 6, 1)
    )

    got = signals.weighted_pipeline(first_month=first, months=6)  # May … October

    assert got == {
        (p.pk, bu1.pk, date(2026, 6, 1)): D("3.002"),  # (10 + 0.005) × 30 % = 3.0015 → 3.002 half up
        (q.pk, bu1.pk, date(2026, 8, 1)): D("1.500"),
        (q.pk, bu1.pk, first): D("0.600"),  # January delivery: before the first month
    }
