"""This area's matrix run on its own (the lead wires ``matrix`` into tests/test_permission_matrix.py):
every money route × every built-in role × a record of BU2 → 404, nothing changed."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.receivables import matrix
from tests.support.factories import UserFactory, grant
from tests.support.matrix import assert_invisible, normalise, uncovered_routes
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db


def test_every_role_gets_404_on_money_records_of_another_business_unit(org):
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, ensure_default_roles()["sales_rep"])
    records = matrix.foreign(org, outsider)
    roles = ensure_default_roles()
    for code in ("bu_head", "finance", "sales_manager", "sales_rep", "operations"):  # the full run: the lead's matrix
        role = roles[code]
        user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
        grant(user, role)
        assert_invisible(login(user), matrix.ROUTES, records, who=code)
    assert_invisible(login(UserFactory(username="nobody", primary_team=org["shanghai"])), matrix.ROUTES, records)


def test_every_money_route_with_an_id_is_in_the_matrix():
    missing = [
        p
        for p in uncovered_routes(matrix.ROUTES)
        if normalise(p).startswith(("receivables/", "api/v1/payment", "api/v1/invoices", "api/v1/receivables"))
    ]
    assert missing == []
