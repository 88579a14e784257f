"""Who sees which contracts: an owned record of the ``contracts`` module (owner and BU scopes,
shares); members of the deal team of its opportunity see it too."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, OwnedRecordPolicy, Rule

MODULE = "contracts"


class ContractPolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", shareable=True)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from xietong.pipeline.models import DealTeamMember

        rules = super().rules(access, action)
        if action == "view" and access.user_id and access.can(MODULE, "view"):
            members = DealTeamMember.objects.filter(user_id=access.user_id)
            rules.append(Rule(_("Member of the deal team"), Q(opportunity_id__in=members.values("opportunity_id"))))
        return rules


CONTRACTS = ContractPolicy()
