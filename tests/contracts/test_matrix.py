"""The contracts' part of the permission matrix, run on its own: every route with an id × every
kind of contract rights (and no role) × a contract, quote and BU outside the role's scope → 404, nothing changed;
and every contract route with an id is listed in matrix.py (the lead wires matrix.py into
tests/test_permission_matrix.py)."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.contracts import matrix
from tests.support.factories import UserFactory
from tests.support.matrix import assert_invisible, normalise, routes_with_ids
from tests.test_permission_matrix import role_holders

pytestmark = pytest.mark.django_db


# one role per distinct set of contract rights (the full matrix runs every role): administer, edit
# without create, view only, none
ROLES = ("bu_head", "finance", "operations", "sales_rep", "no-role")


def test_every_role_gets_404_on_contracts_outside_its_scope(org):
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    records = {"business_unit": org["bu2"], **matrix.foreign(org, outsider)}
    holders = [(code, user) for code, user in role_holders(org) if code in ROLES]
    assert [code for code, _user in holders] == [*sorted(ROLES[:-1]), "no-role"]
    for code, user in holders:
        assert_invisible(login(user), matrix.ROUTES, records, who=code)


def test_every_contract_route_with_an_id_is_in_the_matrix():
    covered = {normalise(r.path) for r in matrix.ROUTES}
    ours = [p for p in routes_with_ids() if p.startswith(("contracts/", "api/v1/contract"))]
    assert len(ours) == 20  # distinct paths (a GET and a POST share one)
    assert [p for p in ours if normalise(p) not in covered] == []
