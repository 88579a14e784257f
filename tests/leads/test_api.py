"""/api/v1/leads and /api/v1/lead-pools: list with filters and cursor pages, create with an
Idempotency-Key, get, patch, assign, claim, return, invalid, bulk; errors in the one shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login
from tests.leads.conftest import LEAD
from tests.support.crm import LeadFactory
from tests.support.queries import assert_queries_constant
from xietong.core.models import IdempotencyKey
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


# --- create and idempotency ---------------------------------------------------------------------


def test_create_answers_201_with_the_lead(org, rep, pool):
    response = post(login(rep), "/api/v1/leads", {**LEAD, "owner_id": rep.pk, "tags": ["展会"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["company"], body["owner"], body["business_unit"]["id"], body["status"], body["tags"]) == (
        LEAD["company"],
        {"id": rep.pk, "name": str(rep)},
        org["bu1"].pk,
        "new",
        ["展会"],
    )


def test_create_without_owner_uses_the_rules_or_the_pool(org, rep, pool):
    body = post(login(rep), "/api/v1/leads", LEAD).json()
    assert (body["owner"], body["pool"]) == (None, {"id": pool.pk, "name": pool.name})


def test_the_same_idempotency_key_and_body_answer_the_same_and_create_one_lead(rep, pool):
    client = login(rep)
    first = post(client, "/api/v1/leads", {**LEAD, "owner_id": rep.pk}, **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/leads", {**LEAD, "owner_id": rep.pk}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Lead.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.scope, stored.key, stored.actor, stored.status) == ("leads.create", "k-1", rep, 201)


def test_the_same_key_with_another_body_is_refused_naming_the_key(rep, pool):
    client = login(rep)
    post(client, "/api/v1/leads", {**LEAD, "owner_id": rep.pk}, **{"Idempotency-Key": "k-2"})
    response = post(client, "/api/v1/leads", {**LEAD, "contact_name": "别人"}, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert Lead.objects.count() == 1


def test_keys_are_per_caller(rep, rep2, pool):
    post(login(rep), "/api/v1/leads", {**LEAD, "owner_id": rep.pk}, **{"Idempotency-Key": "same"})
    response = post(
        login(rep2),
        "/api/v1/leads",
        {**LEAD, "owner_id": rep2.pk, "duplicate_reason": "另一人的线索"},
        **{"Idempotency-Key": "same"},
    )
    assert response.status_code == 201
    assert Lead.objects.count() == 2


def test_a_failed_create_stores_no_answer_so_a_corrected_retry_can_use_the_key(rep, pool):
    client = login(rep)
    bad = post(client, "/api/v1/leads", {**LEAD, "mobile": "123"}, **{"Idempotency-Key": "k-3"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["mobile"]
    assert IdempotencyKey.objects.count() == 0


def test_a_too_long_key_is_invalid_input(rep, pool):
    response = post(login(rep), "/api/v1/leads", LEAD, **{"Idempotency-Key": "x" * 101})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]


def test_a_duplicate_warning_is_a_422_naming_the_field_and_a_reason_lets_it_through(rep, pool):
    LeadFactory(owner=rep, mobile=LEAD["mobile"], company="别的公司")
    client = login(rep)
    response = post(client, "/api/v1/leads", {**LEAD, "owner_id": rep.pk})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["mobile"]
    ok = post(client, "/api/v1/leads", {**LEAD, "owner_id": rep.pk, "duplicate_reason": "同一人"})
    assert ok.status_code == 201


# --- read and change ----------------------------------------------------------------------------


def test_list_filters_and_views(org, rep, rep2, manager, pool):
    mine = LeadFactory(owner=rep, company="华为技术有限公司", province="广东省", source="web")
    LeadFactory(owner=rep2, company="中兴通讯有限公司", province="广东省")
    waiting = LeadFactory(pool=pool, company="池中公司")
    client = login(manager)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/leads?{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("q=华为") == [mine.pk]
    assert ids(f"owner_id={rep.pk}") == [mine.pk]
    assert ids("source=web") == [mine.pk]
    assert ids("view=pool") == [waiting.pk]
    assert len(ids("province=广东")) == 2
    assert ids(f"q={rep.mobile or 'zzz'}&status=invalid") == []


def test_a_rep_lists_only_their_own_leads_and_pool_leads(rep, rep2, pool):
    mine = LeadFactory(owner=rep)
    LeadFactory(owner=rep2)
    waiting = LeadFactory(pool=pool)
    rows = login(rep).get("/api/v1/leads").json()["results"]
    assert sorted(r["id"] for r in rows) == sorted([mine.pk, waiting.pk])


def test_the_list_costs_the_same_number_of_queries_for_more_rows(rep, pool):
    client = login(rep)
    LeadFactory(owner=rep)
    assert_queries_constant(
        lambda: client.get("/api/v1/leads"),
        lambda: [LeadFactory(owner=rep, tags="|a|") for _ in range(3)] + [LeadFactory(pool=pool)],
        max_queries=8,
    )


def test_patch_changes_the_lead_and_status(rep):
    lead = LeadFactory(owner=rep)
    response = login(rep).patch(
        f"/api/v1/leads/{lead.pk}",
        data=json.dumps({"company": "新公司有限公司", "status": "qualified", "tags": ["重点"]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["company"], response.json()["status"], response.json()["tags"]) == (
        "新公司有限公司",
        "qualified",
        ["重点"],
    )


def test_a_lead_outside_the_scope_is_404_in_the_error_shape(rep, rep2):
    lead = LeadFactory(owner=rep2)
    response = login(rep).get(f"/api/v1/leads/{lead.pk}")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_assign_claim_return_and_invalid(manager, rep, rep2, pool):
    client = login(manager)
    waiting = LeadFactory(pool=pool)
    claimed = post(login(rep), f"/api/v1/leads/{waiting.pk}/claim", {})
    assert (claimed.status_code, claimed.json()["owner"]["id"]) == (200, rep.pk)
    again = post(login(rep2), f"/api/v1/leads/{waiting.pk}/claim", {})
    assert again.status_code == 409  # a member of its pool learns who holds it, and nothing more
    assert again.json() == {"detail": f"{rep}刚刚领取了这条线索。", "errors": []}
    moved = post(client, f"/api/v1/leads/{waiting.pk}/assign", {"owner_id": rep2.pk})
    assert (moved.status_code, moved.json()["owner"]["id"]) == (200, rep2.pk)
    back = post(client, f"/api/v1/leads/{waiting.pk}/return", {"reason": "换人跟进"})
    assert (back.status_code, back.json()["owner"], back.json()["pool"]["id"]) == (200, None, pool.pk)
    owned = LeadFactory(owner=rep)
    invalid = post(client, f"/api/v1/leads/{owned.pk}/invalid", {"reason": "空号"})
    assert (invalid.json()["status"], invalid.json()["invalid_reason"]) == ("invalid", "空号")


def test_claiming_an_owned_lead_one_still_sees_is_409_naming_the_holder(head, rep, pool):
    lead = LeadFactory(owner=rep, pool=pool)
    response = post(login(head), f"/api/v1/leads/{lead.pk}/claim", {})
    assert response.status_code == 409
    assert str(rep) in response.json()["detail"]


def test_assign_without_owner_names_the_field(manager, rep):
    lead = LeadFactory(owner=rep)
    response = post(login(manager), f"/api/v1/leads/{lead.pk}/assign", {})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["owner"]


def test_bulk_tags_every_lead_or_answers_404(rep, rep2):
    mine = [LeadFactory(owner=rep), LeadFactory(owner=rep)]
    client = login(rep)
    ok = post(client, "/api/v1/leads/bulk", {"ids": [x.pk for x in mine], "action": "tag", "tags": ["重点"]})
    assert ok.json() == {"count": 2}
    foreign = LeadFactory(owner=rep2)
    assert post(client, "/api/v1/leads/bulk", {"ids": [foreign.pk], "action": "tag", "tags": ["x"]}).status_code == 404


def test_lead_pools_list_and_get(org, rep, pool):
    from tests.support.crm import LeadPoolFactory

    LeadPoolFactory(business_unit=org["bu2"], name="别人的池")
    client = login(rep)
    rows = client.get("/api/v1/lead-pools").json()["results"]
    assert [r["id"] for r in rows] == [pool.pk]
    assert client.get(f"/api/v1/lead-pools/{pool.pk}").json()["business_unit"]["id"] == org["bu1"].pk
