"""Who sees which opportunities and sales processes.

An opportunity is an owned record of the ``opportunities`` module (owner and BU scopes, shares);
its deal-team members see it too, and members with edit access may change it (design/
data-visibility.md, "Membership"). A sales process is a BU's configuration: seen by anyone whose
opportunities scope reaches into that BU (everyone who sells there), changed with "administer".
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.choices import DataScope
from xietong.core.visibility import Access, BusinessUnitWidePolicy, Grant, OwnedRecordPolicy, Rule

MODULE = "opportunities"


class OpportunityPolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", shareable=True)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import DealTeamMember

        rules = super().rules(access, action)
        if action in ("view", "edit") and access.user_id:
            members = DealTeamMember.objects.filter(user_id=access.user_id)
            if action == "edit":
                members = members.filter(access="edit")
            rules.append(Rule(_("Member of the deal team"), Q(pk__in=members.values("opportunity_id"))))
        return rules


class ProcessPolicy(BusinessUnitWidePolicy):
    """Every scope of the module reaches the processes of the BUs it covers: a rep sells by their
    BU's process even though they see only their own deals."""

    def __init__(self) -> None:
        super().__init__(MODULE)

    def any_scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        return Rule(reason, Q(business_unit_id__in=access.scope_business_units(grant)))

    def rules(self, access: Access, action: str) -> list[Rule]:
        if action == "view":
            return [self.any_scope_rule(access, g) for g in access.grants_for(self.module, "view")]
        return super().rules(access, action)


OPPORTUNITIES = OpportunityPolicy()
PROCESSES = ProcessPolicy()
