"""Available-to-promise on quote and order lines (supply/line_badges.py through
core.components.register_line_annotator): a quote line against ATP on the day, an open order's line
against what was available to it; nothing for a product without supply data or for a user without
"supply" view; the same number of queries however many lines."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.factories import UserFactory, grant, make_role
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles
from xietong.supply.models import InventoryPosition, SupplyItem, Warehouse

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'data-atp="([0-9.]+)" data-atp-ok="([01])"')


def stock(product: Any, on_hand: str, allocated: str = "0") -> None:
    item = SupplyItem.objects.create(product=product)
    warehouse, _ = Warehouse.objects.get_or_create(code="WH1", defaults={"name": "上海仓"})
    InventoryPosition.objects.create(
        item=item, warehouse=warehouse, on_hand=Decimal(on_hand), allocated=Decimal(allocated), as_of=timezone.now()
    )


@pytest.fixture
def rep(org: dict[str, Any]) -> Any:
    user = UserFactory(username="rep", primary_team=org["pudong"])
    grant(user, ensure_default_roles()["sales_rep"])
    return user


def test_a_quote_line_is_covered_when_its_quantity_fits_in_atp(rep: Any) -> None:
    plenty, scarce, unplanned = ProductFactory(), ProductFactory(), ProductFactory()
    stock(plenty, "120", allocated="20")  # ATP 100
    stock(scarce, "40")
    q = money.quote(rep, lines=[(plenty, "100", "10.00"), (scarce, "100", "10.00"), (unplanned, "5", "10.00")])
    html = login(rep).get(f"/quotes/{q.pk}/").content.decode()
    assert BADGE.findall(html) == [("100.000", "1"), ("40.000", "0")]  # the third product has no supply data


def test_an_order_line_shows_what_was_available_to_it(rep: Any) -> None:
    covered, short = ProductFactory(), ProductFactory()
    stock(covered, "10")
    stock(short, "3")
    c = money.contract(rep, lines=[(covered, "4", "10.00"), (short, "5", "10.00")])
    o = money.order(c, promised_date=timezone.localdate() + timedelta(days=3))
    html = login(rep).get(f"/orders/{o.pk}/").content.decode()
    # covered: 10 on hand, this order takes 4 → ATP 6 afterwards, 10 was available to it (≥ 4)
    # short: 3 on hand, the order takes 5 → 2 short, 3 was available to it (< 5)
    assert BADGE.findall(html) == [("10.000", "1"), ("3.000", "0")]
    # a line shipped in full has nothing left to promise: no badge; the other keeps its badge
    o.lines.filter(product=covered).update(shipped_quantity=Decimal("4"))
    html = login(rep).get(f"/orders/{o.pk}/").content.decode()
    assert BADGE.findall(html) == [("3.000", "0")]


def test_no_badge_without_supply_view(org: dict[str, Any]) -> None:
    seller = make_role(
        "seller-no-supply",
        {
            "quotes": (DataScope.SELF, {"view", "create", "edit"}),
            "pipeline": (DataScope.SELF, {"view", "create", "edit"}),
        },
    )
    user = UserFactory(username="nosupply", primary_team=org["pudong"])
    grant(user, seller)
    product = ProductFactory()
    stock(product, "50")
    q = money.quote(user, lines=[(product, "1", "10.00")])
    response = login(user).get(f"/quotes/{q.pk}/")
    assert response.status_code == 200
    assert BADGE.findall(response.content.decode()) == []


def test_the_quote_page_costs_the_same_whatever_the_lines(rep: Any) -> None:
    client = login(rep)
    first = ProductFactory()
    stock(first, "9")
    q = money.quote(rep, lines=[(first, "1", "10.00")])

    def more() -> None:
        product = ProductFactory()
        stock(product, "9")
        from xietong.quotes.models import QuoteLine

        QuoteLine.objects.create(
            quote=q,
            position=QuoteLine.objects.filter(quote=q).count() + 1,
            product=product,
            unit=product.unit,
            quantity=Decimal("1"),
            list_price=product.list_price,
            unit_price=Decimal("10.00"),
            book_price=Decimal("10.00"),
            tax_rate=Decimal("13.00"),
        )

    assert_queries_constant(lambda: client.get(f"/quotes/{q.pk}/"), more)
