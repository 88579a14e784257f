"""How the organisation's audit entries read (verbs, change keys that are not fields) and who reads
the entries of its configuration records."""

from django.utils.translation import gettext_lazy as _

from xietong.core.audit import register_access, register_change_label, register_verb
from xietong.core.choices import DataScope

register_verb("move", _("Moved"))
register_verb("managers", _("Managers changed"))
register_verb("teams", _("Team memberships changed"))
register_verb("activate", _("Reactivated"))
register_verb("deactivate", _("Deactivated"))
register_verb("reset_password", _("Password reset"))
register_verb("role_assign", _("Role assigned"))
register_verb("role_revoke", _("Role revoked"))
register_verb("role_create", _("Role creation"))
register_verb("role_update", _("Role change"))
register_verb("token_create", _("Access token created"))
register_verb("token_revoke", _("Access token revoked"))
register_verb("change_password", _("Password changed"))
register_verb("builtin", _("Built-in role set up"))
register_verb("default_permissions", _("Default permissions added"))
register_verb("create_admin", _("Administrator created"))
register_verb("demo_data", _("Demo data loaded"))

register_change_label("org.team", "managers", _("Managers"))
register_change_label("org.user", "teams", _("Teams"))
register_change_label("org.user", "roles", _("Roles"))
register_change_label("org.user", "token", _("Access token"))
register_change_label("org.group", "scale", _("Scale"))
register_change_label("org.group", "extra_users", _("Extra users"))
register_change_label("org.group", "business units", _("Business units"))
register_change_label("org.group", "teams", _("Teams"))
register_change_label("org.group", "users", _("Users"))
register_change_label("org.group", "memberships", _("Team memberships"))
register_change_label("org.group", "role assignments", _("Role assignments"))
register_change_label("org.group", "group", _("Group"))

# Roles and the group have no visible_to (configuration): their entries are for those who manage them.
register_access("org.role", lambda user: user.access.can("roles", "view"))
register_access("org.group", lambda user: user.access.widest_scope("org", "view") >= DataScope.GROUP)
