"""Who sees which quotes and price books.

A quote is an owned record of the ``quotes`` module (owner and BU scopes, shares); whoever sees its
opportunity through the deal team sees its quotes too. A price book is a BU's configuration (or the
whole group's): read by everyone whose quotes scope reaches its BU, changed with "administer".
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.choices import DataScope
from xietong.core.visibility import Access, BusinessUnitWidePolicy, Grant, OwnedRecordPolicy, Rule

MODULE = "quotes"


class QuotePolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", shareable=True)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from xietong.pipeline.models import DealTeamMember

        rules = super().rules(access, action)
        if action in ("view", "edit") and access.user_id and access.can(MODULE, "view"):
            members = DealTeamMember.objects.filter(user_id=access.user_id)
            if action == "edit":
                members = members.filter(access="edit")
            rules.append(Rule(_("Member of the deal team"), Q(opportunity_id__in=members.values("opportunity_id"))))
        return rules


class PriceBookPolicy(BusinessUnitWidePolicy):
    def __init__(self) -> None:
        super().__init__(MODULE)

    def any_scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        return Rule(reason, Q(business_unit_id__in=access.scope_business_units(grant)) | Q(business_unit__isnull=True))

    def rules(self, access: Access, action: str) -> list[Rule]:
        if action == "view":
            return [self.any_scope_rule(access, g) for g in access.grants_for(self.module, "view")]
        return super().rules(access, action)


QUOTES = QuotePolicy()
PRICE_BOOKS = PriceBookPolicy()
