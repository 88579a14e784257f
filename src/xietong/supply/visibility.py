"""Who sees what of S&OP.

Supply master data, inventory, receipts, supply plans and planned orders are reference data of the
whole group, like the catalogue: whoever holds "supply" at all reads them (sales read stock and
available-to-promise); changing them takes "supply" edit. Demand plans are of the group too; their
lines belong to a business unit and are seen and adjusted within the "demand" scope.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from xietong.core.visibility import Access, BusinessUnitWidePolicy, Policy, Rule


class GroupReferencePolicy(Policy):
    """Anyone holding ``module``'s ``action`` at any scope: the records of the whole group."""

    def rules(self, access: Access, action: str) -> list[Rule]:
        if access.can(self.module, action):
            return [Rule(_("Reference data of the whole group"), None)]
        return []


class DemandLinePolicy(BusinessUnitWidePolicy):
    def __init__(self) -> None:
        super().__init__("demand")


SUPPLY = GroupReferencePolicy("supply")
DEMAND = GroupReferencePolicy("demand")
DEMAND_LINES = DemandLinePolicy()
