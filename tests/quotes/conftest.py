"""People of the quotes tests (the pipeline's: reps, their manager, the BU head of BU1, an outsider in
BU2), an opportunity of ``rep`` with two product lines, and a price book of BU1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from tests.pipeline.conftest import customer_of, people, process  # noqa: F401
from tests.support.pipeline import ProductFactory, opportunity
from xietong.pipeline.models import OpportunityLine
from xietong.quotes.models import PriceBook, PriceBookEntry


@pytest.fixture
def products() -> SimpleNamespace:
    return SimpleNamespace(
        lathe=ProductFactory(name="数控车床", list_price=Decimal("100000.00"), product_line="数控机床"),
        drill=ProductFactory(name="钻床", list_price=Decimal("2500.00"), product_line="通用机床"),
    )


@pytest.fixture
def opp(people: SimpleNamespace, products: SimpleNamespace) -> Any:  # noqa: F811
    o = opportunity(people.rep, name="华东电力项目")
    OpportunityLine.objects.create(opportunity=o, product=products.lathe, quantity=2, unit_price=100000, position=0)
    OpportunityLine.objects.create(opportunity=o, product=products.drill, quantity=10, unit_price=2500, position=1)
    return o


@pytest.fixture
def book(people: SimpleNamespace, products: SimpleNamespace) -> PriceBook:  # noqa: F811
    b = PriceBook.objects.create(
        name="工业设备2026价格表", business_unit=people.org["bu1"], valid_from=date(2026, 1, 1)
    )
    PriceBookEntry.objects.create(price_book=b, product=products.lathe, unit_price=Decimal("95000.00"))
    PriceBookEntry.objects.create(
        price_book=b, product=products.drill, min_quantity=Decimal("10"), unit_price=Decimal("2200.00")
    )
    PriceBookEntry.objects.create(price_book=b, product=products.drill, unit_price=Decimal("2400.00"))
    return b


@pytest.fixture
def english() -> Any:
    """Messages in the English source text (the default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield
