"""The organisation in the shared UI: navigation entries, record pages and audit labels."""

from django.utils.translation import gettext_lazy as _

from xietong.core import navigation
from xietong.core.components import register_record_url
from xietong.core.navigation import NavItem

navigation.register(
    NavItem(
        "settings",
        _("Organisation"),
        "org:overview",
        "diagram-3",
        order=10,
        visible=lambda user: user.access.can("org", "view"),
    )
)
navigation.register(
    NavItem(
        "settings", _("Users"), "org:user_list", "people", order=20, visible=lambda user: user.access.can("org", "view")
    )
)
navigation.register(
    NavItem(
        "settings",
        _("Roles"),
        "org:role_list",
        "shield-lock",
        order=30,
        visible=lambda user: user.access.can("roles", "view"),
    )
)
navigation.register(
    NavItem(
        "settings",
        _("Audit trail"),
        "org:audit",
        "journal-text",
        order=40,
        visible=lambda user: user.access.can("audit", "view"),
    )
)

register_record_url("org.businessunit", "org:bu_detail")
register_record_url("org.team", "org:team_detail")
register_record_url("org.user", "org:user_detail")
register_record_url("org.role", "org:role_detail")
