from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

# supply (供应): master data per product (make/buy, lead time, MOQ, lot size, safety stock),
# warehouses, production lines and capacity, inventory positions, scheduled receipts, the supply
# plan and its planned orders. Reference data of the whole group (unscoped): "view" reads it (sales read
# stock and available-to-promise), "edit" changes it and decides planned orders.
modules.register(
    "supply", _("Supply planning and inventory"), actions=("view", "edit", "export"), scoped=False, order=260
)

# demand (需求计划): demand plans per month, their lines per product × BU × month, sales overrides,
# statistical forecasts. Lines belong to a business unit: sales adjust their BU's lines ("edit"),
# planners make versions and run forecasts ("create"), executives sign off through the approval
# engine.
modules.register("demand", _("Demand planning (S&OP)"), actions=("view", "create", "edit", "export"), order=250)

# A BU head holds at least what the planners of the BU hold, so the head can manage their accounts.
add_module_defaults(
    "supply",
    {
        "bu_head": (DataScope.GROUP, {"view", "edit", "export"}),
        "sales_manager": (DataScope.GROUP, {"view"}),
        "sales_rep": (DataScope.GROUP, {"view"}),
        "presales": (DataScope.GROUP, {"view"}),
        "supply_planner": (DataScope.GROUP, {"view", "edit", "export"}),
        "production_planner": (DataScope.GROUP, {"view", "edit", "export"}),
        "operations": (DataScope.GROUP, {"view"}),
        "finance": (DataScope.GROUP, {"view"}),
    },
)
add_module_defaults(
    "demand",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "export"}),
        "sales_manager": (DataScope.BUSINESS_UNIT, {"view", "edit"}),
        "sales_rep": (DataScope.BUSINESS_UNIT, {"view"}),
        "supply_planner": (DataScope.BUSINESS_UNIT, {"view", "create", "export"}),
        "production_planner": (DataScope.BUSINESS_UNIT, {"view", "export"}),
        "operations": (DataScope.BUSINESS_UNIT, {"view"}),
    },
)
