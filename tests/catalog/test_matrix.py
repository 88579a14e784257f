"""The catalogue beyond the permission matrix (tests/test_permission_matrix.py runs tests/catalog/matrix.py
for every built-in role): a product of the whole group is read by every role with the catalogue, and
changed by none of them without the group scope (403 without "edit", 404 outside the edit scope, as
everywhere)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import login
from tests.support.factories import UserFactory, grant
from tests.support.matrix import database_fingerprint, normalise, uncovered_routes
from tests.support.pipeline import ProductFactory
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles

from . import matrix

pytestmark = pytest.mark.django_db


def test_a_product_of_the_whole_group_is_read_by_every_role_with_the_catalogue_and_changed_by_none(org):
    product = ProductFactory(code="GRP-9", name="全集团服务包", list_price=Decimal("100.00"), business_unit=None)
    readers = []
    for code, role in sorted(ensure_default_roles().items()):
        scopes = {p.module: p.scope for p in role.permissions.all()}
        if scopes.get("org") == DataScope.GROUP or "catalog" not in scopes:
            continue  # the administrator; roles without the catalogue
        user = UserFactory(username=f"holder_{code}", primary_team=org["shanghai"])
        grant(user, role)
        client = login(user)
        assert client.get(f"/catalog/products/{product.pk}/").status_code == 200, code
        assert client.get(f"/api/v1/products/{product.pk}").status_code == 200, code
        # without "edit" the roles refuse (403); with a BU's "edit" the product is outside the edit scope (404)
        refused = 404 if user.access.can("catalog", "edit") else 403
        before = database_fingerprint()
        assert client.post(f"/catalog/products/{product.pk}/edit/", {"name": "改"}).status_code == refused, code
        patched = client.patch(f"/api/v1/products/{product.pk}", {"name": "改"}, content_type="application/json")
        assert patched.status_code == refused, code
        assert database_fingerprint() == before
        readers.append(code)
    assert len(readers) == 9


def test_every_catalogue_route_with_an_id_is_in_the_matrix():
    missing = [
        p
        for p in uncovered_routes(matrix.ROUTES)
        if ("catalog/" in p or "products" in p or "product-categories" in p) and normalise(p) not in matrix.NOT_SCOPED
    ]
    assert missing == []
