"""The orders and shipments API: create from a contract, list, get, confirm, schedule, cancel,
shipments; the error shapes (404 outside the scope, 409 state or locked, 422 naming the field);
query counts constant with rows."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order
from xietong.receivables.models import CustomerCredit

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _later(days: int = 14) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_create_an_order_from_a_contract_with_some_lines(people: Any) -> None:
    contract = money.contract(people.rep, lines=[(None, "10", "100.00"), (None, "1", "5.00")])
    first = contract.lines.get(position=1)
    response = _post(
        login(people.rep),
        "/api/v1/orders",
        {
            "contract_id": contract.pk,
            "lines": [{"contract_line_id": first.pk, "quantity": "4"}],
            "promised_date": _later(),
            "receiver": "张三",
            "receiver_phone": "13800138000",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new"
    assert body["amount"] == "452.00"  # 1,130.00 × 4 / 10
    assert body["operations_team"] == {"id": people.ops_team.pk, "name": "华东运营部"}
    assert [(line["quantity"], line["remaining_quantity"]) for line in body["lines"]] == [("4.000", "4.000")]


def test_too_much_is_422_naming_the_line_and_both_numbers(people: Any) -> None:
    contract = money.contract(people.rep, lines=[(None, "2", "100.00")])
    line = contract.lines.get()
    response = _post(
        login(people.rep),
        "/api/v1/orders",
        {
            "contract_id": contract.pk,
            "lines": [{"contract_line_id": line.pk, "quantity": "3"}],
            "promised_date": _later(),
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "lines.0.quantity",
            "message": zh(
                "Line %(position)s (%(product)s): %(wanted)s ordered but only %(left)s remain unordered.",
                position=1,
                product=line.product,
                wanted="3",
                left="2",
            ),
        }
    ]


def test_a_contract_outside_the_scope_is_422_no_such_contract(people: Any) -> None:
    contract = money.contract(people.rep)
    response = _post(login(people.outsider), "/api/v1/orders", {"contract_id": contract.pk, "promised_date": _later()})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "contract_id", "message": zh("No such contract.")}]
    assert not Order.objects.exists()


def test_the_create_is_idempotent_with_a_key(people: Any) -> None:
    contract = money.contract(people.rep, lines=[(None, "10", "100.00")])
    client = login(people.rep)
    body = json.dumps({"contract_id": contract.pk, "promised_date": _later()})
    first = client.post("/api/v1/orders", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/orders", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1


def test_operations_confirm_schedule_ship_through_the_api(people: Any) -> None:
    order = money.order(money.contract(people.rep, lines=[(None, "5", "100.00")]), operations_team=people.ops_team)
    line = order.lines.get()
    client = login(people.ops)
    assert client.post(f"/api/v1/orders/{order.pk}/confirm").json()["status"] == "confirmed"
    assert client.post(f"/api/v1/orders/{order.pk}/confirm").status_code == 409
    scheduled = _post(client, f"/api/v1/orders/{order.pk}/schedule", {"scheduled_date": _later(3)})
    assert scheduled.json()["status"] == "scheduled"
    shipment = _post(
        client,
        "/api/v1/shipments",
        {
            "order_id": order.pk,
            "shipped_on": timezone.localdate().isoformat(),
            "carrier": "顺丰速运",
            "tracking_number": "SF100",
            "lines": [{"order_line_id": line.pk, "quantity": "2"}],
        },
    )
    assert shipment.status_code == 201, shipment.content
    assert shipment.json()["lines"][0]["quantity"] == "2.000"
    over = _post(
        client,
        "/api/v1/shipments",
        {
            "order_id": order.pk,
            "shipped_on": timezone.localdate().isoformat(),
            "carrier": "顺丰速运",
            "lines": [{"order_line_id": line.pk, "quantity": "4"}],
        },
    )
    assert over.status_code == 422
    assert over.json()["errors"] == [
        {
            "field": "lines.0.quantity",
            "message": zh(
                "Line %(position)s (%(product)s): %(wanted)s to ship but only %(left)s remain unshipped.",
                position=1,
                product=line.product,
                wanted="4",
                left="3",
            ),
        }
    ]
    got = client.get(f"/api/v1/orders/{order.pk}").json()
    assert (got["status"], got["lines"][0]["shipped_quantity"]) == ("partly_shipped", "2.000")
    listed = client.get(f"/api/v1/shipments?order={order.pk}").json()
    assert [s["tracking_number"] for s in listed["results"]] == ["SF100"]
    assert client.get(f"/api/v1/shipments/{listed['results'][0]['id']}").status_code == 200
    cancel = _post(client, f"/api/v1/orders/{order.pk}/cancel", {"reason": "晚了"})
    assert cancel.status_code == 409


def test_an_order_in_credit_review_answers_409_on_every_change(people: Any, no_engine: list[Any]) -> None:
    contract = money.contract(people.rep)
    CustomerCredit.objects.create(
        customer=contract.customer, business_unit=contract.business_unit, credit_limit=Decimal("1")
    )
    created = _post(login(people.rep), "/api/v1/orders", {"contract_id": contract.pk, "promised_date": _later()})
    assert created.json()["status"] == "credit_review"
    pk = created.json()["id"]
    ops = login(people.ops)
    assert ops.post(f"/api/v1/orders/{pk}/confirm").status_code == 409
    assert _post(ops, f"/api/v1/orders/{pk}/schedule", {"scheduled_date": _later()}).status_code == 409
    assert _post(login(people.rep), f"/api/v1/orders/{pk}/cancel", {"reason": "x"}).status_code == 409


def test_orders_of_another_bu_are_404_for_operations(people: Any) -> None:
    order = money.order(money.contract(people.rep))
    client = login(people.ops2)
    assert client.get(f"/api/v1/orders/{order.pk}").status_code == 404
    refused = client.post(f"/api/v1/orders/{order.pk}/confirm")
    assert (refused.status_code, set(refused.json()), refused.json()["errors"]) == (404, {"detail", "errors"}, [])
    assert client.get("/api/v1/orders").json()["results"] == []


def test_the_list_filters_by_status_and_late(people: Any) -> None:
    contract = money.contract(people.rep)
    late = money.order(contract, promised_date=timezone.localdate() - timedelta(days=2))
    money.order(money.contract(people.rep), status=OrderStatus.SHIPPED)
    client = login(people.rep)
    assert [o["id"] for o in client.get("/api/v1/orders?late=true").json()["results"]] == [late.pk]
    assert [o["status"] for o in client.get("/api/v1/orders?status=shipped").json()["results"]] == ["shipped"]
    assert client.get("/api/v1/orders?status=bogus").status_code == 422


def test_the_order_list_costs_the_same_whatever_the_rows(people: Any) -> None:
    client = login(people.manager)
    money.order(money.contract(people.rep), operations_team=people.ops_team)

    def add() -> None:
        for _ in range(3):
            money.order(money.contract(people.rep2), operations_team=people.ops_team)

    assert_queries_constant(lambda: client.get("/api/v1/orders"), add, max_queries=12)


def test_the_shipment_list_costs_the_same_whatever_the_rows(people: Any) -> None:
    client = login(people.ops)
    order = money.order(money.contract(people.rep, lines=[(None, "10", "1.00")]), status=OrderStatus.CONFIRMED)
    line = order.lines.get()
    from xietong.orders import services

    services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": line.pk, "quantity": "1"}],
        shipped_on=timezone.localdate(),
        carrier="顺丰",
    )

    def add() -> None:
        for _ in range(3):
            services.shipment_create(
                actor=people.ops,
                order=order,
                lines=[{"order_line": line.pk, "quantity": "1"}],
                shipped_on=timezone.localdate(),
                carrier="顺丰",
            )

    assert_queries_constant(lambda: client.get("/api/v1/shipments"), add, max_queries=12)
