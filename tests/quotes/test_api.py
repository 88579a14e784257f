"""The quotes API: price books and entries, quotes with lines, the lock, versions, compare, PDF."""

from __future__ import annotations

import json
import re
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.conftest import login as login_as
from tests.support.money import quote as make_quote
from tests.support.pipeline import opportunity
from tests.support.queries import assert_queries_constant
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import PriceBook, Quote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")


def login(user: Any) -> Client:
    """A client of ``user``, who reads English (the source text of the messages)."""
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login_as(user)


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's bytes with its compressed streams (object streams hold the font dictionaries) inflated."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_create_a_quote_from_the_opportunity_and_read_it(people, opp, book, products) -> None:
    client = login(people.rep)
    response = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["version"], body["total"], body["locked"]) == ("draft", 1, "239560.00", False)
    assert [(x["product"]["id"], x["unit_price"]) for x in body["lines"]] == [
        (products.lathe.pk, "95000.00"),
        (products.drill.pk, "2200.00"),
    ]
    again = client.get(f"/api/v1/quotes/{body['id']}").json()
    assert again == body


def test_patch_replaces_the_lines_and_names_the_bad_line(people, opp, products) -> None:
    client = login(people.rep)
    pk = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk, "lines": []}).json()["id"]
    bad = send(
        client,
        "patch",
        f"/api/v1/quotes/{pk}",
        {
            "lines": [
                {"product_id": products.lathe.pk, "quantity": "1"},
                {"product_id": products.drill.pk, "quantity": "1", "discount_kind": "amount", "discount_value": "9999"},
            ]
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "lines.1.discount_value",
            "message": "Line 2: the discount 9999.00 is more than the line's amount 2500.00.",
        }
    ]
    unknown = send(client, "patch", f"/api/v1/quotes/{pk}", {"lines": [{"product_id": 999999, "quantity": "1"}]})
    assert unknown.json()["errors"] == [{"field": "lines.0.product_id", "message": "Line 1: no such product."}]
    ok = send(
        client,
        "patch",
        f"/api/v1/quotes/{pk}",
        {"title": "新标题", "lines": [{"product_id": products.drill.pk, "quantity": "4", "discount_value": "10"}]},
    )
    assert ok.status_code == 200
    assert (ok.json()["title"], ok.json()["net_total"], ok.json()["max_discount"]) == ("新标题", "9000.00", "10.00")


def test_more_lines_than_a_quote_holds_are_422_naming_both_numbers_and_change_nothing(
    people, opp, products, monkeypatch
) -> None:
    client = login(people.rep)
    line = {"product_id": products.drill.pk, "quantity": "1"}
    too_many = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk, "lines": [line] * 501})
    assert (too_many.status_code, too_many.json()["errors"]) == (
        422,
        [{"field": "lines", "message": "At most 500 lines: 501 were given."}],
    )
    assert not Quote.objects.exists()
    monkeypatch.setattr("xietong.core.validators.MAX_LINES", 2)  # the boundary, without 500 rows
    pk = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk, "lines": [line] * 2}).json()["id"]
    refused = send(client, "patch", f"/api/v1/quotes/{pk}", {"lines": [line] * 3})
    assert refused.json()["errors"] == [{"field": "lines", "message": "At most 2 lines: 3 were given."}]
    assert Quote.objects.get(pk=pk).lines.count() == 2


def test_a_quote_in_approval_answers_409_and_says_why(people, opp) -> None:
    q = make_quote(people.rep, opp=opp, status=QuoteStatus.IN_APPROVAL)
    response = send(login(people.rep), "patch", f"/api/v1/quotes/{q.pk}", {"title": "改"})
    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "The quote is in approval and locked until the approvers decide (or you recall it)."
    )
    assert Quote.objects.get(pk=q.pk).title != "改"


def test_submit_send_accept_through_the_api(people, opp, book) -> None:
    client = login(people.rep)
    pk = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk}).json()["id"]
    assert send(client, "post", f"/api/v1/quotes/{pk}/submit").json()["status"] == "approved"
    assert send(client, "post", f"/api/v1/quotes/{pk}/send").json()["status"] == "sent"
    rejected = send(client, "post", f"/api/v1/quotes/{pk}/reject", {"note": ""})
    assert rejected.status_code == 422
    accepted = send(client, "post", f"/api/v1/quotes/{pk}/accept", {"note": "OK"})
    assert accepted.json()["status"] == "accepted"
    assert send(client, "post", f"/api/v1/quotes/{pk}/send").status_code == 409


def test_versions_and_compare(people, opp, book, products) -> None:
    client = login(people.rep)
    v1 = send(client, "post", "/api/v1/quotes", {"opportunity_id": opp.pk}).json()["id"]
    created = send(client, "post", f"/api/v1/quotes/{v1}/versions")
    assert created.status_code == 201
    v2 = created.json()["id"]
    send(
        client,
        "patch",
        f"/api/v1/quotes/{v2}",
        {"lines": [{"product_id": products.lathe.pk, "quantity": "3"}]},
    )
    versions = client.get(f"/api/v1/quotes/{v2}/versions").json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "draft"), (1, "superseded")]
    diff = client.get(f"/api/v1/quotes/{v2}/compare?with={v1}").json()
    assert [x["product"]["id"] for x in diff["removed"]] == [products.drill.pk]
    assert diff["added"] == []
    assert [(c["product"]["id"], c["fields"]) for c in diff["changed"]] == [(products.lathe.pk, ["quantity", "amount"])]
    assert {t["field"]: (t["old"], t["new"]) for t in diff["totals"]}["net_total"] == ("212000.00", "285000.00")


