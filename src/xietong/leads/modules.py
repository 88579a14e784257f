from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# leads, lead pools, assignment rules and web forms ("administer" manages pools, rules and forms)
modules.register("leads", _("Leads"), actions=ALL, order=190)

add_module_defaults(
    "leads",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, ALL),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
    },
)
