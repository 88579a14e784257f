"""This area's permission matrix run on its own for the roles that hold quotes in BU1 (the lead wires
``matrix.py`` into the global one, which runs every role): 404 on a BU2 quote and price book, on every
route, with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login
from tests.quotes import matrix
from tests.support.factories import UserFactory, grant
from tests.support.matrix import assert_invisible, normalise, uncovered_routes
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["sales_rep", "bu_head"])
def test_roles_with_quotes_get_404_on_quotes_and_price_books_of_another_bu(org: dict[str, Any], code: str) -> None:
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    foreign = matrix.foreign(org, outsider)
    role = ensure_default_roles()[code]
    assert {p.module: p.scope for p in role.permissions.all()}["quotes"] >= DataScope.SELF
    user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
    grant(user, role)
    assert_invisible(login(user), matrix.ROUTES, foreign, who=code)


def test_every_quotes_route_with_an_id_is_in_the_matrix() -> None:
    ours = [
        p
        for p in uncovered_routes(matrix.ROUTES)
        if p.startswith(("quotes/", "price-books/", "api/v1/quotes", "api/v1/price-books"))
    ]
    assert [normalise(p) for p in ours] == []
