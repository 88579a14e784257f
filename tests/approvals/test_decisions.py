from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.approvals.conftest import make_flow
from tests.sampleapp.models import Deal
from tests.support.i18n import zh
from xietong.approvals import services
from xietong.approvals.models import ApprovalEvent, ApprovalRequest, ApprovalTask, RequestStatus, TaskStatus
from xietong.core.errors import Conflict, NotFound

pytestmark = pytest.mark.django_db


def _tasks(request: ApprovalRequest) -> list[tuple[int, str, str]]:
    return [
        (t.step, t.approver.username, t.status) for t in ApprovalTask.objects.filter(request=request).order_by("pk")
    ]


def _submit(deal: Deal, people: dict[str, Any], *steps: dict[str, Any]) -> ApprovalRequest:
    make_flow(*steps)
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    return request


def test_all_mode_step_completes_only_when_every_approver_approved(
    deal: Deal, people: dict[str, Any], org: dict[str, Any], calls: list
) -> None:
    request = _submit(deal, people, {"kind": "team", "team": org["supply"], "mode": "all"})
    services.approval_approve(request=request, actor=people["finance"], comment="同意")
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    services.approval_approve(request=request, actor=people["legal"])
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert calls[-1] == ("approved", deal.pk, request.pk)
    deal.refresh_from_db()
    assert deal.stage == "已批准"


def test_any_mode_step_completes_at_the_first_approval_and_skips_the_others(
    deal: Deal, people: dict[str, Any], org: dict[str, Any]
) -> None:
    request = _submit(
        deal,
        people,
        {"kind": "team", "team": org["supply"], "mode": "any"},
        {"kind": "user", "user": people["manager"]},
    )
    services.approval_approve(request=request, actor=people["legal"])
    assert _tasks(request) == [
        (0, "fin", TaskStatus.SKIPPED),
        (0, "legal", TaskStatus.APPROVED),
        (1, "mgr", TaskStatus.PENDING),
    ]
    with pytest.raises(PermissionDenied):
        services.approval_approve(request=request, actor=people["finance"])


def test_reject_goes_back_to_the_submitter(deal: Deal, people: dict[str, Any], calls: list) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    services.approval_reject(request=request, actor=people["finance"], comment="折扣太大")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.current_step is None
    assert calls[-1] == ("returned", deal.pk, request.pk)
    deal.refresh_from_db()
    assert deal.stage == "初步接洽"
    with pytest.raises(Conflict):
        services.approval_approve(request=request, actor=people["finance"])
    # and the document may go in again
    again = services.approval_submit(document=deal, actor=people["rep"])
    assert again is not None and again.pk != request.pk


