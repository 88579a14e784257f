"""The master data API: items, warehouses, production lines with their monthly capacities, and the
ERP's bulk upserts of capacities, inventory, receipts and sales history (422 naming row and field,
all-or-nothing, repeats applied once, Idempotency-Key)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.factories import UserFactory, grant
from tests.support.matrix import database_fingerprint
from tests.support.pipeline import ProductFactory
from xietong.core.models import AuditEntry
from xietong.org.defaults import ensure_default_roles
from xietong.supply.models import (
    InventoryPosition,
    LineCapacity,
    SalesHistory,
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


# --- production lines and their monthly capacities -------------------------------------------------------


def _line(client: Any, **fields: Any) -> dict[str, Any]:
    made = _send(client, "post", "/api/v1/production-lines", {"code": "L1", "name": "一号线", **fields})
    assert made.status_code == 201, made.content
    return made.json()


def _line_audits(line_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    entries = AuditEntry.objects.filter(content_type__model="productionline", object_id=str(line_id)).order_by("pk")
    return [(e.kind, e.verb, e.changes) for e in entries]


def test_production_line_get_and_patch_change_only_the_fields_sent(sop: Any) -> None:
    client = login(sop.planner)
    line = _line(client, capacity_per_month="800")
    _line(client, code="L2")
    got = client.get(f"/api/v1/production-lines/{line['id']}")
    assert (got.status_code, got.json()) == (
        200,
        {
            "id": line["id"],
            "code": "L1",
            "name": "一号线",
            "business_unit": None,
            "capacity_per_month": "800.000",
            "is_active": True,
        },
    )
    bu = sop.org["bu1"]
    patched = _send(
        client,
        "patch",
        f"/api/v1/production-lines/{line['id']}",
        {"name": "一号总装线", "business_unit_id": bu.pk, "capacity_per_month": 900},
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["name"], patched.json()["business_unit"], patched.json()["capacity_per_month"]) == (
        "一号总装线",
        {"id": bu.pk, "name": str(bu)},
        "900.000",
    )
    assert (patched.json()["code"], patched.json()["is_active"]) == ("L1", True)
    assert _line_audits(line["id"])[-1] == (
        "update",
        "",
        {
            "name": ["一号线", "一号总装线"],
            "business_unit": [None, str(bu)],
            "capacity_per_month": ["800.000", "900.000"],
        },
    )
    audits = AuditEntry.objects.count()
    again = _send(client, "patch", f"/api/v1/production-lines/{line['id']}", {"name": "一号总装线"})
    assert again.status_code == 200
    assert AuditEntry.objects.count() == audits  # nothing changed, nothing recorded


def test_production_line_patch_refuses_bad_fields_by_name_and_changes_nothing(sop: Any) -> None:
    client = login(sop.planner)
    line = _line(client, capacity_per_month="800")
    _line(client, code="L2")
    url = f"/api/v1/production-lines/{line['id']}"
    cases = [
        ({"capacity_per_month": -1}, [{"field": "capacity_per_month", "message": gettext("Must not be negative.")}]),
        ({"code": "L2"}, [{"field": "code", "message": gettext("Another production line has this code.")}]),
        (
            {"business_unit_id": 999999},
            [{"field": "business_unit_id", "message": gettext("Choose an existing business unit.")}],
        ),
        ({"name": "  "}, [{"field": "name", "message": gettext("This field is required.")}]),
    ]
    for body, errors in cases:
        response = _send(client, "patch", url, body)
        assert (response.status_code, response.json()["errors"]) == (422, errors), body
    assert client.get(url).json() == line
    assert client.get("/api/v1/production-lines/999999").status_code == 404
    assert _send(client, "patch", "/api/v1/production-lines/999999", {"name": "X"}).status_code == 404


def test_capacities_upsert_then_list_and_a_repeat_is_applied_once(sop: Any) -> None:
    client = login(sop.planner)
    line = _line(client, capacity_per_month="800")
    url = f"/api/v1/production-lines/{line['id']}/capacities"
    body = {"rows": [{"month": "2027-01", "capacity": 400}, {"month": "2027-03-15", "capacity": "0"}]}
    first = _send(client, "put", url, body)
    assert (first.status_code, first.json()) == (200, {"created": 2, "updated": 0, "unchanged": 0, "removed": 0})
    assert _line_audits(line["id"])[-1] == (
        "update",
        "capacity_set",
        {"capacity 2027-01": [None, "400.000"], "capacity 2027-03": [None, "0.000"]},
    )
    audits = AuditEntry.objects.count()
    again = _send(client, "put", url, body)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "removed": 0}
    assert AuditEntry.objects.count() == audits
    assert client.get(url).json() == [
        {"month": "2027-01-01", "capacity": "400.000"},
        {"month": "2027-03-01", "capacity": "0.000"},
    ]
    assert client.get(url + "?from=2027-02&to=2027-03").json() == [{"month": "2027-03-01", "capacity": "0.000"}]
    assert client.get(url + "?to=2027-01-31").json() == [{"month": "2027-01-01", "capacity": "400.000"}]
    change = {"rows": [{"month": "2027-01", "capacity": None}, {"month": "2027-03", "capacity": "250.5"}]}
    changed = _send(client, "put", url, change)
    assert changed.json() == {"created": 0, "updated": 1, "unchanged": 0, "removed": 1}
    assert _line_audits(line["id"])[-1] == (
        "update",
        "capacity_set",
        {"capacity 2027-01": ["400.000", None], "capacity 2027-03": ["0.000", "250.500"]},
    )
    assert list(LineCapacity.objects.values_list("month", "capacity")) == [
        (datetime.date(2027, 3, 1), Decimal("250.500"))
    ]
    # the page shows what the API wrote
    page = client.get(f"/sop/lines/{line['id']}/")
    assert [(c.month, c.capacity) for c in page.context["capacities"]] == [
        (datetime.date(2027, 3, 1), Decimal("250.500"))
    ]
    bad = client.get(url + "?from=soon")
    assert (bad.status_code, bad.json()["errors"]) == (
        422,
        [{"field": "from", "message": gettext("Enter a month, e.g. 2026-11.")}],
    )


def test_bad_capacity_rows_answer_422_naming_row_and_field_and_write_nothing(sop: Any) -> None:
    client = login(sop.planner)
    line = _line(client, capacity_per_month="800")
    url = f"/api/v1/production-lines/{line['id']}/capacities"
    audits = AuditEntry.objects.count()
    body = {
        "rows": [
            {"month": "2027-01", "capacity": 400},
            {"month": "2027-02", "capacity": -5},
            {"capacity": 10},
            {"month": "2027-01-20", "capacity": 300},
            {"month": "2027-04"},
            {"month": "later", "capacity": "1.2345"},
        ]
    }
    response = _send(client, "put", url, body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "rows.2.capacity", "message": gettext("Must not be negative.")},
        {"field": "rows.3.month", "message": gettext("This field is required.")},
        {"field": "rows.4.month", "message": gettext("The same month is in row %(row)d.") % {"row": 1}},
        {"field": "rows.5.capacity", "message": gettext("This field is required.")},
        {"field": "rows.6.month", "message": gettext("Enter a month, e.g. 2026-11.")},
        {"field": "rows.6.capacity", "message": gettext("At most three decimal places.")},
    ]
    assert not LineCapacity.objects.exists()
    assert AuditEntry.objects.count() == audits
    empty = _send(client, "put", url, {"rows": []})
    assert (empty.status_code, empty.json()["errors"]) == (
        422,
        [{"field": "rows", "message": gettext("Send at least one row.")}],
    )


def test_capacities_idempotency_key_returns_the_first_answer_and_is_bound_to_the_line(sop: Any) -> None:
    client = login(sop.planner)
    one = _line(client)
    two = _line(client, code="L2")
    body = {"rows": [{"month": "2027-05", "capacity": 100}]}
    key = {"Idempotency-Key": "erp-cap-1"}
    first = _send(client, "put", f"/api/v1/production-lines/{one['id']}/capacities", body, **key)
    assert first.json() == {"created": 1, "updated": 0, "unchanged": 0, "removed": 0}
    LineCapacity.objects.update(capacity=Decimal("7"))
    retry = _send(client, "put", f"/api/v1/production-lines/{one['id']}/capacities", body, **key)
    assert (retry.status_code, retry.json()) == (200, {"created": 1, "updated": 0, "unchanged": 0, "removed": 0})
    assert LineCapacity.objects.get().capacity == Decimal("7.000")  # not run again
    other = _send(client, "put", f"/api/v1/production-lines/{two['id']}/capacities", body, **key)
    assert (other.status_code, [e["field"] for e in other.json()["errors"]]) == (422, ["Idempotency-Key"])
    assert LineCapacity.objects.count() == 1


def test_lines_and_capacities_need_supply_view_to_read_and_edit_to_write(sop: Any) -> None:
    line = _line(login(sop.planner), capacity_per_month="800")
    _send(
        login(sop.planner),
        "put",
        f"/api/v1/production-lines/{line['id']}/capacities",
        {"rows": [{"month": "2027-01", "capacity": 400}]},
    )
    url = f"/api/v1/production-lines/{line['id']}"
    watched = ["supply.ProductionLine", "supply.LineCapacity", "core.AuditEntry"]
    before = database_fingerprint(watched)
    rep = login(sop.rep)
    assert rep.get(url).json()["code"] == "L1"
    assert rep.get(url + "/capacities").json() == [{"month": "2027-01-01", "capacity": "400.000"}]
    assert _send(rep, "patch", url, {"name": "改"}).status_code == 403
    assert _send(rep, "put", url + "/capacities", {"rows": [{"month": "2027-01", "capacity": 1}]}).status_code == 403
    nobody = login(UserFactory(username="nobody"))
    assert nobody.get("/api/v1/production-lines").status_code == 403
    assert nobody.get(url).status_code == 404
    assert nobody.get(url + "/capacities").status_code == 404
    assert _send(nobody, "patch", url, {"name": "改"}).status_code == 404
    assert _send(nobody, "put", url + "/capacities", {"rows": [{"month": "2027-01", "capacity": 1}]}).status_code == 404
    assert database_fingerprint(watched) == before
