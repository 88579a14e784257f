"""Who sees which leads and lead pools.

A lead is an owned record of the ``leads`` module (owner and business-unit scopes, shares); an
unassigned lead in a pool is also seen by the pool's members and administrators, who may claim it.
A pool's administrators (with leads "edit") may also change — assign — the leads waiting in it.
A pool is seen by its members and administrators and by anyone whose leads scope covers its BU.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, BusinessUnitWidePolicy, OwnedRecordPolicy, Rule

MODULE = "leads"


def my_pools(access: Access) -> Q:
    """The lead pools of ``access``'s user: as a member, an administrator, or through a member team
    (theirs or a team above it)."""
    return Q(members=access.user_id) | Q(admins=access.user_id) | Q(member_teams__in=access.team_and_ancestor_ids)


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


class LeadPoolPolicy(BusinessUnitWidePolicy):
    def __init__(self) -> None:
        super().__init__(MODULE)
        self.member_reason = _("Member of the lead pool")

    def members(self, access: Access) -> Q:
        from .models import LeadPool

        return Q(pk__in=LeadPool.objects.filter(my_pools(access)).values("pk"))


LEADS = LeadPolicy()
LEAD_POOLS = LeadPoolPolicy()
