from __future__ import annotations

import json
from typing import Any

import pytest

from tests.approvals.conftest import make_flow
from tests.conftest import login
from tests.sampleapp.models import Deal
from tests.support.factories import grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.approvals import services
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, Delegation, RequestStatus
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _submit(deal: Deal, people: dict[str, Any], *steps: dict[str, Any]) -> ApprovalRequest:
    make_flow(*steps)
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    return request


def test_my_pending_list_by_default(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    body = login(people["finance"]).get("/api/v1/approvals").json()
    assert [r["id"] for r in body["results"]] == [request.pk]
    row = body["results"][0]
    assert (row["title"], row["amount"], row["current_step"], row["submitter"]) == (
        "商机 华东电力",
        "120000.00",
        0,
        {"id": people["rep"].pk, "name": "销售小王"},
    )
    assert login(people["rep"]).get("/api/v1/approvals").json()["results"] == []
    mine = login(people["rep"]).get("/api/v1/approvals?mine=submitted&status=pending").json()
    assert [r["id"] for r in mine["results"]] == [request.pk]


def test_pending_pages_follow_the_cursor(org: dict[str, Any], people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})
    ids = []
    for i in range(5):
        deal = Deal.objects.create(name=f"d{i}", owner=people["rep"], business_unit=org["bu1"])
        ids.append(services.approval_submit(document=deal, actor=people["rep"]).pk)  # type: ignore[union-attr]
    client = login(people["finance"])
    first = client.get("/api/v1/approvals?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"] + third["results"]] == ids[::-1]
    assert third["next"] is None
    everything = client.get("/api/v1/approvals?mine=all&page_size=10").json()
    assert [r["id"] for r in everything["results"]] == ids[::-1]


def test_bad_filter_is_422_naming_it(people: dict[str, Any]) -> None:
    response = login(people["rep"]).get("/api/v1/approvals?status=bogus")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_an_unknown_document_type_is_422_listing_the_known_ones(people: dict[str, Any]) -> None:
    """It was accepted and answered an empty list, as if nothing were waiting."""
    client = login(people["rep"])
    response = client.get("/api/v1/approvals?document_type=zzz")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "document_type"
    assert set(error["message"].split(", ")) >= {"quote", "contract", "order", "invoice", "payment_plan"}
    assert client.get("/api/v1/approvals?document_type=").status_code == 200
    assert client.get("/api/v1/approvals?document_type=quote").status_code == 200


