from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import DataScope
from xietong.org.defaults import add_module_defaults

ALL = ("view", "create", "edit", "delete", "export", "administer")

# money in: payment plans (回款计划), payments received (回款), invoices (开票), credit limits and the
# receivables aging. Sales plan and request; finance records payments, issues invoices and sets
# credit limits ("administer").
modules.register("receivables", _("Receivables"), actions=ALL, order=240)

add_module_defaults(
    "receivables",
    {
        "bu_head": (DataScope.BUSINESS_UNIT, {"view", "create", "edit", "export"}),
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
        "finance": (DataScope.BUSINESS_UNIT, set(ALL)),
    },
)
