"""The orders part of the permission matrix run on its own (the lead wires ``matrix.py`` into
tests/test_permission_matrix.py): every order route × every built-in role of BU1 × a BU2 order → 404,
nothing changed; and every order route with an id is in the matrix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login
from tests.orders import matrix
from tests.support.factories import UserFactory, grant
from tests.support.matrix import assert_invisible, normalise, routes_with_ids
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db

BUILTIN = ["bu_head", "sales_manager", "sales_rep", "operations", "finance"]  # the others: view only, like finance


def test_every_order_route_with_an_id_is_in_the_matrix() -> None:
    covered = {normalise(r.path) for r in matrix.ROUTES}
    ours = [p for p in routes_with_ids() if normalise(p).startswith(("orders/", "api/v1/orders/", "api/v1/shipments/"))]
    assert ours
    assert [p for p in ours if normalise(p) not in covered] == []


@pytest.mark.parametrize("role", BUILTIN)
def test_a_bu1_role_gets_404_for_a_bu2_order(org: dict[str, Any], role: str) -> None:
    roles = ensure_default_roles()
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, roles["sales_rep"])
    records = matrix.foreign(org, outsider)
    from tests.support.factories import TeamFactory

    team = TeamFactory(business_unit=org["bu1"], name="内部运营部", team_type="operations")
    user = UserFactory(username=f"u-{role}", primary_team=team if role == "operations" else org["east"])
    grant(user, roles[role], org["bu1"])
    assert_invisible(login(user), matrix.ROUTES, records, who=role)
