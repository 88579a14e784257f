from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# products and their categories; everyone who sells or plans reads the catalogue of the whole group,
# BU heads keep their BU's products ("administer": the category tree)
modules.register("catalog", _("Product catalogue"), actions=ALL, order=120)

_READ = (DataScope.GROUP, {"view", "export"})
add_module_defaults(
    "catalog",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "delete", "export"}),
        "sales_manager": _READ,
        "sales_rep": (DataScope.GROUP, {"view"}),
        "presales": _READ,
        "supply_planner": _READ,
        "production_planner": _READ,
        "operations": _READ,
        "finance": _READ,
        "service": (DataScope.GROUP, {"view"}),
    },
)
