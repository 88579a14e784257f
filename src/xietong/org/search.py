"""The organisation in the global search: users, teams and business units (docs/subsystems/search.md).

Only for holders of ``org.view``; every query goes through the selectors, which start from
``visible_to(user)`` and take at most ``limit`` rows.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import search
from xietong.core.search import SearchHit, SearchProvider

from . import selectors


def _subtitle(*parts: str, is_active: bool = True) -> str:
    shown = [part for part in parts if part]
    if not is_active:
        shown.append(_("Inactive"))
    return " · ".join(shown)


def _may_view(user: Any) -> bool:
    return bool(user.access.can("org", "view"))


def search_users(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    return [
        SearchHit(
            title=str(found),
            subtitle=_subtitle(
                found.primary_team.name if found.primary_team else "",
                found.business_unit.name if found.business_unit else "",
                is_active=found.is_active,
            ),
            url=reverse("org:user_detail", args=[found.pk]),
        )
        for found in selectors.user_search(user=user, q=q, limit=limit)
    ]


def search_teams(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    return [
        SearchHit(
            title=team.name,
            subtitle=_subtitle(team.business_unit.name, is_active=team.is_active),
            url=reverse("org:team_detail", args=[team.pk]),
        )
        for team in selectors.team_search(user=user, q=q, limit=limit)
    ]


def search_business_units(user: Any, q: str, limit: int) -> list[SearchHit]:
    if not _may_view(user):
        return []
    return [
        SearchHit(
            title=unit.name,
            subtitle=_subtitle(unit.code, is_active=unit.is_active),
            url=reverse("org:bu_detail", args=[unit.pk]),
        )
        for unit in selectors.business_unit_search(user=user, q=q, limit=limit)
    ]


search.register(SearchProvider("users", gettext_lazy("Users"), "people", search_users, order=10))
search.register(SearchProvider("teams", gettext_lazy("Teams"), "diagram-3", search_teams, order=20))
search.register(
    SearchProvider("business_units", gettext_lazy("Business units"), "building", search_business_units, order=30)
)
