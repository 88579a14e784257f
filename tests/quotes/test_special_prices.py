"""A customer's special prices (price-book entries with a customer) are that customer's data: a viewer
of the book reads them only when they see the customer (``Customer.objects.visible_to``). The page,
the API's entries and every entry route agree: another customer's entry is absent — no row, no
count, no name, no id — and answers 404 like a missing one; general prices stay for everyone.

The book of BU1 (conftest ``book``): lathe 95000.00, drill 2400.00 and 2200.00 from 10. Customer A
is the rep's own, customer B the other rep's (outside the rep's self scope); both have a special
price of the lathe in the same book."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from tests.conftest import login as login_as
from tests.support.crm import CustomerFactory, owned
from tests.support.factories import UserFactory, grant, make_role
from tests.support.matrix import database_fingerprint
from tests.support.pipeline import opportunity
from tests.support.queries import assert_queries_constant
from xietong.core.choices import DataScope
from xietong.customers.models import Customer
from xietong.quotes import services
from xietong.quotes.models import PriceBook, PriceBookEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

A_PRICE = Decimal("88000.00")
B_PRICE = Decimal("77000.00")


def login(user: Any) -> Client:
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login_as(user)


@pytest.fixture
def special(people: SimpleNamespace, book: PriceBook, products: SimpleNamespace) -> SimpleNamespace:
    a = owned(owner=people.rep, customer=CustomerFactory(name="甲方自有客户有限公司")).customer
    b = owned(owner=people.rep2, customer=CustomerFactory(name="乙方他人客户有限公司")).customer
    assert list(Customer.objects.visible_to(people.rep).filter(pk__in=[a.pk, b.pk])) == [a]
    return SimpleNamespace(
        a=a,
        b=b,
        a_entry=PriceBookEntry.objects.create(price_book=book, product=products.lathe, customer=a, unit_price=A_PRICE),
        b_entry=PriceBookEntry.objects.create(price_book=book, product=products.lathe, customer=b, unit_price=B_PRICE),
        general=list(book.entries.filter(customer__isnull=True).order_by("pk").values_list("pk", flat=True)),
    )


@pytest.fixture
def price_admin(org: dict[str, Any]) -> Any:
    """Administers BU1's price books but sees only the customers they own (none of A and B)."""
    user = UserFactory(username="pricer", display_name="价格专员", primary_team=org["east"])
    role = make_role(
        "price-admin",
        {
            "quotes": (DataScope.BUSINESS_UNIT, {"view", "administer"}),
            "customers": (DataScope.SELF, {"view"}),
        },
    )
    grant(user, role, org["bu1"])
    return user


def _prices_count(page: str) -> int:
    found = re.search(r'Prices <span class="xt-count">(\d+)</span>', page)
    assert found is not None
    return int(found.group(1))


def test_the_book_page_shows_a_rep_the_special_prices_of_their_customers_only(people, book, special) -> None:
    page = login(people.rep).get(f"/price-books/{book.pk}/").content.decode()
    assert special.a.name in page and "¥88,000.00" in page
    assert special.b.name not in page and "¥77,000.00" not in page
    assert "¥95,000.00" in page and "¥2,400.00" in page and "¥2,200.00" in page  # the general prices stay
    assert _prices_count(page) == 4  # three general prices and A's: B's is not even counted


def test_the_book_page_shows_every_special_price_to_whoever_sees_both_customers(people, admin, book, special) -> None:
    for user in (people.head, admin):
        page = login(user).get(f"/price-books/{book.pk}/").content.decode()
        assert special.a.name in page and "¥88,000.00" in page, user
        assert special.b.name in page and "¥77,000.00" in page, user
        assert _prices_count(page) == 5, user


def test_the_api_lists_a_rep_the_special_prices_of_their_customers_only(people, admin, book, special, products) -> None:
    rep = login(people.rep)
    rows = rep.get(f"/api/v1/price-books/{book.pk}/entries").json()["results"]
    assert sorted(r["id"] for r in rows) == sorted([*special.general, special.a_entry.pk])
    assert [r["customer"] for r in rows if r["customer"]] == [{"id": special.a.pk, "name": special.a.name}]
    body = json.dumps(rows, ensure_ascii=False)
    assert special.b.name not in body and "77000" not in body
    lathe = rep.get(f"/api/v1/price-books/{book.pk}/entries?product_id={products.lathe.pk}").json()["results"]
    assert sorted(r["id"] for r in lathe) == sorted([special.general[0], special.a_entry.pk])
    for user in (people.head, admin):
        everyone = login(user).get(f"/api/v1/price-books/{book.pk}/entries").json()["results"]
        assert sorted(r["id"] for r in everyone) == sorted([*special.general, special.a_entry.pk, special.b_entry.pk])


