"""Visibility of customers, contacts and follow-ups on every path: this area's permission-matrix
routes for every built-in role (also part of tests/test_permission_matrix.py), and the lists,
exports, searches and calendars never showing a BU2 customer to BU1 roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login
from tests.customers import matrix_customers
from tests.support.factories import UserFactory, grant, make_role
from tests.support.matrix import assert_invisible
from tests.test_permission_matrix import body_text, role_holders
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db

LISTS = [
    "/customers/",
    "/customers/?holder=all",
    "/customers/?q=外部",
    "/customers/?q=1399999",
    "/customers/forgotten/?days=1&scope=all",
    "/customers/contacts/",
    "/customers/contacts/?q=外部",
    "/customers/export/?holder=all",
    "/customers/export/?format=csv&holder=all",
    "/customers/contacts/export/",
    "/api/v1/customers",
    "/api/v1/customers?q=外部",
    "/api/v1/contacts",
    "/api/v1/contacts?q=1399999",
    "/api/v1/follow-ups",
    "/api/v1/follow-ups?due=true",
    "/search/?q=外部",
    "/tasks/calendar/?scope=all",
    "/",
]
SECRETS = ("外部客户有限公司", "外部联系人", "13999990000", "外部跟进内容")


@pytest.fixture
def foreign(org) -> dict[str, Any]:
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, make_role("foreign-viewer", {"org": (DataScope.SELF, {"view"})}))
    return matrix_customers.foreign(org, outsider)


def test_every_role_gets_404_on_customers_contacts_and_follow_ups_outside_its_scope(org, foreign):
    for code, user in role_holders(org):
        assert_invisible(login(user), matrix_customers.ROUTES, foreign, who=code)


def test_lists_exports_searches_and_calendars_never_show_them(org, foreign):
    for code, user in role_holders(org):
        client = login(user)
        for url in LISTS:
            response = client.get(url)
            assert response.status_code in (200, 403), f"{code}: {url} → {response.status_code}"
            body = (
                body_text(response)
                if response.get("Content-Type", "").startswith("application/vnd")
                else (
                    b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
                )
            )
            for secret in SECRETS:
                assert secret not in body, f"{code}: {url} shows {secret}"


def test_a_bu_wide_scope_reaches_customers_by_an_exists_probe_and_an_owner_scope_by_a_small_in(org):
    """The plan the lists depend on at scale: a BU head's customers through a correlated EXISTS (no
    reading of every relationship of the BU first), a rep's through an IN over their relationships."""
    from tests.support.crm import owned
    from xietong.customers.models import Customer
    from xietong.org.defaults import ensure_default_roles

    roles = ensure_default_roles()
    head = UserFactory(username="vis_head", primary_team=org["east"])
    grant(head, roles["bu_head"], org["bu1"])
    rep = UserFactory(username="vis_rep", primary_team=org["pudong"])
    grant(rep, roles["sales_rep"])
    mine = owned(owner=rep).customer
    head_sql = str(Customer.objects.visible_to(head).query).upper().replace(" ", "")
    rep_sql = str(Customer.objects.visible_to(rep).query).upper().replace(" ", "")
    assert "EXISTS(SELECT" in head_sql and "EXISTS(SELECT" not in rep_sql
    assert '"CUSTOMERS_CUSTOMER"."ID"IN(SELECTU0."CUSTOMER_ID"' in rep_sql.replace('"U0"', "U0")
    assert list(Customer.objects.visible_to(head)) == [mine] == list(Customer.objects.visible_to(rep))
