"""Who sees which leads and lead pools.

A lead is an owned record of the ``leads`` module (owner and business-unit scopes, shares); an
unassigned lead in a pool is also seen by the pool's members and administrators, who may claim it.
A pool's administrators (with leads "edit") may also change — assign — the leads waiting in it.
A pool is seen by its members and administrators and by anyone whose leads scope covers its BU.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.choices import DataScope
from xietong.core.visibility import Access, Grant, OwnedRecordPolicy, Policy, Rule

MODULE = "leads"


def my_pools(access: Access) -> Q:
    return Q(members=access.user_id) | Q(admins=access.user_id) | Q(member_teams__in=access.team_ids)


class LeadPolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", shareable=True)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import LeadPool

        rules = super().rules(access, action)
        if action == "view" and access.user_id:
            pools = LeadPool.objects.filter(my_pools(access), is_active=True).values("pk")
            rules.append(Rule(_("Member of the lead pool"), Q(owner__isnull=True, pool_id__in=pools)))
        if action in ("view", "edit") and access.user_id and access.can(MODULE, "edit"):
            # a pool's administrators hand out (assign) the leads waiting in it
            administered = LeadPool.objects.filter(admins=access.user_id, is_active=True).values("pk")
            rules.append(Rule(_("Administrator of the lead pool"), Q(owner__isnull=True, pool_id__in=administered)))
        return rules


class LeadPoolPolicy(Policy):
    def __init__(self) -> None:
        super().__init__(MODULE)

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        return Rule(reason, Q(business_unit_id__in=access.scope_business_units(grant)))

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import LeadPool

        rules = [
            self.scope_rule(access, g)
            for g in access.grants_for(self.module, action)
            if g.scope >= DataScope.BUSINESS_UNIT
        ]
        if action == "view" and access.user_id:
            rules.append(
                Rule(_("Member of the lead pool"), Q(pk__in=LeadPool.objects.filter(my_pools(access)).values("pk")))
            )
        return rules


LEADS = LeadPolicy()
LEAD_POOLS = LeadPoolPolicy()
