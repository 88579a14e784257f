"""The collaboration modules roles grant permissions on (imported from ``CollaborationConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

modules.register("tasks", _("Tasks"), actions=("view", "create", "edit", "delete", "export"), order=700)

_SELF = (DataScope.SELF, {"view", "create", "edit"})
add_module_defaults(
    "tasks",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit"}),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit"}),
        "sales_rep": _SELF,
        "presales": _SELF,
        "supply_planner": _SELF,
        "production_planner": _SELF,
        "operations": _SELF,
        "finance": _SELF,
        "service": _SELF,
    },
)