def test_another_customers_special_price_answers_404_on_every_entry_route(
    people, book, special, price_admin, products
) -> None:
    """The book's administrator who does not see B: B's entry is a missing one (and stays as it is);
    a general price of the same book is theirs to change."""
    client = login(price_admin)
    page = client.get(f"/price-books/{book.pk}/").content.decode()
    assert 'id="entry-create"' in page
    assert special.b.name not in page and special.a.name not in page and _prices_count(page) == 3
    before = database_fingerprint()
    b = special.b_entry.pk
    answers = {
        "page edit": client.get(f"/price-books/{book.pk}/entries/{b}/edit/").status_code,
        "page save": client.post(f"/price-books/{book.pk}/entries/{b}/edit/", {"unit_price": "1"}).status_code,
        "page delete": client.post(f"/price-books/{book.pk}/entries/{b}/delete/").status_code,
        "api patch": client.patch(
            f"/api/v1/price-books/{book.pk}/entries/{b}",
            data=json.dumps({"unit_price": "1"}),
            content_type="application/json",
        ).status_code,
        "api delete": client.delete(f"/api/v1/price-books/{book.pk}/entries/{b}").status_code,
    }
    assert answers == {k: 404 for k in answers}
    assert database_fingerprint() == before
    with pytest.raises(Exception) as raised:
        services.entry_update(actor=price_admin, price_book=book, entry=b, unit_price="1")
    assert type(raised.value).__name__ == "NotFound"
    general = special.general[0]
    patched = client.patch(
        f"/api/v1/price-books/{book.pk}/entries/{general}",
        data=json.dumps({"unit_price": "94000"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["unit_price"] == "94000.00"


def test_a_quote_for_the_reps_own_customer_still_takes_that_customers_price(people, book, special, products) -> None:
    opp = opportunity(people.rep, customer=special.a, name="甲方项目")
    q = services.quote_create(
        actor=people.rep, opportunity=opp, price_book=book, lines=[{"product": products.lathe.pk, "quantity": "1"}]
    )
    assert list(q.lines.values_list("unit_price", flat=True)) == [A_PRICE]
    editor = login(people.rep).get(f"/quotes/{q.pk}/edit/").content.decode()
    lathe = re.search(r'<input[^>]*name="lines-0-unit_price"[^>]*>', editor)
    assert lathe is not None and 'placeholder="88000.00"' in lathe.group(0)


def test_the_book_page_and_the_entries_endpoint_cost_the_same_for_more_prices(people, book, special, products) -> None:
    client = login(people.rep)
    tiers = iter(range(2, 100))

    def more() -> None:
        for n in range(3):
            mine = owned(owner=people.rep).customer
            theirs = owned(owner=people.rep2).customer
            PriceBookEntry.objects.create(price_book=book, product=products.drill, customer=mine, unit_price=n + 1)
            PriceBookEntry.objects.create(price_book=book, product=products.drill, customer=theirs, unit_price=n + 1)
            PriceBookEntry.objects.create(
                price_book=book, product=products.lathe, min_quantity=Decimal(next(tiers)), unit_price=n + 1
            )

    assert_queries_constant(lambda: client.get(f"/price-books/{book.pk}/"), more)
    assert_queries_constant(lambda: client.get(f"/api/v1/price-books/{book.pk}/entries"), more, max_queries=8)


def test_special_price_changes_are_on_the_customers_trail_never_on_the_books(
    people: SimpleNamespace, book: PriceBook, products: SimpleNamespace, special: SimpleNamespace
) -> None:
    """The book's trail named a special price's product and amount to whoever sees the book; an
    import named the customer too."""
    from xietong.core.models import AuditEntry

    def trail(obj: Any) -> list[tuple[str, dict[str, Any]]]:
        rows = AuditEntry.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk))
        return [(e.verb, e.changes) for e in rows.filter(verb="quote_price").order_by("pk")]

    head = people.head
    lathe = str(products.lathe)
    added = services.entry_create(
        actor=head, price_book=book, product=products.lathe, unit_price="86000", min_quantity=5, customer=special.a
    )
    services.entry_update(actor=head, price_book=book, entry=added, unit_price="85000")
    services.entry_update(actor=head, price_book=book, entry=added, customer=None)  # now a price for everyone
    services.entry_delete(actor=head, price_book=book, entry=added)

    assert trail(special.a) == [
        ("quote_price", {f"{book.name} · {lathe}": [None, "≥5 86000.00"]}),
        ("quote_price", {f"{book.name} · {lathe}": ["≥5 86000.00", "≥5 85000.00"]}),
        ("quote_price", {f"{book.name} · {lathe}": ["≥5 85000.00", None]}),
    ]
    assert trail(book) == [
        ("quote_price", {lathe: [None, "≥5 85000.00"]}),
        ("quote_price", {lathe: ["≥5 85000.00", None]}),
    ]


def test_deleting_a_book_tells_each_customer_trail_which_special_prices_went(
    people: SimpleNamespace, book: PriceBook, products: SimpleNamespace, special: SimpleNamespace, price_admin: Any
) -> None:
    """The administrator who deletes a book may not see its customers; their owners still learn from
    the customer's trail that the negotiated price is gone, and from the book named there."""
    from xietong.core.models import AuditEntry

    name, lathe = book.name, f"{products.lathe} ≥1"
    services.price_book_delete(actor=price_admin, price_book=book)

    def trail(customer: Any) -> list[tuple[str, Any, dict[str, Any]]]:
        rows = AuditEntry.objects.filter(content_type__model="customer", object_id=str(customer.pk)).order_by("pk")
        return [(e.verb, e.actor_id, e.changes) for e in rows.filter(verb="quote_price")]

    assert trail(special.a) == [("quote_price", price_admin.pk, {f"{name} · {lathe}": [str(A_PRICE), None]})]
    assert trail(special.b) == [("quote_price", price_admin.pk, {f"{name} · {lathe}": [str(B_PRICE), None]})]
    assert not PriceBookEntry.objects.filter(customer__in=[special.a, special.b]).exists()
