"""The S&OP part of the permission matrix (tests/test_permission_matrix.py).

Demand plan lines belong to a business unit: ``plan_matrix`` addresses a BU2 line through every route
that takes one. Everything else S&OP addresses by id is of the whole group — plans (their lines are
filtered by BU), master data, inventory, the supply plan and its planned orders — so it is listed in
``NOT_SCOPED`` with the reason; ``master_matrix`` checks the other side (a user without "supply" gets
404 or 403 from those routes and changes nothing: tests/supply/test_master_pages.py)."""

from __future__ import annotations

from tests.supply import master_matrix, plan_matrix

ROUTES = plan_matrix.ROUTES
foreign = plan_matrix.foreign

_SUPPLY = (
    "the supply plan is reference data of the whole group: every holder of supply view reads it"
    " (tests/supply/test_supply_pages.py)"
)
NOT_SCOPED: dict[str, str] = {
    **plan_matrix.NOT_SCOPED,
    **master_matrix.NOT_SCOPED,
    "sop/plans/*/supply/": _SUPPLY,
    "sop/plans/*/supply/compute/": _SUPPLY,
    "sop/plans/*/planned-orders/": _SUPPLY,
    "sop/plans/*/planned-orders/accept/": _SUPPLY,
    "sop/plans/*/planned-orders/export/": _SUPPLY,
    "sop/planned-orders/*/": _SUPPLY,
    "sop/planned-orders/*/decide/": _SUPPLY,
    "api/v1/supply-plans/*/planned-orders": _SUPPLY,
    "api/v1/supply-plans/*/capacity": _SUPPLY,
    "api/v1/supply-plans/*/compute": _SUPPLY,
    "api/v1/supply-plans/*/export": _SUPPLY,
    "api/v1/planned-orders/*/accept": _SUPPLY,
    "api/v1/planned-orders/*/change": _SUPPLY,
    "api/v1/planned-orders/*/reject": _SUPPLY,
}
