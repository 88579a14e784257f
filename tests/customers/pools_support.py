"""The public-pool tests' shared setup: a BU1 pool with members, reps, a BU head and customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from tests.support.factories import UserFactory, grant
from xietong.customers.models import CustomerPool, PoolMember, Relationship
from xietong.org.defaults import ensure_default_roles


@dataclass
class PoolWorld:
    org: dict[str, Any]
    pool: CustomerPool
    rep: Any  # 王五, member
    rep2: Any  # 李四, member
    outsider_rep: Any  # a BU1 rep who is not a member
    head: Any  # BU head of BU1, administrator of customers, not a member
    roles: dict[str, Any]

    def waiting(self, **kwargs: Any) -> Relationship:
        """A customer waiting in the pool."""
        return RelationshipFactory(pool=kwargs.pop("pool", self.pool), **kwargs)


def make_world(org: dict[str, Any], **pool_fields: Any) -> PoolWorld:
    roles = ensure_default_roles()
    rep = UserFactory(username="wang.wu", display_name="王五", primary_team=org["shanghai"])
    rep2 = UserFactory(username="li.si", display_name="李四", primary_team=org["pudong"])
    other = UserFactory(username="zhao.liu", display_name="赵六", primary_team=org["pudong"])
    head = UserFactory(username="bu.head", display_name="钱总", primary_team=org["east"])
    for user in (rep, rep2, other):
        grant(user, roles["sales_rep"])
    grant(head, roles["bu_head"])
    pool = CustomerPoolFactory(business_unit=org["bu1"], name="工业公海", is_default=True, **pool_fields)
    PoolMember.objects.create(pool=pool, user=rep)
    PoolMember.objects.create(pool=pool, user=rep2)
    return PoolWorld(org=org, pool=pool, rep=rep, rep2=rep2, outsider_rep=other, head=head, roles=roles)
