"""Correcting a shipment's quantities, voiding a shipment recorded in error and closing an order short:
the services (quantities up and down within what is unshipped, the order's shipped totals and status
following both ways, one exact audit entry, nothing written when nothing changes, 404 outside the
scope, 403 without "edit", 409 in credit review / cancelled / void / closed short), the contract's
remainder freed by closing short (amounts adding up exactly to the contract line), the demand signals
and ATP reading the open remainder, the pages and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.orders import services
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, OrderLine, Shipment
from xietong.supply import atp, signals

pytestmark = pytest.mark.django_db

D = Decimal

OVER = "Line %(position)s (%(product)s): %(wanted)s shipped but at most %(most)s can be (%(old)s on this shipment and %(left)s still unshipped)."  # noqa: E501
ZERO = "The quantity must be more than zero: to take a line off a shipment, void the shipment and record it again."
NOT_SHIPPED_YET = "Nothing of the order is shipped yet: cancel it instead of closing it short."


def _order(people: Any, lines: list[tuple[str, str]] | None = None, **kwargs: Any) -> Order:
    """An order of operations' team in full of a new contract of the rep: ``lines`` as (quantity,
    unit price); one line of 5 × 100.00 by default; confirmed unless told."""
    contract = money.contract(people.rep, lines=[(None, q, p) for q, p in (lines or [("5", "100.00")])])
    return money.order(
        contract, status=kwargs.pop("status", OrderStatus.CONFIRMED), operations_team=people.ops_team, **kwargs
    )


def _ship(people: Any, order: Order, *quantities: str, tracking: str = "") -> Shipment:
    """A shipment by operations of ``quantities`` of the order's lines in position order ("" skips one)."""
    lines = list(order.lines.order_by("position"))
    return services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": ol.pk, "quantity": q} for ol, q in zip(lines, quantities, strict=False) if q],
        shipped_on=timezone.localdate(),
        carrier="顺丰速运",
        tracking_number=tracking,
    )


def _correct(people: Any, shipment: Shipment, *quantities: str, actor: Any = None) -> Shipment:
    lines = list(shipment.lines.order_by("pk"))
    return services.shipment_quantities_update(
        actor=actor or people.ops,
        shipment=shipment.pk,
        lines=[{"shipment_line": sl.pk, "quantity": q} for sl, q in zip(lines, quantities, strict=True)],
    )


def _entries(order: Order, verb: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_id=str(order.pk), verb=verb).order_by("pk"))


def _label(line: OrderLine) -> str:
    return f"{line.position} · {line.product}"


def _state(order: Order) -> tuple[str, list[tuple[Decimal, Decimal]]]:
    order.refresh_from_db()
    return order.status, [(ol.shipped_quantity, ol.closed_quantity) for ol in order.lines.order_by("position")]


# --- correcting quantities ----------------------------------------------------------------------------


def test_a_quantity_corrected_down_moves_the_shipped_total_and_the_status_back_to_partly_shipped(
    people: Any,
) -> None:
    order = _order(people, [("10", "100.00")])
    shipment = _ship(people, order, "10")
    order.refresh_from_db()
    assert (order.status, order.shipped_at is not None) == (OrderStatus.SHIPPED, True)
    _correct(people, shipment, "8")
    line = order.lines.get()
    assert [sl.quantity for sl in shipment.lines.all()] == [D("8")]
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("8"), D("0"))])
    assert order.shipped_at is None
    [entry] = _entries(order, "shipment_corrected")
    assert (entry.actor, entry.kind) == (people.ops, "update")
    assert entry.changes == {
        "shipment": [shipment.number, shipment.number],
        _label(line): ["10", "8"],
        "status": [zh("Shipped"), zh("Partly shipped")],
    }


