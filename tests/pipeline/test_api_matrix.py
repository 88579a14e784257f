"""The pipeline API's part of the permission matrix, run on its own: every route with an id × every
built-in role (held in BU1) × the BU2 opportunity and process → 404, nothing changed."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.pipeline import matrix_api
from tests.support.factories import UserFactory, grant
from tests.support.matrix import assert_invisible, normalise, routes_with_ids
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db


def test_every_pipeline_api_route_with_an_id_is_in_the_matrix():
    covered = {normalise(r.path) for r in matrix_api.ROUTES}
    ours = {
        normalise(p)
        for p in routes_with_ids()
        if normalise(p).startswith(("api/v1/opportunities/", "api/v1/sales-processes/"))
    }
    assert ours - covered == set()


def test_the_bu2_opportunity_and_process_answer_404_to_every_bu1_role(org, people):
    records = matrix_api.foreign(org, people.outsider)
    for code, role in sorted(ensure_default_roles().items()):
        grants = {p.module: p.scope for p in role.permissions.all()}
        if DataScope.GROUP in (grants.get("org"), grants.get("opportunities")):
            continue  # a whole-group scope has no record outside it
        user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
        grant(user, role)
        assert_invisible(login(user), matrix_api.ROUTES, records, who=code)
    nobody = UserFactory(username="holder_none", primary_team=org["shanghai"])
    assert_invisible(login(nobody), matrix_api.ROUTES, records, who="no-role")
