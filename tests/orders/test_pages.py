"""The order pages: my orders (filters, export), the operations queue (late first), the order page
with its actions, the order form from a contract, the shipment form, the customer tab and the orders
panel on opportunity pages; query counts constant with rows."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import login
from tests.support import money
from tests.support.crm import owned
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, Shipment

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _order(people: Any, **kwargs: Any) -> Order:
    lines = kwargs.pop("lines", [(None, "5", "100.00")])
    return money.order(money.contract(people.rep, lines=lines), operations_team=people.ops_team, **kwargs)


def test_my_orders_list_shows_mine_with_status_and_late(people: Any) -> None:
    mine = _order(people, promised_date=timezone.localdate() - timedelta(days=1))
    other = money.order(money.contract(people.rep2))
    page = login(people.rep).get("/orders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html and other.number not in html
    assert 'data-late="1"' in html
    late_only = login(people.manager).get("/orders/?scope=all&late=on").content.decode()
    assert mine.number in late_only and other.number not in late_only


def test_the_list_exports_to_excel(people: Any) -> None:
    order = _order(people)
    response = login(people.manager).get("/orders/export/?scope=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == order.number


def test_the_list_costs_the_same_whatever_the_rows(people: Any) -> None:
    client = login(people.manager)
    _order(people)

    def add() -> None:
        for _ in range(3):
            _order(people)

    assert_queries_constant(lambda: client.get("/orders/?scope=all"), add, max_queries=20)


def test_the_queue_lists_my_teams_open_orders_late_first(people: Any) -> None:
    soon = _order(people, promised_date=timezone.localdate() + timedelta(days=2))
    late = _order(people, promised_date=timezone.localdate() - timedelta(days=3))
    later = _order(people, promised_date=timezone.localdate() + timedelta(days=9))
    _order(people, status=OrderStatus.SHIPPED)
    unteamed = money.order(money.contract(people.rep))
    html = login(people.ops).get("/orders/queue/").content.decode()
    positions = [html.index(o.number) for o in (late, soon, later)]
    assert positions == sorted(positions)
    assert unteamed.number not in html
    assert unteamed.number in login(people.ops).get("/orders/queue/?scope=all").content.decode()
    assert login(people.rep).get("/orders/queue/").status_code == 403


def test_the_queue_costs_the_same_whatever_the_rows(people: Any) -> None:
    client = login(people.ops)
    _order(people)

    def add() -> None:
        for _ in range(3):
            _order(people)

    assert_queries_constant(lambda: client.get("/orders/queue/"), add, max_queries=20)


def test_the_order_page_shows_lines_shipments_and_the_actions_for_operations(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    line = order.lines.get()
    page = login(people.ops).get(f"/orders/{order.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="order-ship"' in html and 'id="order-schedule"' in html
    assert 'id="order-confirm"' not in html
    assert "待发货: 5" in login(people.ops).get(f"/orders/{order.pk}/ship/").content.decode()
    response = login(people.ops).post(
        f"/orders/{order.pk}/ship/",
        {
            "shipped_on": timezone.localdate().isoformat(),
            "carrier": "顺丰速运",
            "tracking_number": "SF77",
            f"qty_{line.pk}": "2",
        },
    )
    assert response.status_code == 303
    html = login(people.rep).get(f"/orders/{order.pk}/").content.decode()
    assert "SF77" in html
    assert 'id="order-ship"' not in html  # sales see, do not operate
    line.refresh_from_db()
    assert str(line.shipped_quantity) == "2.000"


def test_the_order_page_links_its_customer_and_contract_only_for_who_sees_them(people: Any) -> None:
    """Links that would answer 404 are plain names: operations see the BU's contracts and the
    customers the BU works with; a customer without a relationship in the BU is named, not linked."""
    order = _order(people)
    customer_link = f'href="/customers/{order.customer_id}/"'
    contract_link = f'href="/contracts/{order.contract_id}/"'
    ops = login(people.ops)
    html = ops.get(f"/orders/{order.pk}/").content.decode()
    assert order.customer.name in html and customer_link not in html
    assert ops.get(f"/customers/{order.customer_id}/").status_code == 404
    assert contract_link in html and ops.get(f"/contracts/{order.contract_id}/").status_code == 200
    owned(customer=order.customer, owner=people.rep)  # the BU now works with the customer
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert html.count(customer_link) == 2  # the subtitle and the facts


def test_the_shipment_form_shows_the_refusal_next_to_the_line(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    line = order.lines.get()
    response = login(people.ops).post(
        f"/orders/{order.pk}/ship/",
        {"shipped_on": timezone.localdate().isoformat(), "carrier": "顺丰速运", f"qty_{line.pk}": "6"},
    )
    assert response.status_code == 200
    refusal = zh(
        "Line %(position)s (%(product)s): %(wanted)s to ship but only %(left)s remain unshipped.",
        position=1,
        product=line.product,
        wanted="6",
        left="5",
    )
    assert refusal in response.content.decode()
    assert not Shipment.objects.exists()


def test_confirm_schedule_and_cancel_pages(people: Any) -> None:
    order = _order(people)
    ops = login(people.ops)
    assert ops.post(f"/orders/{order.pk}/confirm/").status_code == 303
    later = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert ops.post(f"/orders/{order.pk}/schedule/", {"scheduled_date": later}).status_code == 303
    order.refresh_from_db()
    assert (order.status, order.scheduled_date.isoformat()) == (OrderStatus.SCHEDULED, later)
    assert login(people.rep).post(f"/orders/{order.pk}/cancel/", {"reason": "客户撤单"}).status_code == 303
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_create_an_order_from_the_contract_page(people: Any) -> None:
    contract = money.contract(people.rep, lines=[(None, "10", "100.00"), (None, "2", "10.00")])
    first, second = contract.lines.order_by("position")
    client = login(people.rep)
    assert contract.number in client.get("/orders/new/").content.decode()
    form = client.get(f"/orders/new/?contract={contract.pk}")
    assert form.status_code == 200
    response = client.post(
        f"/orders/new/?contract={contract.pk}",
        {
            "promised_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            f"qty_{first.pk}": "3",
            f"qty_{second.pk}": "",
            "receiver_phone": "13800138000",
        },
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    order = Order.objects.get()
    assert [(ol.contract_line_id, str(ol.quantity)) for ol in order.lines.all()] == [(first.pk, "3.000")]
    too_much = client.post(
        f"/orders/new/?contract={contract.pk}",
        {"promised_date": (timezone.localdate() + timedelta(days=10)).isoformat(), f"qty_{first.pk}": "8"},
    )
    assert too_much.status_code == 200
    refusal = zh(
        "Line %(position)s (%(product)s): %(wanted)s ordered but only %(left)s remain unordered.",
        position=1,
        product=first.product,
        wanted="8",
        left="7",
    )
    assert refusal in too_much.content.decode()
    assert login(people.outsider).get(f"/orders/new/?contract={contract.pk}").status_code == 404


def test_the_customer_tab_and_the_opportunity_panel_load_the_orders(people: Any) -> None:
    order = _order(people)
    owned(order.customer, owner=people.rep)
    client = login(people.rep)
    tab = client.get(f"/orders/?customer={order.customer_id}", HTTP_HX_TARGET="customer-orders", **HX)
    assert order.number in tab.content.decode()
    panel = client.get(f"/orders/?opportunity={order.contract.opportunity_id}", HTTP_HX_TARGET="record-orders", **HX)
    assert order.number in panel.content.decode()
    opp_page = client.get(f"/pipeline/opportunities/{order.contract.opportunity_id}/").content.decode()
    assert f"/orders/?opportunity={order.contract.opportunity_id}" in opp_page
    customer_page = client.get(f"/customers/{order.customer_id}/")
    assert customer_page.status_code == 200
    assert f'hx-get="/orders/?customer={order.customer_id}"' in customer_page.content.decode()


def test_the_forms_render_for_operations_on_a_phone(people: Any) -> None:
    order = _order(people, status=OrderStatus.CONFIRMED)
    line = order.lines.get()
    client = login(people.ops)
    ship = client.get(f"/orders/{order.pk}/ship/").content.decode()
    assert f'name="qty_{line.pk}"' in ship and 'inputmode="decimal"' in ship
    assert 'name="carrier"' in ship
    assert 'name="scheduled_date"' in client.get(f"/orders/{order.pk}/schedule/").content.decode()
    assert 'name="reason"' in client.get(f"/orders/{order.pk}/cancel/").content.decode()


def test_an_order_in_credit_review_shows_locked_without_actions(people: Any) -> None:
    order = _order(people, status=OrderStatus.CREDIT_REVIEW)
    html = login(people.ops).get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-locked"' in html
    assert 'id="order-confirm"' not in html and 'id="order-cancel"' not in html


def test_the_contract_page_shows_its_orders_and_a_new_order_link(people: Any) -> None:
    contract = money.contract(people.rep)
    html = login(people.rep).get(f"/contracts/{contract.pk}/").content.decode()
    assert f'hx-get="/orders/?contract={contract.pk}"' in html
    assert f'href="/orders/new/?contract={contract.pk}"' in html
    draft = money.contract(people.rep, status="draft")
    html = login(people.rep).get(f"/contracts/{draft.pk}/").content.decode()
    assert f'hx-get="/orders/?contract={draft.pk}"' in html
    assert f'href="/orders/new/?contract={draft.pk}"' not in html
    # a contract whose every line is ordered in full has nothing left to order: no link
    money.order(contract)
    html = login(people.rep).get(f"/contracts/{contract.pk}/").content.decode()
    assert f'href="/orders/new/?contract={contract.pk}"' not in html


def test_quantities_show_without_exponents_or_trailing_zeros(people: Any) -> None:
    order = _order(people, lines=[(None, "10", "100.00")])
    html = login(people.rep).get(f"/orders/{order.pk}/").content.decode()
    assert "1E+1" not in html
    assert ">10</td>" in html
    contract = money.contract(people.rep, lines=[(None, "20", "1.00")])
    form = login(people.rep).get(f"/orders/new/?contract={contract.pk}").content.decode()
    assert 'value="20"' in form


def test_the_global_search_finds_visible_orders_only(people: Any) -> None:
    from xietong.orders.registrations import search_orders

    order = _order(people)
    hits = search_orders(people.rep, order.number, 5)
    assert [(h.title, h.url) for h in hits] == [(order.number, f"/orders/{order.pk}/")]
    assert search_orders(people.ops2, order.number, 5) == []


def test_the_history_loads_and_bad_panel_ids_show_nothing(people: Any) -> None:
    order = _order(people)
    client = login(people.ops)
    client.post(f"/orders/{order.pk}/confirm/")
    history = client.get(f"/orders/{order.pk}/history/")
    assert history.status_code == 200
    assert "郑运营" in history.content.decode()
    panel = client.get("/orders/?contract=abc", HTTP_HX_TARGET="record-orders", **HX)
    assert panel.status_code == 200
    assert order.number not in panel.content.decode()


def test_my_day_lists_late_orders_for_the_owner_and_the_operations_team(people: Any) -> None:
    late = _order(people, promised_date=timezone.localdate() - timedelta(days=2))
    _order(people)  # on time
    for user in (people.rep, people.ops):
        html = login(user).get("/").content.decode()
        assert f'href="/orders/{late.pk}/"' in html, user
    assert f'href="/orders/{late.pk}/"' not in login(people.ops2).get("/").content.decode()


def test_the_sales_owner_sees_an_order_but_operating_it_answers_403_as_in_the_api(people: Any) -> None:
    order = _order(people)
    client = login(people.rep)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert client.get(f"/orders/{order.pk}/schedule/").status_code == 403
    assert client.post(f"/orders/{order.pk}/ship/", {}).status_code == 403
    assert login(people.ops2).get(f"/orders/{order.pk}/schedule/").status_code == 404  # another team's order