def test_a_quantity_corrected_up_to_everything_ships_the_order(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    _correct(people, shipment, "5")
    assert _state(order) == (OrderStatus.SHIPPED, [(D("5"), D("0"))])
    assert order.shipped_at is not None
    assert _entries(order, "shipment_corrected")[0].changes == {
        "shipment": [shipment.number, shipment.number],
        _label(order.lines.get()): ["2", "5"],
        "status": [zh("Partly shipped"), zh("Shipped")],
    }


def test_a_correction_within_the_status_changes_only_the_line_and_names_only_what_changed(people: Any) -> None:
    order = _order(people, [("5", "100.00"), ("4", "10.00")])
    shipment = _ship(people, order, "2", "1")
    first, second = order.lines.order_by("position")
    _correct(people, shipment, "2", "3.5")
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0")), (D("3.5"), D("0"))])
    assert _entries(order, "shipment_corrected")[0].changes == {
        "shipment": [shipment.number, shipment.number],
        _label(second): ["1", "3.5"],
    }
    assert _label(first) not in _entries(order, "shipment_corrected")[0].changes


def test_a_quantity_up_is_limited_to_what_is_unshipped_plus_the_old_quantity_naming_both_numbers(
    people: Any,
) -> None:
    order = _order(people)
    first = _ship(people, order, "2")
    _ship(people, order, "1")
    line = order.lines.get()
    with pytest.raises(ValidationError) as caught:
        _correct(people, first, "5")
    assert caught.value.message_dict == {
        "lines.0.quantity": [
            zh(OVER, position=1, product=line.product, wanted="5", most="4", old="2", left="2"),
        ]
    }
    _correct(people, first, "4")  # exactly the most: everything shipped
    assert _state(order) == (OrderStatus.SHIPPED, [(D("5"), D("0"))])


def test_bad_lines_are_refused_naming_the_field_and_nothing_is_written(people: Any) -> None:
    order = _order(people, [("5", "100.00"), ("4", "10.00")])
    shipment = _ship(people, order, "2", "1")
    other = _ship(people, order, "1")
    mine = shipment.lines.order_by("pk").first()
    assert mine is not None
    theirs = other.lines.get()
    cases: list[tuple[list[dict[str, Any]], dict[str, list[str]]]] = [
        ([{"shipment_line": mine.pk, "quantity": "0"}], {"lines.0.quantity": [zh(ZERO)]}),
        ([{"shipment_line": mine.pk, "quantity": "-1"}], {"lines.0.quantity": [zh(ZERO)]}),
        (
            [{"shipment_line": mine.pk, "quantity": "abc"}],
            {"lines.0.quantity": [zh("Enter a quantity, e.g. 10 or 2.5.")]},
        ),
        (
            [{"shipment_line": mine.pk, "quantity": "1.0001"}],
            {"lines.0.quantity": [zh("A quantity has at most three decimal places.")]},
        ),
        (
            [{"shipment_line": theirs.pk, "quantity": "1"}],
            {"lines.0.shipment_line": [zh("Choose a line of this shipment.")]},
        ),
        (
            [{"shipment_line": 999999, "quantity": "1"}],
            {"lines.0.shipment_line": [zh("Choose a line of this shipment.")]},
        ),
        (
            [{"shipment_line": mine.pk, "quantity": "1"}, {"shipment_line": mine.pk, "quantity": "1"}],
            {"lines.1.shipment_line": [zh("This shipment line is listed twice.")]},
        ),
        ([], {"lines": [zh("Give the corrected quantity of at least one line.")]}),
    ]
    for lines, errors in cases:
        with pytest.raises(ValidationError) as caught:
            services.shipment_quantities_update(actor=people.ops, shipment=shipment, lines=lines)
        assert caught.value.message_dict == errors, lines
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("3"), D("0")), (D("1"), D("0"))])
    assert _entries(order, "shipment_corrected") == []


def test_a_correction_that_changes_nothing_writes_nothing(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    with CaptureQueriesContext(connection) as ctx:
        _correct(people, shipment, "2.000")
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []
    assert _entries(order, "shipment_corrected") == []


def test_corrections_outside_the_scope_are_not_found_and_seen_but_not_operated_is_denied(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    line = shipment.lines.get()
    for actor in (people.ops2, people.outsider):
        with pytest.raises(NotFound):
            _correct(people, shipment, "1", actor=actor)
    with pytest.raises(NotFound):
        services.shipment_quantities_update(
            actor=people.ops, shipment=999999, lines=[{"shipment_line": line.pk, "quantity": "1"}]
        )
    for actor in (people.rep, people.finance):  # they see the order, they do not operate it
        with pytest.raises(PermissionDenied):
            _correct(people, shipment, "1", actor=actor)
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])


