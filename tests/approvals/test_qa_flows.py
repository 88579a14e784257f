"""Exploratory findings on the approval pages as an administrator and approvers use them (zh UI)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.approvals.test_flow_pages import _post_data
from tests.conftest import login
from tests.support.factories import grant, make_role
from xietong.approvals.models import ApprovalFlow
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_admin(org: dict[str, Any], people: dict[str, Any]) -> Any:
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


def _fieldset(html: str, n: int) -> str:
    """The HTML of the flow form's n-th step row (1-based)."""
    parts = html.split('<fieldset class="border rounded p-2 mb-2 flow-step')
    return parts[n] if len(parts) > n else ""


# --- the flow form ------------------------------------------------------------------------------------------


def test_operators_read_in_chinese(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    """The operator select offered "contains" and "in" in English in the zh UI."""
    html = login(flow_admin).get("/approvals/flows/new/sample_deal/").content.decode()
    labels = set(re.findall(r'<option value="(?:contains|in)"[^>]*>([^<]*)</option>', html))
    assert labels, "the operator select offers contains and in"
    assert not labels & {"contains", "in"}


def test_a_choice_condition_with_a_value_that_is_no_choice_is_refused(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """ "stage = 谈判" (no such stage) saved and then never held: the flow looked active but never applied."""
    client = login(flow_admin)
    data = _post_data(org, people, cond_field=["stage", ""], cond_op=["=", "="], cond_value=["谈判", ""])
    response = client.post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 422
    assert not ApprovalFlow.objects.exists()
    assert "谈判" in response.content.decode()


def test_a_choice_condition_may_name_the_choice_by_its_label(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """A reference is an id: the administrator may type the business unit's name, it is stored as the id;
    a customer level "a" is the level A (the contracts' HQ review)."""
    client = login(flow_admin)
    data = _post_data(
        org,
        people,
        cond_field=["business_unit", "customer_level"],
        cond_op=["=", "in"],
        cond_value=[org["bu1"].name, "a, B"],
    )
    assert client.post("/approvals/flows/new/contract/", data).status_code == 303
    flow = ApprovalFlow.objects.get()
    assert flow.conditions == [
        {"field": "business_unit", "op": "=", "value": str(org["bu1"].pk)},
        {"field": "customer_level", "op": "in", "value": ["A", "B"]},
    ]
    edit = client.get(f"/approvals/flows/{flow.pk}/edit/").content.decode()
    assert f'value="{org["bu1"].name}"' in edit  # shown by its name, as it was typed


# --- deciding ------------------------------------------------------------------------------------------------
