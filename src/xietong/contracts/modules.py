from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# contracts (合同). "administer": the BU's contract number patterns.
modules.register("contracts", _("Contracts"), actions=ALL, order=220)

add_module_defaults(
    "contracts",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, set(ALL)),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
        "operations": (DataScope.BUSINESS_UNIT, {"view"}),
        "finance": (DataScope.BUSINESS_UNIT, {"view", "edit", "export"}),
    },
)
