"""Correcting a recorded shipment (date, carrier, tracking number, note): the service, the edit form
on the order page and ``PATCH /api/v1/shipments/{id}`` — the edit written, one audit entry, the
permission of recording a shipment (404 outside the order's scope), bad input named, the quantities
left as recorded, refused while the order is locked or once it is cancelled."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.orders import services
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, Shipment

pytestmark = pytest.mark.django_db

D = Decimal


def _shipped(people: Any) -> tuple[Order, Shipment]:
    """A confirmed order of 5, 2 of them shipped by operations with 顺丰 SF100."""
    signed = timezone.localdate() - timedelta(days=30)
    order = money.order(
        money.contract(people.rep, lines=[(None, "5", "100.00")], signed_date=signed),
        status=OrderStatus.CONFIRMED,
        operations_team=people.ops_team,
    )
    shipment = services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": order.lines.get().pk, "quantity": "2"}],
        shipped_on=timezone.localdate(),
        carrier="顺丰速运",
        tracking_number="SF100",
    )
    return order, shipment


def _entries(order: Order) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_id=str(order.pk), verb="shipment_corrected").order_by("pk"))


# --- the service ---------------------------------------------------------------------------------------


def test_a_correction_writes_the_fields_and_one_audit_entry_with_old_and_new(people: Any) -> None:
    order, shipment = _shipped(people)
    yesterday = timezone.localdate() - timedelta(days=1)
    services.shipment_update(
        actor=people.ops,
        shipment=shipment.pk,
        carrier=" 中通快递 ",
        tracking_number="ZT200",
        shipped_on=yesterday,
        note="单号录错",
    )
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number, shipment.shipped_on, shipment.note) == (
        "中通快递",
        "ZT200",
        yesterday,
        "单号录错",
    )
    [entry] = _entries(order)
    assert entry.actor == people.ops
    assert entry.kind == "update"
    assert entry.changes == {
        "shipment": [shipment.number, shipment.number],
        "carrier": ["顺丰速运", "中通快递"],
        "tracking_number": ["SF100", "ZT200"],
        "shipped_on": [timezone.localdate().isoformat(), yesterday.isoformat()],
        "shipment_note": ["", "单号录错"],
    }


def test_only_the_fields_given_change_and_the_quantities_stay(people: Any) -> None:
    order, shipment = _shipped(people)
    services.shipment_update(actor=people.ops, shipment=shipment, tracking_number="SF101")
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == ("顺丰速运", "SF101")
    assert [line.quantity for line in shipment.lines.all()] == [D("2")]
    assert order.lines.get().shipped_quantity == D("2")
    assert order.status == OrderStatus.PARTLY_SHIPPED
    assert _entries(order)[0].changes == {
        "shipment": [shipment.number, shipment.number],
        "tracking_number": ["SF100", "SF101"],
    }


def test_a_correction_that_changes_nothing_records_nothing(people: Any) -> None:
    order, shipment = _shipped(people)
    services.shipment_update(actor=people.ops, shipment=shipment, carrier="顺丰速运", tracking_number="SF100")
    assert _entries(order) == []


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(people: Any) -> None:
    order, shipment = _shipped(people)
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        ({"carrier": "  "}, {"carrier": [zh("Name the carrier.")]}),
        ({"carrier": None}, {"carrier": [zh("Name the carrier.")]}),
        (
            {"shipped_on": timezone.localdate() + timedelta(days=1)},
            {"shipped_on": [zh("The shipment date cannot be in the future.")]},
        ),
        (
            {"shipped_on": timezone.localdate() - timedelta(days=31)},  # a year mistyped, say
            {
                "shipped_on": [
                    zh(
                        "The shipment date cannot be before the contract was signed (%(date)s).",
                        date=(timezone.localdate() - timedelta(days=30)).isoformat(),
                    )
                ]
            },
        ),
        ({"shipped_on": None}, {"shipped_on": [zh("Give the date of the shipment.")]}),
        ({"shipped_on": "2026-13-40"}, {"shipped_on": [zh("Enter a date like 2027-03-31.")]}),
        ({"tracking_number": "9" * 61}, {"tracking_number": [zh("At most %(n)d characters.", n=60)]}),
        ({"note": "x" * 501}, {"note": [zh("At most %(n)d characters.", n=500)]}),
        ({"warehouse": "二号库"}, {"warehouse": [zh("This field cannot be changed here.")]}),
    ]
    for fields, errors in cases:
        with pytest.raises(ValidationError) as caught:
            services.shipment_update(actor=people.ops, shipment=shipment, **{"carrier": "中通快递", **fields})
        assert caught.value.message_dict == errors, fields
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == ("顺丰速运", "SF100")
    assert _entries(order) == []


def test_outside_the_orders_scope_it_is_not_found_and_seen_but_not_operated_is_denied(people: Any) -> None:
    order, shipment = _shipped(people)
    with pytest.raises(NotFound):
        services.shipment_update(actor=people.ops2, shipment=shipment, carrier="中通")  # BU2's operations
    with pytest.raises(NotFound):
        services.shipment_update(actor=people.outsider, shipment=shipment, carrier="中通")
    with pytest.raises(NotFound):
        services.shipment_update(actor=people.ops, shipment=999999, carrier="中通")
    with pytest.raises(PermissionDenied):
        services.shipment_update(actor=people.rep, shipment=shipment, carrier="中通")  # sales see, do not operate
    shipment.refresh_from_db()
    assert shipment.carrier == "顺丰速运"
    assert _entries(order) == []


def test_refused_while_in_credit_review_and_once_cancelled(people: Any) -> None:
    order, shipment = _shipped(people)
    for status in (OrderStatus.CREDIT_REVIEW, OrderStatus.CANCELLED):
        Order.objects.filter(pk=order.pk).update(status=status)
        with pytest.raises(Conflict):
            services.shipment_update(actor=people.ops, shipment=shipment, carrier="中通")
    shipment.refresh_from_db()
    assert shipment.carrier == "顺丰速运"


def test_a_fully_shipped_order_can_still_have_its_tracking_number_corrected(people: Any) -> None:
    order, shipment = _shipped(people)
    services.shipment_create(
        actor=people.ops,
        order=order,
        lines=[{"order_line": order.lines.get().pk, "quantity": "3"}],
        shipped_on=timezone.localdate(),
        carrier="顺丰速运",
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    services.shipment_update(actor=people.ops, shipment=shipment, tracking_number="SF102")
    shipment.refresh_from_db()
    assert shipment.tracking_number == "SF102"


# --- the page ------------------------------------------------------------------------------------------


def test_the_order_page_offers_the_correction_next_to_each_shipment_to_operations_only(people: Any) -> None:
    order, shipment = _shipped(people)
    link = f'href="/orders/shipments/{shipment.pk}/edit/"'
    assert link in login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert link not in login(people.rep).get(f"/orders/{order.pk}/").content.decode()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    assert link not in login(people.ops).get(f"/orders/{order.pk}/").content.decode()


def test_the_edit_form_shows_the_shipment_and_saves_the_correction(people: Any) -> None:
    order, shipment = _shipped(people)
    client = login(people.ops)
    form = client.get(f"/orders/shipments/{shipment.pk}/edit/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="SF100"' in html and 'value="顺丰速运"' in html
    response = client.post(
        f"/orders/shipments/{shipment.pk}/edit/",
        {"shipped_on": timezone.localdate().isoformat(), "carrier": "中通快递", "tracking_number": "ZT300"},
    )
    assert response.status_code == 303
    assert response["Location"] == f"/orders/{order.pk}/"
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == ("中通快递", "ZT300")
    assert "ZT300" in client.get(f"/orders/{order.pk}/").content.decode()


def test_the_edit_form_shows_a_refusal_next_to_the_field(people: Any) -> None:
    _order, shipment = _shipped(people)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = login(people.ops).post(
        f"/orders/shipments/{shipment.pk}/edit/", {"shipped_on": tomorrow, "carrier": "中通快递"}
    )
    assert response.status_code == 200
    assert zh("The shipment date cannot be in the future.") in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.carrier == "顺丰速运"


def test_the_edit_form_is_404_outside_the_scope_and_403_for_sales(people: Any) -> None:
    _order, shipment = _shipped(people)
    for user, status in ((people.ops2, 404), (people.outsider, 404), (people.rep, 403)):
        assert login(user).get(f"/orders/shipments/{shipment.pk}/edit/").status_code == status, user
        response = login(user).post(f"/orders/shipments/{shipment.pk}/edit/", {"carrier": "中通"})
        assert response.status_code == status, user
    shipment.refresh_from_db()
    assert shipment.carrier == "顺丰速运"


# --- the API -------------------------------------------------------------------------------------------


def _patch(client: Any, pk: int, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/shipments/{pk}", data=json.dumps(body), content_type="application/json")


def test_patch_corrects_the_shipment_and_answers_it(people: Any) -> None:
    order, shipment = _shipped(people)
    response = _patch(login(people.ops), shipment.pk, {"carrier": "中通快递", "tracking_number": "ZT400"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["carrier"], body["tracking_number"]) == (shipment.pk, "中通快递", "ZT400")
    assert [line["quantity"] for line in body["lines"]] == ["2.000"]
    assert len(_entries(order)) == 1


def test_patch_errors_404_outside_the_scope_403_for_sales_422_naming_the_field_409_cancelled(people: Any) -> None:
    order, shipment = _shipped(people)
    assert _patch(login(people.ops2), shipment.pk, {"carrier": "中通"}).status_code == 404
    assert _patch(login(people.rep), shipment.pk, {"carrier": "中通"}).status_code == 403
    blank = _patch(login(people.ops), shipment.pk, {"carrier": " "})
    assert blank.status_code == 422
    assert blank.json()["errors"] == [{"field": "carrier", "message": zh("Name the carrier.")}]
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    assert _patch(login(people.ops), shipment.pk, {"carrier": "中通"}).status_code == 409
    shipment.refresh_from_db()
    assert shipment.carrier == "顺丰速运"