@pytest.mark.parametrize("status", [OrderStatus.CREDIT_REVIEW, OrderStatus.CANCELLED])
def test_corrections_and_voids_are_refused_in_credit_review_and_once_cancelled(people: Any, status: str) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    Order.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(Conflict):
        _correct(people, shipment, "1")
    with pytest.raises(Conflict):
        services.shipment_void(actor=people.ops, shipment=shipment, reason="录错")
    assert _state(order) == (status, [(D("2"), D("0"))])
    shipment.refresh_from_db()
    assert shipment.voided_at is None


# --- voiding a shipment --------------------------------------------------------------------------------


def test_voiding_the_only_shipment_gives_its_quantities_back_and_the_order_is_scheduled_again(people: Any) -> None:
    scheduled = timezone.localdate() + timedelta(days=3)
    order = _order(people, [("5", "100.00"), ("4", "10.00")], status=OrderStatus.SCHEDULED, scheduled_date=scheduled)
    shipment = _ship(people, order, "5", "4")
    first, second = order.lines.order_by("position")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    services.shipment_void(actor=people.ops, shipment=shipment, reason=" 重复录入 ")
    assert _state(order) == (OrderStatus.SCHEDULED, [(D("0"), D("0")), (D("0"), D("0"))])
    assert order.shipped_at is None
    shipment.refresh_from_db()
    assert (shipment.is_void, shipment.voided_by, shipment.void_reason) == (True, people.ops, "重复录入")
    assert [sl.quantity for sl in shipment.lines.order_by("pk")] == [D("5"), D("4")]  # kept as recorded
    [entry] = _entries(order, "shipment_voided")
    assert (entry.actor, entry.kind) == (people.ops, "update")
    assert entry.changes == {
        "shipment": [shipment.number, shipment.number],
        "reason": [None, "重复录入"],
        _label(first): ["5", "0"],
        _label(second): ["4", "0"],
        "status": [zh("Shipped"), zh("Scheduled")],
    }


def test_voiding_without_a_ship_date_confirms_the_order_and_one_of_two_leaves_it_partly_shipped(
    people: Any,
) -> None:
    order = _order(people)
    first = _ship(people, order, "2")
    second = _ship(people, order, "3")
    services.shipment_void(actor=people.ops, shipment=second, reason="录错")
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])
    services.shipment_void(actor=people.ops, shipment=first.pk, reason="录错")
    assert _state(order) == (OrderStatus.CONFIRMED, [(D("0"), D("0"))])
    assert [e.changes["status"] for e in _entries(order, "shipment_voided")] == [
        [zh("Shipped"), zh("Partly shipped")],
        [zh("Partly shipped"), zh("Confirmed", "order")],
    ]


def test_a_voided_quantity_ships_again_and_the_shipment_numbers_go_on(people: Any) -> None:
    order = _order(people)
    first = _ship(people, order, "5")
    services.shipment_void(actor=people.ops, shipment=first, reason="录错")
    again = _ship(people, order, "5")
    assert (first.number, again.number) == (f"{order.number}-S01", f"{order.number}-S02")
    assert _state(order) == (OrderStatus.SHIPPED, [(D("5"), D("0"))])


def test_a_void_needs_a_reason_and_a_void_shipment_cannot_be_changed(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2", tracking="SF1")
    for reason in ("", "  ", None):
        with pytest.raises(ValidationError) as caught:
            services.shipment_void(actor=people.ops, shipment=shipment, reason=reason)  # type: ignore[arg-type]
        assert caught.value.message_dict == {"reason": [zh("Say why the shipment is void.")]}
    with pytest.raises(ValidationError) as caught:
        services.shipment_void(actor=people.ops, shipment=shipment, reason="x" * 501)
    assert caught.value.message_dict == {"reason": [zh("At most %(n)d characters.", n=500)]}
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])
    services.shipment_void(actor=people.ops, shipment=shipment, reason="录错")
    with pytest.raises(Conflict) as again:
        services.shipment_void(actor=people.ops, shipment=shipment, reason="录错")
    assert str(again.value) == zh("Shipment %(number)s is void already.", number=shipment.number)
    void = zh("Shipment %(number)s is void: it can no longer be changed.", number=shipment.number)
    with pytest.raises(Conflict) as corrected:
        _correct(people, shipment, "1")
    assert str(corrected.value) == void
    with pytest.raises(Conflict) as edited:
        services.shipment_update(actor=people.ops, shipment=shipment, tracking_number="SF2")
    assert str(edited.value) == void
    shipment.refresh_from_db()
    assert (shipment.tracking_number, [sl.quantity for sl in shipment.lines.all()]) == ("SF1", [D("2")])
    assert len(_entries(order, "shipment_voided")) == 1


