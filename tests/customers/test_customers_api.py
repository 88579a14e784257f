"""The API of customers, relationships, contacts and follow-ups: shapes, errors, visibility, idempotency
and query guards."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.customers.customers_people import make_people
from tests.support.crm import ContactFactory, CustomerFactory, CustomerPoolFactory, RelationshipFactory, owned
from tests.support.queries import assert_queries_constant
from xietong.core.validators import credit_code_check_char
from xietong.customers import followups
from xietong.customers.models import Contact, Customer, FollowUp, PoolMember, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return make_people(org)


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_create_returns_the_customer_with_the_callers_relationship(people, org):
    first17 = "91440300MA5F1Y2K3"
    body = {
        "name": "深圳市大疆创新科技有限公司",
        "credit_code": first17 + credit_code_check_char(first17),
        "tags": ["无人机"],
        "contacts": [{"name": "汪经理", "mobile": "13800138000"}],
    }
    response = post(login(people.rep), "/api/v1/customers", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["tags"]) == ("深圳市大疆创新科技有限公司", ["无人机"])
    assert [(r["business_unit_id"], r["owner_name"], r["level"]) for r in data["relationships"]] == [
        (org["bu1"].pk, "张三", "C")
    ]
    assert Contact.objects.get().name == "汪经理"


def test_create_errors_name_the_field(people):
    response = post(
        login(people.rep), "/api/v1/customers", {"name": "某公司", "contacts": [{"name": "甲", "mobile": "1"}]}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["contacts.0.mobile"]
    response = post(login(people.rep), "/api/v1/customers", {"name": "某公司", "credit_code": "91310000X"})
    assert [e["field"] for e in response.json()["errors"]] == ["credit_code"]


def test_create_of_a_customer_held_in_the_bu_is_a_conflict_naming_the_owner(people):
    owned(customer=CustomerFactory(name="美的集团股份有限公司"), owner=people.rep2)
    response = post(login(people.rep), "/api/v1/customers", {"name": "美的集团有限公司"})
    assert response.status_code == 409
    assert "李雷" in response.json()["detail"]


def test_create_with_an_idempotency_key_creates_once(people):
    client = login(people.rep)
    first = post(client, "/api/v1/customers", {"name": "幂等测试公司"}, **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/customers", {"name": "幂等测试公司"}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Customer.objects.count() == 1


def test_list_filters_and_never_shows_other_bus_customers(people):
    owned(customer=CustomerFactory(name="我的客户甲"), owner=people.rep, level="A")
    owned(customer=CustomerFactory(name="我的客户乙"), owner=people.rep, level="B")
    owned(customer=CustomerFactory(name="别人的客户"), owner=people.other_bu_rep)
    client = login(people.rep)
    assert sorted(c["name"] for c in client.get("/api/v1/customers").json()["results"]) == ["我的客户乙", "我的客户甲"]
    assert [c["name"] for c in client.get("/api/v1/customers?level=A").json()["results"]] == ["我的客户甲"]
    assert [c["name"] for c in client.get("/api/v1/customers?q=乙").json()["results"]] == ["我的客户乙"]


def test_get_and_patch_answer_404_outside_the_scope(people):
    foreign = owned(owner=people.other_bu_rep)
    client = login(people.rep)
    assert client.get(f"/api/v1/customers/{foreign.customer_id}").status_code == 404
    assert patch(client, f"/api/v1/customers/{foreign.customer_id}", {"name": "改"}).status_code == 404
    mine = owned(owner=people.rep)
    response = patch(client, f"/api/v1/customers/{mine.customer_id}", {"industry": "能源"})
    assert (response.status_code, response.json()["industry"]) == (200, "能源")


def test_relationships_show_details_only_in_scope(people):
    mine = owned(owner=people.rep)
    RelationshipFactory(customer=mine.customer, owner=people.other_bu_rep)
    data = login(people.rep).get(f"/api/v1/customers/{mine.customer_id}/relationships").json()
    assert [(r["owner_name"], r["access"], r["details"] is None) for r in data] == [
        ("张三", "full", False),
        ("周七", "name", True),
    ]


def test_a_manager_transfers_a_relationship_through_the_api(people):
    rel = owned(owner=people.rep)
    url = f"/api/v1/customers/{rel.customer_id}/relationships/{rel.pk}"
    assert patch(login(people.rep), url, {"owner_id": people.rep2.pk}).status_code == 403
    response = patch(login(people.manager), url, {"owner_id": people.rep2.pk, "level": "A"})
    assert (response.status_code, response.json()["owner_name"], response.json()["level"]) == (200, "李雷", "A")


def test_contacts_crud_and_pool_members_see_none(people, org):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    created = post(client, "/api/v1/contacts", {"customer_id": rel.customer_id, "name": "采购经理", "email": "a@b.cn"})
    assert created.status_code == 201
    cid = created.json()["id"]
    assert patch(client, f"/api/v1/contacts/{cid}", {"title": "总监"}).json()["title"] == "总监"
    assert [c["name"] for c in client.get(f"/api/v1/contacts?customer_id={rel.customer_id}").json()["results"]] == [
        "采购经理"
    ]
    pool = CustomerPoolFactory(business_unit=org["bu1"])
    PoolMember.objects.create(pool=pool, user=people.rep2)
    pooled = RelationshipFactory(pool=pool)
    ContactFactory(customer=pooled.customer, name="公海联系人")
    other = login(people.rep2)
    Customer.objects.filter(pk=pooled.customer_id).update(
        notes="底价 80 万", credit_code="91310000MA1FL8TQ3X", address="浦东新区张江路 1 号", website="https://a.cn"
    )
    card = other.get(f"/api/v1/customers/{pooled.customer_id}").json()  # the limited card
    assert [card[name] for name in ("notes", "credit_code", "address", "website", "tags")] == ["", "", "", "", []]
    assert card["name"] == pooled.customer.name and card["province"] == pooled.customer.province
    # the limited card only: its contacts (and comments, files) answer as for a customer one cannot see
    assert other.get(f"/api/v1/contacts?customer_id={pooled.customer_id}").status_code == 404
    assert other.get(f"/api/v1/comments?record=customers.customer:{pooled.customer_id}").status_code == 404
    assert client.delete(f"/api/v1/contacts/{cid}").status_code == 204
    assert Contact.objects.filter(pk=cid).count() == 0


def test_follow_ups_are_created_with_a_check_in_and_listed_by_record(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    body = {
        "record": f"customers.customer:{rel.customer_id}",
        "kind": "visit",
        "content": "现场拜访",
        "check_in": {"latitude": "31.23", "longitude": "121.47", "accuracy": 20},
    }
    response = post(client, "/api/v1/follow-ups", body)
    assert response.status_code == 201, response.content
    assert response.json()["check_in"]["accuracy_m"] == 20
    listed = client.get(f"/api/v1/follow-ups?record=customers.customer:{rel.customer_id}").json()["results"]
    assert [f["content"] for f in listed] == ["现场拜访"]
    bad = post(client, "/api/v1/follow-ups", {**body, "kind": "call"})
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["kind"])
    # an address too long was cut to 200 characters without a word
    long_address = {**body, "check_in": {**body["check_in"], "address": "路" * 201}}
    bad = post(client, "/api/v1/follow-ups", long_address)
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["check_in.address"])
    foreign = owned(owner=people.other_bu_rep)
    assert (
        post(client, "/api/v1/follow-ups", {**body, "record": f"customers.customer:{foreign.customer_id}"}).status_code
        == 404
    )


def test_list_endpoints_cost_the_same_however_many_rows(people):
    client = login(people.manager)
    rel = owned(owner=people.rep)

    def add() -> None:
        for _ in range(4):
            r = owned(owner=people.rep2)
            RelationshipFactory(customer=r.customer, owner=people.other_bu_rep)
            ContactFactory(customer=r.customer)
            followups.followup_create(actor=people.rep, record=rel.customer, kind="call", content="x")

    assert_queries_constant(lambda: client.get("/api/v1/customers"), add, max_queries=8)
    assert_queries_constant(lambda: client.get("/api/v1/customers?level=C&q=客户"), add)
    assert_queries_constant(lambda: client.get("/api/v1/contacts"), add)
    assert_queries_constant(lambda: client.get(f"/api/v1/follow-ups?customer_id={rel.customer_id}"), add)
    assert Relationship.objects.count() > 1 and FollowUp.objects.count() > 1
