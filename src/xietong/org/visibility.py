"""Visibility policies of the organisation's own records (users, teams, business units)."""

from __future__ import annotations

from django.db.models import Q

from xietong.core.choices import DataScope
from xietong.core.visibility import Access, Grant, OwnedRecordPolicy, Policy, Rule, _any_prefix


class UserPolicy(OwnedRecordPolicy):
    """A user record is "owned" by the user; its BU is the user's primary team's BU."""

    def __init__(self) -> None:
        super().__init__("org", owner_field="id", bu_field="business_unit", shareable=False)


class TeamPolicy(Policy):
    def __init__(self) -> None:
        super().__init__("org")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        scope = grant.scope
        if scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        if scope >= DataScope.BUSINESS_UNIT:
            return Rule(reason, Q(business_unit_id__in=access.scope_business_units(grant)))
        own = Q(id__in=access.team_ids)
        if scope == DataScope.SUBORDINATES:
            q = own | _any_prefix("path", access.managed_paths)
        elif scope == DataScope.TEAM_TREE:
            q = own | _any_prefix("path", [t.path for t in access.teams])
        else:  # SELF and TEAM: the teams one belongs to
            q = own
        if grant.business_unit_id is not None:
            q &= Q(business_unit_id=grant.business_unit_id)
        return Rule(reason, q)


class BusinessUnitPolicy(Policy):
    def __init__(self) -> None:
        super().__init__("org")

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        return Rule(reason, Q(id__in=access.scope_business_units(grant)))