def test_voids_outside_the_scope_are_not_found_and_seen_but_not_operated_is_denied(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    for actor in (people.ops2, people.outsider):
        with pytest.raises(NotFound):
            services.shipment_void(actor=actor, shipment=shipment, reason="录错")
    with pytest.raises(NotFound):
        services.shipment_void(actor=people.ops, shipment=999999, reason="录错")
    with pytest.raises(PermissionDenied):
        services.shipment_void(actor=people.rep, shipment=shipment, reason="录错")
    shipment.refresh_from_db()
    assert shipment.voided_at is None


# --- closing an order short ------------------------------------------------------------------------------


def test_closing_short_closes_each_lines_unshipped_rest_and_ships_the_order(people: Any) -> None:
    order = _order(people, [("5", "100.00"), ("4", "10.00"), ("2", "1.00")])
    _ship(people, order, "2", "", "2")
    first, second, third = order.lines.order_by("position")
    services.order_close_short(actor=people.ops, order=order, reason=" 客户只要这些 ")
    assert _state(order) == (
        OrderStatus.SHIPPED,
        [(D("2"), D("3")), (D("0"), D("4")), (D("2"), D("0"))],
    )
    assert (order.closed_short_reason, order.is_closed_short, order.shipped_at is not None) == (
        "客户只要这些",
        True,
        True,
    )
    # 5 × 100.00 + 13 % = 565.00, 3 of 5 closed: 339.00; the whole of the unshipped line: 45.20
    assert [ol.closed_amount for ol in order.lines.order_by("position")] == [D("339.00"), D("45.20"), D("0.00")]
    assert [ol.open_quantity for ol in order.lines.order_by("position")] == [D("0"), D("0"), D("0")]
    [entry] = _entries(order, "closed_short")
    assert (entry.actor, entry.kind) == (people.ops, "update")
    assert entry.changes == {
        "status": [zh("Partly shipped"), zh("Shipped")],
        "closed_short_reason": ["", "客户只要这些"],
        "closed_lines": [None, [f"{_label(first)} × 3", f"{_label(second)} × 4"]],
    }
    assert third.closed_quantity == D("0")


def test_the_closed_rest_is_free_for_another_order_and_the_amounts_add_up_to_the_contract_line(
    people: Any,
) -> None:
    contract = money.contract(people.rep, lines=[(None, "3", "33.33")])  # net 99.99 + VAT 13.00 = 112.99
    line = contract.lines.get()
    assert line.amount == D("112.99")
    promised = timezone.localdate() + timedelta(days=20)
    first = services.order_create(
        actor=people.rep, contract=contract, lines=[{"contract_line": line.pk, "quantity": "1"}], promised_date=promised
    )
    second = services.order_create(actor=people.rep, contract=contract, promised_date=promised)  # the rest: 2
    assert [o.amount for o in (first, second)] == [D("37.66"), D("75.33")]
    assert services.contract_remaining(contract)[0]["remaining"] == D("0")
    services.order_confirm(actor=people.ops, order=first)
    _ship(people, first, "0.5")
    services.order_close_short(actor=people.ops, order=first, reason="客户只要一半")
    closed = first.lines.get()
    assert (closed.closed_quantity, closed.closed_amount) == (D("0.5"), D("18.83"))  # 112.99 × 0.5 / 3, half up
    first.refresh_from_db()
    assert first.amount == D("18.83")  # 37.66 ordered, 18.83 given back: the order is worth what it keeps
    [row] = services.contract_remaining(contract)
    assert (row["ordered"], row["ordered_amount"], row["remaining"], row["remaining_amount"]) == (
        D("2.5"),
        D("94.16"),
        D("0.5"),
        D("18.83"),
    )
    third = services.order_create(actor=people.rep, contract=contract, promised_date=promised)
    assert [(ol.quantity, ol.amount) for ol in third.lines.all()] == [(D("0.5"), D("18.83"))]
    # the orders of the contract add up to it again (no money counted twice, e.g. by credit control)
    assert sum(o.amount for o in contract.orders.all()) == contract.amount
    kept = sum((ol.amount - ol.closed_amount for ol in OrderLine.objects.filter(contract_line=line)), D("0"))
    assert kept == line.amount
    assert services.contract_remaining(contract)[0]["remaining"] == D("0")
    with pytest.raises(Conflict):
        services.order_create(actor=people.rep, contract=contract, promised_date=promised)


def test_the_order_that_took_the_whole_line_gives_back_its_share_and_the_next_takes_exactly_the_rest(
    people: Any,
) -> None:
    contract = money.contract(people.rep, lines=[(None, "3", "33.33")])
    line = contract.lines.get()
    order = money.order(contract, status=OrderStatus.CONFIRMED, operations_team=people.ops_team)
    _ship(people, order, "1")
    services.order_close_short(actor=people.ops, order=order, reason="客户只要一件")
    assert order.lines.get().closed_amount == D("75.33")  # 112.99 × 2 / 3
    again = services.order_create(
        actor=people.rep, contract=contract, promised_date=timezone.localdate() + timedelta(days=9)
    )
    assert [(ol.quantity, ol.amount) for ol in again.lines.all()] == [(D("2"), D("75.33"))]
    assert sum((ol.amount - ol.closed_amount for ol in line.order_lines.all()), D("0")) == D("112.99")


def test_ordered_of_contract_lines_stays_one_query(people: Any, django_assert_num_queries: Any) -> None:
    order = _order(people, [("5", "100.00"), ("4", "10.00")])
    _ship(people, order, "2", "1")
    services.order_close_short(actor=people.ops, order=order, reason="够了")
    ids = list(order.contract.lines.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        ordered = services.ordered_of_contract_lines(ids)
    assert sorted(ordered.values()) == [(D("1"), D("11.30")), (D("2"), D("226.00"))]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (OrderStatus.NEW, NOT_SHIPPED_YET),
        (OrderStatus.CONFIRMED, NOT_SHIPPED_YET),
        (OrderStatus.SCHEDULED, NOT_SHIPPED_YET),
        (OrderStatus.SHIPPED, "The order is shipped in full: nothing is left to close."),
        (OrderStatus.CANCELLED, "The order is cancelled: nothing is left to close."),
        (OrderStatus.CREDIT_REVIEW, "The order is in credit review and cannot be changed until it is decided."),
    ],
)
def test_only_a_partly_shipped_order_can_be_closed_short(people: Any, status: str, message: str) -> None:
    order = _order(people, status=status)
    with pytest.raises(Conflict) as caught:
        services.order_close_short(actor=people.ops, order=order, reason="够了")
    assert str(caught.value) == zh(message)
    assert _state(order) == (status, [(D("0"), D("0"))])
    assert _entries(order, "closed_short") == []


