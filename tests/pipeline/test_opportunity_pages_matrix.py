"""This area's permission-matrix routes for every built-in role: a BU2 opportunity, process, stage or
checklist item answers 404 on every page and post, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login
from tests.pipeline import matrix_pages
from tests.support.factories import UserFactory
from tests.support.matrix import assert_invisible, normalise, routes_with_ids
from tests.test_permission_matrix import role_holders

pytestmark = pytest.mark.django_db

MINE = ("pipeline/opportunities/*/", "pipeline/settings/")
OTHERS = ("pipeline/opportunities/*/move/", "pipeline/opportunities/*/quick/")  # the board's (tests of the board)


@pytest.fixture
def foreign(org) -> dict[str, Any]:
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    return matrix_pages.foreign(org, outsider)


def test_every_role_gets_404_on_opportunity_and_process_pages_outside_its_scope(org, foreign):
    for code, user in role_holders(org):
        assert_invisible(login(user), matrix_pages.ROUTES, foreign, who=code)


def test_every_route_of_these_pages_with_an_id_is_in_the_matrix():
    covered = {normalise(r.path) for r in matrix_pages.ROUTES}
    mine = [
        normalise(p)
        for p in routes_with_ids()
        if normalise(p).startswith(MINE) and normalise(p) not in OTHERS and not normalise(p).startswith("api/")
    ]
    assert sorted(set(mine) - covered - set(matrix_pages.NOT_SCOPED)) == []
