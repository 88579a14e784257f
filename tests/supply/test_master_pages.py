"""The master data pages: who sees and who changes (sales read, planners edit, no supply role:
nothing), the forms through the services, the uploads of a GBK CSV with Chinese headers and of an
XLSX (all rows or none, problems by line and column), and the items list's query count."""

from __future__ import annotations

import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.utils.translation import gettext

from tests.conftest import login
from tests.supply import master_matrix
from tests.support.factories import UserFactory, grant, make_role, upload
from tests.support.matrix import database_fingerprint, normalise, routes_with_ids
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles
from xietong.supply import master_services as services
from xietong.supply.models import (
    InventoryPosition,
    LineCapacity,
    ProductionLine,
    ScheduledReceipt,
    SupplyItem,
    Warehouse,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()
    planner = UserFactory(username="planner", primary_team=org["supply"])
    grant(planner, roles["supply_planner"])
    rep = UserFactory(username="rep", primary_team=org["east"])
    grant(rep, roles["sales_rep"])
    wh = Warehouse.objects.create(code="SH01", name="上海总仓")
    p1 = ProductFactory(code="CNC-100", name="数控车床")
    p2 = ProductFactory(code="CNC-200", name="加工中心")
    return SimpleNamespace(org=org, planner=planner, rep=rep, wh=wh, p1=p1, p2=p2)


LIST_PAGES = ["/sop/items/", "/sop/warehouses/", "/sop/lines/", "/sop/inventory/", "/sop/receipts/"]


@pytest.mark.parametrize("url", LIST_PAGES)
def test_sales_rep_reads_the_lists_without_edit_buttons(sop: Any, url: str) -> None:
    response = login(sop.rep).get(url)
    assert response.status_code == 200
    assert b'href="/sop/warehouses/new/"' not in response.content
    assert b"/edit/" not in response.content
    assert b"/upload/" not in response.content


def test_sales_rep_cannot_post(sop: Any) -> None:
    rep = login(sop.rep)
    before = database_fingerprint(["supply.Warehouse", "supply.SupplyItem", "supply.ProductionLine"])
    assert rep.post("/sop/warehouses/new/", {"code": "X1", "name": "X"}).status_code == 403
    assert rep.post(f"/sop/items/{sop.p1.pk}/edit/", {"make_or_buy": "buy"}).status_code == 403
    assert rep.get("/sop/inventory/upload/").status_code == 403
    assert before == database_fingerprint(["supply.Warehouse", "supply.SupplyItem", "supply.ProductionLine"])


def test_no_supply_role_cannot_reach_master_pages(org: dict[str, Any]) -> None:
    role = make_role("no-supply", {"catalog": (DataScope.GROUP, {"view"})})
    user = UserFactory(username="outsider", primary_team=org["east"])
    grant(user, role)
    record = master_matrix.records()
    client = login(user)
    failures = []
    watched = [m._meta.label for m in apps.get_app_config("supply").get_models()] + ["core.AuditEntry"]
    for route in master_matrix.ROUTES:
        before = database_fingerprint(watched)
        response = route.send(client, record)
        if response.status_code not in (403, 404):
            failures.append(f"{route.method} {route.url(record)} → {response.status_code}")
        if database_fingerprint(watched) != before:
            failures.append(f"{route.method} {route.url(record)} changed the database")
    assert not failures, "\n".join(failures)


def test_every_master_route_with_an_id_is_declared_not_scoped() -> None:
    with_ids = {normalise(r.path) for r in master_matrix.ROUTES if "{" in r.path}
    assert with_ids == set(master_matrix.NOT_SCOPED)
    ours = (
        "sop/items",
        "sop/warehouses",
        "sop/lines",
        "sop/receipts",
        "api/v1/supply/items",
        "api/v1/warehouses",
        "api/v1/production-lines",
    )
    declared = {normalise(p) for p in routes_with_ids() if p.startswith(ours)}
    assert declared == with_ids


def test_planner_sees_the_buttons_and_sets_up_an_item(sop: Any) -> None:
    client = login(sop.planner)
    page = client.get("/sop/items/")
    assert f'href="/sop/items/{sop.p1.pk}/edit/"'.encode() in page.content
    assert client.get(f"/sop/items/{sop.p1.pk}/edit/").status_code == 200
    data = {
        "make_or_buy": "make",
        "lead_time_days": "12",
        "moq": "10",
        "lot_size": "5",
        "safety_stock_method": "days",
        "safety_days": "",
        "service_level": "0.95",
    }
    refused = client.post(f"/sop/items/{sop.p1.pk}/edit/", data)
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "safety_days": [gettext("Enter the days of cover (more than 0) for safety stock in days.")]
    }
    assert not SupplyItem.objects.exists()
    saved = client.post(f"/sop/items/{sop.p1.pk}/edit/", {**data, "safety_days": "14"})
    assert (saved.status_code, saved["Location"]) == (303, "/sop/items/")
    item = SupplyItem.objects.get(product=sop.p1)
    assert (item.make_or_buy, item.lead_time_days, item.moq, item.safety_days) == ("make", 12, Decimal("10.000"), 14)


