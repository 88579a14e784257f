from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

# orders (订单) and their shipments. Sales create orders from signed contracts; operations confirm,
# schedule and ship them ("edit"); finance reads them for credit control.
modules.register("orders", _("Orders and shipments"), actions=("view", "create", "edit", "export"), order=230)

add_module_defaults(
    "orders",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "export"}),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create"}),
        "operations": (DataScope.BUSINESS_UNIT, {"view", "edit", "export"}),
        "supply_planner": (DataScope.BUSINESS_UNIT, {"view"}),
        "production_planner": (DataScope.BUSINESS_UNIT, {"view"}),
        "finance": (DataScope.BUSINESS_UNIT, {"view", "export"}),
    },
)
