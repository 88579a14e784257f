from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# products and their categories. Everyone who sells or plans reads their business unit's products and
# the whole group's (products without a BU: visibility.py); BU heads keep their BU's products; the
# category tree is changed with "administer" over the whole group. A BU scope for every built-in
# role keeps "nobody grants wider than their own" workable: a BU head manages their people's roles.
modules.register("catalog", _("Product catalogue"), actions=ALL, order=120)

_READ = (DataScope.BUSINESS_UNIT, {"view", "export"})
add_module_defaults(
    "catalog",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "delete", "export"}),
        "sales_manager": _READ,
        "sales_rep": (DataScope.BUSINESS_UNIT, {"view"}),
        "presales": _READ,
        "supply_planner": _READ,
        "production_planner": _READ,
        "operations": _READ,
        "finance": _READ,
        "service": (DataScope.BUSINESS_UNIT, {"view"}),
    },
)