def test_items_list_filters_and_shows_stock(sop: Any) -> None:
    services.item_upsert(actor=sop.planner, product=sop.p1, make_or_buy="make")
    services.inventory_upsert(
        actor=sop.planner,
        rows=[{"item": "CNC-100", "warehouse": "SH01", "on_hand": "10", "allocated": "4", "in_transit": "2"}],
    )
    client = login(sop.planner)
    rows = client.get("/sop/items/").context["page_obj"].object_list
    assert [(p.code, p.on_hand, p.allocated, p.in_transit, p.available) for p in rows] == [
        ("CNC-100", Decimal("10"), Decimal("4"), Decimal("2"), Decimal("6")),
        ("CNC-200", Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0")),
    ]
    made = client.get("/sop/items/?make_or_buy=make").context["page_obj"].object_list
    assert [p.code for p in made] == ["CNC-100"]
    unset = client.get("/sop/items/?configured=no").context["page_obj"].object_list
    assert [p.code for p in unset] == ["CNC-200"]
    found = client.get("/sop/items/?q=加工").context["page_obj"].object_list
    assert [p.code for p in found] == ["CNC-200"]


def test_items_list_query_count_does_not_grow(sop: Any) -> None:
    client = login(sop.planner)
    line = ProductionLine.objects.create(code="L1", name="一号线")

    def add_rows() -> None:
        for n in range(5):
            product = ProductFactory(code=f"X-{n}")
            item = SupplyItem.objects.create(product=product, production_line=line)
            InventoryPosition.objects.create(item=item, warehouse=sop.wh, on_hand=n, as_of="2026-01-01T00:00Z")

    assert_queries_constant(lambda: client.get("/sop/items/"), add_rows, max_queries=12)


def test_warehouse_and_line_forms(sop: Any) -> None:
    client = login(sop.planner)
    dup = client.post("/sop/warehouses/new/", {"code": "SH01", "name": "重复", "is_active": "on"})
    assert dup.status_code == 200
    assert list(dup.context["form"].errors) == ["code"]
    made = client.post("/sop/warehouses/new/", {"code": "GZ01", "name": "广州仓", "is_active": "on"})
    assert made.status_code == 303
    wh = Warehouse.objects.get(code="GZ01")
    edited = client.post(f"/sop/warehouses/{wh.pk}/edit/", {"code": "GZ01", "name": "广州新仓"})
    assert edited.status_code == 303
    wh.refresh_from_db()
    assert (wh.name, wh.is_active) == ("广州新仓", False)
    bad = client.post("/sop/lines/new/", {"code": "L1", "name": "一号线", "capacity_per_month": "-1"})
    assert list(bad.context["form"].errors) == ["capacity_per_month"]
    new_line = {"code": "L1", "name": "一号线", "capacity_per_month": "800", "is_active": "on"}
    made = client.post("/sop/lines/new/", new_line)
    line = ProductionLine.objects.get(code="L1")
    assert made["Location"] == f"/sop/lines/{line.pk}/"  # a new line opens on its page, for its capacities
    form = client.get(f"/sop/lines/{line.pk}/edit/").context["form"]
    assert (form.initial["code"], form.initial["capacity_per_month"], form.initial["is_active"]) == (
        "L1",
        Decimal("800.000"),
        True,
    )
    assert client.get(f"/sop/lines/{line.pk}/").status_code == 200
    capacity = client.post(f"/sop/lines/{line.pk}/capacity/", {"month": "2027-03", "capacity": "300"})
    assert capacity.status_code == 303
    assert list(LineCapacity.objects.values_list("month", "capacity")) == [
        (__import__("datetime").date(2027, 3, 1), Decimal("300.000"))
    ]
    refused = client.post(f"/sop/lines/{line.pk}/capacity/", {"month": "2027-04", "capacity": "-1"})
    assert refused.status_code == 422
    assert LineCapacity.objects.count() == 1


def test_receipt_form_creates_and_edits(sop: Any) -> None:
    client = login(sop.planner)
    data = {"reference": "PO-1", "item": "CNC-100", "warehouse": "SH01", "kind": "purchase", "due_date": "2027-01-10"}
    made = client.post("/sop/receipts/new/", {**data, "quantity": "40", "is_open": "on"})
    assert made.status_code == 303, made.content
    receipt = ScheduledReceipt.objects.get()
    assert (receipt.quantity, receipt.warehouse, receipt.source) == (Decimal("40.000"), sop.wh, "manual")
    unknown = client.post(f"/sop/receipts/{receipt.pk}/edit/", {**data, "item": "NOPE", "quantity": "40"})
    assert list(unknown.context["form"].errors) == ["item"]
    edited = client.post(f"/sop/receipts/{receipt.pk}/edit/", {**data, "reference": "PO-1A", "quantity": "45"})
    assert edited.status_code == 303
    receipt.refresh_from_db()
    assert (receipt.reference, receipt.quantity, receipt.is_open) == ("PO-1A", Decimal("45.000"), False)
    assert ScheduledReceipt.objects.count() == 1
    cleared = client.post(
        f"/sop/receipts/{receipt.pk}/edit/", {**data, "reference": "PO-1A", "warehouse": "", "quantity": "45"}
    )
    assert cleared.status_code == 303
    receipt.refresh_from_db()
    assert receipt.warehouse is None


# --- uploads --------------------------------------------------------------------------------------------


def _gbk_csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_upload_a_gbk_csv_with_chinese_headers(sop: Any) -> None:
    content = _gbk_csv(["产品编码,仓库,在库,已分配,在途", "CNC-100,SH01,120,20,5", "CNC-200,SH01,8,0,0"])
    client = login(sop.planner)
    response = client.post("/sop/inventory/upload/", {"file": upload("库存.csv", content, "text/csv")})
    assert (response.status_code, response["Location"]) == (303, "/sop/inventory/")
    got = sorted(InventoryPosition.objects.values_list("item__product__code", "on_hand", "allocated", "in_transit"))
    assert got == [
        ("CNC-100", Decimal("120.000"), Decimal("20.000"), Decimal("5.000")),
        ("CNC-200", Decimal("8.000"), Decimal("0.000"), Decimal("0.000")),
    ]
    assert set(InventoryPosition.objects.values_list("source", flat=True)) == {"import"}


def test_upload_with_a_bad_row_imports_nothing_and_names_line_and_column(sop: Any) -> None:
    content = _gbk_csv(["产品编码,仓库,在库,已分配,在途", "CNC-100,SH01,120,20,5", "CNC-200,SH01,-8,0,0"])
    response = login(sop.planner).post("/sop/inventory/upload/", {"file": upload("库存.csv", content)})
    assert response.status_code == 422
    assert response.context["problems"] == [{"line": 3, "column": "在库", "message": gettext("Must not be negative.")}]
    assert not InventoryPosition.objects.exists()


def test_upload_receipts_from_xlsx(sop: Any) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["单号", "产品编码", "类型", "到货日期", "数量"])
    sheet.append(["PO-88", "CNC-100", "purchase", "2027-02-01", 30])
    sheet.append(["MO-5", "CNC-200", "production", "2027-03-15", 12.5])
    out = io.BytesIO()
    book.save(out)
    response = login(sop.planner).post("/sop/receipts/upload/", {"file": upload("在途订单.xlsx", out.getvalue())})
    assert response.status_code == 303, getattr(response, "context", {}) and response.context["problems"]
    got = sorted(ScheduledReceipt.objects.values_list("reference", "kind", "quantity"))
    assert got == [("MO-5", "production", Decimal("12.500")), ("PO-88", "purchase", Decimal("30.000"))]