def test_another_reps_quote_is_404_everywhere(people, opp) -> None:
    q = make_quote(people.rep, opp=opp)
    client = login(people.rep2)
    for method, url in (
        ("get", f"/api/v1/quotes/{q.pk}"),
        ("patch", f"/api/v1/quotes/{q.pk}"),
        ("get", f"/api/v1/quotes/{q.pk}/pdf"),
        ("post", f"/api/v1/quotes/{q.pk}/submit"),
        ("post", f"/api/v1/quotes/{q.pk}/versions"),
        ("get", f"/api/v1/quotes/{q.pk}/compare?with={q.pk}"),
    ):
        assert send(client, method, url).status_code == 404, url
    assert client.get("/api/v1/quotes").json()["results"] == []


def test_the_quote_list_filters_and_costs_the_same_for_more_rows(people, opp) -> None:
    client = login(people.rep)
    make_quote(people.rep, opp=opp)
    make_quote(people.rep, status=QuoteStatus.SENT)
    rows = client.get(f"/api/v1/quotes?opportunity_id={opp.pk}").json()["results"]
    assert [r["opportunity"]["id"] for r in rows] == [opp.pk]
    assert [r["status"] for r in client.get("/api/v1/quotes?status=sent").json()["results"]] == ["sent"]
    assert client.get("/api/v1/quotes?status=nonsense").status_code == 422

    def more() -> None:
        for _ in range(3):
            make_quote(people.rep, opp=opportunity(people.rep))

    assert_queries_constant(lambda: client.get("/api/v1/quotes"), more, max_queries=8)


def test_pdf_is_a_pdf_with_the_cjk_font_embedded(people, opp, book) -> None:
    q = make_quote(people.rep, opp=opp)
    response = login(people.rep).get(f"/api/v1/quotes/{q.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{q.number}-v1.pdf"'
    assert response.content.startswith(b"%PDF")
    objects = pdf_objects(response.content)
    assert re.search(rb"/FontName /[A-Z]{6}\+Noto-Sans-CJK-SC", objects)  # embedded as a subset
    assert rb"/FontFile" in objects
    assert f"/Title ({q.number}".encode() in objects


def test_a_null_min_quantity_in_a_patch_is_refused_and_the_tier_kept(people, products) -> None:
    """The form's empty field means "from 1 on"; in the API, null is not a quantity (as null is not a price)."""
    head = login(people.head)
    book = send(
        head,
        "post",
        "/api/v1/price-books",
        {"name": "阶梯价", "business_unit_id": people.org["bu1"].pk, "valid_from": "2026-01-01"},
    ).json()["id"]
    tier = send(
        head,
        "post",
        f"/api/v1/price-books/{book}/entries",
        {"product_id": products.lathe.pk, "unit_price": "90000", "min_quantity": "10"},
    ).json()
    url = f"/api/v1/price-books/{book}/entries/{tier['id']}"
    refused = send(head, "patch", url, {"min_quantity": None})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "min_quantity", "message": "Enter a quantity."}]
    assert head.get(url).json()["min_quantity"] == "10.000"
    moved = send(head, "patch", url, {"min_quantity": "20"})
    assert (moved.status_code, moved.json()["min_quantity"]) == (200, "20.000")


def test_price_books_crud_and_entries(people, products) -> None:
    head = login(people.head)
    created = send(
        head,
        "post",
        "/api/v1/price-books",
        {"name": "经销商价", "business_unit_id": people.org["bu1"].pk, "channel": "dealer", "valid_from": "2026-01-01"},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    entry = send(
        head, "post", f"/api/v1/price-books/{pk}/entries", {"product_id": products.lathe.pk, "unit_price": "80000"}
    )
    assert entry.status_code == 201
    assert entry.json()["unit_price"] == "80000.00"
    negative = send(
        head,
        "patch",
        f"/api/v1/price-books/{pk}/entries/{entry.json()['id']}",
        {"unit_price": "-5"},
    )
    assert negative.status_code == 422
    assert negative.json()["errors"] == [{"field": "unit_price", "message": "The amount cannot be negative."}]
    assert [e["product"]["id"] for e in head.get(f"/api/v1/price-books/{pk}/entries").json()["results"]] == [
        products.lathe.pk
    ]
    rep = login(people.rep)
    assert rep.get(f"/api/v1/price-books/{pk}").status_code == 200  # sees its BU's books
    assert send(rep, "patch", f"/api/v1/price-books/{pk}", {"name": "x"}).status_code == 403
    group_wide = send(head, "post", "/api/v1/price-books", {"name": "集团", "valid_from": "2026-01-01"})
    assert group_wide.status_code == 403
    outsider = login(people.outsider)
    assert outsider.get(f"/api/v1/price-books/{pk}").status_code == 404
    assert send(head, "delete", f"/api/v1/price-books/{pk}").status_code == 204
    assert not PriceBook.objects.filter(pk=pk).exists()
    assert Decimal(created.json()["exchange_rate"]) == Decimal("1")
