from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# quotes (报价单) and price books (价格表). "administer": the price books of the BUs in scope.
modules.register("quotes", _("Quotes and price books"), actions=ALL, order=210)

add_module_defaults(
    "quotes",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, set(ALL)),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
        "presales": (DataScope.SELF, {"view", "edit"}),
        "finance": (DataScope.BUSINESS_UNIT, {"view", "export"}),
    },
)
