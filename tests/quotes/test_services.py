"""Quotes through their services: pricing from the opportunity and the price book, numbers, lines and
totals, the lock while in approval, versions, submit / send / accept / reject, the stage gate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.money import quote as make_quote
from xietong.core.errors import Conflict, NotFound
from xietong.pipeline import gates
from xietong.pipeline.models import OpportunityLine
from xietong.quotes import services
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import PriceBook, PriceBookEntry, Quote

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_quote_from_an_opportunity_prices_its_lines_from_the_price_book(people, opp, book, products) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp)
    lines = list(q.lines.order_by("position"))
    assert [(line.product_id, line.quantity, line.list_price, line.unit_price) for line in lines] == [
        (products.lathe.pk, D("2.000"), D("100000.00"), D("95000.00")),
        (products.drill.pk, D("10.000"), D("2500.00"), D("2200.00")),  # the tier from 10 on
    ]
    assert (q.price_book_id, q.status, q.version, q.owner_id) == (book.pk, "draft", 1, people.rep.pk)
    assert (q.subtotal, q.net_total, q.tax_total, q.total) == (
        D("212000.00"),
        D("212000.00"),
        D("27560.00"),
        D("239560.00"),
    )
    assert q.number == f"BJ{timezone.localdate():%Y%m}-0001"


def test_numbers_count_up_within_the_month(people, opp) -> None:
    first = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    second = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    prefix = f"BJ{timezone.localdate():%Y%m}-"
    assert (first.number, second.number) == (f"{prefix}0001", f"{prefix}0002")


def test_without_a_price_book_the_list_price_applies(people, opp, products) -> None:
    q = services.quote_create(
        actor=people.rep, opportunity=opp, lines=[{"product": products.drill.pk, "quantity": "3"}]
    )
    assert q.price_book_id is None
    assert q.lines.get().unit_price == D("2500.00")


def test_a_customer_price_wins_over_the_general_one(people, opp, book, products) -> None:
    PriceBookEntry.objects.create(
        price_book=book, product=products.lathe, customer=opp.customer, unit_price=D("90000.00")
    )
    other = PriceBookEntry.objects.create(
        price_book=book, product=products.drill, customer_id=None, min_quantity=D("100"), unit_price=D("1.00")
    )
    q = services.quote_create(actor=people.rep, opportunity=opp)
    assert [line.unit_price for line in q.lines.order_by("position")] == [D("90000.00"), D("2200.00")]
    assert other.pk  # the tier from 100 does not apply to 10


def test_a_book_of_another_business_unit_or_expired_is_refused(people, opp) -> None:
    foreign = PriceBook.objects.create(name="医疗", business_unit=people.org["bu2"], valid_from=date(2026, 1, 1))
    expired = PriceBook.objects.create(
        name="旧", business_unit=people.org["bu1"], valid_from=date(2020, 1, 1), valid_until=date(2020, 12, 31)
    )
    for candidate in (foreign, expired):
        with pytest.raises(ValidationError) as caught:
            services.quote_create(actor=people.rep, opportunity=opp, price_book=candidate)
        assert list(caught.value.message_dict) == ["price_book"]
    assert Quote.objects.count() == 0


def test_an_invisible_opportunity_is_no_such_opportunity(people, opp) -> None:
    with pytest.raises(ValidationError) as caught:
        services.quote_create(actor=people.outsider, opportunity=opp)
    assert caught.value.message_dict == {"opportunity": ["No such opportunity."]}


def test_lines_and_totals_follow_the_rule_with_discounts(people, opp, products) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    q = services.quote_update(
        actor=people.rep,
        quote=q,
        lines=[
            {"product": products.lathe.pk, "quantity": "1", "unit_price": "99999.99", "discount_value": "12.5"},
            {
                "product": products.drill.pk,
                "quantity": "3",
                "unit_price": "333.33",
                "discount_kind": "amount",
                "discount_value": "99.99",
                "tax_rate": "6",
            },
        ],
    )
    lines = list(q.lines.order_by("position"))
    assert [
        (x.gross_amount, x.discount_amount, x.discount_percent, x.net_amount, x.tax_amount, x.amount) for x in lines
    ] == [
        (D("99999.99"), D("12500.00"), D("12.50"), D("87499.99"), D("11375.00"), D("98874.99")),
        (D("999.99"), D("99.99"), D("10.00"), D("900.00"), D("54.00"), D("954.00")),
    ]
    assert (q.subtotal, q.discount_total, q.net_total, q.tax_total, q.total, q.max_discount) == (
        D("100999.98"),
        D("12599.99"),
        D("88399.99"),
        D("11429.00"),
        D("99828.99"),
        D("88.00"),  # no price book: the drill's list price is ¥2,500; 3 × 2,500 = 7,500 → net 900 is 88 % below
    )


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"quantity": "0"}, "lines[2].quantity", "Line 2: The quantity must be more than 0."),
        ({"quantity": "1", "unit_price": "-1"}, "lines[2].unit_price", "Line 2: The amount cannot be negative."),
        ({"quantity": "1", "tax_rate": "17"}, "lines[2].tax_rate", "Line 2: the VAT rate is 13%, 9%, 6% or 0%."),
        (
            {"quantity": "1", "unit_price": "100", "discount_kind": "amount", "discount_value": "100.01"},
            "lines[2].discount_value",
            "Line 2: the discount 100.01 is more than the line's amount 100.00.",
        ),
        (
            {"quantity": "1", "discount_value": "101"},
            "lines[2].discount_value",
            "Line 2: the discount is a percentage from 0 to 100, two decimal places at most.",
        ),
    ],
)
def test_bad_lines_are_refused_naming_the_line_and_nothing_changes(people, opp, products, line, field, message) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp)
    before = list(q.lines.values_list("pk", "unit_price"))
    with pytest.raises(ValidationError) as caught:
        services.quote_update(
            actor=people.rep,
            quote=q,
            title="改",
            lines=[{"product": products.lathe.pk, "quantity": "1"}, {"product": products.drill.pk, **line}],
        )
    assert caught.value.message_dict == {field: [message]}
    q.refresh_from_db()
    assert q.title != "改"
    assert list(q.lines.values_list("pk", "unit_price")) == before


def test_a_quote_in_approval_is_locked_on_every_write(people, opp, products) -> None:
    q = make_quote(people.rep, opp=opp, status=QuoteStatus.IN_APPROVAL)
    for call in (
        lambda: services.quote_update(actor=people.rep, quote=q, title="改"),
        lambda: services.quote_update(actor=people.rep, quote=q, lines=[]),
        lambda: services.quote_submit(actor=people.rep, quote=q),
        lambda: services.quote_new_version(actor=people.rep, quote=q),
        lambda: services.quote_send(actor=people.rep, quote=q),
    ):
        with pytest.raises(Conflict):
            call()
    with pytest.raises(Conflict) as caught:
        services.quote_update(actor=people.rep, quote=q, title="改")
    assert str(caught.value) == "The quote is in approval and locked until the approvers decide (or you recall it)."


def test_another_rep_cannot_see_and_a_read_only_manager_cannot_change(people, opp) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    with pytest.raises(NotFound):
        services.quote_update(actor=people.rep2, quote=q, title="改")
    with pytest.raises(NotFound):
        services.quote_update(actor=people.outsider, quote=q, title="改")
    changed = services.quote_update(actor=people.manager, quote=q, title="经理改")  # team tree: view + edit
    assert changed.title == "经理改"
    with pytest.raises(PermissionDenied):
        services.quote_update(actor=people.supply, quote=q, title="改")


def test_a_new_version_copies_the_lines_and_supersedes_the_old(people, opp, book) -> None:
    v1 = services.quote_create(actor=people.rep, opportunity=opp)
    services.quote_submit(actor=people.rep, quote=v1)  # no flow: approved at once
    v2 = services.quote_new_version(actor=people.rep, quote=v1)
    v1.refresh_from_db()
    assert (v2.number, v2.version, v2.status, v1.status) == (v1.number, 2, "draft", "superseded")
    assert list(v2.lines.values_list("product_id", "quantity", "unit_price", "amount")) == list(
        v1.lines.values_list("product_id", "quantity", "unit_price", "amount")
    )
    assert v1.lines.count() == 2
    assert (v2.total, v2.max_discount) == (v1.total, v1.max_discount)
    with pytest.raises(Conflict):
        services.quote_new_version(actor=people.rep, quote=v1)  # not the latest


def test_submit_without_a_flow_approves_and_the_gate_is_met(people, opp, book) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp)
    assert gates.get("quote").met(opp) is False  # type: ignore[union-attr]
    q = services.quote_submit(actor=people.rep, quote=q)
    assert q.status == QuoteStatus.APPROVED
    assert gates.get("quote").met(opp) is True  # type: ignore[union-attr]


def test_submit_needs_lines(people, opp) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp, lines=[])
    with pytest.raises(ValidationError) as caught:
        services.quote_submit(actor=people.rep, quote=q)
    assert list(caught.value.message_dict) == ["lines"]


def test_the_approval_callbacks_lock_approve_and_return(people, opp) -> None:
    q = make_quote(people.rep, opp=opp)
    services.on_submitted(q, None)
    assert Quote.objects.get(pk=q.pk).status == "in_approval"
    assert services.is_locked(Quote.objects.get(pk=q.pk))
    services.on_returned(q, None)
    assert Quote.objects.get(pk=q.pk).status == "draft"
    services.on_approved(q, None)
    assert Quote.objects.get(pk=q.pk).status == "approved"


def test_send_then_accept_replaces_the_opportunity_lines_and_supersedes_other_versions(
    people, opp, book, products
) -> None:
    v1 = services.quote_create(actor=people.rep, opportunity=opp)
    services.quote_submit(actor=people.rep, quote=v1)
    v2 = services.quote_new_version(actor=people.rep, quote=v1)
    services.quote_update(
        actor=people.rep,
        quote=v2,
        lines=[{"product": products.lathe.pk, "quantity": "3", "unit_price": "90000", "discount_value": "5"}],
    )
    services.quote_submit(actor=people.rep, quote=v2)
    with pytest.raises(Conflict):
        services.quote_accept(actor=people.rep, quote=v1)  # superseded
    services.quote_send(actor=people.rep, quote=v2)
    accepted = services.quote_accept(actor=people.rep, quote=v2, note="客户盖章确认")
    assert (accepted.status, accepted.decision_note) == ("accepted", "客户盖章确认")
    lines = list(
        OpportunityLine.objects.filter(opportunity=opp).values_list("product_id", "quantity", "unit_price", "discount")
    )
    assert lines == [(products.lathe.pk, D("3.000"), D("90000.00"), D("5.00"))]
    opp.refresh_from_db()
    assert opp.amount == D("256500.00")


def test_reject_needs_a_note_and_a_draft_cannot_be_sent(people, opp, book) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp)
    with pytest.raises(Conflict):
        services.quote_send(actor=people.rep, quote=q)
    services.quote_submit(actor=people.rep, quote=q)
    services.quote_send(actor=people.rep, quote=q)
    with pytest.raises(ValidationError) as caught:
        services.quote_reject(actor=people.rep, quote=q, note=" ")
    assert list(caught.value.message_dict) == ["note"]
    with pytest.raises(ValidationError) as caught:
        services.quote_reject(actor=people.rep, quote=q, note="x", decided_on=timezone.localdate() + timedelta(days=1))
    assert list(caught.value.message_dict) == ["decided_on"]
    q = services.quote_reject(actor=people.rep, quote=q, note="价格太高", decided_on=timezone.localdate())
    assert (q.status, q.decision_note) == ("rejected", "价格太高")


# --- price books --------------------------------------------------------------------------------------


def test_the_bu_head_administers_the_bu_books_but_not_group_ones(people, products) -> None:
    b = services.price_book_create(
        actor=people.head, name="2027", business_unit=people.org["bu1"], valid_from="2027-01-01"
    )
    with pytest.raises(PermissionDenied):
        services.price_book_create(actor=people.head, name="集团", valid_from="2027-01-01")
    with pytest.raises(PermissionDenied):
        services.price_book_create(actor=people.rep, name="x", business_unit=people.org["bu1"], valid_from="2027-01-01")
    entry = services.entry_create(actor=people.head, price_book=b, product=products.lathe, unit_price="88000")
    with pytest.raises(ValidationError) as caught:
        services.entry_create(actor=people.head, price_book=b, product=products.lathe, unit_price="87000")
    assert list(caught.value.message_dict) == ["min_quantity"]
    with pytest.raises(ValidationError) as caught:
        services.entry_create(actor=people.head, price_book=b, product=products.drill, unit_price="-1")
    assert caught.value.message_dict == {"unit_price": ["The amount cannot be negative."]}
    services.entry_update(actor=people.head, price_book=b, entry=entry, unit_price="86000.50")
    entry.refresh_from_db()
    assert entry.unit_price == D("86000.50")
    with pytest.raises(PermissionDenied):  # the rep sees the book but does not administer it
        services.entry_delete(actor=people.rep, price_book=b, entry=entry)
    with pytest.raises(NotFound):
        services.entry_delete(actor=people.outsider, price_book=b, entry=entry)


def test_a_book_used_by_a_quote_cannot_be_deleted(people, opp, book) -> None:
    services.quote_create(actor=people.rep, opportunity=opp)
    with pytest.raises(Conflict):
        services.price_book_delete(actor=people.head, price_book=book)


def test_a_foreign_currency_book_needs_a_rate_and_a_cny_book_has_rate_one(people) -> None:
    with pytest.raises(ValidationError) as caught:
        services.price_book_create(
            actor=people.head, name="x", business_unit=people.org["bu1"], valid_from="2027-01-01", exchange_rate="7"
        )
    assert list(caught.value.message_dict) == ["exchange_rate"]
    usd = services.price_book_create(
        actor=people.head,
        name="USD",
        business_unit=people.org["bu1"],
        valid_from="2026-01-01",
        currency="usd",
        exchange_rate="7.1234",
    )
    assert (usd.currency, usd.exchange_rate) == ("USD", D("7.1234"))


def test_recalculating_gives_the_stored_figures(people, opp, book) -> None:
    q = services.quote_create(actor=people.rep, opportunity=opp)
    before = list(q.lines.values_list("gross_amount", "net_amount", "tax_amount", "amount"))
    with CaptureQueriesContext(connection) as captured:
        again = services.quote_recalculate(actor=people.rep, quote=q)
    statements = [c["sql"] for c in captured if "quotes_quote" in c["sql"]]
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT"]  # the quote, locked; its lines
    assert list(again.lines.values_list("gross_amount", "net_amount", "tax_amount", "amount")) == before
    assert again.total == q.total
    assert Quote.objects.get(pk=q.pk).updated_at == q.updated_at  # nothing to write, nothing written


def test_recalculating_repairs_figures_that_disagree_with_the_rule(people, opp, book) -> None:
    from xietong.quotes.models import QuoteLine

    q = services.quote_create(actor=people.rep, opportunity=opp)
    first = q.lines.order_by("position").first()
    QuoteLine.objects.filter(pk=first.pk).update(amount=D("1.00"), tax_amount=D("0.00"))
    again = services.quote_recalculate(actor=people.rep, quote=q)
    first.refresh_from_db()
    assert (first.tax_amount, first.amount) == (D("24700.00"), D("214700.00"))
    assert again.total == D("239560.00")


@pytest.mark.django_db(transaction=True)
def test_quote_update_and_recalculate_write_in_one_transaction(people, opp, monkeypatch) -> None:
    """Outside a test's own transaction: the update locks the quote (``select_for_update``, refused
    outside a transaction on PostgreSQL) and writes its lines and totals in one transaction, as the
    recalculation does; the editor's preview writes nothing."""
    q = make_quote(people.rep, opp=opp)
    seen: list[bool] = []
    write_lines = services._write_lines

    def spy(*args: object, **kwargs: object) -> None:
        seen.append(connection.in_atomic_block)
        write_lines(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "_write_lines", spy)
    line = q.lines.get()
    services.quote_update(
        actor=people.rep,
        quote=q.pk,
        title="改",
        lines=[{"product": line.product_id, "quantity": "3", "unit_price": "100.00", "tax_rate": "13"}],
    )
    with CaptureQueriesContext(connection) as writes:
        totals = services.quote_preview(
            actor=people.rep,
            quote=Quote.objects.get(pk=q.pk),
            lines=[{"product": line.product_id, "quantity": "4", "unit_price": "100.00", "tax_rate": "13"}],
            price_book=None,
        )

    assert seen == [True]
    assert (Quote.objects.get(pk=q.pk).title, Quote.objects.get(pk=q.pk).total) == ("改", Decimal("339.00"))
    assert totals.total == Decimal("452.00")
    assert [w["sql"] for w in writes.captured_queries if not w["sql"].lstrip().upper().startswith("SELECT")] == []


