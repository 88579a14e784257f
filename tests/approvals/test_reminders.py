from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.approvals.conftest import make_flow
from tests.sampleapp.models import Deal
from xietong.approvals import services
from xietong.approvals.models import ApprovalEvent, ApprovalTask, TaskStatus

pytestmark = pytest.mark.django_db


def _submitted(deal: Deal, people: dict[str, Any], **flow: Any) -> Any:
    make_flow({"kind": "user", "user": people["finance"]}, **flow)
    return services.approval_submit(document=deal, actor=people["rep"])


def test_a_late_task_is_reminded_once(deal: Deal, people: dict[str, Any]) -> None:
    request = _submitted(deal, people, remind_after_hours=4)
    now = timezone.now()
    assert services.approvals_remind_and_escalate(now=now + timedelta(hours=3)) == {"reminded": 0, "escalated": 0}
    assert services.approvals_remind_and_escalate(now=now + timedelta(hours=5)) == {"reminded": 1, "escalated": 0}
    assert services.approvals_remind_and_escalate(now=now + timedelta(hours=6)) == {"reminded": 0, "escalated": 0}
    assert list(ApprovalEvent.objects.filter(request=request, kind="remind").values_list("params", flat=True)) == [
        {"approver": people["finance"].pk}
    ]


def test_escalation_adds_the_escalate_to_user_once(deal: Deal, people: dict[str, Any]) -> None:
    request = _submitted(deal, people, escalate_after_hours=24, escalate_to=people["director"])
    later = timezone.now() + timedelta(hours=25)
    assert services.approvals_remind_and_escalate(now=later)["escalated"] == 1
    assert services.approvals_remind_and_escalate(now=later + timedelta(hours=30))["escalated"] == 0
    # the step is 会签 (all must approve): the escalation takes the late approver's place
    assert list(
        ApprovalTask.objects.filter(request=request).values_list("approver__username", "status").order_by("pk")
    ) == [("fin", TaskStatus.DELEGATED), ("dir", TaskStatus.PENDING)]
    (escalated,) = ApprovalEvent.objects.filter(request=request, kind="escalate").values_list("params", flat=True)
    assert escalated["to_name"] == str(people["director"])
    services.approval_approve(request=request, actor=people["director"])
    request.refresh_from_db()
    assert request.status == "approved"


def test_in_a_any_one_step_the_escalation_joins_the_late_approver(deal: Deal, people: dict[str, Any]) -> None:
    make_flow(
        {"kind": "user", "user": people["finance"], "mode": "any"},
        escalate_after_hours=24,
        escalate_to=people["director"],
    )
    request = services.approval_submit(document=deal, actor=people["rep"])
    services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=25))
    assert list(
        ApprovalTask.objects.filter(request=request).values_list("approver__username", "status").order_by("pk")
    ) == [("fin", TaskStatus.PENDING), ("dir", TaskStatus.PENDING)]
    services.approval_approve(request=request, actor=people["finance"])  # the late approver may still decide
    request.refresh_from_db()
    assert request.status == "approved"
    assert ApprovalTask.objects.get(approver=people["director"]).status == TaskStatus.SKIPPED


def test_an_escalation_without_anyone_to_escalate_to_leaves_the_task_with_the_approver(
    deal: Deal, people: dict[str, Any]
) -> None:
    request = _submitted(deal, people, escalate_after_hours=1)  # the finance person has no manager here
    assert services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=2))["escalated"] == 1
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("fin", TaskStatus.PENDING)
    ]


def test_escalation_without_a_target_goes_to_the_approvers_manager(
    deal: Deal, people: dict[str, Any], org: dict[str, Any]
) -> None:
    from tests.support.factories import manage

    boss = people["manager"]
    manage(boss, org["supply"])  # the finance person's team manager
    request = _submitted(deal, people, escalate_after_hours=1)
    services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=2))
    assert set(ApprovalTask.objects.filter(request=request).values_list("approver__username", flat=True)) == {
        "fin",
        "mgr",
    }


