"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records."""

from __future__ import annotations

from typing import Any

from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from tests.support.matrix import Route
from xietong.customers.models import OwnershipLimit, PoolMember, RecycleRule

POOL = "/customers/pools/{pk}/"
LIMIT = {"limit_pk": lambda pool: pool.limits.first().pk}
RULE = {"rule_pk": lambda pool: pool.recycle_rules.first().pk}
POOL_SETTINGS = {
    "name": "改名",
    "is_active": "on",
    "max_owned": "1",
    "reclaim_block_days": "1",
    "protection_days": "1",
}
RULE_DATA = {"kind": "no_follow_up", "level": "", "days": "5", "remind_days_before": "1", "is_active": "on"}

ROUTES: list[Route] = [
    Route("GET", "/api/v1/customer-pools/{pk}", "pool", api=True),
    Route("GET", "/api/v1/customer-pools/{pk}/members", "pool", api=True),
    Route("GET", "/api/v1/customer-pools/{pk}/customers", "pool", api=True),
    # by customer id: a customer whose only relationship is in a BU2 pool (the caller's BU has none)
    Route("POST", "/api/v1/customers/{pk}/claim", "pool_customer", {}, api=True),
    Route("POST", "/api/v1/customers/{pk}/release", "owned_customer", {"reason": "x"}, api=True),
    Route("POST", "/api/v1/customers/{pk}/assign", "pool_customer", {"owner_id": 0}, api=True),
    Route("GET", POOL, "pool"),
    Route("GET", POOL + "settings/", "pool"),
    Route("POST", POOL + "settings/", "pool", POOL_SETTINGS),
    Route("GET", POOL + "members/", "pool"),
    Route("POST", POOL + "members/", "pool", {}),
    Route("GET", POOL + "limits/", "pool"),
    Route("POST", POOL + "limits/", "pool", {"max_owned": "1"}),
    Route("POST", POOL + "limits/{limit_pk}/delete/", "pool", extra=LIMIT),
    Route("GET", POOL + "rules/", "pool"),
    Route("POST", POOL + "rules/", "pool", RULE_DATA),
    Route("GET", POOL + "rules/{rule_pk}/edit/", "pool", extra=RULE),
    Route("POST", POOL + "rules/{rule_pk}/edit/", "pool", RULE_DATA, extra=RULE),
    Route("POST", POOL + "rules/{rule_pk}/delete/", "pool", extra=RULE),
    Route("GET", POOL + "preview/", "pool"),
    Route("POST", "/customers/relationships/{pk}/claim/", "pool_relationship", {}),
    Route("GET", "/customers/relationships/{pk}/release/", "owned_relationship"),
    Route("POST", "/customers/relationships/{pk}/release/", "owned_relationship", {"reason": "x"}),
    Route("GET", "/customers/relationships/{pk}/assign/", "pool_relationship"),
    Route("POST", "/customers/relationships/{pk}/assign/", "pool_relationship", {"owner": ""}),
]
NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area owned in BU2 by ``outsider`` (or another BU2 user): name → record."""
    pool = CustomerPoolFactory(business_unit=org["bu2"], name="外部公海", is_default=True, max_owned=10)
    PoolMember.objects.create(pool=pool, user=outsider, is_admin=True)
    pool.member_teams.add(org["north"])
    OwnershipLimit.objects.create(pool=pool, user=outsider, max_owned=5)
    RecycleRule.objects.create(pool=pool, kind="no_follow_up", days=30)
    waiting = RelationshipFactory(pool=pool, customer__name="外部公海客户")
    owned = RelationshipFactory(owner=outsider, pool=pool, customer__name="外部私有客户")
    return {
        "pool": pool,
        "pool_relationship": waiting,
        "owned_relationship": owned,
        "pool_customer": waiting.customer,
        "owned_customer": owned.customer,
    }
