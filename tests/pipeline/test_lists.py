"""The opportunity list: filters, status, sort, keyset pages, visibility, export exactness and its
permission, formula safety, the customer tab's fragment, and the query count."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import login
from tests.support.pipeline import opportunity
from tests.support.queries import assert_queries_constant
from xietong.pipeline.choices import OpportunityStatus

pytestmark = pytest.mark.django_db


def names(response):
    return [o.name for o in response.context["page"]["rows"]]


@pytest.fixture
def deals(people, process):
    won = opportunity(people.rep, name="已赢单", amount=Decimal("80000.00"))
    won.status, won.closed_at = OpportunityStatus.WON, timezone.now()
    won.save()
    return {
        "a": opportunity(people.rep, name="浦东大单", amount=Decimal("100000.00")),
        "b": opportunity(people.rep, name="浦东小单", amount=Decimal("50000.00")),
        "c": opportunity(people.rep2, name="上海中单", amount=Decimal("30000.00")),
        "won": won,
        "foreign": opportunity(people.outsider, name="华北外单", business_unit=people.org["bu2"]),
    }


def test_the_list_shows_what_the_user_sees_open_by_default(people, deals):
    assert names(login(people.rep).get("/pipeline/list/")) == ["浦东小单", "浦东大单"]
    manager = login(people.manager).get("/pipeline/list/")
    assert names(manager) == ["上海中单", "浦东小单", "浦东大单"]
    assert manager.context["page"]["count"] == 3


def test_the_list_filters_by_status_search_amount_and_scope(people, deals):
    client = login(people.manager)
    assert names(client.get("/pipeline/list/?status=won")) == ["已赢单"]
    by_amount = ["浦东大单", "已赢单", "浦东小单", "上海中单"]
    assert names(client.get("/pipeline/list/?status=all&sort=-amount")) == by_amount
    assert names(client.get("/pipeline/list/?q=上海")) == ["上海中单"]
    assert names(client.get("/pipeline/list/?amount_min=40000&amount_max=60000")) == ["浦东小单"]
    assert names(client.get("/pipeline/list/?scope=mine")) == []
    assert names(client.get(f"/pipeline/list/?owner={people.rep2.pk}")) == ["上海中单"]
    assert names(client.get(f"/pipeline/list/?owner={people.outsider.pk}")) == []  # not someone they see
    month = timezone.localdate().replace(day=15)
    deals["b"].expected_close = month
    deals["b"].save()
    assert names(client.get(f"/pipeline/list/?close_month={month:%Y-%m}")) == ["浦东小单"]


def test_the_list_sorts_and_pages_with_a_cursor(people, process, settings):
    for n in range(3):
        opportunity(people.rep, name=f"单{n}", amount=Decimal(1000 * (n + 1)))
    client = login(people.rep)
    from xietong.core import pagination

    old = pagination.PER_PAGE
    pagination.PER_PAGE = 2
    try:
        first = client.get("/pipeline/list/?sort=amount")
        assert names(first) == ["单0", "单1"]
        after = first.context["page"]["next_cursor"]
        assert names(client.get(f"/pipeline/list/?sort=amount&after={after}")) == ["单2"]
    finally:
        pagination.PER_PAGE = old


def test_the_fragment_answers_htmx_with_the_count_out_of_band(people, deals):
    body = (
        login(people.manager)
        .get("/pipeline/list/?q=浦东", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="opportunity-results")
        .content.decode()
    )
    assert "<html" not in body and 'id="opportunity-count" hx-swap-oob="true"' in body and "浦东大单" in body


def rows_of_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_exactly_the_filtered_rows_the_user_may_export(people, deals):
    deals["a"].name = "=HYPERLINK(1)"
    deals["a"].save()
    client = login(people.manager)
    response = client.get("/pipeline/list/export/?format=csv&sort=-amount&status=all")
    assert response.status_code == 200
    rows = rows_of_csv(response)
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "已赢单", "浦东小单", "上海中单"]
    assert rows[1][6] == "100000.00"
    xlsx = client.get("/pipeline/list/export/?q=上海")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [v[0] for v in values[1:]] == ["上海中单"]
    assert values[1][6] == Decimal("30000") or values[1][6] == 30000


def test_the_export_needs_the_export_permission(people, deals):
    assert login(people.rep).get("/pipeline/list/export/").status_code == 403


def test_the_customer_tab_lists_the_customers_visible_opportunities(people, deals):
    customer = deals["a"].customer
    opportunity(people.rep2, name="同客户他人单", customer=customer)
    rep = login(people.rep).get(
        f"/pipeline/list/?customer={customer.pk}&status=all",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-opportunities",
    )
    body = rep.content.decode()
    assert "浦东大单" in body and "同客户他人单" not in body and "浦东小单" not in body
    assert "<html" not in body
    manager = login(people.manager).get(
        f"/pipeline/list/?customer={customer.pk}&status=all",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-opportunities",
    )
    assert "同客户他人单" in manager.content.decode()


def test_the_list_costs_the_same_number_of_queries_however_many_rows(people, process):
    client = login(people.manager)
    opportunity(people.rep, name="第一单")

    def add_rows():
        for n in range(6):
            opportunity(people.rep2 if n % 2 else people.rep, name=f"加{n}")

    assert_queries_constant(lambda: client.get("/pipeline/list/"), add_rows, max_queries=25)
