"""Orders of a terminated contract: nothing more is confirmed, scheduled or shipped (no shipment's
quantity goes up either), each refusal a 409 naming the contract and its state; cancel and close short
still wind them down. Orders of an expired contract are still delivered. The order page and the
operations queue show it; the terminate form says how many unfinished orders the contract has, and
terminating tells the operations team of each open order."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from xietong.collaboration.models import Notification
from xietong.contracts import services as contracts
from xietong.contracts.choices import ContractStatus
from xietong.core.errors import Conflict
from xietong.orders import services
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, Shipment

pytestmark = pytest.mark.django_db

STOPPED = (
    "Contract %(number)s is “%(status)s”: the order can no longer be confirmed, scheduled or shipped; "
    "cancel it or close it short."
)


def _order(people: Any, *, contract_status: str = ContractStatus.ACTIVE, **kwargs: Any) -> Order:
    contract = money.contract(people.rep, lines=[(None, "5", "100.00")], status=contract_status)
    return money.order(contract, operations_team=people.ops_team, **kwargs)


def _terminate(people: Any, order: Order) -> None:
    contracts.contract_terminate(actor=people.rep, contract=order.contract_id, reason="客户违约")


def _ship(people: Any, order: Order, quantity: str = "2") -> Shipment:
    return services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": order.lines.get().pk, "quantity": quantity}],
        shipped_on=timezone.localdate(),
        carrier="顺丰速运",
    )


def _stopped(order: Order) -> str:
    return zh(STOPPED, number=order.contract.number, status=zh("Terminated"))


def _stopped_shipping(order: Order) -> str:
    """The refusal of a shipment dated on or after the day of the termination (today)."""
    hint = zh("A shipment that left before %(date)s can still be recorded.", date=timezone.localdate().isoformat())
    return f"{_stopped(order)} {hint}"


def _later(days: int = 3) -> Any:
    return timezone.localdate() + timedelta(days=days)


# --- the services refuse what would advance fulfilment ------------------------------------------------


def test_a_new_order_of_a_terminated_contract_cannot_be_confirmed(people: Any) -> None:
    order = _order(people)
    _terminate(people, order)
    with pytest.raises(Conflict) as caught:
        services.order_confirm(actor=people.ops, order=order)
    assert (str(caught.value), caught.value.field) == (_stopped(order), "contract")
    order.refresh_from_db()
    assert (order.status, order.confirmed_at) == (OrderStatus.NEW, None)


def test_a_confirmed_order_of_a_terminated_contract_cannot_be_scheduled(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _terminate(people, order)
    with pytest.raises(Conflict) as caught:
        services.order_schedule(actor=people.ops, order=order, scheduled_date=_later())
    assert (str(caught.value), caught.value.field) == (_stopped(order), "contract")
    order.refresh_from_db()
    assert (order.status, order.scheduled_date) == (OrderStatus.CONFIRMED, None)


@pytest.mark.parametrize("status", [OrderStatus.CONFIRMED, OrderStatus.SCHEDULED])
def test_an_order_of_a_terminated_contract_cannot_ship(people: Any, status: str) -> None:
    order = _order(people, status=status)
    _terminate(people, order)
    with pytest.raises(Conflict) as caught:
        _ship(people, order)
    assert (str(caught.value), caught.value.field) == (_stopped_shipping(order), "contract")
    assert not Shipment.objects.exists()
    assert order.lines.get().shipped_quantity == 0


def test_a_partly_shipped_order_cannot_ship_the_rest_once_its_contract_is_terminated(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _ship(people, order, "2")
    _terminate(people, order)
    with pytest.raises(Conflict):
        _ship(people, order, "1")
    assert Shipment.objects.count() == 1
    assert str(order.lines.get().shipped_quantity) == "2.000"


def test_a_shipments_quantity_cannot_go_up_once_the_contract_is_terminated_but_may_go_down(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    shipment = _ship(people, order, "2")
    line = shipment.lines.get()
    _terminate(people, order)
    with pytest.raises(Conflict) as caught:
        services.shipment_quantities_update(
            actor=people.ops, shipment=shipment, lines=[{"shipment_line": line.pk, "quantity": "3"}]
        )
    assert str(caught.value) == _stopped(order)
    assert str(order.lines.get().shipped_quantity) == "2.000"
    # the truck took less than typed: a correction down records what happened
    services.shipment_quantities_update(
        actor=people.ops, shipment=shipment, lines=[{"shipment_line": line.pk, "quantity": "1"}]
    )
    assert str(order.lines.get().shipped_quantity) == "1.000"


def test_an_order_of_a_terminated_contract_can_still_be_cancelled(people: Any) -> None:
    order = _order(people, status=OrderStatus.SCHEDULED, scheduled_date=_later())
    _terminate(people, order)
    services.order_cancel(actor=people.ops, order=order, reason="合同已终止")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_a_partly_shipped_order_of_a_terminated_contract_can_still_be_closed_short(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _ship(people, order, "2")
    _terminate(people, order)
    services.order_close_short(actor=people.ops, order=order, reason="合同已终止")
    order.refresh_from_db()
    assert (order.status, order.is_closed_short) == (OrderStatus.SHIPPED, True)
    assert str(order.lines.get().closed_quantity) == "3.000"


def test_orders_of_an_expired_contract_are_still_delivered(people: Any) -> None:
    """Ordered while the contract was in force: operations finish delivering it after the end."""
    order = _order(people, contract_status=ContractStatus.EXPIRED)
    services.order_confirm(actor=people.ops, order=order)
    services.order_schedule(actor=people.ops, order=order, scheduled_date=_later())
    _ship(people, order, "5")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


# --- the API answers 409 naming the contract ----------------------------------------------------------


def test_the_api_answers_409_naming_the_contract(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _terminate(people, order)
    client = login(people.ops)
    body = {
        "order_id": order.pk,
        "shipped_on": timezone.localdate().isoformat(),
        "carrier": "顺丰速运",
        "lines": [{"order_line_id": order.lines.get().pk, "quantity": "1"}],
    }
    shipped = client.post("/api/v1/shipments", data=json.dumps(body), content_type="application/json")
    assert shipped.status_code == 409
    refusal = _stopped_shipping(order)
    assert shipped.json() == {"detail": refusal, "errors": [{"field": "contract", "message": refusal}]}
    scheduled = client.post(
        f"/api/v1/orders/{order.pk}/schedule",
        data=json.dumps({"scheduled_date": _later().isoformat()}),
        content_type="application/json",
    )
    assert scheduled.status_code == 409
    cancelled = client.post(
        f"/api/v1/orders/{order.pk}/cancel", data=json.dumps({"reason": "合同终止"}), content_type="application/json"
    )
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


# --- the pages show it ----------------------------------------------------------------------------------


def test_the_order_page_says_the_contract_is_terminated_and_offers_only_cancel(people: Any) -> None:
    order = _order(people)
    _terminate(people, order)
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-contract-terminated"' in html
    assert 'data-contract-terminated="1"' in html
    assert zh("Contract terminated") in html
    assert 'id="order-confirm"' not in html
    assert 'id="order-schedule"' not in html
    assert 'id="order-ship"' not in html
    assert 'id="order-cancel"' in html
    # the confirm button's post is refused on the page too, with the reason
    response = login(people.ops).post(f"/orders/{order.pk}/confirm/", follow=True)
    assert _stopped(order) in response.content.decode()


def test_a_partly_shipped_order_page_offers_close_short(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _ship(people, order, "2")
    _terminate(people, order)
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-close-short"' in html
    assert 'id="order-schedule"' not in html
    # what left before the day of the termination may still be recorded
    assert 'id="order-ship"' in html
    assert (
        zh("A shipment that left before %(date)s can still be recorded.", date=timezone.localdate().isoformat()) in html
    )


def test_the_shipment_form_of_a_terminated_contracts_order_says_which_dates_it_takes(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    _terminate(people, order)
    html = login(people.ops).get(f"/orders/{order.pk}/ship/").content.decode()
    hint = zh("A shipment that left before %(date)s can still be recorded.", date=timezone.localdate().isoformat())
    assert 'id="ship-before-termination"' in html and hint in html
    running = _order(people, status=OrderStatus.CONFIRMED)
    assert 'id="ship-before-termination"' not in login(people.ops).get(f"/orders/{running.pk}/ship/").content.decode()


def test_a_shipment_that_left_before_the_termination_is_still_recorded(people: Any) -> None:
    """The truck left the day before the contract was terminated and the paperwork came a day late:
    the shipment could not be recorded at all, and closing the order short misstated what shipped."""
    order = _order(people, status=OrderStatus.CONFIRMED)
    # the contract was signed a week ago
    type(order.contract).objects.filter(pk=order.contract_id).update(signed_date=_later(-7))
    _terminate(people, order)
    yesterday = _later(-1)
    shipment = services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": order.lines.get().pk, "quantity": "2"}],
        shipped_on=yesterday,
        carrier="顺丰速运",
    )
    order.refresh_from_db()
    assert (shipment.shipped_on, order.status, str(order.lines.get().shipped_quantity)) == (
        yesterday,
        OrderStatus.PARTLY_SHIPPED,
        "2.000",
    )
    with pytest.raises(Conflict) as caught:
        _ship(people, order, "1")  # today: the day of the termination
    assert str(caught.value) == _stopped_shipping(order)
    assert Shipment.objects.count() == 1


def test_the_operations_queue_badges_orders_of_terminated_contracts(people: Any) -> None:
    stopped = _order(people)
    running = _order(people)
    _terminate(people, stopped)
    html = login(people.ops).get("/orders/queue/").content.decode()
    assert html.count('data-contract-terminated="1"') == 1
    row = html.split(f'data-order="{stopped.pk}"')[1].split("</tr>")[0]
    assert 'data-contract-terminated="1"' in row
    assert f'data-order="{running.pk}"' in html


def test_an_expired_contracts_order_shows_no_terminated_badge_and_keeps_its_actions(people: Any) -> None:
    order = _order(people, contract_status=ContractStatus.EXPIRED)
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert 'data-contract-terminated="1"' not in html
    assert 'id="order-confirm"' in html


# --- terminating a contract with open orders -------------------------------------------------------------


def test_the_terminate_form_says_how_many_orders_are_unfinished(people: Any) -> None:
    contract = money.contract(people.rep, lines=[(None, "5", "100.00")], status=ContractStatus.ACTIVE)
    first = money.order(contract, operations_team=people.ops_team)
    second = money.order(contract, status=OrderStatus.PARTLY_SHIPPED, operations_team=people.ops_team)
    money.order(contract, status=OrderStatus.SHIPPED, operations_team=people.ops_team)
    money.order(contract, status=OrderStatus.CANCELLED, operations_team=people.ops_team)
    html = login(people.rep).get(f"/contracts/{contract.pk}/terminate/").content.decode()
    assert 'id="contract-open-orders"' in html
    assert first.number in html and second.number in html
    assert "2" in html.split('id="contract-open-orders"')[1].split("</div>")[0]
    quiet = money.contract(people.rep, status=ContractStatus.ACTIVE)
    html = login(people.rep).get(f"/contracts/{quiet.pk}/terminate/").content.decode()
    assert 'id="contract-open-orders"' not in html


def test_terminating_tells_the_operations_team_of_each_open_order(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contract = money.contract(people.rep, lines=[(None, "5", "100.00")], status=ContractStatus.ACTIVE)
    new = money.order(contract, operations_team=people.ops_team)
    partly = money.order(contract, status=OrderStatus.PARTLY_SHIPPED, operations_team=people.ops_team)
    money.order(contract, status=OrderStatus.SHIPPED, operations_team=people.ops_team)
    money.order(contract, status=OrderStatus.CANCELLED, operations_team=people.ops_team)
    with django_capture_on_commit_callbacks(execute=True):
        contracts.contract_terminate(actor=people.rep, contract=contract, reason="客户违约")
    rows = Notification.objects.filter(kind="order_contract_terminated")
    assert sorted(rows.values_list("object_id", "recipient_id")) == sorted(
        (str(order.pk), user.pk) for order in (new, partly) for user in (people.ops, people.ops_lead)
    )
    note = rows.filter(object_id=str(new.pk), recipient_id=people.ops.pk).get()
    assert note.params["order"] == new.number and note.params["contract"] == contract.number
