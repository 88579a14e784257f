"""Imports in the shared UI: the navigation entry."""

from django.utils.translation import gettext_lazy as _

from xietong.core import navigation
from xietong.core.navigation import NavItem

from .policies import can_import_any

navigation.register(NavItem("customers", _("Imports"), "imports:list", "upload", order=90, visible=can_import_any))
