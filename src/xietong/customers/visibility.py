"""Who sees which customers, relationships, contacts, follow-ups and pools (docs/adr/0010).

Everything derives from the business units' relationships with a customer:

- a **relationship** is seen by the owner/BU scopes of the ``customers`` module (like every owned
  record), and — while it sits in a public pool — by that pool's members;
- a **customer** (the record, with its collaboration surface) is seen by whoever sees any of its
  relationships through their scopes, and by the people it is shared with; a pool member sees
  only the limited card of a customer waiting in their pool (``selectors.customer_get`` reaches it
  through the relationship), never its comments, files or tasks;
- a **contact** is seen by whoever sees a relationship of its customer *other than* through pool
  membership (pool members see a limited card, not phone numbers, until they claim), and by the
  people the customer is shared with;
- a **follow-up** on a customer or contact is seen by whoever sees that customer's relationship
  *with the follow-up's business unit* (pool membership again excluded), and by its author; the
  leads app adds the rule for follow-ups on leads;
- a **pool** is seen by its members and by anyone whose customers scope covers its business unit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from xietong.core.visibility import Access, BusinessUnitWidePolicy, OwnedRecordPolicy, Policy, Rule

MODULE = "customers"


def pool_ids_of(access: Access) -> Q:
    """The pools ``access``'s user is a member of, directly or through a member team or a team above
    theirs (a Q on pools)."""
    return Q(members__user_id=access.user_id) | Q(member_teams__in=access.team_and_ancestor_ids)


class RelationshipPolicy(OwnedRecordPolicy):
    POOL_REASON = "pool"

    def __init__(self) -> None:
        super().__init__(MODULE, owner_field="owner", bu_field="business_unit", shareable=False)

    def pool_rule(self, access: Access) -> Rule:
        from .models import CustomerPool

        pools = CustomerPool.objects.filter(pool_ids_of(access), is_active=True).values("pk")
        return Rule(_("Member of the public pool the customer is in"), Q(owner__isnull=True, pool_id__in=pools))

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = super().rules(access, action)
        if action == "view" and access.user_id:
            rules.append(self.pool_rule(access))
        return rules

    def scope_rules(self, access: Access, action: str) -> list[Rule]:
        """The rules that give full access (everything but pool membership)."""
        return [self.scope_rule(access, grant) for grant in access.grants_for(self.module, action)]


RELATIONSHIPS = RelationshipPolicy()


def _bu_wide(q: Q) -> bool:
    """Whether a relationship rule selects by business unit alone (a BU-wide scope): it matches a large
    share of all relationships."""
    children: list[Any] = list(q.children)
    leaves = [c for c in children if isinstance(c, tuple)]
    nested = [c for c in children if isinstance(c, Q)]
    if len(leaves) + len(nested) != len(children):
        return False  # an expression: not a plain BU filter
    return all(str(name).startswith("business_unit_id") for name, _value in leaves) and all(_bu_wide(c) for c in nested)


def _through_relationships(rules: list[Rule], field: str = "customer_id") -> list[Rule]:
    """Rules on relationships → rules on what hangs from their customers (``field``: the customer's id).
    A BU-wide rule becomes a correlated ``EXISTS`` (an index probe per row: a page of a list stops
    after its rows, where an ``IN`` would first read every relationship of the BU — hundreds of
    thousands at scale, more than fits in memory); a rule on owners, a small set, stays an ``IN``."""
    from .models import Relationship

    out = []
    for rule in rules:
        if rule.q is None:
            out.append(rule)
        elif _bu_wide(rule.q):
            related = Relationship.objects.filter(rule.q, customer_id=OuterRef(field))
            out.append(Rule(rule.reason, Q(Exists(related))))
        else:
            out.append(
                Rule(rule.reason, Q(**{f"{field}__in": Relationship.objects.filter(rule.q).values("customer_id")}))
            )
    return out


class CustomerPolicy(OwnedRecordPolicy):
    def __init__(self) -> None:
        super().__init__(MODULE, shareable=True)

    def rules(self, access: Access, action: str) -> list[Rule]:
        # Pool membership is left out: it shows the limited card (selectors.customer_get reaches
        # it through the relationship), not the record with its comments, files and tasks.
        rules = _through_relationships(RELATIONSHIPS.scope_rules(access, action), "pk")
        for provider in self._providers:
            rules.extend(provider(access, action))
        if action in ("view", "edit") and access.user_id:
            rules.append(self.share_rule(access, action))
        return rules


class ContactPolicy(Policy):
    def __init__(self) -> None:
        super().__init__(MODULE)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import Customer

        rules = _through_relationships(RELATIONSHIPS.scope_rules(access, action))
        for provider in self._providers:
            rules.extend(provider(access, action))
        if action in ("view", "edit") and access.user_id:
            shared = CUSTOMERS.share_rule(access, action)
            assert shared.q is not None
            rules.append(Rule(shared.reason, Q(customer_id__in=Customer.objects.filter(shared.q).values("pk"))))
        return rules


class FollowUpPolicy(Policy):
    def __init__(self) -> None:
        super().__init__(MODULE)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import Relationship

        rules: list[Rule] = []
        for rule in RELATIONSHIPS.scope_rules(access, action):
            same_bu = Relationship.objects.filter(
                customer_id=OuterRef("customer_id"), business_unit_id=OuterRef("business_unit_id")
            )
            if rule.q is None:
                rules.append(Rule(rule.reason, Q(customer__isnull=False)))
            else:
                rules.append(Rule(rule.reason, Q(Exists(same_bu.filter(rule.q)))))
        if access.user_id:
            rules.append(Rule(_("You wrote it"), Q(owner_id=access.user_id)))
        for provider in self._providers:
            rules.extend(provider(access, action))
        return rules


class PoolPolicy(BusinessUnitWidePolicy):
    def __init__(self) -> None:
        super().__init__(MODULE)
        self.member_reason = _("Member of the public pool")

    def members(self, access: Access) -> Q:
        from .models import CustomerPool

        return Q(pk__in=CustomerPool.objects.filter(pool_ids_of(access)).values("pk"))


CUSTOMERS = CustomerPolicy()
CONTACTS = ContactPolicy()
FOLLOW_UPS = FollowUpPolicy()
POOLS = PoolPolicy()


class ConflictPolicy(Policy):
    """An ownership conflict is seen by its parties and by whoever sees the customer."""

    def __init__(self) -> None:
        super().__init__(MODULE)

    def rules(self, access: Access, action: str) -> list[Rule]:
        from .models import Customer

        rules = [
            Rule(
                rule.reason, None if rule.q is None else Q(customer_id__in=Customer.objects.filter(rule.q).values("pk"))
            )
            for rule in CUSTOMERS.rules(access, action)
        ]
        if access.user_id:
            me = access.user_id
            rules.append(Rule(_("You are a party to it"), Q(claimant_id=me) | Q(holder_id=me) | Q(opened_by_id=me)))
        return rules


CONFLICTS = ConflictPolicy()
