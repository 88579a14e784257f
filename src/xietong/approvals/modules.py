from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

# approval flows. Deciding needs no grant: whoever a step names decides (and sees what they decide).
# "view": the approval requests of documents in scope (a manager follows their team's approvals);
# "administer": define the flows of the BUs in scope (the whole group's flows take the group scope).
modules.register("approvals", _("Approvals"), actions=("view", "export", "administer"), order=300)

add_module_defaults(
    "approvals",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "export", "administer"}),
        "sales_manager": (DataScope.TEAM_TREE, {"view"}),
        "finance": (DataScope.BUSINESS_UNIT, {"view", "export"}),
    },
)