def test_upload_without_the_key_column_is_refused_on_the_file(sop: Any) -> None:
    content = _gbk_csv(["仓库,在库", "SH01,1"])
    response = login(sop.planner).post("/sop/inventory/upload/", {"file": upload("库存.csv", content)})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["file"]
    assert not InventoryPosition.objects.exists()


def test_upload_sales_history_from_xlsx_with_month_cells_as_dates(sop: Any) -> None:
    import datetime

    from openpyxl import Workbook

    from xietong.supply.models import SalesHistory

    book = Workbook()
    sheet = book.active
    sheet.append(["产品编码", "事业部", "月份", "数量"])
    sheet.append(["CNC-100", "工业设备事业部", datetime.datetime(2026, 3, 1), 12])
    sheet.append(["CNC-100", "med", "2026-04", 3])
    out = io.BytesIO()
    book.save(out)
    response = login(sop.planner).post("/sop/history/upload/", {"file": upload("销量.xlsx", out.getvalue())})
    assert response.status_code == 303
    got = sorted(SalesHistory.objects.values_list("business_unit__code", "month", "quantity"))
    assert got == [
        ("ind", datetime.date(2026, 3, 1), Decimal("12.000")),
        ("med", datetime.date(2026, 4, 1), Decimal("3.000")),
    ]


def test_items_list_answers_the_results_fragment_to_htmx(sop: Any) -> None:
    response = login(sop.rep).get("/sop/items/?q=CNC-2", headers={"HX-Request": "true", "HX-Target": "supply-results"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'data-product="%d"' % sop.p2.pk in response.content
    assert b'data-product="%d"' % sop.p1.pk not in response.content
