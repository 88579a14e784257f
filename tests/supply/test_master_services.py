"""Master data services: validation naming the field (and the row of a bulk upsert), all-or-nothing
bulk upserts, idempotent repeats (nothing changed, no second audit entry), permissions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from tests.support.factories import UserFactory, grant
from tests.support.pipeline import ProductFactory
from xietong.core.models import AuditEntry
from xietong.org.defaults import ensure_default_roles
from xietong.supply import master_services as services
from xietong.supply.models import (
    InventoryPosition,
    LineCapacity,
    ProductionLine,
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
    wh1 = Warehouse.objects.create(code="SH01", name="上海总仓")
    wh2 = Warehouse.objects.create(code="BJ01", name="北京仓")
    p1 = ProductFactory(code="CNC-100", name="数控车床")
    p2 = ProductFactory(code="CNC-200", name="加工中心")
    return SimpleNamespace(org=org, planner=planner, rep=rep, wh1=wh1, wh2=wh2, p1=p1, p2=p2)


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def _audits() -> int:
    return AuditEntry.objects.count()


# --- supply items -----------------------------------------------------------------------------------


def test_item_upsert_creates_the_item_on_first_save_then_changes_only_given_fields(sop: Any) -> None:
    item = services.item_upsert(actor=sop.planner, product=sop.p1, make_or_buy="make", lead_time_days=14, moq="50")
    assert (item.make_or_buy, item.lead_time_days, item.moq, item.lot_size) == ("make", 14, Decimal("50.000"), 0)
    services.item_upsert(actor=sop.planner, product=sop.p1.pk, lot_size="10")
    item.refresh_from_db()
    assert (item.lead_time_days, item.moq, item.lot_size) == (14, Decimal("50.000"), Decimal("10.000"))
    assert SupplyItem.objects.count() == 1


def test_item_upsert_with_the_same_values_writes_no_audit_entry(sop: Any) -> None:
    services.item_upsert(actor=sop.planner, product=sop.p1, lead_time_days=7)
    before = _audits()
    services.item_upsert(actor=sop.planner, product=sop.p1, lead_time_days=7)
    assert _audits() == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"lead_time_days": -1}, "lead_time_days", "Must not be negative."),
        ({"lead_time_days": "2.5"}, "lead_time_days", "Enter a whole number of days (0 or more)."),
        ({"moq": "-5"}, "moq", "Must not be negative."),
        ({"lot_size": "1.0001"}, "lot_size", "At most three decimal places."),
        ({"lot_size": 1e308}, "lot_size", "The number is too large."),  # not an error from rounding it
        ({"moq": "1e30"}, "moq", "The number is too large."),
        ({"safety_stock": "abc"}, "safety_stock", "Enter a number, e.g. 10 or 2.5."),
        ({"make_or_buy": "steal"}, "make_or_buy", None),
    ],
)
def test_item_upsert_refuses_bad_values_naming_the_field(
    sop: Any, fields: dict[str, Any], field: str, message: str | None
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.item_upsert(actor=sop.planner, product=sop.p1, **fields)
    assert list(_errors(exc)) == [field]
    if message:
        assert _errors(exc)[field] == [gettext(message)]
    assert not SupplyItem.objects.exists()


def test_days_of_cover_need_days_and_service_level_its_range(sop: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.item_upsert(actor=sop.planner, product=sop.p1, safety_stock_method="days")
    assert list(_errors(exc)) == ["safety_days"]
    with pytest.raises(ValidationError) as exc:
        services.item_upsert(actor=sop.planner, product=sop.p1, safety_stock_method="service", service_level="0.4")
    assert list(_errors(exc)) == ["service_level"]
    with pytest.raises(ValidationError) as exc:
        services.item_upsert(actor=sop.planner, product=sop.p1, safety_stock_method="service", service_level="1")
    assert list(_errors(exc)) == ["service_level"]
    item = services.item_upsert(actor=sop.planner, product=sop.p1, safety_stock_method="service", service_level="0.98")
    assert item.service_level == Decimal("0.980")
    item = services.item_upsert(actor=sop.planner, product=sop.p1, safety_stock_method="days", safety_days=10)
    assert (item.safety_stock_method, item.safety_days) == ("days", 10)


def test_item_upsert_requires_supply_edit(sop: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.item_upsert(actor=sop.rep, product=sop.p1, lead_time_days=3)
    assert not SupplyItem.objects.exists()


# --- warehouses and lines -------------------------------------------------------------------------------


def test_warehouse_code_is_unique_and_update_audits_the_change(sop: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.warehouse_create(actor=sop.planner, code="SH01", name="重复")
    assert list(_errors(exc)) == ["code"]
    wh = services.warehouse_create(actor=sop.planner, code="GZ01", name="广州仓", business_unit=sop.org["bu1"].pk)
    assert wh.business_unit == sop.org["bu1"]
    services.warehouse_update(actor=sop.planner, warehouse=wh, name="广州新仓")
    entry = AuditEntry.objects.filter(object_id=str(wh.pk), kind="update").get()
    assert entry.changes == {"name": ["广州仓", "广州新仓"]}


def test_negative_line_capacity_is_refused_naming_the_field(sop: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.line_create(actor=sop.planner, code="L1", name="一号线", capacity_per_month="-1")
    assert _errors(exc) == {"capacity_per_month": [gettext("Must not be negative.")]}
    assert not ProductionLine.objects.exists()


def test_line_capacity_set_overrides_a_month_and_none_removes_it(sop: Any) -> None:
    line = services.line_create(actor=sop.planner, code="L1", name="一号线", capacity_per_month="1000")
    cap = services.line_capacity_set(actor=sop.planner, line=line, month=datetime.date(2027, 2, 15), capacity="400")
    assert cap is not None and (cap.month, cap.capacity) == (datetime.date(2027, 2, 1), Decimal("400.000"))
    before = _audits()
    services.line_capacity_set(actor=sop.planner, line=line, month="2027-02", capacity="400")
    assert _audits() == before
    with pytest.raises(ValidationError) as exc:
        services.line_capacity_set(actor=sop.planner, line=line, month="2027-02", capacity="-3")
    assert list(_errors(exc)) == ["capacity"]
    assert services.line_capacity_set(actor=sop.planner, line=line, month="2027-02", capacity=None) is None
    assert not LineCapacity.objects.exists()


# --- bulk: inventory ------------------------------------------------------------------------------------


def _inventory_rows() -> list[dict[str, Any]]:
    return [
        {"item": "CNC-100", "warehouse": "SH01", "on_hand": "120", "allocated": "20", "in_transit": "5"},
        {"item": "CNC-100", "warehouse": "BJ01", "on_hand": 30},
        {"item": "CNC-200", "warehouse": "SH01", "on_hand": "7.5", "allocated": 0, "in_transit": 0},
    ]


def test_inventory_upsert_sets_positions_and_a_repeat_changes_nothing(sop: Any) -> None:
    counts = services.inventory_upsert(actor=sop.planner, rows=_inventory_rows())
    assert counts == {"created": 3, "updated": 0, "unchanged": 0}
    pos = InventoryPosition.objects.get(item__product=sop.p1, warehouse=sop.wh1)
    assert (pos.on_hand, pos.allocated, pos.in_transit, pos.source) == (
        Decimal("120.000"),
        Decimal("20.000"),
        Decimal("5.000"),
        "api",
    )
    assert SupplyItem.objects.count() == 2  # created for the products on first use
    audits, updated_at = _audits(), pos.updated_at
    again = services.inventory_upsert(actor=sop.planner, rows=_inventory_rows())
    assert again == {"created": 0, "updated": 0, "unchanged": 3}
    assert _audits() == audits
    pos.refresh_from_db()
    assert pos.updated_at == updated_at


def test_inventory_upsert_sets_rather_than_adds(sop: Any) -> None:
    services.inventory_upsert(actor=sop.planner, rows=_inventory_rows())
    counts = services.inventory_upsert(
        actor=sop.planner, rows=[{"item": "CNC-100", "warehouse": "SH01", "on_hand": "100"}]
    )
    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    pos = InventoryPosition.objects.get(item__product=sop.p1, warehouse=sop.wh1)
    assert (pos.on_hand, pos.allocated) == (Decimal("100.000"), Decimal("20.000"))
    entry = AuditEntry.objects.filter(object_id=str(pos.pk), kind="update").get()
    assert entry.changes == {"on_hand": ["120.000", "100.000"]}


def test_inventory_upsert_reports_every_bad_row_and_applies_nothing(sop: Any) -> None:
    rows = [
        {"item": "CNC-100", "warehouse": "SH01", "on_hand": "10"},
        {"item": "NOPE", "warehouse": "SH01", "on_hand": "-1"},
        {"item": "CNC-200", "warehouse": "XX", "allocated": "x"},
        {"item": "CNC-100", "warehouse": "SH01", "on_hand": "11"},
    ]
    with pytest.raises(ValidationError) as exc:
        services.inventory_upsert(actor=sop.planner, rows=rows)
    assert services.row_errors(exc.value) == [
        {"row": 2, "field": "item", "message": gettext("No product has the code %(code)s.") % {"code": "NOPE"}},
        {"row": 2, "field": "on_hand", "message": gettext("Must not be negative.")},
        {"row": 3, "field": "allocated", "message": gettext("Enter a number, e.g. 10 or 2.5.")},
        {"row": 3, "field": "warehouse", "message": gettext("No warehouse has the code %(code)s.") % {"code": "XX"}},
        {
            "row": 4,
            "field": "item",
            "message": gettext("The same product and warehouse are in row %(row)d.") % {"row": 1},
        },
    ]
    assert "rows.2.on_hand" in exc.value.message_dict
    assert not InventoryPosition.objects.exists()
    assert not SupplyItem.objects.exists()


def test_bulk_upserts_require_supply_edit_and_rows(sop: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.inventory_upsert(actor=sop.rep, rows=_inventory_rows())
    with pytest.raises(ValidationError) as exc:
        services.inventory_upsert(actor=sop.planner, rows=[])
    assert list(_errors(exc)) == ["rows"]


# --- bulk: receipts and history ---------------------------------------------------------------------------


def test_receipts_upsert_is_keyed_by_reference_and_applied_once(sop: Any) -> None:
    rows = [
        {"reference": "PO-1", "item": "CNC-100", "kind": "purchase", "due_date": "2027-01-15", "quantity": "40"},
        {
            "reference": "MO-7",
            "item": "CNC-200",
            "kind": "Production order",
            "due_date": "2027/2/1",
            "quantity": 5,
            "is_open": "是",
        },
    ]
    assert services.receipts_upsert(actor=sop.planner, rows=rows) == {"created": 2, "updated": 0, "unchanged": 0}
    mo = ScheduledReceipt.objects.get(reference="MO-7")
    assert (mo.kind, mo.due_date, mo.quantity, mo.is_open) == (
        "production",
        datetime.date(2027, 2, 1),
        Decimal("5.000"),
        True,
    )
    audits = _audits()
    assert services.receipts_upsert(actor=sop.planner, rows=rows) == {"created": 0, "updated": 0, "unchanged": 2}
    assert _audits() == audits
    counts = services.receipts_upsert(actor=sop.planner, rows=[{"reference": "PO-1", "is_open": False}])
    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    assert ScheduledReceipt.objects.get(reference="PO-1").is_open is False


def test_a_new_receipt_needs_item_date_and_quantity(sop: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.receipts_upsert(actor=sop.planner, rows=[{"reference": "PO-9", "quantity": "-2"}])
    assert sorted(exc.value.message_dict) == ["rows.1.due_date", "rows.1.item", "rows.1.quantity"]
    assert exc.value.message_dict["rows.1.quantity"] == [gettext("Must not be negative.")]
    assert not ScheduledReceipt.objects.exists()


def test_history_upsert_by_bu_code_or_name_and_month(sop: Any) -> None:
    rows = [
        {"item": "CNC-100", "business_unit": "ind", "month": "2026-03", "quantity": "12"},
        {"item": "CNC-100", "business_unit": "医疗器械事业部", "month": "2026年4月", "quantity": "3"},
    ]
    assert services.history_upsert(actor=sop.planner, rows=rows) == {"created": 2, "updated": 0, "unchanged": 0}
    got = sorted(SalesHistory.objects.values_list("business_unit__code", "month", "quantity"))
    assert got == [
        ("ind", datetime.date(2026, 3, 1), Decimal("12.000")),
        ("med", datetime.date(2026, 4, 1), Decimal("3.000")),
    ]
    assert services.history_upsert(actor=sop.planner, rows=rows) == {"created": 0, "updated": 0, "unchanged": 2}
    rows[0]["quantity"] = "13"
    assert services.history_upsert(actor=sop.planner, rows=rows) == {"created": 0, "updated": 1, "unchanged": 1}
    with pytest.raises(ValidationError) as exc:
        services.history_upsert(
            actor=sop.planner, rows=[{"item": "CNC-100", "business_unit": "无", "month": "三月", "quantity": "1"}]
        )
    assert sorted(exc.value.message_dict) == ["rows.1.business_unit", "rows.1.month"]