def test_approve_then_detail_shows_tasks_and_history(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    response = _post(login(people["finance"]), f"/api/v1/approvals/{request.pk}/approve", {"comment": "同意"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == RequestStatus.APPROVED
    assert [(t["approver"]["id"], t["status"], t["comment"]) for t in body["tasks"]] == [
        (people["finance"].pk, "approved", "同意")
    ]
    assert [e["kind"] for e in body["events"]] == ["submit", "approve", "step_done", "finish"]
    assert body["can_decide"] is False


def test_decision_answers_403_404_409(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    url = f"/api/v1/approvals/{request.pk}/approve"
    assert _post(login(people["rep"]), url, {}).status_code == 403
    assert _post(login(people["outsider"]), url, {}).status_code == 404
    assert _post(login(people["finance"]), url, {}).status_code == 200
    conflict = _post(login(people["finance"]), url, {})
    assert conflict.status_code == 409
    assert set(conflict.json()) == {"detail", "errors"}


def test_a_decision_without_a_body_is_taken(deal: Deal, people: dict[str, Any]) -> None:
    """The comment is optional: ``curl -X POST .../approve`` without a body was a 422 on ``__all__``."""
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    response = login(people["finance"]).generic("POST", f"/api/v1/approvals/{request.pk}/approve")
    assert (response.status_code, response.json()["status"]) == (200, RequestStatus.APPROVED)


def test_return_needs_an_earlier_step(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    _post(login(people["finance"]), f"/api/v1/approvals/{request.pk}/approve", {})
    bad = _post(login(people["legal"]), f"/api/v1/approvals/{request.pk}/return", {"step": 1})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "step"
    ok = _post(login(people["legal"]), f"/api/v1/approvals/{request.pk}/return", {"step": 0, "comment": "补充"})
    assert ok.status_code == 200 and ok.json()["current_step"] == 0


def test_recall_and_delegate(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    delegated = _post(
        login(people["finance"]), f"/api/v1/approvals/{request.pk}/delegate", {"user_id": people["legal"].pk}
    )
    assert delegated.status_code == 200
    assert [t["status"] for t in delegated.json()["tasks"]] == ["delegated", "pending"]
    recalled = _post(login(people["rep"]), f"/api/v1/approvals/{request.pk}/recall", {})
    assert recalled.status_code == 200 and recalled.json()["status"] == "recalled"


def test_pending_endpoint_in_constant_queries(org: dict[str, Any], people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})
    client = login(people["finance"])
    counter = iter(range(1000))

    def add() -> None:
        for _ in range(3):
            deal = Deal.objects.create(name=f"d{next(counter)}", owner=people["rep"], business_unit=org["bu1"])
            services.approval_submit(document=deal, actor=people["rep"])

    add()
    assert_queries_constant(lambda: client.get("/api/v1/approvals"), add)


@pytest.fixture
def flow_admin(org: dict[str, Any], people: dict[str, Any]) -> Any:
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


FLOW_BODY: dict[str, Any] = {
    "document_type": "sample_deal",
    "name": "大额商机",
    "priority": 10,
    "conditions": [{"field": "amount", "op": ">=", "value": "100000"}],
    "remind_after_hours": 24,
}


def test_flow_crud(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    client = login(flow_admin)
    body = {
        **FLOW_BODY,
        "business_unit_id": org["bu1"].pk,
        "steps": [
            {"name": "主管", "kind": "manager"},
            {"name": "财务", "kind": "user", "user_id": people["finance"].pk, "mode": "any"},
        ],
    }
    created = _post(client, "/api/v1/approval-flows", body)
    assert created.status_code == 201, created.content
    flow = created.json()
    assert [(s["position"], s["kind"], s["mode"]) for s in flow["steps"]] == [(1, "manager", "all"), (2, "user", "any")]
    assert flow["conditions"] == [{"field": "amount", "op": ">=", "value": "100000"}]
    patched = client.patch(
        f"/api/v1/approval-flows/{flow['id']}", data=json.dumps({"is_active": False}), content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert [f["id"] for f in client.get("/api/v1/approval-flows").json()["results"]] == [flow["id"]]
    assert client.delete(f"/api/v1/approval-flows/{flow['id']}").status_code == 204
    assert not ApprovalFlow.objects.exists()


def test_flow_errors_name_the_field(org: dict[str, Any], flow_admin: Any) -> None:
    client = login(flow_admin)
    bad_condition = _post(
        client,
        "/api/v1/approval-flows",
        {
            **FLOW_BODY,
            "business_unit_id": org["bu1"].pk,
            "conditions": [{"field": "name", "op": ">", "value": "x"}],
            "steps": [{"name": "主管", "kind": "manager"}],
        },
    )
    assert bad_condition.status_code == 422
    assert bad_condition.json()["errors"][0]["field"] == "conditions"
    bad_step = _post(
        client,
        "/api/v1/approval-flows",
        {**FLOW_BODY, "business_unit_id": org["bu1"].pk, "steps": [{"name": "x", "kind": "user", "user_id": 999999}]},
    )
    assert bad_step.status_code == 422
    assert bad_step.json()["errors"][0]["field"] == "steps.1.user_id"


def test_a_bu_administrator_cannot_define_group_wide_flows(flow_admin: Any) -> None:
    response = _post(
        login(flow_admin), "/api/v1/approval-flows", {**FLOW_BODY, "steps": [{"name": "主管", "kind": "manager"}]}
    )
    assert response.status_code == 403
    assert not ApprovalFlow.objects.exists()


def test_a_flow_in_use_cannot_be_deleted(
    deal: Deal, org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    flow = make_flow({"kind": "user", "user": people["finance"]}, business_unit=org["bu1"])
    services.approval_submit(document=deal, actor=people["rep"])
    assert login(flow_admin).delete(f"/api/v1/approval-flows/{flow.pk}").status_code == 409


def test_without_administer_the_flows_are_not_found(org: dict[str, Any], people: dict[str, Any]) -> None:
    flow = make_flow({"kind": "user", "user": people["finance"]}, business_unit=org["bu1"])
    client = login(people["rep"])
    assert client.get("/api/v1/approval-flows").json()["results"] == []
    assert client.get(f"/api/v1/approval-flows/{flow.pk}").status_code == 404


def test_document_types_list_their_fields(people: dict[str, Any]) -> None:
    types = {t["code"]: t for t in login(people["rep"]).get("/api/v1/approval-document-types").json()}
    assert [f["name"] for f in types["sample_deal"]["fields"]] == ["amount", "name", "stage", "business_unit"]


def test_delegations(people: dict[str, Any]) -> None:
    client = login(people["finance"])
    created = _post(
        client,
        "/api/v1/approval-delegations",
        {"delegate_id": people["legal"].pk, "starts_on": "2026-12-01", "ends_on": "2026-12-10"},
    )
    assert created.status_code == 201
    backwards = _post(
        client,
        "/api/v1/approval-delegations",
        {"delegate_id": people["legal"].pk, "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "ends_on"
    pk = created.json()["id"]
    assert login(people["legal"]).delete(f"/api/v1/approval-delegations/{pk}").status_code == 404
    assert client.delete(f"/api/v1/approval-delegations/{pk}").status_code == 204
    assert Delegation.objects.get(pk=pk).is_active is False