def test_return_sends_it_to_an_earlier_step_which_decides_again(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    services.approval_approve(request=request, actor=people["finance"])
    services.approval_return(request=request, actor=people["legal"], step=0, comment="补充资料")
    request.refresh_from_db()
    assert request.current_step == 0
    assert _tasks(request) == [
        (0, "fin", TaskStatus.APPROVED),
        (1, "legal", TaskStatus.RETURNED),
        (0, "fin", TaskStatus.PENDING),
    ]
    event = ApprovalEvent.objects.filter(request=request, kind="return").get()
    assert (event.comment, event.params["to_step"]) == ("补充资料", 0)


def test_return_tells_the_submitter_which_step_it_went_back_to(
    deal: Deal, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The submitter was not told: their request went quiet at a step they had seen approved."""
    from xietong.collaboration.models import Notification

    request = _submit(
        deal,
        people,
        {"kind": "user", "user": people["finance"], "name": "财务审核"},
        {"kind": "user", "user": people["legal"], "name": "法务审核"},
    )
    services.approval_approve(request=request, actor=people["finance"])
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_return(request=request, actor=people["legal"], step=0, comment="补充资料")
    told = Notification.objects.get(recipient=people["rep"])
    assert (told.kind, told.params["step"], told.params["comment"]) == ("approval_returned", "财务审核", "补充资料")
    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("fin", "approval_requested"),
        (people["rep"].username, "approval_returned"),
    ]


def test_return_refuses_the_current_or_a_later_step(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    with pytest.raises(ValidationError) as caught:
        services.approval_return(request=request, actor=people["finance"], step=0)
    assert list(caught.value.message_dict) == ["step"]


def test_recall_before_any_decision(deal: Deal, people: dict[str, Any], calls: list) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    services.approval_recall(request=request, actor=people["rep"])
    request.refresh_from_db()
    assert request.status == RequestStatus.RECALLED
    assert _tasks(request) == [(0, "fin", TaskStatus.SKIPPED)]
    assert calls[-1] == ("returned", deal.pk, request.pk)


def test_recall_after_a_decision_is_refused(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    services.approval_approve(request=request, actor=people["finance"])
    with pytest.raises(Conflict):
        services.approval_recall(request=request, actor=people["rep"])


def test_only_the_submitter_recalls(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    with pytest.raises(PermissionDenied):
        services.approval_recall(request=request, actor=people["finance"])


def test_delegate_hands_the_task_over(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    services.approval_delegate(request=request, actor=people["finance"], user=people["legal"], comment="出差")
    assert _tasks(request) == [(0, "fin", TaskStatus.DELEGATED), (0, "legal", TaskStatus.PENDING)]
    with pytest.raises(PermissionDenied):
        services.approval_approve(request=request, actor=people["finance"])
    services.approval_approve(request=request, actor=people["legal"])
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_delegate_to_an_unknown_user_names_the_field(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    with pytest.raises(ValidationError) as caught:
        services.approval_delegate(request=request, actor=people["finance"], user=999999)
    assert list(caught.value.message_dict) == ["user_id"]


def test_someone_who_sees_the_document_but_is_not_asked_gets_403(
    deal: Deal, people: dict[str, Any], org: dict[str, Any]
) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    with pytest.raises(PermissionDenied):  # the submitter sees it, but does not decide
        services.approval_approve(request=request, actor=people["rep"])


def test_someone_who_cannot_see_it_gets_404(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(deal, people, {"kind": "user", "user": people["finance"]})
    with pytest.raises(NotFound):
        services.approval_approve(request=request, actor=people["outsider"])
    with pytest.raises(NotFound):
        services.approval_approve(request=999999, actor=people["finance"])


def test_the_history_records_every_decision(deal: Deal, people: dict[str, Any]) -> None:
    request = _submit(
        deal, people, {"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]}
    )
    services.approval_approve(request=request, actor=people["finance"], comment="ok")
    services.approval_approve(request=request, actor=people["legal"])
    assert list(ApprovalEvent.objects.filter(request=request).values_list("kind", "actor__username", "step")) == [
        ("submit", "rep", None),
        ("approve", "fin", 0),
        ("step_done", "fin", 0),
        ("approve", "legal", 1),
        ("step_done", "legal", 1),
        ("finish", "legal", None),
    ]


def test_approvers_see_the_document_while_asked_and_after(deal: Deal, people: dict[str, Any]) -> None:
    from xietong.core.visibility import explain

    assert not Deal.objects.visible_to(people["legal"]).filter(pk=deal.pk).exists()
    request = _submit(deal, people, {"kind": "user", "user": people["legal"]})
    legal = type(people["legal"]).objects.get(pk=people["legal"].pk)
    assert list(Deal.objects.visible_to(legal).values_list("pk", flat=True)) == [deal.pk]
    assert explain(legal, deal) == [zh("You are asked to approve it, or were")]
    services.approval_approve(request=request, actor=legal)
    assert Deal.objects.visible_to(legal).filter(pk=deal.pk).exists()
    assert not Deal.objects.visible_to(people["outsider"]).filter(pk=deal.pk).exists()


def test_deciding_reads_the_notification_that_asked_the_approver(
    deal: Deal, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from xietong.collaboration.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        request = _submit(deal, people, {"kind": "user", "user": people["manager"]})
    asked = Notification.objects.get(recipient=people["manager"], kind="approval_requested")
    assert asked.read_at is None
    services.approval_approve(request=request, actor=people["manager"], comment="同意")
    asked.refresh_from_db()
    assert asked.read_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_delegation_is_one_transaction(deal: Deal, people: dict[str, Any], monkeypatch: Any) -> None:
    """It ran outside a transaction: on PostgreSQL its row lock answered 500, and a failure halfway
    left the task closed as delegated with nobody to decide."""
    from django.db import IntegrityError, connection

    make_flow({"kind": "user", "user": people["manager"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    seen: dict[str, bool] = {}

    def failing_create(**kwargs: Any) -> Any:
        seen["atomic"] = connection.in_atomic_block
        raise IntegrityError("the new task could not be written")

    monkeypatch.setattr(ApprovalTask.objects, "create", failing_create)
    with pytest.raises(IntegrityError):
        services.approval_delegate(request=request, actor=people["manager"], user=people["director"])
    monkeypatch.undo()
    assert seen == {"atomic": True}
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("mgr", TaskStatus.PENDING)
    ]
    services.approval_delegate(request=request, actor=people["manager"], user=people["director"])
    assert list(ApprovalTask.objects.filter(request=request).values_list("approver__username", "status")) == [
        ("mgr", TaskStatus.DELEGATED),
        ("dir", TaskStatus.PENDING),
    ]


def test_an_approver_who_left_before_their_step_opens_is_stood_in_for(deal: Deal, people: dict[str, Any]) -> None:
    """Step 2's only approver was deactivated while step 1 waited: step 2 opened with one task for
    someone who cannot sign in, and nobody could decide (nor the submitter recall)."""
    make_flow({"kind": "user", "user": people["finance"]}, {"kind": "user", "user": people["legal"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    people["legal"].is_active = False
    people["legal"].save(update_fields=["is_active"])
    services.approval_approve(request=request, actor=people["finance"])
    pending = list(
        ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING).values_list(
            "approver__is_active", "delegated_from__username"
        )
    )
    assert pending == [(True, "legal")]
    stand_in = ApprovalTask.objects.get(request=request, status=TaskStatus.PENDING).approver
    services.approval_approve(request=request, actor=stand_in)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
