"""The columns of the organisation's Excel exports (``xietong.core.exports``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.exports import Column

from .models import User


def _roles(user: User) -> str:
    """The role badges of the list page, as text: "销售经理 · ind、销售代表"."""
    return "、".join(
        f"{ur.role.name} · {ur.business_unit.code}" if ur.business_unit else ur.role.name
        for ur in user.role_badges  # type: ignore[attr-defined]
    )


USER_COLUMNS = [
    Column(pgettext_lazy("person", "Name"), lambda u: str(u), width=16),
    Column(_("Username"), lambda u: u.username, width=16),
    Column(_("Team"), lambda u: u.primary_team.name if u.primary_team else None, width=18),
    Column(_("Business unit"), lambda u: u.business_unit.name if u.business_unit else None, width=18),
    Column(_("Roles"), _roles, width=28),
    Column(_("Job title"), lambda u: u.title, width=16),
    Column(_("Email"), lambda u: u.email, width=26),
    Column(_("Mobile"), lambda u: u.mobile, width=15),
    Column(_("Active"), lambda u: u.is_active, width=8),
    Column(_("Last login"), lambda u: u.last_login, width=18),
    Column(_("Joined"), lambda u: u.date_joined, width=18),
]
