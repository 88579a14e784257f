"""The catalogue's part of the permission matrix, run here for the roles whose catalogue scope leaves a
BU2 product outside (404, nothing changed), and the roles that read the whole group's catalogue: they
see the BU2 product (by design, catalog/modules.py) but every write answers 403 and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog import matrix
from tests.conftest import login
from tests.support.factories import UserFactory, grant
from tests.support.matrix import assert_invisible, database_fingerprint, normalise, uncovered_routes
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(org: dict[str, Any]) -> dict[str, Any]:
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    return matrix.foreign(org, outsider)


def holders(org: dict[str, Any]) -> list[tuple[str, Any, int]]:
    found = []
    for code, role in sorted(ensure_default_roles().items()):
        scopes = {p.module: p.scope for p in role.permissions.all()}
        if scopes.get("org") == DataScope.GROUP:
            continue  # the administrator
        user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
        grant(user, role)
        found.append((code, user, scopes.get("catalog", 0)))
    found.append(("no-role", UserFactory(username="holder_none", primary_team=org["shanghai"]), 0))
    return found


def test_roles_with_a_narrower_catalogue_scope_get_404_on_a_product_of_another_bu(org, foreign):
    checked = []
    for code, user, scope in holders(org):
        if scope == DataScope.GROUP:
            continue
        assert_invisible(login(user), matrix.ROUTES, foreign, who=code)
        checked.append(code)
    assert checked == [*matrix.OUT_OF_SCOPE_ROLES, "no-role"]


def test_roles_that_read_the_whole_catalogue_see_the_product_but_cannot_change_it(org, foreign):
    readers = [(code, user) for code, user, scope in holders(org) if scope == DataScope.GROUP]
    assert len(readers) == 8
    for code, user in readers:
        client = login(user)
        for route in matrix.ROUTES:
            before = database_fingerprint()
            status = route.send(client, foreign["product"]).status_code
            expected = {"GET": 200, "POST": 403, "PATCH": 403}[route.method]
            if route.path.endswith(("/edit/",)):
                expected = 403  # the form is for editors
            if route.path.endswith("/image/"):
                expected = 404  # the product has no image
            assert status == expected, f"{code}: {route.method} {route.path} → {status}"
            assert database_fingerprint() == before


def test_every_catalogue_route_with_an_id_is_in_the_matrix():
    missing = [
        p
        for p in uncovered_routes(matrix.ROUTES)
        if ("catalog/" in p or "products" in p or "product-categories" in p) and normalise(p) not in matrix.NOT_SCOPED
    ]
    assert missing == []
