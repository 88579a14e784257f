"""Who sees which products.

Products belong to one business unit or to the whole group (no BU). Anyone whose catalogue scope
covers a product's BU sees it; products of the whole group are seen by everyone who may read the
catalogue at all (and exported by whoever may export). Categories are a shared tree: everyone with
catalogue "view" sees them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, BusinessUnitWidePolicy, Rule

MODULE = "catalog"


class ProductPolicy(BusinessUnitWidePolicy):
    def __init__(self) -> None:
        super().__init__(MODULE)

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = super().rules(access, action)
        if action in ("view", "export") and access.can(MODULE, action):
            # read and exported like the list shows them; changing one takes the group scope
            rules.append(Rule(_("A product of the whole group"), Q(business_unit__isnull=True)))
        return rules


PRODUCTS = ProductPolicy()