def test_closing_short_needs_a_reason_and_who_may_cancel_the_order(people: Any) -> None:
    order = _order(people)
    _ship(people, order, "2")
    with pytest.raises(ValidationError) as caught:
        services.order_close_short(actor=people.ops, order=order, reason=" ")
    assert caught.value.message_dict == {"reason": [zh("Say why the rest of the order will not ship.")]}
    for actor in (people.ops2, people.outsider):
        with pytest.raises(NotFound):
            services.order_close_short(actor=actor, order=order, reason="够了")
    with pytest.raises(PermissionDenied):
        services.order_close_short(actor=people.finance, order=order, reason="够了")  # sees, may not cancel
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])
    services.order_close_short(actor=people.rep, order=order, reason="客户只要两件")  # the sales owner may
    assert _state(order) == (OrderStatus.SHIPPED, [(D("2"), D("3"))])


def test_after_closing_short_nothing_ships_and_no_quantity_changes(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2", tracking="SF1")
    services.order_close_short(actor=people.ops, order=order, reason="够了")
    closed = zh("The order is closed short: nothing more ships and its shipments stay.")
    for attempt in (
        lambda: _ship(people, order, "1"),
        lambda: _correct(people, shipment, "1"),
        lambda: services.shipment_void(actor=people.ops, shipment=shipment, reason="录错"),
        lambda: services.order_close_short(actor=people.ops, order=order, reason="again"),
    ):
        with pytest.raises(Conflict) as caught:
            attempt()
        assert str(caught.value) in (closed, zh("The order is closed short already."))
    with pytest.raises(Conflict):
        services.order_cancel(actor=people.ops, order=order, reason="晚了")
    services.shipment_update(actor=people.ops, shipment=shipment, tracking_number="SF2")  # the carrier's data may
    assert _state(order) == (OrderStatus.SHIPPED, [(D("2"), D("3"))])
    assert Shipment.objects.filter(order=order).count() == 1


# --- what planning reads: the open remainder -----------------------------------------------------------


def test_demand_signals_and_atp_count_the_open_remainder_only(people: Any) -> None:
    order = _order(people, [("5", "100.00")], status=OrderStatus.CONFIRMED)
    product_id = order.lines.get().product_id
    month = signals.month_start(timezone.localdate())

    def open_now() -> tuple[Decimal, Decimal]:
        opened = sum(v for (pid, _bu, _m), v in signals.open_orders(first_month=month).items() if pid == product_id)
        on = timezone.localdate() + timedelta(days=60)
        return D(opened), atp.atp_details([product_id], on)[product_id]["orders"]

    assert open_now() == (D("5"), D("5"))
    shipment = _ship(people, order, "3")
    assert open_now() == (D("2"), D("2"))
    services.shipment_void(actor=people.ops, shipment=shipment, reason="录错")
    assert open_now() == (D("5"), D("5"))
    _ship(people, order, "1")
    services.order_close_short(actor=people.ops, order=order, reason="够了")
    assert open_now() == (D("0"), D("0"))


# --- the pages -------------------------------------------------------------------------------------------


def test_the_order_page_offers_corrections_voids_and_close_short_only_when_allowed(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    quantities = f'href="/orders/shipments/{shipment.pk}/quantities/"'
    void = f'href="/orders/shipments/{shipment.pk}/void/"'
    close = f'href="/orders/{order.pk}/close-short/"'
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert quantities in html and void in html and close in html
    html = login(people.rep).get(f"/orders/{order.pk}/").content.decode()
    assert quantities not in html and void not in html
    assert close in html  # the sales owner may close it short, as they may cancel it
    assert close not in login(people.finance).get(f"/orders/{order.pk}/").content.decode()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert quantities not in html and void not in html and close not in html


def test_the_quantities_form_is_prefilled_and_saves_the_correction(people: Any) -> None:
    order = _order(people, [("10", "100.00")])
    shipment = _ship(people, order, "10")
    line = shipment.lines.get()
    client = login(people.ops)
    form = client.get(f"/orders/shipments/{shipment.pk}/quantities/")
    assert form.status_code == 200
    html = form.content.decode()
    assert f'name="qty_{line.pk}"' in html and 'value="10"' in html and 'inputmode="decimal"' in html
    assert "原登记: 10 · 最多: 10" in html  # what the line allows, in the reader's language
    response = client.post(f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": "8"})
    assert response.status_code == 303
    assert response["Location"] == f"/orders/{order.pk}/"
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("8"), D("0"))])
    htmx = client.post(f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": "9"}, HTTP_HX_REQUEST="true")
    assert (htmx.status_code, json.loads(htmx["HX-Location"])["path"]) == (200, f"/orders/{order.pk}/")


def test_the_quantities_form_shows_refusals_next_to_the_line(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    line = shipment.lines.get()
    client = login(people.ops)
    over = client.post(f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": "6"})
    assert over.status_code == 200
    message = zh(OVER, position=1, product=line.order_line.product, wanted="6", most="5", old="2", left="3")
    assert message in over.content.decode()
    zero = client.post(f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": "0"})
    assert zh(ZERO) in zero.content.decode()
    blank = client.post(f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": ""})
    assert blank.status_code == 200
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])


def test_the_void_form_needs_a_reason_then_the_page_shows_the_shipment_struck_through(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    client = login(people.ops)
    page = client.get(f"/orders/shipments/{shipment.pk}/void/")
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert client.post(f"/orders/shipments/{shipment.pk}/void/", {"reason": ""}).status_code == 200
    shipment.refresh_from_db()
    assert shipment.voided_at is None
    response = client.post(f"/orders/shipments/{shipment.pk}/void/", {"reason": "重复录入"})
    assert (response.status_code, response["Location"]) == (303, f"/orders/{order.pk}/")
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'data-shipment="{shipment.pk}" data-void="1"' in html
    assert "重复录入" in html and "text-decoration-line-through" in html
    assert f'href="/orders/shipments/{shipment.pk}/quantities/"' not in html
    assert f'href="/orders/shipments/{shipment.pk}/edit/"' not in html
    again = client.post(f"/orders/shipments/{shipment.pk}/void/", {"reason": "再来"})
    assert again.status_code == 200
    assert zh("Shipment %(number)s is void already.", number=shipment.number) in again.content.decode()


def test_the_close_short_page_lists_what_will_not_ship_then_the_order_shows_it(people: Any) -> None:
    order = _order(people, [("5", "100.00"), ("4", "10.00")])
    _ship(people, order, "2")
    first, second = order.lines.order_by("position")
    client = login(people.ops)
    page = client.get(f"/orders/{order.pk}/close-short/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and f'data-line="{first.pk}"' in html and f'data-line="{second.pk}"' in html
    response = client.post(f"/orders/{order.pk}/close-short/", {"reason": "客户只要两件"})
    assert (response.status_code, response["Location"]) == (303, f"/orders/{order.pk}/")
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-closed-short"' in html and "客户只要两件" in html
    assert f'data-closed="{first.pk}">3</td>' in html and f'data-closed="{second.pk}">4</td>' in html
    assert f'href="/orders/{order.pk}/close-short/"' not in html
    refused = client.post(f"/orders/{order.pk}/close-short/", {"reason": "again"})
    assert refused.status_code == 200
    assert zh("The order is closed short already.") in refused.content.decode()


def test_close_short_of_an_order_with_nothing_shipped_says_to_cancel_it(people: Any) -> None:
    order = _order(people)
    response = login(people.ops).post(f"/orders/{order.pk}/close-short/", {"reason": "够了"})
    assert response.status_code == 200
    assert zh(NOT_SHIPPED_YET) in response.content.decode()


def test_the_shipment_pages_are_404_outside_the_scope_and_403_for_sales(people: Any) -> None:
    """Sales see the shipment with their order but do not operate it: 403, as the API answers."""
    order = _order(people)
    shipment = _ship(people, order, "2")
    line = shipment.lines.get()
    for user, status in ((people.ops2, 404), (people.outsider, 404), (people.rep, 403)):
        client = login(user)
        for url, data in (
            (f"/orders/shipments/{shipment.pk}/quantities/", {f"qty_{line.pk}": "1"}),
            (f"/orders/shipments/{shipment.pk}/void/", {"reason": "x"}),
        ):
            assert client.get(url).status_code == status, (user, url)
            assert client.post(url, data).status_code == status, (user, url)
    for user in (people.ops2, people.outsider):
        assert login(user).post(f"/orders/{order.pk}/close-short/", {"reason": "x"}).status_code == 404
    assert _state(order) == (OrderStatus.PARTLY_SHIPPED, [(D("2"), D("0"))])


def test_the_order_page_costs_the_same_whatever_the_shipments_void_or_not(people: Any) -> None:
    order = _order(people, [("100", "1.00"), ("100", "2.00")])
    _ship(people, order, "1", "1")
    client = login(people.ops)

    def add() -> None:
        for _ in range(2):
            _ship(people, order, "1", "1")
        services.shipment_void(actor=people.ops, shipment=_ship(people, order, "1", "1"), reason="录错")

    assert_queries_constant(lambda: client.get(f"/orders/{order.pk}/"), add, max_queries=12)


# --- the API -------------------------------------------------------------------------------------------


def _send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_put_lines_corrects_the_quantities_and_answers_the_shipment(people: Any) -> None:
    order = _order(people, [("10", "100.00")])
    shipment = _ship(people, order, "10")
    line = shipment.lines.get()
    client = login(people.ops)
    response = _send(
        client,
        "put",
        f"/api/v1/shipments/{shipment.pk}/lines",
        {"lines": [{"shipment_line": line.pk, "quantity": "8"}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], [ln["quantity"] for ln in body["lines"]]) == (shipment.pk, ["8.000"])
    assert (body["voided_at"], body["void_reason"]) == (None, "")
    got = client.get(f"/api/v1/orders/{order.pk}").json()
    assert got["status"] == "partly_shipped"
    assert [(ln["shipped_quantity"], ln["closed_quantity"], ln["remaining_quantity"]) for ln in got["lines"]] == [
        ("8.000", "0.000", "2.000")
    ]


def test_put_lines_errors_404_403_422_naming_the_field_409_void(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    line = shipment.lines.get()
    url = f"/api/v1/shipments/{shipment.pk}/lines"
    body = {"lines": [{"shipment_line": line.pk, "quantity": "1"}]}
    assert _send(login(people.ops2), "put", url, body).status_code == 404
    assert _send(login(people.rep), "put", url, body).status_code == 403
    ops = login(people.ops)
    over = _send(ops, "put", url, {"lines": [{"shipment_line": line.pk, "quantity": "6"}]})
    assert over.status_code == 422
    assert over.json()["errors"] == [
        {
            "field": "lines.0.quantity",
            "message": zh(OVER, position=1, product=line.order_line.product, wanted="6", most="5", old="2", left="3"),
        }
    ]
    zero = _send(ops, "put", url, {"lines": [{"shipment_line": line.pk, "quantity": "0"}]})
    assert (zero.status_code, zero.json()["errors"]) == (422, [{"field": "lines.0.quantity", "message": zh(ZERO)}])
    stray = _send(ops, "put", url, {"lines": [{"shipment_line": 999999, "quantity": "1"}]})
    assert stray.json()["errors"] == [
        {"field": "lines.0.shipment_line", "message": zh("Choose a line of this shipment.")}
    ]
    assert _send(ops, "put", url, {"lines": [{"quantity": "1"}]}).status_code == 422
    services.shipment_void(actor=people.ops, shipment=shipment, reason="录错")
    void = _send(ops, "put", url, body)
    assert (void.status_code, void.json()["detail"]) == (
        409,
        zh("Shipment %(number)s is void: it can no longer be changed.", number=shipment.number),
    )
    assert _state(order) == (OrderStatus.CONFIRMED, [(D("0"), D("0"))])


def test_post_void_marks_the_shipment_void_and_errors_name_the_field(people: Any) -> None:
    order = _order(people)
    shipment = _ship(people, order, "2")
    url = f"/api/v1/shipments/{shipment.pk}/void"
    assert _send(login(people.ops2), "post", url, {"reason": "录错"}).status_code == 404
    assert _send(login(people.rep), "post", url, {"reason": "录错"}).status_code == 403
    ops = login(people.ops)
    blank = _send(ops, "post", url, {"reason": " "})
    assert (blank.status_code, blank.json()["errors"]) == (
        422,
        [{"field": "reason", "message": zh("Say why the shipment is void.")}],
    )
    assert _send(ops, "post", url, {}).status_code == 422
    response = _send(ops, "post", url, {"reason": "重复录入"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["void_reason"], body["voided_at"] is not None) == ("重复录入", True)
    assert _send(ops, "post", url, {"reason": "再来"}).status_code == 409
    listed = ops.get(f"/api/v1/shipments?order={order.pk}").json()["results"]
    assert [(s["id"], s["void_reason"]) for s in listed] == [(shipment.pk, "重复录入")]
    assert ops.get(f"/api/v1/orders/{order.pk}").json()["status"] == "confirmed"


def test_post_close_short_closes_the_rest_and_answers_the_order(people: Any) -> None:
    order = _order(people, [("5", "100.00")])
    client = login(people.ops)
    url = f"/api/v1/orders/{order.pk}/close-short"
    refused = _send(client, "post", url, {"reason": "够了"})
    assert (refused.status_code, refused.json()["errors"]) == (
        409,
        [{"field": "status", "message": zh(NOT_SHIPPED_YET)}],
    )
    _ship(people, order, "2")
    assert _send(login(people.ops2), "post", url, {"reason": "够了"}).status_code == 404
    assert _send(login(people.finance), "post", url, {"reason": "够了"}).status_code == 403
    blank = _send(client, "post", url, {"reason": ""})
    assert blank.json()["errors"] == [
        {"field": "reason", "message": zh("Say why the rest of the order will not ship.")}
    ]
    response = _send(client, "post", url, {"reason": "客户只要两件"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["closed_short_reason"], body["shipped_at"] is not None) == (
        "shipped",
        "客户只要两件",
        True,
    )
    assert [(ln["shipped_quantity"], ln["closed_quantity"], ln["remaining_quantity"]) for ln in body["lines"]] == [
        ("2.000", "3.000", "0.000")
    ]
    assert _send(client, "post", url, {"reason": "again"}).status_code == 409
