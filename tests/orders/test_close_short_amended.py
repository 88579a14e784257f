"""Closing an order short after an amendment changed the price of its contract line: the order
must keep what the units it shipped were ordered for."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.contracts.conftest import engine, scans  # noqa: F401  (the contracts tests' fake approval engine)
from tests.support import money
from xietong.contracts import services as contracts
from xietong.orders import services
from xietong.orders.models import Order

pytestmark = pytest.mark.django_db


def _amend_line(people, c, *, quantity, unit_price):
    (line,) = c.lines.all()
    contracts.contract_amend(
        actor=people.rep,
        contract=c,
        reason="追加数量并调价",
        lines=[
            {
                "id": line.pk,
                "product": line.product_id,
                "quantity": quantity,
                "unit_price": unit_price,
                "discount_amount": "0",
                "tax_rate": "13",
            }
        ],
    )


def _ship_half_and_close(people, order):
    services.order_confirm(actor=people.ops, order=order)
    (ol,) = order.lines.all()
    services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": ol.pk, "quantity": "5"}],
        shipped_on=timezone.localdate(),
        carrier="顺丰",
    )
    return services.order_close_short(actor=people.rep, order=order, reason="客户只要已发的部分")


def test_an_order_closed_short_after_a_price_rise_keeps_what_its_shipped_units_cost(people, engine):  # noqa: F811
    c = money.contract(people.rep, lines=[(None, "10", "100.00")])  # 10 × 100 + 13 % = 1,130.00
    order = services.order_create(
        actor=people.rep, contract=c, lines=None, promised_date=timezone.localdate() + timedelta(days=10)
    )
    assert order.amount == D("1130.00")  # 113.00 a unit
    _amend_line(people, c, quantity="20", unit_price="300.00")  # 10 more units, dearer: 6,780.00
    engine.approve(c)
    closed = _ship_half_and_close(people, order)
    # 5 units of 113.00 shipped: the order keeps 565.00 (it dropped to 0.00: the closed 5 took the
    # amended contract line's share, 5/20 × 6,780.00 = 1,695.00, capped at the order line's 1,130.00)
    assert Order.objects.get(pk=closed.pk).amount == D("565.00")


def test_an_order_closed_short_after_a_price_cut_keeps_what_its_shipped_units_cost(people, engine):  # noqa: F811
    c = money.contract(people.rep, lines=[(None, "10", "100.00")])
    order = services.order_create(
        actor=people.rep, contract=c, lines=None, promised_date=timezone.localdate() + timedelta(days=10)
    )
    _amend_line(people, c, quantity="20", unit_price="50.00")  # 20 × 50 + 13 % = 1,130.00
    engine.approve(c)
    closed = _ship_half_and_close(people, order)
    # it gave back 5/20 × 1,130.00 = 282.50 and kept 847.50 for 5 units ordered at 113.00 each
    assert Order.objects.get(pk=closed.pk).amount == D("565.00")
