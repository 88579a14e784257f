from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# opportunities, forecasts and deal teams; "administer": the BU's sales processes, stages and gates;
# "approve": a manager's forecast adjustments
modules.register("opportunities", _("Opportunities"), actions=(*ALL, "approve"), order=200)

add_module_defaults(
    "opportunities",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {*ALL, "approve"}),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export", "approve"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
        "presales": (DataScope.SELF, {"view", "edit"}),
    },
)
