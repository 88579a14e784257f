from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "approve", "administer")

# customers, their BU relationships, contacts, follow-ups and public pools: "administer" manages
# pools, recycle rules, duplicate rules and merges; "approve" arbitrates ownership conflicts.
modules.register("customers", _("Customers"), actions=ALL, order=200)

add_module_defaults(
    "customers",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, ALL),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
        "presales": (DataScope.TEAM, {"view"}),
        "operations": (DataScope.BUSINESS_UNIT, {"view"}),
        "finance": (DataScope.BUSINESS_UNIT, {"view"}),
        "service": (DataScope.BUSINESS_UNIT, {"view", "create"}),
    },
)
