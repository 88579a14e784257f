"""The product list as Excel or CSV (core/exports.py: formula-safe, visibility applied by the caller).

The cost column is there only for people who may edit products, and filled only on the rows they
may edit (``selectors.with_editable``): whoever only reads the catalogue never sees costs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.exports import Column


def _bu(product: Any) -> str:
    return product.business_unit.name if product.business_unit_id else str(_("The whole group"))


PRODUCT_COLUMNS = [
    Column(_("Product code"), lambda p: p.code, width=16),
    Column(pgettext_lazy("product", "Name"), lambda p: p.name, width=28),
    Column(_("Specification"), lambda p: p.specification, width=24),
    Column(_("Unit"), lambda p: p.unit, width=8),
    Column(_("List price"), lambda p: p.list_price, width=14),
    Column(_("Tax rate (%)"), lambda p: p.tax_rate, width=10),
    Column(_("Product line"), lambda p: p.product_line, width=14),
    Column(_("Category"), lambda p: p.category.name if p.category_id else "", width=16),
    Column(
        _("Business unit"), lambda p: p.business_unit.name if p.business_unit_id else _("The whole group"), width=16
    ),
    Column(_("Status"), lambda p: p.get_status_display(), width=10),
]
COST_COLUMN = Column(_("Cost"), lambda p: p.cost if getattr(p, "editable", False) else None, width=14)


def product_columns(*, with_cost: bool) -> list[Column]:
    if not with_cost:
        return list(PRODUCT_COLUMNS)
    return [*PRODUCT_COLUMNS[:5], COST_COLUMN, *PRODUCT_COLUMNS[5:]]
