from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

from tests.approvals.conftest import make_flow
from tests.sampleapp.models import Deal
from xietong.approvals import selectors, services
from xietong.approvals.models import ApprovalTask, RequestStatus, TaskStatus
from xietong.collaboration import kinds
from xietong.collaboration.models import Notification
from xietong.core.errors import Conflict

pytestmark = pytest.mark.django_db(transaction=False)


def test_no_flow_applies_approves_at_once_and_returns_none(deal: Deal, people: dict[str, Any], calls: list) -> None:
    assert services.approval_submit(document=deal, actor=people["rep"]) is None
    assert calls == [("approved", deal.pk, None)]
    assert selectors.approval_for(deal) is None


def test_submit_snapshots_steps_and_asks_the_first_steps_approvers(
    deal: Deal, people: dict[str, Any], calls: list, django_capture_on_commit_callbacks: Any
) -> None:
    make_flow({"kind": "manager"}, {"kind": "user", "user": people["finance"], "name": "财务"})
    with django_capture_on_commit_callbacks(execute=True):
        request = services.approval_submit(document=deal, actor=people["rep"], comment="请批")
    assert request is not None
    assert request.status == RequestStatus.PENDING
    assert request.current_step == 0
    assert [s["approver_ids"] for s in request.steps] == [[people["lead"].pk], [people["finance"].pk]]
    assert request.title == "商机 华东电力"
    assert request.amount == Decimal("120000.00")
    assert request.business_unit_id == deal.business_unit_id
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "status")) == [
        (people["lead"].pk, TaskStatus.PENDING)
    ]
    assert calls == [("submitted", deal.pk, request.pk)]
    deal.refresh_from_db()
    assert deal.stage == "审批中"
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(people["lead"].pk, "approval_requested")]
    assert selectors.approval_for(deal) == request
    # the notification shows the document type before the stored title, in the reader's language
    asked = Notification.objects.get()
    assert asked.params["document_type"] == "sample_deal"
    with override("en"):
        assert (
            kinds.text_of(asked.kind, asked.params)
            == f"{people['rep']} asks for your approval: 样例商机 · 商机 华东电力"
        )
        assert request.display_title == "样例商机 · 商机 华东电力"


def test_a_second_submit_while_pending_is_a_conflict(deal: Deal, people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})
    services.approval_submit(document=deal, actor=people["rep"])
    with pytest.raises(Conflict):
        services.approval_submit(document=deal, actor=people["rep"])


def test_flow_conditions_choose_the_flow_bu_before_group(
    deal: Deal, org: dict[str, Any], people: dict[str, Any]
) -> None:
    make_flow({"kind": "user", "user": people["legal"]}, name="集团", priority=1)
    make_flow(
        {"kind": "user", "user": people["finance"]},
        name="大额",
        business_unit=org["bu1"],
        priority=5,
        conditions=[{"field": "amount", "op": ">=", "value": "100000"}],
    )
    make_flow({"kind": "user", "user": people["manager"]}, name="小额", business_unit=org["bu1"], priority=9)
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None and request.flow_name == "大额"


def test_a_flow_whose_conditions_fail_is_passed_over(deal: Deal, people: dict[str, Any], calls: list) -> None:
    make_flow(
        {"kind": "user", "user": people["finance"]}, conditions=[{"field": "amount", "op": ">", "value": "500000"}]
    )
    assert services.approval_submit(document=deal, actor=people["rep"]) is None
    assert calls == [("approved", deal.pk, None)]


def test_steps_whose_conditions_fail_are_left_out(deal: Deal, people: dict[str, Any]) -> None:
    make_flow(
        {"kind": "user", "user": people["legal"], "conditions": [{"field": "name", "op": "contains", "value": "医院"}]},
        {"kind": "user", "user": people["finance"], "conditions": [{"field": "amount", "op": ">", "value": "1000"}]},
    )
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    assert [s["approver_ids"] for s in request.steps] == [[people["finance"].pk]]


def test_manager_chain_becomes_one_step_per_level(deal: Deal, people: dict[str, Any]) -> None:
    make_flow({"kind": "manager_chain", "levels": 3, "name": "主管"})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    assert [(s["name"], s["approver_ids"]) for s in request.steps] == [
        ("主管 · 1", [people["lead"].pk]),
        ("主管 · 2", [people["manager"].pk]),
        ("主管 · 3", [people["director"].pk]),
    ]


def test_a_manager_step_that_finds_nobody_is_skipped(org: dict[str, Any], people: dict[str, Any], calls: list) -> None:
    deal = Deal.objects.create(name="顶层", owner=people["director"], business_unit=org["bu1"], amount=1)
    make_flow({"kind": "manager"})
    request = services.approval_submit(document=deal, actor=people["director"])
    assert request is not None
    assert request.status == RequestStatus.APPROVED
    assert request.steps[0]["skipped"] is True
    assert calls == [("approved", deal.pk, request.pk)]


def test_a_role_step_with_nobody_is_an_error_naming_the_step(deal: Deal, people: dict[str, Any]) -> None:
    from tests.support.factories import make_role

    role = make_role("legal_review", {})
    make_flow({"kind": "role", "role": role, "name": "法务审核"})
    with pytest.raises(ValidationError) as caught:
        services.approval_submit(document=deal, actor=people["rep"])
    assert "法务审核" in caught.value.message_dict["flow"][0]
    assert not deal.__class__.objects.filter(pk=deal.pk, stage="审批中").exists()


def test_role_and_team_steps_resolve_their_people(deal: Deal, org: dict[str, Any], people: dict[str, Any]) -> None:
    from tests.support.factories import grant, make_role

    role = make_role("finance_review", {})
    grant(people["finance"], role, org["bu1"])
    grant(people["outsider"], role, org["bu2"])
    make_flow({"kind": "role", "role": role}, {"kind": "team", "team": org["shanghai"], "mode": "any"})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    assert [s["approver_ids"] for s in request.steps] == [[people["finance"].pk], [people["manager"].pk]]


def test_a_delegation_sends_new_tasks_to_the_delegate(deal: Deal, people: dict[str, Any]) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    services.delegation_create(actor=people["finance"], delegate=people["legal"], starts_on=today, ends_on=today)
    make_flow({"kind": "user", "user": people["finance"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver_id", "delegated_from_id")) == [
        (people["legal"].pk, people["finance"].pk)
    ]


def test_a_condition_is_a_finite_number_and_an_empty_value_holds_none(org: dict[str, Any], people: dict[str, Any]):
    """ "NaN" was accepted in a flow's condition, and then every submission of the document type
    crashed; an empty name held "name != 华东电力" and chose that flow."""
    from xietong.approvals import registry

    document_type = registry.get("sample_deal")
    with pytest.raises(ValidationError) as refused:
        services.clean_conditions(document_type, [{"field": "amount", "op": ">=", "value": "NaN"}], field="conditions")
    assert list(refused.value.message_dict) == ["conditions"]
    unnamed = Deal.objects.create(name="", owner=people["rep"], business_unit=org["bu1"], amount="10.00")
    assert not services.condition_holds(document_type, unnamed, {"field": "name", "op": "!=", "value": "华东电力"})
    assert not services.condition_holds(document_type, unnamed, {"field": "amount", "op": "<", "value": "Infinity"})
    named = Deal.objects.create(name="华北电网", owner=people["rep"], business_unit=org["bu1"], amount="10.00")
    assert services.condition_holds(document_type, named, {"field": "name", "op": "!=", "value": "华东电力"})
    assert services.condition_holds(document_type, named, {"field": "amount", "op": "<", "value": "11"})
