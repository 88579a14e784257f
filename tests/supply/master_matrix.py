"""The master data pages and API of S&OP: reference data of the whole group, so there is no foreign
record to hide from a role that holds "supply" at all. The matrix here is the other side: a user
without any "supply" permission gets 404 or 403 from every one of these routes and changes nothing.
``record`` is "supply" — a dict of one warehouse, production line, receipt and product
(``{pk}`` is filled from the record the route names through ``extra``)."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route


def _pk(kind: str) -> Any:
    return lambda records: records[kind].pk


_WH = {"pk": _pk("warehouse")}
_LINE = {"pk": _pk("line")}
_RECEIPT = {"pk": _pk("receipt")}
_PRODUCT = {"pk": _pk("product")}


class Records(dict[str, Any]):
    """The matrix's ``record``: ``Route.url`` reads ``record.pk`` first, then the ``extra`` slots."""

    pk = 0


ROUTES: list[Route] = [
    Route("GET", "/sop/items/", "supply"),
    Route("GET", "/sop/items/{pk}/edit/", "supply", extra=_PRODUCT),
    Route(
        "POST",
        "/sop/items/{pk}/edit/",
        "supply",
        {"make_or_buy": "make", "safety_stock_method": "fixed"},
        extra=_PRODUCT,
    ),
    Route("GET", "/sop/warehouses/", "supply"),
    Route("GET", "/sop/warehouses/new/", "supply"),
    Route("POST", "/sop/warehouses/new/", "supply", {"code": "NEW", "name": "新仓"}),
    Route("GET", "/sop/warehouses/{pk}/edit/", "supply", extra=_WH),
    Route("POST", "/sop/warehouses/{pk}/edit/", "supply", {"code": "SH01", "name": "改名"}, extra=_WH),
    Route("GET", "/sop/lines/", "supply"),
    Route("GET", "/sop/lines/new/", "supply"),
    Route("POST", "/sop/lines/new/", "supply", {"code": "L9", "name": "九号线", "capacity_per_month": "1"}),
    Route("GET", "/sop/lines/{pk}/", "supply", extra=_LINE),
    Route("GET", "/sop/lines/{pk}/edit/", "supply", extra=_LINE),
    Route(
        "POST", "/sop/lines/{pk}/edit/", "supply", {"code": "L1", "name": "改", "capacity_per_month": "1"}, extra=_LINE
    ),
    Route("POST", "/sop/lines/{pk}/capacity/", "supply", {"month": "2027-01", "capacity": "1"}, extra=_LINE),
    Route("GET", "/sop/inventory/", "supply"),
    Route("GET", "/sop/inventory/upload/", "supply"),
    Route("POST", "/sop/inventory/upload/", "supply", {}),
    Route("GET", "/sop/receipts/", "supply"),
    Route("GET", "/sop/receipts/new/", "supply"),
    Route("GET", "/sop/receipts/{pk}/edit/", "supply", extra=_RECEIPT),
    Route("POST", "/sop/receipts/{pk}/edit/", "supply", {"reference": "PO-1", "quantity": "1"}, extra=_RECEIPT),
    Route("GET", "/sop/receipts/upload/", "supply"),
    Route("GET", "/sop/history/upload/", "supply"),
    Route("GET", "/api/v1/supply/items", "supply", api=True),
    Route("POST", "/api/v1/supply/items", "supply", {"product_code": "CNC-100", "moq": "1"}, api=True),
    Route("GET", "/api/v1/supply/items/{pk}", "supply", api=True, extra=_PRODUCT),
    Route("PATCH", "/api/v1/supply/items/{pk}", "supply", {"moq": "1"}, api=True, extra=_PRODUCT),
    Route("GET", "/api/v1/warehouses", "supply", api=True),
    Route("POST", "/api/v1/warehouses", "supply", {"code": "NEW", "name": "新仓"}, api=True),
    Route("GET", "/api/v1/warehouses/{pk}", "supply", api=True, extra=_WH),
    Route("PATCH", "/api/v1/warehouses/{pk}", "supply", {"name": "改名"}, api=True, extra=_WH),
    Route("GET", "/api/v1/production-lines", "supply", api=True),
    Route("POST", "/api/v1/production-lines", "supply", {"code": "L9", "name": "九号线"}, api=True),
    Route("GET", "/api/v1/production-lines/{pk}", "supply", api=True, extra=_LINE),
    Route("PATCH", "/api/v1/production-lines/{pk}", "supply", {"name": "改"}, api=True, extra=_LINE),
    Route("GET", "/api/v1/production-lines/{pk}/capacities", "supply", api=True, extra=_LINE),
    Route(
        "PUT",
        "/api/v1/production-lines/{pk}/capacities",
        "supply",
        {"rows": [{"month": "2027-01", "capacity": "1"}]},
        api=True,
        extra=_LINE,
    ),
    Route("GET", "/api/v1/inventory", "supply", api=True),
    Route(
        "POST",
        "/api/v1/inventory",
        "supply",
        {"rows": [{"item": "CNC-100", "warehouse": "SH01", "on_hand": "1"}]},
        api=True,
    ),
    Route("GET", "/api/v1/scheduled-receipts", "supply", api=True),
    Route(
        "POST",
        "/api/v1/scheduled-receipts",
        "supply",
        {"rows": [{"reference": "PO-1", "quantity": "2"}]},
        api=True,
    ),
    Route(
        "POST",
        "/api/v1/sales-history",
        "supply",
        {"rows": [{"item": "CNC-100", "business_unit": "ind", "month": "2026-01", "quantity": "1"}]},
        api=True,
    ),
]


_REFERENCE = (
    "S&OP master data is reference data of the whole group: whoever holds supply view reads it, supply "
    "edit changes it (403 otherwise), no supply permission: 403/404 (tests/supply/test_master_pages.py::"
    "test_no_supply_role_cannot_reach_master_pages)"
)

# for tests/test_permission_matrix.py: the routes with an id here address no scoped record
NOT_SCOPED: dict[str, str] = {
    "sop/items/*/edit/": _REFERENCE,
    "sop/warehouses/*/edit/": _REFERENCE,
    "sop/lines/*/": _REFERENCE,
    "sop/lines/*/edit/": _REFERENCE,
    "sop/lines/*/capacity/": _REFERENCE,
    "sop/receipts/*/edit/": _REFERENCE,
    "api/v1/supply/items/*": _REFERENCE,
    "api/v1/warehouses/*": _REFERENCE,
    "api/v1/production-lines/*": _REFERENCE,
    "api/v1/production-lines/*/capacities": _REFERENCE,
}


def records() -> Records:
    """One of each record the routes address (made without a service: no actor needed)."""
    import datetime

    from tests.support.pipeline import ProductFactory
    from xietong.supply.models import ProductionLine, ScheduledReceipt, SupplyItem, Warehouse

    product = ProductFactory(code="CNC-100", name="数控车床")
    item = SupplyItem.objects.create(product=product)
    found = Records(
        warehouse=Warehouse.objects.create(code="SH01", name="上海总仓"),
        line=ProductionLine.objects.create(code="L1", name="一号线"),
        product=product,
    )
    found["receipt"] = ScheduledReceipt.objects.create(
        reference="PO-1", item=item, due_date=datetime.date(2027, 1, 1), quantity=5
    )
    return found
