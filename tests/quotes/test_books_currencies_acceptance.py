"""Which price book a quote takes, quotes in another currency, one accepted quote per opportunity,
and input too large to price: defects found by exploratory testing, each pinned here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.quotes.test_api import login, send
from tests.support.forms import submitted
from tests.support.money import contract
from xietong.core.errors import Conflict
from xietong.quotes import services
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import PriceBook, PriceBookEntry, Quote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def usd(people, products):
    book = PriceBook.objects.create(
        name="出口美元价",
        business_unit=people.org["bu1"],
        currency="USD",
        exchange_rate=D("7.100000"),
        valid_from=date(2026, 1, 1),
    )
    PriceBookEntry.objects.create(price_book=book, product=products.lathe, unit_price=D("13000.00"))
    PriceBookEntry.objects.create(price_book=book, product=products.drill, unit_price=D("330.00"))
    return book


def test_the_business_units_own_book_comes_before_the_groups(people, opp, book, products):
    """SQLite sorts NULL (a group-wide book) first: new quotes took the group's prices."""
    group = PriceBook.objects.create(name="集团价格表", business_unit=None, valid_from=date(2026, 1, 1))
    PriceBookEntry.objects.create(price_book=group, product=products.lathe, unit_price=D("99999.00"))
    assert services.default_book(opp.business_unit_id, timezone.localdate()) == book
    assert services.quote_create(actor=people.rep, opportunity=opp).price_book == book


def test_a_quote_keeps_its_book_after_the_book_expires(people, opp, book):
    q = services.quote_create(actor=people.rep, opportunity=opp, price_book=book.pk)
    PriceBook.objects.filter(pk=book.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    client = login(people.rep)
    data = submitted(client.get(f"/quotes/{q.pk}/edit/").content.decode(), "quote-editor")
    data["title"] = "只改标题"
    assert client.post(f"/quotes/{q.pk}/edit/", data).status_code == 303
    q.refresh_from_db()
    assert (q.title, q.price_book_id, q.lines.count()) == ("只改标题", book.pk, 2)


def test_a_book_in_another_currency_is_refused_while_the_lines_are_priced_in_this_one(people, opp, book, usd):
    q = services.quote_create(actor=people.rep, opportunity=opp, price_book=book.pk)
    response = send(login(people.rep), "patch", f"/api/v1/quotes/{q.pk}", {"price_book_id": usd.pk})
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [
            {
                "field": "price_book_id",
                "message": "The lines are priced in CNY: remove them, or start a new quote, to price in USD.",
            }
        ],
    )
    q.refresh_from_db()
    assert (q.currency, q.price_book_id) == ("CNY", book.pk)
    emptied = send(login(people.rep), "patch", f"/api/v1/quotes/{q.pk}", {"price_book_id": usd.pk, "lines": []})
    assert (emptied.status_code, emptied.json()["currency"]) == (200, "USD")


def test_an_accepted_quote_in_dollars_gives_the_opportunity_yuan(people, opp, usd, products):
    q = services.quote_create(
        actor=people.rep, opportunity=opp, price_book=usd.pk, lines=[{"product": products.drill.pk, "quantity": "10"}]
    )
    services.quote_submit(actor=people.rep, quote=q)
    services.quote_accept(actor=people.rep, quote=q)
    opp.refresh_from_db()
    assert list(opp.lines.values_list("unit_price", flat=True)) == [D("2343.00")]  # 330 × 7.1
    assert opp.amount == D("23430.00")


def _accepted(people, opp, products, lines=None):
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=lines)
    services.quote_submit(actor=people.rep, quote=q)
    services.quote_send(actor=people.rep, quote=q)
    return services.quote_accept(actor=people.rep, quote=q)


def test_one_accepted_quote_per_opportunity(people, opp, book, products):
    """A second quote accepted supersedes the first (the opportunity's lines follow it), unless a
    contract was made from the first."""
    first = _accepted(people, opp, products)
    second = _accepted(people, opp, products, lines=[{"product": products.drill.pk, "quantity": "1"}])
    assert dict(Quote.objects.filter(opportunity=opp).values_list("pk", "status")) == {
        first.pk: QuoteStatus.SUPERSEDED,
        second.pk: QuoteStatus.ACCEPTED,
    }
    assert list(opp.lines.values_list("product_id", "quantity")) == [(products.drill.pk, D("1"))]
    contract(people.rep, from_quote=second)
    third = services.quote_create(actor=people.rep, opportunity=opp)
    services.quote_submit(actor=people.rep, quote=third)
    services.quote_send(actor=people.rep, quote=third)
    with pytest.raises(Conflict) as refused:
        services.quote_accept(actor=people.rep, quote=third)
    assert str(refused.value) == (
        f"Quote {second.number} of this opportunity is accepted and under contract: this one cannot replace it."
    )
    assert Quote.objects.get(pk=second.pk).status == QuoteStatus.ACCEPTED


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"unit_price": "1e30"}, "lines.0.unit_price"),
        ({"quantity": "1e30"}, "lines.0.quantity"),
        ({"discount_kind": "amount", "discount_value": "1e30"}, "lines.0.discount_value"),
    ],
    ids=["price", "quantity", "amount-discount"],
)
def test_numbers_too_large_are_refused_by_name_not_a_crash(people, opp, products, line, field):
    body = {"opportunity_id": opp.pk, "lines": [{"product_id": products.drill.pk, "quantity": "1", **line}]}
    response = send(login(people.rep), "post", "/api/v1/quotes", body)
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [field])


def test_price_book_numbers_too_large_are_refused_by_name(people, book, products):
    client = login(people.head)
    book_body = {"name": "x", "business_unit_id": people.org["bu1"].pk, "currency": "USD", "exchange_rate": "1e30"}
    response = send(client, "post", "/api/v1/price-books", {**book_body, "valid_from": "2026-01-01"})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["exchange_rate"])
    entry = {"product_id": products.lathe.pk, "unit_price": "1", "min_quantity": "1e30"}
    response = send(client, "post", f"/api/v1/price-books/{book.pk}/entries", entry)
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["min_quantity"])


def test_a_dollar_quote_shows_dollars_on_its_page_and_pdf(people, opp, usd, products):
    from django.template.loader import render_to_string

    from xietong.quotes import pdf

    q = services.quote_create(
        actor=people.rep, opportunity=opp, price_book=usd.pk, lines=[{"product": products.drill.pk, "quantity": "1"}]
    )
    html = render_to_string("quotes/pdf.html", pdf.context(q))
    page = login(people.rep).get(f"/quotes/{q.pk}/").content.decode()
    for text in (html, page):
        assert "$330.00" in text and "$372.90" in text
        assert "¥330.00" not in text and "¥372.90" not in text
    assert "≈ ¥2,647.59" in page  # the yuan equivalent at 7.1


def test_a_price_book_in_another_currency_needs_its_exchange_rate(people, book):
    """A USD book made without a rate got 1: its quotes showed ≈ ¥ equal to the dollars, and an
    accepted one gave the opportunity dollar prices as yuan."""
    client = login(people.head)
    body = {"name": "出口价", "business_unit_id": people.org["bu1"].pk, "currency": "USD", "valid_from": "2026-01-01"}
    response = send(client, "post", "/api/v1/price-books", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "exchange_rate", "message": "Give the exchange rate: how many yuan one USD is worth."}],
    )
    assert send(client, "post", "/api/v1/price-books", {**body, "exchange_rate": "7.1"}).status_code == 201
    response = send(client, "patch", f"/api/v1/price-books/{book.pk}", {"currency": "USD"})  # a CNY book, rate 1
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["exchange_rate"])
