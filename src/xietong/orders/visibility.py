"""Who sees which orders: an owned record of the ``orders`` module (the sales owner's and BU scopes);
the members of the order's operations team see their queue whatever their scope."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, OwnedRecordPolicy, Rule

MODULE = "orders"


class OrderPolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", shareable=False)

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = super().rules(access, action)
        if action in ("view", "edit") and access.user_id and access.team_ids and access.can(MODULE, action):
            rules.append(Rule(_("Member of the operations team"), Q(operations_team_id__in=access.team_ids)))
        return rules


ORDERS = OrderPolicy()
