"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records.

The foreign record is a product of BU2: every built-in role reads the catalogue of its own BU (and the
whole group's products, tests/catalog/test_matrix.py), so a BU2 product answers 404 to all of them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.matrix import Route
from tests.support.pipeline import ProductFactory

PRODUCT_FORM = {
    "code": "X-1",
    "name": "改名",
    "unit": "台",
    "list_price": "1",
    "tax_rate": "13",
    "status": "active",
    "business_unit": "group",
}

ROUTES: list[Route] = [
    # pages
    Route("GET", "/catalog/products/{pk}/", "product"),
    Route("GET", "/catalog/products/{pk}/edit/", "product"),
    Route("POST", "/catalog/products/{pk}/edit/", "product", PRODUCT_FORM),
    Route("GET", "/catalog/products/{pk}/image/", "product"),
    Route("GET", "/catalog/products/{pk}/history/", "product"),
    Route("GET", "/catalog/products/{pk}/why/", "product"),
    # the API
    Route("GET", "/api/v1/products/{pk}", "product", api=True),
    Route("PATCH", "/api/v1/products/{pk}", "product", {"name": "改名"}, api=True),
    Route("POST", "/api/v1/products/{pk}/image", "product", api=True),  # no file: the product is looked up first
    Route("DELETE", "/api/v1/products/{pk}/image", "product", api=True),
]

NOT_SCOPED: dict[str, str] = {
    "catalog/categories/*/edit/": "the category tree is shared configuration, not business data: everyone with "
    "catalogue view reads it, only catalogue administrators of the whole group change it (403 otherwise; "
    "tests/catalog/test_views.py)",
    "api/v1/product-categories/*": "the shared category tree, like catalog/categories/*/edit/ "
    "(tests/catalog/test_api.py)",
}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """A product of BU2 (with a cost, and a history entry-free row made directly)."""
    product = ProductFactory(
        code="MED-X-1",
        name="外部监护仪",
        specification="外部规格",
        list_price=Decimal("36000.00"),
        cost=Decimal("21000.00"),
        product_line="外部产品线",
        business_unit=org["bu2"],
    )
    return {"product": product}
