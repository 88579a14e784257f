"""Who may do what with leads beyond the data scope: which business units one may capture leads in,
and who administers a business unit's lead pools, assignment rules and web forms."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xietong.core.choices import DataScope
from xietong.org.models import BusinessUnit
from xietong.org.policies import require

from .visibility import MODULE

__all__ = [
    "administrable_business_units",
    "can_administer",
    "creatable_business_units",
    "require",
    "require_administer",
]


def _business_units_for(actor: Any, action: str) -> QuerySet[BusinessUnit]:
    """The active BUs where ``actor`` holds ``action`` on leads: every BU for an unlimited whole-group
    grant, else the BUs their roles are limited to and the BUs of their own teams."""
    access = actor.access
    grants = access.grants_for(MODULE, action)
    if any(g.scope == DataScope.GROUP and g.business_unit_id is None for g in grants):
        return BusinessUnit.objects.filter(is_active=True).order_by("code")
    ids: set[int] = set()
    for g in grants:
        ids.update(access.scope_business_units(g) if g.business_unit_id is not None else access.business_unit_ids)
    return BusinessUnit.objects.filter(pk__in=ids, is_active=True).order_by("code")


def creatable_business_units(actor: Any) -> QuerySet[BusinessUnit]:
    return _business_units_for(actor, "create")


def can_administer(actor: Any, business_unit_id: int) -> bool:
    """Lead pools, assignment rules and web forms of a BU: leads "administer" covering that whole BU."""
    return actor.access.widest_scope(MODULE, "administer", business_unit_id) >= DataScope.BUSINESS_UNIT


def administrable_business_units(actor: Any) -> QuerySet[BusinessUnit]:
    ids = [bu.pk for bu in _business_units_for(actor, "administer") if can_administer(actor, bu.pk)]
    return BusinessUnit.objects.filter(pk__in=ids).order_by("code")


def require_administer(actor: Any, business_unit_id: int) -> None:
    require(actor, MODULE, "administer")
    if not can_administer(actor, business_unit_id):
        raise PermissionDenied(_("You do not administer the leads of this business unit."))
