"""Exploratory findings on the approval pages as an administrator and approvers use them (zh UI)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.approvals.conftest import make_flow
from tests.approvals.test_flow_pages import _post_data
from tests.conftest import login
from tests.sampleapp.models import Deal
from tests.support.factories import grant, make_role
from tests.support.i18n import zh
from xietong.approvals import services
from xietong.approvals.models import ApprovalFlow, RequestStatus, StepMode
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


def test_a_step_conditions_error_is_told_in_that_step(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """A bad condition of step 2 said only "条件 1：…", at the top: it read as the flow's own condition 1."""
    data = _post_data(org, people, step_conditions_text=["", "客户级别 = A", ""])
    response = login(flow_admin).post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 422
    html = response.content.decode()
    message = zh("Step %(n)s: %(error)s", n=2, error=zh("Condition %(n)s: no field “%(name)s”.", n=1, name="客户级别"))
    assert message in html  # in the summary at the top
    assert message in _fieldset(html, 2)  # and in the step's row


def test_a_step_error_names_the_row_the_administrator_sees(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """Row 1 left empty, row 2 a named-user step without a user: the message said "步骤 1" (the service
    counts the rows kept) while the form shows it as 步骤 2; and it stood only at the top of the page."""
    data = _post_data(
        org,
        people,
        step_name=["", "财务", ""],
        step_kind=["", "user", ""],
        step_user_id=["", "", ""],
        step_conditions_text=["", "", ""],
    )
    response = login(flow_admin).post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 422
    html = response.content.decode()
    message = zh("Step %(n)s: no such user.", n=1)
    # the row holding the step is numbered as the message numbers it, and carries the message
    rows_with_message = [n for n in range(1, 5) if message in _fieldset(html, n)]
    assert rows_with_message == [1]
    assert 'value="财务"' in _fieldset(html, 1)


def test_after_an_error_the_form_still_offers_empty_step_rows(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """Both step rows filled and a typo elsewhere: the form came back with no empty row to add a third step."""
    data = _post_data(
        org,
        people,
        priority="x",
        step_name=["主管", "财务"],
        step_kind=["manager", "user"],
        step_mode=["all", "any"],
        step_user_id=["", str(people["finance"].pk)],
        step_role_id=["", ""],
        step_team_id=["", ""],
        step_levels=["1", "1"],
        step_conditions_text=["", ""],
    )
    response = login(flow_admin).post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 422
    assert 'id="s-name-3"' in response.content.decode()


def test_more_empty_rows_keeps_what_was_typed(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    """A new flow offered two step rows and no way to add a third (legal → finance → BU head) before saving."""
    client = login(flow_admin)
    assert 'name="more_rows"' in client.get("/approvals/flows/new/sample_deal/").content.decode()
    data = _post_data(org, people, more_rows="1")
    response = client.post("/approvals/flows/new/sample_deal/", data)
    assert response.status_code == 200
    assert not ApprovalFlow.objects.exists()
    html = response.content.decode()
    assert 'value="大额商机"' in html and 'value="财务"' in html
    assert 'id="s-name-4"' in html


def test_flow_list_reads_conditions_in_words(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    """The list showed `stage in ['初步接洽', '方案']` (field code and a Python list) and not the steps' conditions."""
    make_flow(
        {
            "kind": "user",
            "user": people["finance"],
            "name": "财务",
            "conditions": [{"field": "amount", "op": ">", "value": "500000"}],
        },
        business_unit=org["bu1"],
        conditions=[{"field": "stage", "op": "in", "value": ["初步接洽", "方案"]}],
    )
    html = login(flow_admin).get("/approvals/flows/").content.decode()
    assert "[&#x27;" not in html and "['" not in html
    assert f"阶段 {zh('is one of')} 初步接洽, 方案" in html
    assert zh("(only when %(conditions)s)", conditions="金额 &gt; 500000") in html


# --- deciding ------------------------------------------------------------------------------------------------


def test_approving_a_step_someone_else_already_approved_is_a_message_not_a_403(
    deal: Deal, people: dict[str, Any]
) -> None:
    """或签: two approvers see it in My day; the first approves; the second's one-tap approve answered a
    bare 403 page although the button was offered to them."""
    make_flow(
        {"kind": "team", "team": people["finance"].primary_team, "mode": StepMode.ANY, "name": "财务"},
        {"kind": "user", "user": people["director"], "name": "总监"},
    )
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    stale = login(people["legal"])
    assert f"/approvals/{request.pk}/decide/" in stale.get("/").content.decode()
    services.approval_approve(request=request, actor=people["finance"])
    response = stale.post(f"/approvals/{request.pk}/decide/", {"decision": "approve", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert zh("This approval no longer waits for your decision: the step was decided or moved on.") in (
        response.content.decode()
    )
    request.refresh_from_db()
    assert (request.status, request.current_step) == (RequestStatus.PENDING, 1)


def test_an_edited_flow_keeps_showing_its_business_unit_after_an_error(
    org: dict[str, Any], people: dict[str, Any], flow_admin: Any
) -> None:
    """The business unit cannot change on edit (its select is disabled, so not posted): after an error
    the form showed the BU's flow as 全集团 (whole group)."""
    flow = make_flow({"kind": "user", "user": people["finance"], "name": "财务"}, business_unit=org["bu1"])
    data = _post_data(org, people, priority="x")
    del data["business_unit_id"]
    response = login(flow_admin).post(f"/approvals/flows/{flow.pk}/edit/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'<option value="{org["bu1"].pk}" selected>' in html
