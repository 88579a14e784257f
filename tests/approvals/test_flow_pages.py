from __future__ import annotations

from typing import Any

import pytest

from tests.approvals.conftest import make_flow
from tests.conftest import login
from tests.support.factories import grant, make_role
from tests.support.i18n import zh
from xietong.approvals.models import ApprovalFlow, Delegation
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_admin(org: dict[str, Any], people: dict[str, Any]) -> Any:
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


def _post_data(org: dict[str, Any], people: dict[str, Any], **over: Any) -> dict[str, Any]:
    data = {
        "name": "大额商机",
        "business_unit_id": str(org["bu1"].pk),
        "priority": "10",
        "is_active": "on",
        "remind_after_hours": "24",
        "escalate_after_hours": "",
        "escalate_to_id": "",
        "cond_field": ["amount", ""],
        "cond_op": [">=", "="],
        "cond_value": ["100000", ""],
        "step_name": ["主管", "财务", ""],
        "step_kind": ["manager", "user", ""],
        "step_mode": ["all", "any", "all"],
        "step_user_id": ["", str(people["finance"].pk), ""],
        "step_role_id": ["", "", ""],
        "step_team_id": ["", "", ""],
        "step_levels": ["1", "1", "1"],
        "step_conditions_text": ["", "amount > 500000", ""],
    }
    data.update(over)
    return data


def test_an_administrator_creates_a_flow_with_conditions_and_steps(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    client = login(flow_admin)
    assert client.get("/approvals/flows/new/sample_deal/").status_code == 200
    response = client.post("/approvals/flows/new/sample_deal/", _post_data(org, people))
    assert response.status_code == 303
    flow = ApprovalFlow.objects.get()
    assert (flow.name, flow.business_unit_id, flow.priority, flow.remind_after_hours) == (
        "大额商机",
        org["bu1"].pk,
        10,
        24,
    )
    assert flow.conditions == [{"field": "amount", "op": ">=", "value": "100000"}]
    assert [(s.position, s.kind, s.mode, s.user_id, s.conditions) for s in flow.steps.all()] == [
        (1, "manager", "all", None, []),
        (2, "user", "any", people["finance"].pk, [{"field": "amount", "op": ">", "value": "500000"}]),
    ]
    page = client.get("/approvals/flows/").content.decode()
    assert "大额商机" in page
    edit = client.get(f"/approvals/flows/{flow.pk}/edit/").content.decode()
    assert "amount &gt; 500000" in edit


def test_a_bad_row_rerenders_with_what_was_typed(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    client = login(flow_admin)
    data = _post_data(org, people, step_user_id=["", "", ""])
    response = client.post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert zh("Step %(n)s: no such user.", n=2) in html
    assert 'value="大额商机"' in html
    assert not ApprovalFlow.objects.exists()


def test_deactivate_and_delete(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    flow = make_flow({"kind": "manager"}, business_unit=org["bu1"])
    client = login(flow_admin)
    assert client.post(f"/approvals/flows/{flow.pk}/active/", {"is_active": "0"}).status_code == 303
    flow.refresh_from_db()
    assert flow.is_active is False
    assert client.post(f"/approvals/flows/{flow.pk}/delete/").status_code == 303
    assert not ApprovalFlow.objects.exists()


def test_flow_pages_need_administer(org: dict[str, Any], people: dict[str, Any]) -> None:
    flow = make_flow({"kind": "manager"}, business_unit=org["bu1"])
    client = login(people["rep"])
    assert client.get("/approvals/flows/").status_code == 403
    assert client.get(f"/approvals/flows/{flow.pk}/edit/").status_code == 404


def test_a_bu_administrator_does_not_reach_another_bus_flow(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    flow = make_flow({"kind": "manager"}, business_unit=org["bu2"])
    client = login(flow_admin)
    assert client.get(f"/approvals/flows/{flow.pk}/edit/").status_code == 404
    assert client.post(f"/approvals/flows/{flow.pk}/delete/").status_code == 404
    assert ApprovalFlow.objects.filter(pk=flow.pk).exists()


def test_delegations_page(people: dict[str, Any]) -> None:
    client = login(people["finance"])
    assert client.get("/approvals/delegations/").status_code == 200
    response = client.post(
        "/approvals/delegations/",
        {"delegate_id": str(people["legal"].pk), "starts_on": "2026-12-01", "ends_on": "2026-12-05"},
    )
    assert response.status_code == 303
    delegation = Delegation.objects.get()
    assert (delegation.user_id, delegation.delegate_id) == (people["finance"].pk, people["legal"].pk)
    bad = client.post(
        "/approvals/delegations/",
        {"delegate_id": str(people["legal"].pk), "starts_on": "2026-12-05", "ends_on": "2026-12-01"},
    )
    assert bad.status_code == 422 and zh("The end is before the start.") in bad.content.decode()
    assert client.post(f"/approvals/delegations/{delegation.pk}/end/").status_code == 303
    delegation.refresh_from_db()
    assert delegation.is_active is False
