"""Operations on a phone in Chromium: the queue, an order's page, the shipment form (a quantity per
line, numeric keyboard) → the order is partly shipped with the tracking number shown. Screenshots in
test-artifacts/screenshots/orders-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import browser, phone, shot  # noqa: F401  (the fixtures)
from tests.support import money
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_operator_records_a_partial_shipment_on_a_phone(live_server, phone, people, password):  # noqa: F811
    contract = money.contract(people.rep, lines=[(None, "10", "1200.00"), (None, "2", "300.00")])
    order = money.order(
        contract, status=OrderStatus.CONFIRMED, operations_team=people.ops_team, ship_to="上海市青浦区华新镇"
    )
    first = order.lines.order_by("position").first()
    base = live_server.url
    phone.goto(f"{base}/accounts/login/")
    phone.fill("input[name=username]", "ops")
    phone.fill("input[name=password]", password)
    phone.press("input[name=password]", "Enter")
    phone.wait_for_url(f"{base}/")
    phone.goto(f"{base}/orders/queue/")
    expect(phone.get_by_text(order.number)).to_be_visible()
    shot(phone, "orders-queue-phone")
    phone.goto(f"{base}/orders/{order.pk}/ship/")
    phone.fill("input[name=carrier]", "顺丰速运")
    phone.fill("input[name=tracking_number]", "SF1300000001")
    phone.fill(f"input[name=qty_{first.pk}]", "4")
    shot(phone, "orders-shipment-form-phone")
    phone.locator("form.xt-form button[type=submit]").click()
    expect(phone.locator("#order-shipments")).to_contain_text("SF1300000001")
    shot(phone, "orders-detail-phone")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTLY_SHIPPED
