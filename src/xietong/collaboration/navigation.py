from django.utils.translation import gettext_lazy as _

from xietong.core import navigation
from xietong.core.navigation import NavItem

navigation.register(NavItem("workbench", _("Notifications"), "collaboration:notifications", "bell", order=20))
navigation.register_topbar("collaboration/partials/topbar_bell.html")