def test_merging_customers_moves_their_quotes_and_special_prices(people, book, products):
    """Merge B into A: B's opportunity moved to A, but B's quote and negotiated price stayed on the
    merged-away B (their links are hidden relations), so A was quoted the general price. Where both
    had a special price for the same product and tier, A's stays."""
    from tests.support.crm import CustomerFactory, owned
    from tests.support.pipeline import opportunity
    from xietong.customers.duplicates import customer_merge

    a = owned(CustomerFactory(name="华东电力有限公司"), owner=people.rep).customer
    b = owned(CustomerFactory(name="华东电力（上海）有限公司"), owner=people.rep).customer
    PriceBookEntry.objects.create(price_book=book, product=products.lathe, customer=b, unit_price=Decimal("80000.00"))
    PriceBookEntry.objects.create(price_book=book, product=products.drill, customer=a, unit_price=Decimal("2000.00"))
    PriceBookEntry.objects.create(price_book=book, product=products.drill, customer=b, unit_price=Decimal("1900.00"))
    deal = opportunity(people.rep, customer=b)
    old_quote = make_quote(people.rep, opp=deal)
    customer_merge(actor=people.rep, target=a, sources=[b])
    old_quote.refresh_from_db()
    assert old_quote.customer_id == a.pk
    new_quote = services.quote_create(
        actor=people.rep,
        opportunity=deal,
        lines=[{"product": products.lathe.pk, "quantity": "1"}, {"product": products.drill.pk, "quantity": "1"}],
    )
    assert [line.unit_price for line in new_quote.lines.order_by("position")] == [
        Decimal("80000.00"),
        Decimal("2000.00"),
    ]
    assert PriceBookEntry.objects.filter(customer=b).count() == 0
