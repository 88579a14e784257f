"""Available-to-promise (supply/atp.py): exact figures from inventory, receipts and open orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.support.factories import UserFactory
from tests.support.money import contract, order
from tests.support.pipeline import ProductFactory
from xietong.orders.choices import OrderStatus
from xietong.supply import atp
from xietong.supply.models import InventoryPosition, ScheduledReceipt, SupplyItem, Warehouse

D = Decimal


@pytest.fixture
def stock(org):
    product = ProductFactory()
    other = ProductFactory()
    item = SupplyItem.objects.create(product=product)
    w1 = Warehouse.objects.create(code="SH", name="上海仓")
    w2 = Warehouse.objects.create(code="BJ", name="北京仓")
    at = timezone.make_aware(datetime(2026, 11, 1, 8, 0))
    InventoryPosition.objects.create(
        item=item, warehouse=w1, on_hand=D("100"), allocated=D("10"), in_transit=D("5"), as_of=at
    )
    InventoryPosition.objects.create(item=item, warehouse=w2, on_hand=D("20.5"), as_of=at)
    ScheduledReceipt.objects.create(reference="PO-1", item=item, due_date=date(2027, 1, 10), quantity=D("40"))
    ScheduledReceipt.objects.create(reference="PO-2", item=item, due_date=date(2027, 3, 1), quantity=D("7"))
    ScheduledReceipt.objects.create(
        reference="PO-3", item=item, due_date=date(2027, 1, 1), quantity=D("1000"), is_open=False
    )
    owner = UserFactory(primary_team=org["east"])
    c = contract(owner, lines=[(product, "30", "100.00")])
    order(c, promised_date=date(2027, 2, 1))
    undated = contract(owner, lines=[(product, "4", "100.00")])
    order(undated, promised_date=None)
    shipped = contract(owner, lines=[(product, "50", "100.00")])
    order(shipped, status=OrderStatus.SHIPPED, promised_date=date(2027, 1, 1))
    cancelled = contract(owner, lines=[(product, "60", "100.00")])
    order(cancelled, status=OrderStatus.CANCELLED, promised_date=date(2027, 1, 1))
    partly = contract(owner, lines=[(product, "10", "100.00")])
    o = order(partly, status=OrderStatus.PARTLY_SHIPPED, promised_date=date(2026, 12, 1))
    o.lines.update(shipped_quantity=D("6"))
    return {"product": product, "other": other}


def test_atp_sums_stock_receipts_due_and_subtracts_orders_promised_by_the_date(stock):
    p = stock["product"].pk
    # stock 100 − 10 + 5 + 20.5 = 115.5; orders undated 4 and partly shipped 10 − 6 = 4
    assert atp.available_to_promise([p], date(2026, 12, 31)) == {p: D("107.500")}
    # + receipt PO-1 (40)
    assert atp.available_to_promise([p], date(2027, 1, 31)) == {p: D("147.500")}
    # − the order promised on 2027-02-01 (30); the closed receipt never counts
    assert atp.available_to_promise([p], date(2027, 2, 1)) == {p: D("117.500")}
    # + PO-2
    assert atp.available_to_promise([p, stock["other"].pk], date(2027, 3, 1)) == {
        p: D("124.500"),
        stock["other"].pk: D("0.000"),
    }


def test_atp_never_below_zero_and_detail_reports_the_shortage(stock, org):
    p = stock["product"].pk
    owner = UserFactory(primary_team=org["east"])
    big = contract(owner, lines=[(stock["product"], "200", "100.00")])
    order(big, promised_date=date(2026, 12, 15))
    assert atp.available_to_promise([p], date(2026, 12, 31)) == {p: D("0.000")}
    detail = atp.atp_detail(p, date(2026, 12, 31))
    assert detail["on_hand"] == D("120.500")
    assert detail["allocated"] == D("10.000")
    assert detail["in_transit"] == D("5.000")
    assert detail["receipts"] == D("0.000")
    assert detail["orders"] == D("208.000")
    assert detail["available"] == D("0.000")
    assert detail["shortage"] == D("92.500")


def test_atp_queries_once_per_source_for_many_products(stock, django_assert_num_queries):
    ids = [stock["product"].pk, stock["other"].pk, *(ProductFactory().pk for _ in range(5))]
    with django_assert_num_queries(3):
        found = atp.available_to_promise(ids, date(2027, 3, 1))
    assert sorted(found) == sorted(ids)
