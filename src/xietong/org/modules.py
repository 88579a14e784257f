from django.utils.translation import gettext_lazy as _

from xietong.core import modules

ALL = ("view", "create", "edit", "delete", "export", "approve", "administer")

modules.register(
    "org", _("Organisation and users"), actions=("view", "create", "edit", "delete", "export", "administer"), order=900
)
modules.register(
    "roles",
    _("Roles and permissions"),
    actions=("view", "create", "edit", "delete", "administer"),
    scoped=False,
    order=910,
)
modules.register("audit", _("Audit trail"), actions=("view", "export"), scoped=False, order=920)
