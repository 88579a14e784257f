"""Quote and price-book pages: list, detail, editor (lines formset), actions, compare, PDF, the
opportunity panel and the customer tab."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.conftest import login as login_as
from tests.support.forms import submitted
from tests.support.money import quote as make_quote
from tests.support.pipeline import opportunity
from tests.support.queries import assert_queries_constant, count_queries, counts_of_pages
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import Quote, QuoteLine

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login_as(user)


def text(response: Any) -> str:
    return response.content.decode()


def test_the_list_shows_visible_quotes_with_filters(people, opp) -> None:
    mine = make_quote(people.rep, opp=opp, title="我的报价")
    other = make_quote(people.outsider, title="外部报价")
    client = login(people.rep)
    page = text(client.get("/quotes/"))
    assert "我的报价" in page and "外部报价" not in page
    assert f'data-quote="{mine.pk}"' in page
    assert f'data-quote="{other.pk}"' not in page
    assert "我的报价" not in text(client.get("/quotes/?status=sent"))


def test_the_list_costs_the_same_for_more_rows(people, opp) -> None:
    client = login(people.rep)
    make_quote(people.rep, opp=opp)

    def more() -> None:
        for _ in range(3):
            make_quote(people.rep, opp=opportunity(people.rep))

    assert_queries_constant(lambda: client.get("/quotes/"), more)


def test_create_from_the_opportunity_then_edit_the_lines(people, opp, book, products) -> None:
    client = login(people.rep)
    form = client.get(f"/quotes/new/?opportunity={opp.pk}")
    assert form.status_code == 200
    response = client.post(
        f"/quotes/new/?opportunity={opp.pk}",
        {"title": "华东电力报价", "price_book": book.pk, "valid_until": "", "terms": "款到发货", "notes": ""},
    )
    q = Quote.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/quotes/{q.pk}/edit/"
    assert (q.title, q.terms, q.lines.count()) == ("华东电力报价", "款到发货", 2)
    editor = client.get(f"/quotes/{q.pk}/edit/")
    assert editor.status_code == 200
    data = {
        "title": "华东电力报价",
        "price_book": book.pk,
        "terms": "款到发货",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "2",
        "lines-0-product": products.lathe.pk,
        "lines-0-quantity": "1",
        "lines-0-unit_price": "",
        "lines-0-discount_kind": "amount",
        "lines-0-discount_value": "200000",
        "lines-0-tax_rate": "13.00",
        "lines-1-product": products.drill.pk,  # the second line, removed
        "lines-1-quantity": "10",
        "lines-1-discount_kind": "percent",
        "lines-1-DELETE": "on",
        "lines-2-product": "",  # an empty extra row, skipped
        "lines-2-quantity": "",
        "lines-2-discount_kind": "percent",
    }
    refused = client.post(f"/quotes/{q.pk}/edit/", data)
    assert refused.status_code == 200
    assert "Row 1: The discount 200000.00 is more than the line&#x27;s amount 95000.00." in text(refused)
    assert "Line 1:" not in text(refused)
    data["lines-0-discount_value"] = "5000"
    saved = client.post(f"/quotes/{q.pk}/edit/", data)
    assert saved.status_code == 303
    q.refresh_from_db()
    assert (q.lines.count(), q.net_total, q.tax_total, q.total) == (
        1,
        Decimal("90000.00"),
        Decimal("11700.00"),
        Decimal("101700.00"),
    )


def test_saving_the_editor_as_rendered_keeps_every_line_the_user_did_not_touch(people, opp) -> None:
    """The editor posted back as the browser sends it (its lines as initial rows): changing only the
    title, or only the first line, kept no line unchanged. Before, every unchanged line was dropped, so
    saving a new title emptied the quote."""
    q = make_quote(people.rep, opp=opp, lines=[(None, "2", "50000.00"), (None, "3", "1200.00")])
    q.lines.filter(position=1).update(delivery_month=date(2027, 4, 1), description="含安装")
    lines = list(q.lines.order_by("position").values_list("product_id", "quantity", "unit_price"))
    client = login(people.rep)
    data = submitted(text(client.get(f"/quotes/{q.pk}/edit/")), "quote-editor")
    data["title"] = "只改标题"

    assert client.post(f"/quotes/{q.pk}/edit/", data).status_code == 303
    q.refresh_from_db()
    assert (q.title, list(q.lines.order_by("position").values_list("product_id", "quantity", "unit_price"))) == (
        "只改标题",
        lines,
    )
    # and each line's delivery month (which the editor did not show, so a save cleared it) and description
    assert list(q.lines.order_by("position").values_list("delivery_month", "description")) == [
        (date(2027, 4, 1), "含安装"),
        (None, ""),
    ]
    page = text(client.get(f"/quotes/{q.pk}/"))
    assert re.findall(r"<div class=\"xt-muted small\" data-delivery-month>([^<]+)</div>", page) == [
        "Delivery month 2027-04"
    ]
    total = q.total
    data["lines-0-quantity"] = str(lines[0][1] + 1)
    assert client.post(f"/quotes/{q.pk}/edit/", data).status_code == 303
    q.refresh_from_db()
    assert [
        qty for _p, qty, _u in q.lines.order_by("position").values_list("product_id", "quantity", "unit_price")
    ] == [
        lines[0][1] + 1,
        lines[1][1],
    ]
    assert q.total > total


def test_a_vat_rate_that_is_no_number_is_an_error_on_its_line_not_a_failure(people, opp) -> None:
    """Found by a sweep of the forms: ``Decimal("abc")`` raised an error the choice field did not expect (500)."""
    q = make_quote(people.rep, opp=opp, lines=[(None, "2", "50000.00")])
    client = login(people.rep)
    data = submitted(text(client.get(f"/quotes/{q.pk}/edit/")), "quote-editor")
    data["lines-0-tax_rate"] = "abc"

    refused = client.post(f"/quotes/{q.pk}/edit/", data)

    assert refused.status_code == 200
    assert refused.context["formset"].forms[0].errors == {
        "tax_rate": ["Select a valid choice. abc is not one of the available choices."]
    }
    assert q.lines.get().tax_rate == Decimal("13.00")


def test_the_editor_shows_the_totals_of_the_lines_as_typed_and_saves_nothing(people, opp, book, products) -> None:
    """Every change in the editor posts it with ``preview=1`` (htmx, into #quote-preview): the totals of
    what is typed, by the rule the save uses (price-book price for an empty unit price), or why they
    cannot be computed, naming the row."""
    q = make_quote(people.rep, opp=opp)
    saved = (q.total, list(q.lines.values_list("quantity", flat=True)))
    client = login(people.rep)
    page = text(client.get(f"/quotes/{q.pk}/edit/"))
    assert 'id="quote-preview"' in page and 'hx-vals=\'{"preview": "1"}\'' in page
    assert re.search(r'data-figure="total"><strong><span class="xt-money">([^<]+)<', page).group(1) == (  # type: ignore[union-attr]
        f"¥{q.total:,.2f}"
    )
    data = {
        "preview": "1",
        "title": q.title,
        "price_book": book.pk,
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": products.lathe.pk,
        "lines-0-quantity": "2",
        "lines-0-unit_price": "",  # the book's 95,000.00
        "lines-0-discount_kind": "amount",
        "lines-0-discount_value": "5000",
        "lines-0-tax_rate": "13.00",
        "lines-1-product": products.drill.pk,
        "lines-1-quantity": "1",
        "lines-1-unit_price": "1000.00",
        "lines-1-discount_kind": "percent",
        "lines-1-discount_value": "10",
        "lines-1-tax_rate": "6.00",
    }
    htmx = {"HX-Request": "true", "HX-Target": "quote-preview"}
    preview = client.post(f"/quotes/{q.pk}/edit/", data, headers=htmx)
    fragment = text(preview)
    figures = dict(re.findall(r'data-figure="(\w+)"[^>]*>(?:<strong>)?(?:<span class="xt-money">)?([^<]+)<', fragment))

    assert preview.status_code == 200
    assert fragment.lstrip().startswith('<dl class="xt-dl mb-0" id="quote-preview-totals">')
    assert figures == {
        "subtotal": "¥191,000.00",  # 2 × 95,000 + 1,000
        "discount": "¥5,100.00",
        "net": "¥185,900.00",
        "tax": "¥24,104.00",  # 13 % of 185,000 + 6 % of 900
        "total": "¥210,004.00",
        "max_discount": "62.50%",  # the drill typed at ¥1,000 less 10 % where the book asks ¥2,400
    }
    data["lines-1-discount_value"] = "120"
    refused = text(client.post(f"/quotes/{q.pk}/edit/", data, headers=htmx))
    assert 'id="quote-preview-problems"' in refused
    assert "<li>Row 2: The discount is a percentage from 0 to 100, two decimal places at most.</li>" in refused
    data["lines-1-quantity"] = ""
    assert "Row 2: This field is required." in text(client.post(f"/quotes/{q.pk}/edit/", data, headers=htmx))
    q.refresh_from_db()
    assert (q.total, list(q.lines.values_list("quantity", flat=True))) == saved


def test_the_editor_of_a_quote_in_approval_says_it_is_locked_and_saves_nothing(people, opp, products) -> None:
    q = make_quote(people.rep, opp=opp, status=QuoteStatus.IN_APPROVAL)
    client = login(people.rep)
    page = text(client.get(f"/quotes/{q.pk}/edit/"))
    assert 'id="quote-locked"' in page
    response = client.post(
        f"/quotes/{q.pk}/edit/",
        {"title": "改", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 409
    assert "The quote is in approval and locked" in text(response)
    assert Quote.objects.get(pk=q.pk).title != "改"


def test_detail_shows_lines_totals_versions_and_actions(people, opp, book) -> None:
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep)
    page = text(client.get(f"/quotes/{q.pk}/"))
    assert 'id="quote-lines"' in page and 'id="quote-submit"' in page and 'id="quote-versions"' in page
    assert "¥113,000.00" in page  # 2 × 50,000.00 + 13 % VAT
    assert "壹拾壹万叁仟元整" in page
    assert login(people.rep2).get(f"/quotes/{q.pk}/").status_code == 404


def test_submit_send_accept_from_the_page(people, opp, book) -> None:
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep)
    assert client.post(f"/quotes/{q.pk}/submit/").status_code == 303
    assert Quote.objects.get(pk=q.pk).status == "approved"
    client.post(f"/quotes/{q.pk}/send/")
    assert Quote.objects.get(pk=q.pk).status == "sent"
    assert client.get(f"/quotes/{q.pk}/accept/").status_code == 200
    assert client.post(f"/quotes/{q.pk}/accept/", {"decided_on": "", "note": "签字"}).status_code == 303
    assert Quote.objects.get(pk=q.pk).status == "accepted"
    assert list(opp.lines.values_list("quantity", "unit_price")) == [(Decimal("2.000"), Decimal("50000.00"))]


def test_new_version_and_compare_pages(people, opp, book) -> None:
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep)
    response = client.post(f"/quotes/{q.pk}/versions/")
    v2 = Quote.objects.get(number=q.number, version=2)
    assert response["Location"] == f"/quotes/{v2.pk}/edit/"
    page = text(client.get(f"/quotes/{v2.pk}/compare/"))
    assert "v1 → v2" in page
    assert "2 lines unchanged." not in page and "1 line unchanged." in page


def test_the_first_versions_compare_page_reads_from_it_to_the_next_version(people, opp, book) -> None:
    """From v1's page (its "Compare versions" button, or "compare" beside v2) the comparison is v1 → v2,
    the same as from v2's page; before, the button answered "no other versions" and the link read
    v2 → v1."""
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep)
    client.post(f"/quotes/{q.pk}/versions/")
    v2 = Quote.objects.get(number=q.number, version=2)
    QuoteLine.objects.filter(quote=v2).update(quantity=Decimal("3"))

    for url in (f"/quotes/{q.pk}/compare/", f"/quotes/{q.pk}/compare/?with={v2.pk}", f"/quotes/{v2.pk}/compare/"):
        page = text(client.get(url))
        assert "v1 → v2" in page, url
        assert 'data-change="changed"' in page, url
        assert "This quote has no other version yet." not in page and "该报价单还没有其他版本" not in page, url
    assert f'<option value="{v2.pk}" selected>v2</option>' in text(client.get(f"/quotes/{q.pk}/compare/"))


def test_the_pdf_page(people, opp) -> None:
    q = make_quote(people.rep, opp=opp)
    response = login(people.rep).get(f"/quotes/{q.pk}/pdf/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF")


def test_the_opportunity_page_has_the_quotes_panel_and_the_customer_tab_loads(people, opp) -> None:
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep)
    page = text(client.get(f"/pipeline/opportunities/{opp.pk}/"))
    assert 'id="opportunity-quotes"' in page
    assert f"/quotes/new/?opportunity={opp.pk}" in page
    tab = client.get(
        f"/quotes/?customer={opp.customer_id}", headers={"HX-Request": "true", "HX-Target": "customer-quotes"}
    )
    assert f'data-quote="{q.pk}"' in text(tab)


def test_price_book_pages(people, book, products) -> None:
    head = login(people.head)
    assert book.name in text(head.get("/price-books/"))
    page = text(head.get(f"/price-books/{book.pk}/"))
    assert 'id="entry-create"' in page and "¥95,000.00" in page
    assert 'class="text-end xt-num">10</td>' in page and "E+" not in page  # from 10, never "1E+1"
    # the imports app adds its action to the book's header (components.register_record_action)
    assert f'href="/imports/new/?target=price_book_entries&amp;price_book={book.pk}" id="entry-import"' in page
    response = head.post(
        f"/price-books/{book.pk}/entries/new/",
        {"product": products.lathe.pk, "customer": "", "min_quantity": "5", "unit_price": "90000"},
    )
    assert response.status_code == 303
    assert book.entries.filter(min_quantity=5, unit_price=Decimal("90000.00")).exists()
    rep = login(people.rep)
    as_rep = text(rep.get(f"/price-books/{book.pk}/"))
    assert 'id="entry-create"' not in as_rep and 'id="entry-import"' not in as_rep
    assert rep.get(f"/price-books/{book.pk}/edit/").status_code == 403
    assert login(people.outsider).get(f"/price-books/{book.pk}/").status_code == 404


def test_a_customer_price_is_chosen_in_a_search_box_that_lists_no_customer(people, book, products) -> None:
    from tests.support.crm import owned

    customer = owned(owner=people.rep, customer__name="专属价格客户有限公司").customer
    other = owned(owner=people.rep, customer__name="别的客户有限公司").customer
    head = login(people.head)
    page = text(head.get(f"/price-books/{book.pk}/entries/new/"))
    assert 'data-xt-picker="/api/v1/customers"' in page
    assert customer.name not in page and other.name not in page
    response = head.post(
        f"/price-books/{book.pk}/entries/new/",
        {"product": products.lathe.pk, "customer": str(customer.pk), "min_quantity": "1", "unit_price": "93000"},
    )
    assert response.status_code == 303
    entry = book.entries.get(customer=customer)
    edit = text(head.get(f"/price-books/{book.pk}/entries/{entry.pk}/edit/"))
    assert f'<option value="{customer.pk}" selected>{customer.name}</option>' in edit
    assert other.name not in edit


def _date_input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag is not None and 'type="date"' in tag.group(0), f"no date input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_date_inputs_hold_iso_dates_in_chinese_so_saving_keeps_them(people: Any, opp: Any, book: Any) -> None:
    """``<input type="date">`` takes only YYYY-MM-DD: the Chinese pages rendered 2026/12/31, the
    browser showed an empty field, and saving the editor unchanged erased the quote's validity."""
    from datetime import timedelta

    from django.utils import timezone

    from xietong.quotes import services

    until = timezone.localdate() + timedelta(days=20)
    q = services.quote_create(actor=people.rep, opportunity=opp, valid_until=until)
    client = login_as(people.rep)
    page = client.get(f"/quotes/{q.pk}/edit/").content.decode()  # the default language: zh-hans
    assert _date_input_value(page, "valid_until") == until.isoformat()
    assert client.post(f"/quotes/{q.pk}/edit/", submitted(page, "quote-editor")).status_code == 303
    q.refresh_from_db()
    assert q.valid_until == until
    book.valid_until = date(2027, 12, 31)
    book.save()
    page = login_as(people.head).get(f"/price-books/{book.pk}/edit/").content.decode()
    assert (_date_input_value(page, "valid_from"), _date_input_value(page, "valid_until")) == (
        "2026-01-01",
        "2027-12-31",
    )


def test_a_product_no_longer_on_sale_is_left_out_of_a_new_quote_and_named(people, opp, book, products) -> None:
    """The deal keeps a discontinued drill; the new-quote page copied it, the service refused it, and
    no quote could be made from the page."""
    products.drill.status = "inactive"
    products.drill.save()
    client = login(people.rep)
    response = client.post(f"/quotes/new/?opportunity={opp.pk}", {"title": "报价", "price_book": book.pk}, follow=True)
    q = Quote.objects.get()
    assert [line.product_id for line in q.lines.all()] == [products.lathe.pk]
    assert f"Left out, no longer on sale: {products.drill}." in response.content.decode()


def test_the_editor_prices_a_line_again_when_its_quantity_crosses_a_volume_tier(people, opp, book, products) -> None:
    """Book: drill 2400.00 from 1, 2200.00 from 10. The editor filled every line's unit price with the
    price it had, so raising the quantity to 10 on the page kept 2400.00 (the API gave 2200.00). A
    price someone typed stays."""
    from xietong.quotes import services

    q = services.quote_create(
        actor=people.rep,
        opportunity=opp,
        lines=[{"product": products.drill.pk, "quantity": "1"}, {"product": products.lathe.pk, "quantity": "1"}],
    )
    q.lines.filter(product=products.lathe).update(unit_price=Decimal("90000.00"))  # typed below the book
    client = login_as(people.rep)
    page = client.get(f"/quotes/{q.pk}/edit/").content.decode()
    drill_price = re.search(r'<input[^>]*name="lines-0-unit_price"[^>]*>', page).group(0)
    assert 'placeholder="2400.00"' in drill_price and "value=" not in drill_price
    data = submitted(page, "quote-editor")
    data["lines-0-quantity"] = "10"
    data["lines-1-quantity"] = "2"
    assert client.post(f"/quotes/{q.pk}/edit/", data).status_code == 303
    assert list(q.lines.order_by("position").values_list("quantity", "unit_price")) == [
        (Decimal("10.000"), Decimal("2200.00")),
        (Decimal("2.000"), Decimal("90000.00")),
    ]


def test_a_line_priced_below_the_book_shows_the_books_price_struck(people, opp, book, products) -> None:
    from xietong.quotes import services

    q = services.quote_create(
        actor=people.rep,
        opportunity=opp,
        lines=[
            {"product": products.lathe.pk, "quantity": "1", "unit_price": "80000"},
            {"product": products.drill.pk, "quantity": "10"},
        ],
    )
    page = text(login(people.rep).get(f"/quotes/{q.pk}/"))
    struck = re.findall(r"<div[^>]*data-book-price>.*?<s>(.*?)</s>", page)
    assert struck == ["¥95,000.00"]  # the lathe only: the drill is at the book's ¥2,200.00
    assert '<dd class="xt-num">15.79%</dd>' in page


def test_a_refusal_of_no_field_is_shown_on_the_editor_not_a_500(people, opp, book, products, monkeypatch) -> None:
    from django.core.exceptions import ValidationError

    from xietong.quotes import services

    q = make_quote(people.rep, opp=opp)

    def refuse(**_kwargs: Any) -> None:
        raise ValidationError("The customer is blocked.")

    monkeypatch.setattr(services, "quote_update", refuse)
    data = {
        "title": q.title,
        "price_book": book.pk,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": products.lathe.pk,
        "lines-0-quantity": "1",
        "lines-0-discount_kind": "percent",
        "lines-0-tax_rate": "13.00",
    }
    client = login(people.rep)
    response = client.post(f"/quotes/{q.pk}/edit/", data)
    assert response.status_code == 200
    assert "The customer is blocked." in text(response)
    preview = client.post(f"/quotes/{q.pk}/edit/", {**data, "preview": "1"}, headers={"HX-Request": "true"})
    assert preview.status_code == 200


def test_the_editor_reads_the_products_once_whatever_its_rows(people, opp) -> None:
    """Each row's product select read the products again: a 200-line quote's editor ran 200 queries."""
    short = make_quote(people.rep, opp=opp)
    long = make_quote(people.rep, opp=opp, lines=[(None, "1", "100.00")] * 12)
    client = login(people.rep)
    counts = counts_of_pages(client, [f"/quotes/{short.pk}/edit/?rows=1", f"/quotes/{short.pk}/edit/?rows=40"])
    assert counts_of_pages(client, [f"/quotes/{long.pk}/edit/?rows=1"]) == counts[:1] == counts[1:]

    def preview(q: Quote) -> int:  # every row posted back, validated and shown with its totals
        data = submitted(text(client.get(f"/quotes/{q.pk}/edit/")), "quote-editor")
        return count_queries(lambda: client.post(f"/quotes/{q.pk}/edit/", {**data, "preview": "1"}))[0]

    assert preview(long) == preview(short)


def test_more_lines_than_a_quote_holds_are_refused_at_the_top_of_the_editor(people, opp, monkeypatch) -> None:
    monkeypatch.setattr("xietong.core.validators.MAX_LINES", 2)
    q = make_quote(people.rep, opp=opp, lines=[(None, "2", "50000.00"), (None, "3", "1200.00")])
    client = login(people.rep)
    data = submitted(text(client.get(f"/quotes/{q.pk}/edit/")), "quote-editor")
    new = int(data["lines-INITIAL_FORMS"])  # the first empty row
    data.update({f"lines-{new}-product": data["lines-0-product"], f"lines-{new}-quantity": "1"})

    response = client.post(f"/quotes/{q.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["errors"] == ["At most 2 lines: 3 were given."]
    assert "At most 2 lines: 3 were given." in text(response)
    assert q.lines.count() == 2


def test_a_post_claiming_more_rows_than_the_editor_offers_is_refused_and_saves_nothing(people, opp) -> None:
    q = make_quote(people.rep, opp=opp, lines=[(None, "2", "50000.00"), (None, "3", "1200.00")])
    client = login(people.rep)
    data = submitted(text(client.get(f"/quotes/{q.pk}/edit/")), "quote-editor")
    rows = int(data["lines-TOTAL_FORMS"])
    data.update({"title": "只改标题", "lines-TOTAL_FORMS": "100000"})

    response = client.post(f"/quotes/{q.pk}/edit/", data)
    assert response.status_code == 200
    assert "Please submit at most 302 forms." in text(response)  # its 2 lines and 300 new rows
    assert len(response.context["formset"].forms) == rows  # those posted, shown again
    assert "This field is required." not in text(response)
    q.refresh_from_db()
    assert (q.title, q.lines.count()) == (f"{opp.name}报价", 2)
    # the page shown again, saved as it is, is accepted
    again = client.post(f"/quotes/{q.pk}/edit/", submitted(text(response), "quote-editor"))
    assert again.status_code == 303
    q.refresh_from_db()
    assert (q.title, q.lines.count()) == ("只改标题", 2)
