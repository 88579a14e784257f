"""The public pool API: /api/v1/customer-pools and /api/v1/customers/{id}/claim|release|assign."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.customers.pools_support import make_world
from tests.support.crm import CustomerPoolFactory, RelationshipFactory
from tests.support.queries import assert_queries_constant
from xietong.customers.models import PoolMember, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return make_world(org)


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_members_list_the_pools_they_see_with_their_customer_counts(world):
    world.waiting()
    world.waiting()
    CustomerPoolFactory(business_unit=world.org["bu2"], name="医疗公海")
    response = login(world.rep).get("/api/v1/customer-pools")
    assert response.status_code == 200
    items = response.json()["results"]
    assert [(p["id"], p["name"], p["customer_count"], p["business_unit_name"]) for p in items] == [
        (world.pool.pk, "工业公海", 2, "工业设备事业部")
    ]
    assert login(world.outsider_rep).get("/api/v1/customer-pools").json()["results"] == []


def test_get_a_pool_and_its_members(world):
    PoolMember.objects.filter(user=world.rep2).update(is_admin=True)
    world.pool.member_teams.add(world.org["supply"])  # a member team; 赵六 of 浦东 is in none
    client = login(world.rep)
    assert client.get(f"/api/v1/customer-pools/{world.pool.pk}").json()["is_default"] is True
    members = client.get(f"/api/v1/customer-pools/{world.pool.pk}/members").json()
    assert members == {
        "people": [
            {"user_id": world.rep2.pk, "name": "李四", "is_admin": True},
            {"user_id": world.rep.pk, "name": "王五", "is_admin": False},
        ],
        "teams": [{"id": world.org["supply"].pk, "name": "供应计划组"}],
    }
    assert login(world.outsider_rep).get(f"/api/v1/customer-pools/{world.pool.pk}").status_code == 404


def test_pool_customers_are_limited_cards(world):
    rel = world.waiting(level="B")
    response = login(world.rep).get(f"/api/v1/customer-pools/{world.pool.pk}/customers?level=B")
    (card,) = response.json()["results"]
    assert set(card) == {
        "relationship_id",
        "customer_id",
        "name",
        "region",
        "industry",
        "level",
        "last_follow_up_at",
        "in_pool_since",
    }
    assert (card["relationship_id"], card["name"], card["region"], card["level"]) == (
        rel.pk,
        rel.customer.name,
        "上海市 上海市",
        "B",
    )
    assert login(world.rep).get(f"/api/v1/customer-pools/{world.pool.pk}/customers?level=A").json()["results"] == []


def test_claim_by_customer_id_in_the_callers_business_unit(world):
    rel = world.waiting()
    response = post(login(world.rep), f"/api/v1/customers/{rel.customer_id}/claim")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["owner_id"], body["owner_name"], body["business_unit_id"]) == (
        rel.pk,
        world.rep.pk,
        "王五",
        world.org["bu1"].pk,
    )


def test_a_lost_claim_answers_409_naming_the_holder(world):
    rel = world.waiting()
    post(login(world.rep), f"/api/v1/customers/{rel.customer_id}/claim")
    response = post(login(world.rep2), f"/api/v1/customers/{rel.customer_id}/claim", {"business_unit_id": None})
    assert response.status_code == 409
    assert response.json() == {"detail": "已被他人抢先：该客户现由王五负责。", "errors": []}  # the caller's language


def test_a_claim_over_a_limit_answers_409_naming_it(world):
    world.pool.claims_per_day = 0
    world.pool.save()
    rel = world.waiting()
    response = post(login(world.rep), f"/api/v1/customers/{rel.customer_id}/claim")
    assert response.status_code == 409
    assert "“每位销售每日可领取数”上限为 0" in response.json()["detail"]


def test_claim_of_another_business_units_relationship_is_404(world):
    other = CustomerPoolFactory(business_unit=world.org["bu2"])
    rel = RelationshipFactory(pool=other)
    url = f"/api/v1/customers/{rel.customer_id}/claim?business_unit_id={world.org['bu2'].pk}"
    assert post(login(world.rep), url).status_code == 404
    assert post(login(world.rep), f"/api/v1/customers/{rel.customer_id}/claim").status_code == 404


def test_release_needs_a_reason_and_returns_the_customer(world):
    rel = RelationshipFactory(owner=world.rep)
    client = login(world.rep)
    response = post(client, f"/api/v1/customers/{rel.customer_id}/release", {"reason": ""})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    response = post(client, f"/api/v1/customers/{rel.customer_id}/release", {"reason": "无采购计划"})
    assert response.status_code == 200
    assert (response.json()["owner_id"], response.json()["pool_id"]) == (None, world.pool.pk)
    again = post(client, f"/api/v1/customers/{rel.customer_id}/release", {"reason": "x"})
    assert again.status_code == 404  # no longer the caller's: out of sight


def test_assign_by_a_bu_administrator(world):
    rel = world.waiting()
    client = login(world.head)
    response = post(client, f"/api/v1/customers/{rel.customer_id}/assign", {"owner_id": world.rep2.pk})
    assert response.status_code == 200
    assert response.json()["owner_id"] == world.rep2.pk
    denied = post(
        login(world.rep), f"/api/v1/customers/{world.waiting().customer_id}/assign", {"owner_id": world.rep.pk}
    )
    assert denied.status_code == 403
    assert Relationship.objects.filter(owner=world.rep).count() == 0


def test_pool_lists_keep_a_constant_number_of_queries(world):
    client = login(world.rep)
    world.waiting()

    def more() -> None:
        for _ in range(3):
            world.waiting()
        extra = CustomerPoolFactory(business_unit=world.org["bu1"])
        PoolMember.objects.create(pool=extra, user=world.rep)

    assert_queries_constant(lambda: client.get("/api/v1/customer-pools"), more, max_queries=8)
    assert_queries_constant(
        lambda: client.get(f"/api/v1/customer-pools/{world.pool.pk}/customers"), more, max_queries=8
    )