def test_finished_requests_are_not_reminded(deal: Deal, people: dict[str, Any]) -> None:
    request = _submitted(deal, people, remind_after_hours=1)
    services.approval_approve(request=request, actor=people["finance"])
    assert services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=5)) == {
        "reminded": 0,
        "escalated": 0,
    }


def test_a_late_approver_who_is_the_escalation_target_keeps_their_task(deal: Deal, people: dict[str, Any]) -> None:
    """The request used to be left with no pending task at all: stuck, its document locked."""
    request = _submitted(deal, people, escalate_after_hours=1, escalate_to=people["finance"])
    services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=2))
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("fin", TaskStatus.PENDING)
    ]
    services.approval_approve(request=request, actor=people["finance"])
    request.refresh_from_db()
    assert request.status == "approved"


def test_in_a_all_step_an_escalation_target_already_asked_decides_for_both(deal: Deal, people: dict[str, Any]) -> None:
    request = _submitted(deal, people, escalate_after_hours=1, escalate_to=people["legal"])
    # a second approver in the same 会签 step: legal, asked too (and not late)
    ApprovalTask.objects.create(request=request, step=0, approver=people["legal"], created_at=timezone.now())
    services.approvals_remind_and_escalate(now=timezone.now() + timedelta(minutes=90))
    assert sorted(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("fin", TaskStatus.DELEGATED),
        ("legal", TaskStatus.PENDING),
    ]
    services.approval_approve(request=request, actor=people["legal"])
    request.refresh_from_db()
    assert request.status == "approved"


def test_a_takeover_keeps_on_whose_behalf_and_follows_the_targets_own_delegation(
    deal: Deal, people: dict[str, Any]
) -> None:
    from xietong.approvals.models import Delegation

    today = timezone.localdate()
    later = timezone.now() + timedelta(hours=2)  # after 22:00 local time this is tomorrow
    Delegation.objects.create(user=people["finance"], delegate=people["legal"], starts_on=today, ends_on=today)
    Delegation.objects.create(
        user=people["director"], delegate=people["manager"], starts_on=today, ends_on=timezone.localdate(later)
    )
    request = _submitted(deal, people, escalate_after_hours=1, escalate_to=people["director"])
    services.approvals_remind_and_escalate(now=later)
    assert list(
        ApprovalTask.objects.filter(request=request)
        .order_by("pk")
        .values_list("approver__username", "status", "delegated_from__username")
    ) == [("legal", TaskStatus.DELEGATED, "fin"), ("mgr", TaskStatus.PENDING, "fin")]


def test_an_escalation_after_midnight_follows_only_delegations_of_that_day(deal: Deal, people: dict[str, Any]) -> None:
    """Submitted at 23:00, escalated at 01:00: the director's stand-in for yesterday no longer
    counts, the director is asked in person. (A CI run late in the evening met this.)"""
    from datetime import time

    from tests.support.clock import local_time
    from xietong.approvals.models import Delegation

    with local_time(time(23)) as evening:
        today = evening.date()
        Delegation.objects.create(user=people["director"], delegate=people["manager"], starts_on=today, ends_on=today)
        request = _submitted(deal, people, escalate_after_hours=1, escalate_to=people["director"])
        services.approvals_remind_and_escalate(now=evening + timedelta(hours=2))
    assert list(
        ApprovalTask.objects.filter(request=request).order_by("pk").values_list("approver__username", "status")
    ) == [("fin", TaskStatus.DELEGATED), ("dir", TaskStatus.PENDING)]


def test_the_submitter_is_never_an_escalation_target(deal: Deal, people: dict[str, Any]) -> None:
    """The flow escalates to the submitter (or the chain reaches them): the task stays with the
    late approver, and nobody decides on their own request."""
    request = _submitted(deal, people, escalate_after_hours=1, escalate_to=people["rep"])
    assert services.approvals_remind_and_escalate(now=timezone.now() + timedelta(hours=2))["escalated"] == 1
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("fin", TaskStatus.PENDING)
    ]
    (escalated,) = ApprovalEvent.objects.filter(request=request, kind="escalate").values_list("params", flat=True)
    assert (escalated["added"], escalated["to_name"]) == ([], "")
