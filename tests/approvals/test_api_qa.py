"""Exploratory findings on the approval-flow API: whole numbers too large for the database are bad
input naming the field (they were a 422 without any field, or on PostgreSQL a 500 from an integer
column that holds at most 2147483647)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import login
from tests.support.factories import grant, make_role
from xietong.approvals.models import ApprovalFlow
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_admin(people: dict[str, Any]) -> Any:
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


def _flow(org: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "document_type": "sample_deal",
        "name": "大额商机",
        "business_unit_id": org["bu1"].pk,
        "steps": [{"name": "主管", "kind": "manager"}],
        **extra,
    }


@pytest.mark.parametrize("field", ["priority", "remind_after_hours", "escalate_after_hours"])
@pytest.mark.parametrize("value", [2**31, 10**20])
def test_a_number_too_large_is_a_422_naming_the_field(org, flow_admin, field, value):
    response = login(flow_admin).post(
        "/api/v1/approval-flows", data=json.dumps(_flow(org, **{field: value})), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ApprovalFlow.objects.exists()


def test_a_patch_with_a_number_too_large_changes_nothing(org, flow_admin):
    client = login(flow_admin)
    flow = client.post("/api/v1/approval-flows", data=json.dumps(_flow(org)), content_type="application/json").json()
    response = client.patch(
        f"/api/v1/approval-flows/{flow['id']}", data=json.dumps({"priority": 2**31}), content_type="application/json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["priority"]
    assert ApprovalFlow.objects.get(pk=flow["id"]).priority == 100
