"""What the catalogue adds to the shared surfaces (imported from ``CatalogConfig.ready``, no I/O):
the navigation, the global search, record links and labels of the audit trail, and who reads the
history of the shared category tree."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from xietong.core import audit, components, navigation, search
from xietong.core.choices import DataScope
from xietong.core.navigation import NavItem
from xietong.core.search import SearchHit, SearchProvider

MODULE = "catalog"

# --- navigation -------------------------------------------------------------------------------

navigation.register(
    NavItem(
        "pipeline",
        gettext_lazy("Products"),
        "catalog:product_list",
        "box-seam",
        order=40,
        visible=lambda user: bool(user.access.can(MODULE, "view")),
    )
)
navigation.register(
    NavItem(
        "settings",
        gettext_lazy("Product categories"),
        "catalog:category_list",
        "diagram-3",
        order=70,
        visible=lambda user: user.access.widest_scope(MODULE, "administer") >= DataScope.GROUP,
    )
)

# --- global search ------------------------------------------------------------------------------


def search_products(user: Any, q: str, limit: int) -> list[SearchHit]:
    from . import selectors

    return [
        SearchHit(
            title=product.name,
            subtitle=" · ".join(
                part
                for part in (
                    product.code,
                    product.specification,
                    product.business_unit.name if product.business_unit_id else "",  # type: ignore[union-attr]
                )
                if part
            ),
            url=reverse("catalog:product_detail", args=[product.pk]),
        )
        for product in selectors.product_search(user=user, q=q, limit=limit)
    ]


search.register(SearchProvider("products", gettext_lazy("Products"), "box-seam", search_products, order=50))

# --- the audit trail ----------------------------------------------------------------------------

components.register_record_url("catalog.product", "catalog:product_detail")
# the category tree is shared configuration: everyone who reads the catalogue reads its history
audit.register_access("catalog.productcategory", lambda user: bool(user.access.can(MODULE, "view")))

for _verb, _label in (
    ("category_move", gettext_lazy("moved the category")),
    ("category_deactivate", gettext_lazy("deactivated the category")),
    ("product_status", gettext_lazy("changed the product's status")),
):
    audit.register_verb(_verb, _label)
