"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records."""

from __future__ import annotations

from typing import Any

from tests.support.crm import CustomerFactory, RelationshipFactory
from tests.support.factories import UserFactory
from tests.support.matrix import Route
from xietong.customers.models import DuplicateCluster, OwnershipConflict

ROUTES: list[Route] = [
    Route("POST", "/customers/duplicates/clusters/{pk}/dismiss/", "dup_cluster", {}),
    Route("GET", "/customers/conflicts/{pk}/", "ownership_conflict"),
    Route("POST", "/customers/conflicts/{pk}/", "ownership_conflict", {"decision": "transfer", "note": "x"}),
    Route("POST", "/api/v1/duplicate-clusters/{pk}/dismiss", "dup_cluster", api=True),
    Route("GET", "/api/v1/ownership-conflicts/{pk}", "ownership_conflict", api=True),
    Route("POST", "/api/v1/ownership-conflicts/{pk}/decide", "ownership_conflict", {"decision": "transfer"}, api=True),
]
NOT_SCOPED: dict[str, str] = {
    "customers/duplicates/scans/*/": "a scan's progress: configuration work of customers administrators, no record "
    "(missing → 404 in tests/customers/test_scan.py)",
    "api/v1/duplicate-scans/*": "like customers/duplicates/scans/*/",
}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """A duplicate cluster of BU2 customers, and an ownership conflict in BU2 between two BU2 reps."""
    rival = UserFactory(username="dup_rival", display_name="外部对手", primary_team=org["north"])
    one = CustomerFactory(name="外部重复甲有限公司")
    two = CustomerFactory(name="外部重复乙有限公司")
    for made in (one, two):
        RelationshipFactory(customer=made, owner=outsider, business_unit=org["bu2"])
    cluster = DuplicateCluster.objects.create(
        target="customer", member_ids=[one.pk, two.pk], score=80, reason="fuzzy_name", business_unit=org["bu2"]
    )
    conflict = OwnershipConflict.objects.create(
        customer=one,
        business_unit=org["bu2"],
        claimant=rival,
        holder=outsider,
        opened_by=rival,
        statement="外部撞单",
    )
    return {"dup_cluster": cluster, "ownership_conflict": conflict}
