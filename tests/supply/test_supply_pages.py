"""The supply pages: the supply review (summary, projection grid with shortages, capacity), planned
orders (decisions per row via htmx, bulk accept, export), the ATP lookup, the charts and the ATP
badge. Projections and planned orders are made with the ORM (exact, hand-checked); the engines run
where the page calls them (compute, decide, export, ATP)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from tests.conftest import login
from tests.support.factories import UserFactory, grant
from tests.support.i18n import zh
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.org.defaults import ensure_default_roles
from xietong.supply import supply_selectors
from xietong.supply.choices import MakeOrBuy, PlannedOrderStatus, ReceiptKind
from xietong.supply.models import (
    DemandPlan,
    PlannedOrder,
    ProductionLine,
    ProjectedInventory,
    SupplyItem,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
M1, M2, M3 = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


def _item(line: ProductionLine | None = None, **kwargs: Any) -> SupplyItem:
    return SupplyItem.objects.create(
        product=ProductFactory(**kwargs),
        make_or_buy=MakeOrBuy.MAKE if line else MakeOrBuy.BUY,
        production_line=line,
    )


def _projection(plan: DemandPlan, item: SupplyItem, rows: list[tuple[str, str, str, str, str, str]]) -> None:
    """rows per month M1.. : demand, receipts, planned, projected, safety, shortage."""
    for month, (d, r, p, inv, safety, short) in zip((M1, M2, M3), rows, strict=False):
        ProjectedInventory.objects.create(
            plan=plan,
            item=item,
            month=month,
            demand=D(d),
            receipts=D(r),
            planned=D(p),
            projected=D(inv),
            safety_stock=D(safety),
            shortage=D(short),
        )


def _order(plan: DemandPlan, item: SupplyItem, qty: str = "100", **kwargs: Any) -> PlannedOrder:
    kwargs.setdefault("kind", ReceiptKind.PRODUCTION if item.production_line_id else ReceiptKind.PURCHASE)
    return PlannedOrder.objects.create(
        plan=plan,
        item=item,
        release_date=kwargs.pop("release_date", date(2027, 1, 10)),
        due_month=kwargs.pop("due_month", M2),
        proposed_quantity=D(qty),
        quantity=D(qty),
        production_line=item.production_line,
        **kwargs,
    )


@pytest.fixture
def sop(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()

    def person(username: str, role: str, bu: Any = None) -> Any:
        user = UserFactory(username=username, primary_team=org["supply"] if "plan" in role else org["pudong"])
        grant(user, roles[role], bu)
        return user

    line = ProductionLine.objects.create(code="L1", name="一号装配线", capacity_per_month=D("500"))
    line2 = ProductionLine.objects.create(code="L2", name="二号装配线", capacity_per_month=D("300"))
    made = _item(line, code="P-MADE", name="数控车床A型", unit="台")
    bought = _item(None, code="P-BUY", name="伺服电机B型", unit="个")
    other = _item(line2, code="P-OTHER", name="加工中心C型", unit="台")
    plan = DemandPlan.objects.create(
        cycle=date(2026, 12, 1),
        title="2026年12月产销计划",
        first_month=M1,
        horizon=3,
        supply_planned_at=timezone.now(),
        stage="supply_review",
    )
    # made: fine, then below safety (10 < 20), then below zero
    _projection(
        plan,
        made,
        [("50", "0", "0", "30", "20", "0"), ("40", "0", "0", "10", "20", "10"), ("60", "0", "0", "-50", "20", "70")],
    )
    # bought: short before planning in M2, covered by a planned receipt
    _projection(
        plan,
        bought,
        [("10", "5", "0", "15", "5", "0"), ("10", "0", "20.5", "25.5", "5", "2"), ("10", "0", "0", "15.5", "5", "0")],
    )
    _projection(plan, other, [("5", "0", "0", "100", "0", "0"), ("5", "0", "0", "95", "0", "0")])
    return SimpleNamespace(
        org=org,
        plan=plan,
        line=line,
        line2=line2,
        made=made,
        bought=bought,
        other=other,
        rep=person("rep", "sales_rep", org["bu1"]),
        planner=person("planner", "supply_planner"),
    )


def _ids(html: str, attr: str) -> list[str]:
    return re.findall(rf'{attr}="([^"]+)"', html)


# --- the supply review ----------------------------------------------------------------------------------


def test_supply_review_shows_summary_grid_levels_and_compute_button_for_planner(sop: Any) -> None:
    html = login(sop.planner).get(f"/sop/plans/{sop.plan.pk}/supply/").content.decode()
    assert 'id="supply-compute"' in html
    assert 'data-figure="items">3<' in html
    assert 'data-figure="items_short">2<' in html and 'data-figure="items_uncovered">1<' in html
    assert re.findall(r'data-item="(\d+)" data-short="1"', html) == [str(sop.bought.pk), str(sop.made.pk)]
    assert _ids(html, "data-uncovered") == ["1"]
    levels = re.findall(r'data-month="(\d{4}-\d\d)" data-level="(\w+)"', html)
    assert [level for _month, level in levels] == [
        *("ok", "ok", "ok"),  # P-BUY
        *("ok", "below_safety", "negative"),  # P-MADE
        *("ok", "ok"),  # P-OTHER
    ]
    assert levels[3:6] == [("2027-01", "ok"), ("2027-02", "below_safety"), ("2027-03", "negative")]
    assert "bg-danger text-white" in html and "table-danger" in html


def test_supply_review_filters_short_items_line_and_search(sop: Any) -> None:
    client = login(sop.planner)
    url = f"/sop/plans/{sop.plan.pk}/supply/"
    short = _ids(client.get(url + "?short=on").content.decode(), "data-item")
    assert short == [str(sop.bought.pk), str(sop.made.pk)]
    assert _ids(client.get(url + f"?line={sop.line2.pk}").content.decode(), "data-item") == [str(sop.other.pk)]
    assert _ids(client.get(url + "?q=伺服").content.decode(), "data-item") == [str(sop.bought.pk)]
    fragment = client.get(url + "?q=P-OTHER", **HX, HTTP_HX_TARGET="supply-grid").content.decode()
    assert "<html" not in fragment and _ids(fragment, "data-item") == [str(sop.other.pk)]


def test_sales_rep_sees_the_review_without_buttons_and_cannot_post(sop: Any) -> None:
    client = login(sop.rep)
    html = client.get(f"/sop/plans/{sop.plan.pk}/supply/").content.decode()
    assert 'id="supply-compute"' not in html
    assert client.post(f"/sop/plans/{sop.plan.pk}/supply/compute/").status_code == 403
    order = _order(sop.plan, sop.made)
    orders = client.get(f"/sop/plans/{sop.plan.pk}/planned-orders/").content.decode()
    assert 'data-decide="accept"' not in orders and 'id="po-bulk-accept"' not in orders
    assert 'id="po-export-csv"' not in orders
    decide = client.post(f"/sop/planned-orders/{order.pk}/decide/", {"decision": "accept"}, **HX)
    assert decide.status_code == 403
    assert client.post(f"/sop/plans/{sop.plan.pk}/planned-orders/accept/", {"ids": [order.pk]}).status_code == 403
    assert client.post(f"/sop/plans/{sop.plan.pk}/planned-orders/export/", {"fmt": "csv"}).status_code == 403
    assert client.get(f"/sop/planned-orders/{order.pk}/?edit=1").status_code == 403
    order.refresh_from_db()
    assert order.status == PlannedOrderStatus.PROPOSED


def test_pages_need_supply_view_and_unknown_plans_are_404(sop: Any) -> None:
    nobody = UserFactory(username="nobody", primary_team=sop.org["north"])
    assert login(nobody).get(f"/sop/plans/{sop.plan.pk}/supply/").status_code == 403
    assert login(nobody).get("/sop/atp/").status_code == 403
    assert login(sop.planner).get("/sop/plans/999999/supply/").status_code == 404
    assert login(sop.planner).get("/sop/plans/999999/planned-orders/").status_code == 404


def test_empty_review_offers_the_compute_button(sop: Any) -> None:
    fresh = DemandPlan.objects.create(cycle=date(2027, 1, 1), title="新计划", first_month=M2, stage="supply_review")
    html = login(sop.planner).get(f"/sop/plans/{fresh.pk}/supply/").content.decode()
    assert 'id="supply-empty"' in html and 'id="supply-compute-empty"' in html
    assert 'id="supply-not-computable"' not in html
    rep_html = login(sop.rep).get(f"/sop/plans/{fresh.pk}/supply/").content.decode()
    assert 'id="supply-empty"' in rep_html and "supply-compute" not in rep_html


def test_a_plan_in_demand_review_offers_no_compute_and_no_decisions(sop: Any) -> None:
    early = DemandPlan.objects.create(cycle=date(2027, 1, 1), title="需求评审中", first_month=M1, horizon=3)
    order = _order(early, sop.made)
    client = login(sop.planner)
    html = client.get(f"/sop/plans/{early.pk}/supply/").content.decode()
    assert 'id="supply-not-computable"' in html and "supply-compute" not in html
    assert early.get_stage_display() in html
    orders = client.get(f"/sop/plans/{early.pk}/planned-orders/").content.decode()
    assert _ids(orders, "data-order") == [str(order.pk)]
    assert "data-decide=" not in orders and 'name="ids"' not in orders
    _order(sop.plan, sop.made)  # the same planner decides in supply review
    assert 'data-decide="accept"' in client.get(f"/sop/plans/{sop.plan.pk}/planned-orders/").content.decode()


def test_capacity_table_flags_overloads(sop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from xietong.supply import supply_services as services

    monkeypatch.setattr(
        services,
        "capacity_load",
        lambda plan: [
            {"line": sop.line.pk, "month": M1, "load": D("600"), "capacity": D("500"), "overloaded": True},
            {"line": sop.line, "month": M2, "load": D("250"), "capacity": D("500"), "overloaded": False},
        ],
    )
    html = login(sop.rep).get(f"/sop/plans/{sop.plan.pk}/supply/").content.decode()
    assert re.findall(r'data-line="\d+" data-month="([\d-]+)" data-overloaded="1"', html) == ["2027-01"]
    assert "120%" in html and "50%" in html
    assert 'data-figure="overloads">1<' in html


def test_compute_through_the_page(sop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from xietong.supply import supply_services as services

    calls: list[Any] = []

    def fake(*, actor: Any, plan: DemandPlan) -> dict[str, Any]:
        calls.append((actor.pk, plan.pk))
        return {"planned_orders": 4, "shortages": 2}

    monkeypatch.setattr(services, "supply_plan_compute", fake)
    response = login(sop.planner).post(f"/sop/plans/{sop.plan.pk}/supply/compute/")
    assert response.status_code == 303 and response["Location"] == f"/sop/plans/{sop.plan.pk}/supply/"
    assert calls == [(sop.planner.pk, sop.plan.pk)]


def test_compute_with_the_engine_fills_the_review(sop: Any) -> None:
    from xietong.supply.models import DemandPlanLine

    plan = DemandPlan.objects.create(
        cycle=date(2027, 1, 1), version=1, title="引擎计划", first_month=M1, horizon=3, stage="supply_review"
    )
    sop.made.safety_stock = D("10")
    sop.made.save()
    DemandPlanLine.objects.create(
        plan=plan, product=sop.made.product, business_unit=sop.org["bu1"], month=M2, consensus=D("30")
    )
    client = login(sop.planner)
    assert client.post(f"/sop/plans/{plan.pk}/supply/compute/").status_code == 303
    html = client.get(f"/sop/plans/{plan.pk}/supply/?q=P-MADE").content.decode()
    assert _ids(html, "data-item") == [str(sop.made.pk)]
    assert 'id="supply-empty"' not in html
    orders = PlannedOrder.objects.filter(plan=plan, item=sop.made)
    assert [(o.due_month, o.quantity) for o in orders] == [(M1, D("10.000")), (M2, D("30.000"))]  # safety, demand
    listing = client.get(f"/sop/plans/{plan.pk}/planned-orders/").content.decode()
    assert _ids(listing, "data-order") == [str(o.pk) for o in orders]


def test_compute_refused_by_the_engine_shows_the_reason(sop: Any) -> None:
    frozen = DemandPlan.objects.create(cycle=date(2027, 1, 1), title="需求评审中", first_month=M1, horizon=3)
    client = login(sop.planner)
    response = client.post(f"/sop/plans/{frozen.pk}/supply/compute/", follow=True)
    assert response.status_code == 200
    errors = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and frozen.get_stage_display() in str(errors[0])
    assert not ProjectedInventory.objects.filter(plan=frozen).exists()


# --- planned orders -------------------------------------------------------------------------------------


def test_planned_orders_list_filters(sop: Any) -> None:
    made = _order(sop.plan, sop.made)
    bought = _order(sop.plan, sop.bought, status=PlannedOrderStatus.ACCEPTED)
    client = login(sop.rep)
    url = f"/sop/plans/{sop.plan.pk}/planned-orders/"
    assert _ids(client.get(url).content.decode(), "data-order") == [str(made.pk), str(bought.pk)]
    assert _ids(client.get(url + "?status=accepted").content.decode(), "data-order") == [str(bought.pk)]
    assert _ids(client.get(url + "?kind=production").content.decode(), "data-order") == [str(made.pk)]
    assert _ids(client.get(url + f"?line={sop.line.pk}").content.decode(), "data-order") == [str(made.pk)]
    fragment = client.get(url + "?kind=purchase", **HX, HTTP_HX_TARGET="planned-order-results").content.decode()
    assert "<html" not in fragment and _ids(fragment, "data-order") == [str(bought.pk)]
    assert 'id="po-count" hx-swap-oob="true">1<' in fragment


def test_planned_orders_list_costs_the_same_whatever_the_rows(sop: Any) -> None:
    client = login(sop.planner)
    _order(sop.plan, sop.made, decided_by=sop.planner, status=PlannedOrderStatus.ACCEPTED)

    def add() -> None:
        for item in (sop.made, sop.bought, sop.other):
            _order(sop.plan, item, decided_by=sop.planner, status=PlannedOrderStatus.CHANGED, note="改")

    assert_queries_constant(lambda: client.get(f"/sop/plans/{sop.plan.pk}/planned-orders/"), add, max_queries=20)


def test_change_form_row_renders_for_planner(sop: Any) -> None:
    order = _order(sop.plan, sop.made, qty="120")
    html = login(sop.planner).get(f"/sop/planned-orders/{order.pk}/?edit=1", **HX).content.decode()
    assert 'data-editing="1"' in html and 'name="quantity"' in html and 'value="120.000"' in html
    assert "<html" not in html


def test_decisions_through_the_page(sop: Any) -> None:
    accept, change, reject = (_order(sop.plan, item) for item in (sop.made, sop.bought, sop.other))
    client = login(sop.planner)
    row = client.post(f"/sop/planned-orders/{accept.pk}/decide/", {"decision": "accept"}, **HX)
    assert row.status_code == 200 and 'data-status="accepted"' in row.content.decode()
    assert "<html" not in row.content.decode()
    changed = client.post(
        f"/sop/planned-orders/{change.pk}/decide/",
        {"decision": "change", "quantity": "150", "release_date": "2027-01-05", "note": "提前"},
        **HX,
    )
    assert 'data-status="changed"' in changed.content.decode()
    plain = client.post(f"/sop/planned-orders/{reject.pk}/decide/", {"decision": "reject"})
    assert plain.status_code == 303 and plain["Location"] == f"/sop/plans/{sop.plan.pk}/planned-orders/"
    for o in (accept, change, reject):
        o.refresh_from_db()
    assert (accept.status, change.status, reject.status) == ("accepted", "changed", "rejected")
    assert (change.quantity, change.release_date, change.note) == (D("150.000"), date(2027, 1, 5), "提前")
    assert change.decided_by_id == sop.planner.pk


def test_a_bad_change_comes_back_with_the_form_and_changes_nothing(sop: Any) -> None:
    order = _order(sop.plan, sop.made)
    client = login(sop.planner)
    response = client.post(
        f"/sop/planned-orders/{order.pk}/decide/",
        {"decision": "change", "quantity": "0", "release_date": "2027-01-05"},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-editing="1"' in html and 'role="alert"' in html
    missing = client.post(f"/sop/planned-orders/{order.pk}/decide/", {"decision": "change", "quantity": "5"}, **HX)
    assert 'data-editing="1"' in missing.content.decode()
    order.refresh_from_db()
    assert (order.status, order.quantity) == ("proposed", D("100.000"))


def test_an_exported_order_cannot_be_decided_and_the_row_says_why(sop: Any) -> None:
    order = _order(sop.plan, sop.made, status=PlannedOrderStatus.EXPORTED)
    response = login(sop.planner).post(f"/sop/planned-orders/{order.pk}/decide/", {"decision": "reject"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-status="exported"' in html and 'role="alert"' in html
    assert 'data-decide="reject"' not in html
    order.refresh_from_db()
    assert order.status == PlannedOrderStatus.EXPORTED


def test_bulk_accept_of_the_selected(sop: Any) -> None:
    a, b, c = (_order(sop.plan, item) for item in (sop.made, sop.bought, sop.other))
    rejected = _order(sop.plan, sop.made, status=PlannedOrderStatus.REJECTED)
    response = login(sop.planner).post(
        f"/sop/plans/{sop.plan.pk}/planned-orders/accept/", {"ids": [a.pk, c.pk, rejected.pk]}
    )
    assert response.status_code == 303
    statuses = dict(PlannedOrder.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "accepted", b.pk: "proposed", c.pk: "accepted", rejected.pk: "rejected"}


def test_export_downloads_csv_and_xlsx(sop: Any) -> None:
    _order(sop.plan, sop.made, status=PlannedOrderStatus.ACCEPTED)
    client = login(sop.planner)
    csv = client.post(f"/sop/plans/{sop.plan.pk}/planned-orders/export/", {"fmt": "csv"})
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"] and ".csv" in csv["Content-Disposition"]
    assert csv.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens the Chinese right
    lines = csv.content.decode("utf-8-sig").splitlines()
    headers = ("Reference", "Product code", "Product", "Kind", "Quantity", "Unit", "Release by", "Needed in")
    assert lines[0] == ",".join([zh(h) for h in headers] + [zh("Production line"), zh("Note")])
    assert lines[1].split(",")[1:5] == ["P-MADE", "数控车床A型", "production", "100.000"]
    assert PlannedOrder.objects.get().status == PlannedOrderStatus.EXPORTED
    xlsx = client.post(f"/sop/plans/{sop.plan.pk}/planned-orders/export/", {"fmt": "xlsx"})
    assert xlsx.status_code == 200 and ".xlsx" in xlsx["Content-Disposition"]
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.content[:2] == b"PK"
    assert client.post(f"/sop/plans/{sop.plan.pk}/planned-orders/export/", {"fmt": "pdf"}).status_code == 404


# --- ATP ------------------------------------------------------------------------------------------------


def test_atp_page_shows_exact_numbers(sop: Any) -> None:
    from tests.support import money
    from xietong.supply.models import InventoryPosition, ScheduledReceipt, Warehouse

    on = date(2027, 2, 1)
    now = timezone.now()
    for code, (hand, allocated, transit) in {"WH1": ("100", "10", "5"), "WH2": ("20.5", "0", "0")}.items():
        wh = Warehouse.objects.create(code=code, name=code)
        InventoryPosition.objects.create(
            item=sop.made, warehouse=wh, on_hand=D(hand), allocated=D(allocated), in_transit=D(transit), as_of=now
        )
    receipt = {"item": sop.made, "kind": ReceiptKind.PRODUCTION}
    ScheduledReceipt.objects.create(reference="MO-1", due_date=date(2027, 1, 20), quantity=D("40"), **receipt)
    ScheduledReceipt.objects.create(reference="MO-LATE", due_date=date(2027, 2, 2), quantity=D("999"), **receipt)
    ScheduledReceipt.objects.create(
        reference="MO-DONE", due_date=date(2027, 1, 5), quantity=D("777"), is_open=False, **receipt
    )
    money.order(money.contract(sop.rep, lines=[(sop.made.product, "14.5", "100.00")]), promised_date=date(2027, 1, 25))
    money.order(money.contract(sop.rep, lines=[(sop.made.product, "50", "100.00")]), promised_date=date(2027, 3, 1))
    client = login(sop.rep)
    html = client.get("/sop/atp/?q=P-&on=2027-02-01").content.decode()
    assert _ids(html, "data-product") == [str(i.product_id) for i in (sop.bought, sop.made, sop.other)]
    # 100 + 20.5 − 10 + 5 + 40 − 14.5 = 141
    assert re.findall(r'data-atp="([^"]+)"', html) == ["0.000", "141.000", "0.000"]
    detail = client.get(f"/sop/atp/?q=数控车床&on={on:%Y-%m-%d}").content.decode()
    assert f'data-product="{sop.made.product_id}"' in detail and 'id="atp-detail"' in detail
    figures = dict(re.findall(r'data-figure="(\w+)">([^ <]+)', detail))
    assert figures == {
        "atp": "141",
        "on_hand": "120.5",
        "allocated": "10",
        "in_transit": "5",
        "receipts": "40",
        "orders": "14.5",
    }
    assert _ids(detail, "data-receipt") == ["MO-1"]
    later = client.get(f"/sop/atp/?product={sop.made.product_id}&on=2027-03-01").content.decode()
    assert dict(re.findall(r'data-figure="(\w+)">([^ <]+)', later))["atp"] == str(141 + 999 - 50)


def test_atp_page_empty_states(sop: Any) -> None:
    client = login(sop.rep)
    assert 'id="atp-form"' in client.get("/sop/atp/").content.decode()
    html = client.get("/sop/atp/?q=不存在的产品").content.decode()
    assert 'id="atp-results"' not in html and "xt-empty" in html


def test_the_atp_badge_says_whether_the_quantity_is_covered() -> None:
    ok = render_to_string("supply/supply_atp_badge.html", {"atp": D("120"), "quantity": D("100")})
    short = render_to_string("supply/supply_atp_badge.html", {"atp": D("40"), "quantity": D("100")})
    none = render_to_string("supply/supply_atp_badge.html", {"atp": None, "quantity": D("1")})
    assert 'data-atp-ok="1"' in ok and "xt-badge-green" in ok and "120" in ok
    assert 'data-atp-ok="0"' in short and "xt-badge-gold" in short and "40 &lt; 100" in short
    assert none.strip() == ""


# --- charts ---------------------------------------------------------------------------------------------


def _json_script(html: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_charts_page_renders_the_series_exactly(sop: Any) -> None:
    html = login(sop.rep).get(f"/sop/charts/?plan={sop.plan.pk}&item={sop.bought.pk}&line={sop.line.pk}").content
    page = html.decode()
    assert _json_script(page, "supply-chart-product-data") == {
        "months": ["2027-01", "2027-02", "2027-03"],
        "demand": [10, 10, 10],
        "supply": [5, 20.5, 0],
        "projected": [15, 25.5, 15.5],
        "safety": [5, 5, 5],
    }
    assert _json_script(page, "supply-chart-line-data") == {
        "months": ["2027-01", "2027-02", "2027-03"],
        "demand": [50, 40, 60],
        "supply": [0, 0, 0],
        "projected": [30, 10, -50],
        "safety": [20, 20, 20],
    }
    assert "vendor/echarts/echarts.min.js" in page and "supply/charts.js" in page


def test_charts_default_to_the_latest_supply_plan_and_its_first_item(sop: Any) -> None:
    DemandPlan.objects.create(cycle=date(2027, 1, 1), title="未计算", first_month=M2)  # newer, no supply plan
    page = login(sop.rep).get("/sop/charts/").content.decode()
    product = _json_script(page, "supply-chart-product-data")
    assert product["projected"] == [15, 25.5, 15.5]  # P-BUY sorts first
    assert 'id="charts-empty"' not in page


def test_charts_product_search_narrows_the_picker(sop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = login(sop.rep)
    page = client.get(f"/sop/charts/?plan={sop.plan.pk}&q=加工中心&item={sop.bought.pk}").content.decode()
    picker = re.search(r'<select name="item".*?</select>', page, re.S)
    assert picker and re.findall(r'<option value="(\d+)"', picker.group(0)) == [str(sop.other.pk)]
    assert _json_script(page, "supply-chart-product-data")["projected"] == [100, 95]
    monkeypatch.setattr(supply_selectors, "CHART_PICKER_LIMIT", 1)
    capped = client.get(f"/sop/charts/?plan={sop.plan.pk}&item={sop.other.pk}").content.decode()
    picker = re.search(r'<select name="item".*?</select>', capped, re.S)
    assert picker and re.findall(r'<option value="(\d+)"', picker.group(0)) == [str(sop.other.pk), str(sop.bought.pk)]


def test_charts_without_any_supply_plan_link_to_the_plans(sop: Any) -> None:
    DemandPlan.objects.update(supply_planned_at=None)
    page = login(sop.rep).get("/sop/charts/").content.decode()
    assert 'id="charts-empty"' in page and 'href="/sop/plans/"' in page
