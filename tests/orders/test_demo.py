"""The demo step: signed contracts get orders through the services, operations move some along
(confirmed, scheduled, shipped partly or fully, late); loading again adds nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.support import money
from xietong.orders import demo
from xietong.orders.models import Order, Shipment

pytestmark = pytest.mark.django_db


def test_the_demo_orders_the_signed_contracts_once(people: Any) -> None:
    contracts = [money.contract(people.rep, lines=[(None, "6", "100.00"), (None, "4", "10.00")]) for _ in range(12)]
    created: Counter[str] = Counter()
    demo.load(created)
    assert created["orders"] == 12
    assert set(Order.objects.values_list("contract_id", flat=True)) == {c.pk for c in contracts}
    statuses = set(Order.objects.values_list("status", flat=True))
    assert len(statuses) >= 3
    assert created["shipments"] == Shipment.objects.count()
    again: Counter[str] = Counter()
    demo.load(again)
    assert again == Counter()
    assert Order.objects.count() == 12
