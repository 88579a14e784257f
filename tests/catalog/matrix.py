"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records.

The foreign record is a product of BU2. Note the catalogue's defaults (catalog/modules.py): most
built-in roles read the whole group's catalogue (scope "group"), so for them a BU2 product is *inside*
the scope by design; only the roles with a narrower catalogue scope (the BU head) and users without
the catalogue get 404. ``OUT_OF_SCOPE_ROLES`` says which; tests/catalog/test_matrix.py runs the routes
for exactly those and proves the others see the product but cannot change it."""

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
]

NOT_SCOPED: dict[str, str] = {
    "catalog/categories/*/edit/": "the category tree is shared configuration, not business data: everyone with "
    "catalogue view reads it, only catalogue administrators of the whole group change it (403 otherwise; "
    "tests/catalog/test_views.py)",
    "api/v1/product-categories/*": "the shared category tree, like catalog/categories/*/edit/ "
    "(tests/catalog/test_api.py)",
}

# built-in roles (org/defaults.py codes) for which a product of BU2 is outside the catalogue scope
OUT_OF_SCOPE_ROLES = ("bu_head",)


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """A product of BU2 (with a cost, and a history entry-free row made directly). Its words match none
    of the matrix's list searches ("外", "华北", "医疗", "med" …): most roles read the whole group's
    catalogue, where the product and its BU's name rightly show; tests/catalog covers the others."""
    product = ProductFactory(
        code="BU2-X-1",
        name="监护仪X",
        specification="规格X",
        list_price=Decimal("36000.00"),
        cost=Decimal("21000.00"),
        product_line="监护产品线",
        business_unit=org["bu2"],
    )
    return {"product": product}
