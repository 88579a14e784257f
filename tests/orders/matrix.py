"""This area's part of the permission matrix (tests/test_permission_matrix.py): the order pages and
the orders / shipments API with an id (closing short, a shipment's quantities and voiding included),
and its foreign records — an order in BU2 of a contract the
outsider owns there, fulfilled by BU2's operations team (so an operations clerk of BU1 is as foreign
to it as a sales rep), and a shipment of it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.support import money
from tests.support.factories import TeamFactory
from tests.support.matrix import Route
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Shipment, ShipmentLine


def _line_of(order: Any) -> int:
    return order.lines.values_list("pk", flat=True).first() or 0


_TODAY = {"today": lambda record: timezone.localdate().isoformat()}

ROUTES: list[Route] = [
    Route("GET", "/orders/{pk}/", "order"),
    Route("GET", "/orders/{pk}/history/", "order"),
    Route("POST", "/orders/{pk}/confirm/", "order", {}),
    Route("GET", "/orders/{pk}/schedule/", "order"),
    Route("POST", "/orders/{pk}/schedule/", "order", {"scheduled_date": "2030-01-01"}),
    Route("GET", "/orders/{pk}/cancel/", "order"),
    Route("POST", "/orders/{pk}/cancel/", "order", {"reason": "x"}),
    Route("GET", "/orders/{pk}/close-short/", "order"),
    Route("POST", "/orders/{pk}/close-short/", "order", {"reason": "x"}),
    Route("GET", "/orders/{pk}/ship/", "order"),
    Route("POST", "/orders/{pk}/ship/", "order", {"shipped_on": "2026-01-01", "carrier": "顺丰"}),
    Route("GET", "/orders/shipments/{pk}/edit/", "shipment"),
    Route("POST", "/orders/shipments/{pk}/edit/", "shipment", {"shipped_on": "2026-01-01", "carrier": "中通"}),
    Route("GET", "/orders/shipments/{pk}/quantities/", "shipment"),
    Route("POST", "/orders/shipments/{pk}/quantities/", "shipment", {"qty_1": "1"}),
    Route("GET", "/orders/shipments/{pk}/void/", "shipment"),
    Route("POST", "/orders/shipments/{pk}/void/", "shipment", {"reason": "x"}),
    Route("GET", "/api/v1/orders/{pk}", "order", api=True),
    Route("POST", "/api/v1/orders/{pk}/confirm", "order", {}, api=True),
    Route("POST", "/api/v1/orders/{pk}/schedule", "order", {"scheduled_date": "2030-01-01"}, api=True),
    Route("POST", "/api/v1/orders/{pk}/cancel", "order", {"reason": "x"}, api=True),
    Route("POST", "/api/v1/orders/{pk}/close-short", "order", {"reason": "x"}, api=True),
    Route("GET", "/api/v1/shipments/{pk}", "shipment", api=True),
    Route("PATCH", "/api/v1/shipments/{pk}", "shipment", {"carrier": "中通"}, api=True),
    Route(
        "PUT", "/api/v1/shipments/{pk}/lines", "shipment", {"lines": [{"shipment_line": 1, "quantity": "1"}]}, api=True
    ),
    Route("POST", "/api/v1/shipments/{pk}/void", "shipment", {"reason": "x"}, api=True),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2: a confirmed order of the outsider's contract, half shipped."""
    team = TeamFactory(business_unit=org["bu2"], name="外部运营部", team_type="operations")
    contract = money.contract(outsider, lines=[(None, "4", "100.00")])
    order = money.order(contract, status=OrderStatus.PARTLY_SHIPPED, operations_team=team)
    line = order.lines.get()
    shipment = Shipment.objects.create(
        order=order, number=f"{order.number}-S01", shipped_on=timezone.localdate(), carrier="顺丰"
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=1)
    line.shipped_quantity = 1
    line.save()
    return {"order": order, "shipment": shipment}
