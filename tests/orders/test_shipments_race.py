"""Two operators shipping the same line at the same moment, with real parallel connections
(PostgreSQL): the order row lock makes the second wait and see what the first shipped, so the line is
never over-shipped. On SQLite the sequential refusal is proven in test_services.py
(test_over_shipping_is_refused_naming_the_line_and_both_numbers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.support import money
from xietong.orders import services
from xietong.orders.choices import OrderStatus
from xietong.orders.models import OrderLine, Shipment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only"),
]


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome is what the test looks at
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_eight_operators_shipping_the_same_line_at_once_never_over_ship(people: Any) -> None:
    order = money.order(
        money.contract(people.rep, lines=[(None, "5", "100.00")]),
        status=OrderStatus.CONFIRMED,
        operations_team=people.ops_team,
    )
    line = order.lines.get()

    def ship() -> Any:
        actor = type(people.ops).objects.get(pk=people.ops.pk)
        return services.shipment_create(
            actor=actor,
            order=order.pk,
            lines=[{"order_line": line.pk, "quantity": "2"}],
            shipped_on=timezone.localdate(),
            carrier="顺丰",
        )

    results = run_together([ship for _ in range(8)])
    shipped = [r for r in results if isinstance(r, Shipment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(shipped), len(refused)) == (2, 6)  # 2 + 2 = 4 of 5; a third 2 would be 6 > 5
    assert OrderLine.objects.get(pk=line.pk).shipped_quantity == Decimal("4")
    assert Shipment.objects.filter(order=order).count() == 2
