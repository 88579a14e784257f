from django.utils.translation import gettext_lazy as _

from xietong.core import navigation
from xietong.core.components import register_record_panel
from xietong.core.navigation import NavItem

navigation.register(NavItem("workbench", _("My day"), "home", "sun", order=10))
navigation.register(NavItem("workbench", _("Feed"), "collaboration:feed", "activity", order=15))
navigation.register(NavItem("workbench", _("Notifications"), "collaboration:notifications", "bell", order=20))
navigation.register(NavItem("collaboration", _("Tasks"), "collaboration:tasks", "check2-square", order=10))
navigation.register(NavItem("collaboration", _("Calendar"), "collaboration:calendar", "calendar3", order=20))
navigation.register_topbar("collaboration/partials/topbar_bell.html")
register_record_panel("collaboration/follows/panel.html", order=10)
