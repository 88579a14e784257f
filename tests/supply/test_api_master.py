"""The master data API: items, warehouses, lines, and the ERP's bulk upserts of inventory, receipts
and sales history (422 naming row and field, all-or-nothing, repeats applied once, Idempotency-Key)."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.factories import UserFactory, grant
from tests.support.pipeline import ProductFactory
from xietong.core.models import AuditEntry
from xietong.org.defaults import ensure_default_roles
from xietong.supply.models import InventoryPosition, SalesHistory, ScheduledReceipt, SupplyItem, Warehouse

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


def _send(client: Any, method: str, url: str, body: Any, **headers: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", headers=headers)


INVENTORY = {
    "rows": [
        {"item": "CNC-100", "warehouse": "SH01", "on_hand": 120, "allocated": "20", "in_transit": 5.5},
        {"item": "CNC-200", "warehouse": "SH01", "on_hand": "8"},
    ]
}


def test_inventory_bulk_upsert_and_a_repeat_is_applied_once(sop: Any) -> None:
    client = login(sop.planner)
    first = _send(client, "post", "/api/v1/inventory", INVENTORY)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    audits = AuditEntry.objects.count()
    again = _send(client, "post", "/api/v1/inventory", INVENTORY)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert AuditEntry.objects.count() == audits
    pos = InventoryPosition.objects.get(item__product=sop.p1)
    assert (pos.on_hand, pos.allocated, pos.in_transit, pos.source) == (
        Decimal("120.000"),
        Decimal("20.000"),
        Decimal("5.500"),
        "api",
    )
    listed = client.get("/api/v1/inventory?item=CNC-1").json()
    assert [(r["item"], r["warehouse"], r["on_hand"]) for r in listed["results"]] == [("CNC-100", "SH01", "120.000")]


def test_bad_rows_answer_422_naming_row_and_field_and_apply_nothing(sop: Any) -> None:
    body = {
        "rows": [
            {"item": "CNC-100", "warehouse": "SH01", "on_hand": "5"},
            {"item": "CNC-200", "warehouse": "SH01", "on_hand": "-3"},
            {"warehouse": "SH01", "on_hand": "1"},
        ]
    }
    response = _send(login(sop.planner), "post", "/api/v1/inventory", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "rows.2.on_hand", "message": gettext("Must not be negative.")},
        {"field": "rows.3.item", "message": gettext("This field is required.")},
    ]
    assert not InventoryPosition.objects.exists()


def test_idempotency_key_returns_the_first_answer_without_running_again(sop: Any) -> None:
    client = login(sop.planner)
    rows = {"rows": [{"reference": "PO-1", "item": "CNC-100", "due_date": "2027-01-15", "quantity": "40"}]}
    first = _send(client, "post", "/api/v1/scheduled-receipts", rows, **{"Idempotency-Key": "erp-1"})
    assert first.json() == {"created": 1, "updated": 0, "unchanged": 0}
    ScheduledReceipt.objects.filter(reference="PO-1").update(quantity=Decimal("1"))
    retry = _send(client, "post", "/api/v1/scheduled-receipts", rows, **{"Idempotency-Key": "erp-1"})
    assert (retry.status_code, retry.json()) == (200, {"created": 1, "updated": 0, "unchanged": 0})
    assert ScheduledReceipt.objects.get(reference="PO-1").quantity == Decimal("1.000")  # not run again
    other = _send(
        client, "post", "/api/v1/scheduled-receipts", {"rows": [{"reference": "PO-2"}]}, **{"Idempotency-Key": "erp-1"}
    )
    assert other.status_code == 422
    assert [e["field"] for e in other.json()["errors"]] == ["Idempotency-Key"]


def test_sales_history_upsert(sop: Any) -> None:
    body = {"rows": [{"item": "CNC-100", "business_unit": "ind", "month": "2026-05", "quantity": 9}]}
    response = _send(login(sop.planner), "post", "/api/v1/sales-history", body)
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert SalesHistory.objects.get().quantity == Decimal("9.000")


def test_writes_need_supply_edit_and_reads_supply_view(sop: Any) -> None:
    rep = login(sop.rep)
    assert _send(rep, "post", "/api/v1/inventory", INVENTORY).status_code == 403
    assert _send(rep, "post", "/api/v1/supply/items", {"product_id": sop.p1.pk}).status_code == 403
    assert _send(rep, "post", "/api/v1/warehouses", {"code": "X", "name": "X"}).status_code == 403
    assert _send(rep, "patch", f"/api/v1/warehouses/{sop.wh.pk}", {"name": "改"}).status_code == 403
    assert rep.get("/api/v1/warehouses").status_code == 200
    assert not InventoryPosition.objects.exists()
    nobody = UserFactory(username="nobody")
    assert login(nobody).get("/api/v1/inventory").status_code == 403
    assert login(nobody).get(f"/api/v1/warehouses/{sop.wh.pk}").status_code == 404


def test_item_upsert_by_code_then_get_and_patch(sop: Any) -> None:
    client = login(sop.planner)
    created = _send(
        client, "post", "/api/v1/supply/items", {"product_code": "CNC-100", "make_or_buy": "make", "lead_time_days": 10}
    )
    assert created.status_code == 201, created.content
    assert (created.json()["product_id"], created.json()["lead_time_days"]) == (sop.p1.pk, 10)
    updated = _send(client, "post", "/api/v1/supply/items", {"product_id": sop.p1.pk, "moq": "25"})
    assert (updated.status_code, updated.json()["moq"], updated.json()["lead_time_days"]) == (200, "25.000", 10)
    bad = _send(client, "patch", f"/api/v1/supply/items/{sop.p1.pk}", {"lead_time_days": -2})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "lead_time_days", "message": gettext("Must not be negative.")}]
    assert client.get(f"/api/v1/supply/items/{sop.p2.pk}").status_code == 404  # not set up yet
    assert client.get(f"/api/v1/supply/items/{sop.p1.pk}").json()["make_or_buy"] == "make"
    listed = client.get("/api/v1/supply/items?q=CNC").json()["results"]
    assert [r["product_code"] for r in listed] == ["CNC-100"]
    assert SupplyItem.objects.count() == 1


def test_warehouses_and_lines(sop: Any) -> None:
    client = login(sop.planner)
    made = _send(client, "post", "/api/v1/warehouses", {"code": "GZ01", "name": "广州仓"})
    assert made.status_code == 201
    dup = _send(client, "post", "/api/v1/warehouses", {"code": "GZ01", "name": "又一个"})
    assert (dup.status_code, [e["field"] for e in dup.json()["errors"]]) == (422, ["code"])
    patched = _send(client, "patch", f"/api/v1/warehouses/{made.json()['id']}", {"is_active": False})
    assert patched.json()["is_active"] is False
    line = _send(client, "post", "/api/v1/production-lines", {"code": "L1", "name": "一号线", "capacity_per_month": -5})
    assert (line.status_code, [e["field"] for e in line.json()["errors"]]) == (422, ["capacity_per_month"])
    line = _send(
        client, "post", "/api/v1/production-lines", {"code": "L1", "name": "一号线", "capacity_per_month": 500}
    )
    assert (line.status_code, line.json()["capacity_per_month"]) == (201, "500.000")
    assert [r["code"] for r in client.get("/api/v1/production-lines").json()["results"]] == ["L1"]


def test_receipts_list_filters(sop: Any) -> None:
    client = login(sop.planner)
    rows = [
        {"reference": "PO-1", "item": "CNC-100", "due_date": "2027-01-15", "quantity": "40"},
        {"reference": "PO-2", "item": "CNC-200", "due_date": "2027-03-01", "quantity": "4", "is_open": False},
    ]
    _send(client, "post", "/api/v1/scheduled-receipts", {"rows": rows})
    assert [r["reference"] for r in client.get("/api/v1/scheduled-receipts").json()["results"]] == ["PO-1", "PO-2"]
    assert [r["reference"] for r in client.get("/api/v1/scheduled-receipts?open=true").json()["results"]] == ["PO-1"]
    due = client.get("/api/v1/scheduled-receipts?due_from=2027-02-01&due_to=2027-03-01").json()["results"]
    assert [r["reference"] for r in due] == ["PO-2"]
    bad = client.get("/api/v1/scheduled-receipts?due_from=soon")
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["due_from"])
