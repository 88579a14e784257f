"""Decisions with real parallel connections (PostgreSQL): one thread per approver, each with its own
database connection, released together by a barrier. Run by CI on PostgreSQL:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/xt_appr pytest --create-db tests/approvals/test_race.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from tests.approvals.conftest import make_flow
from tests.customers.test_pools_race import run_together
from tests.sampleapp.models import Deal
from tests.support.factories import TeamFactory, UserFactory
from xietong.approvals import services
from xietong.approvals.models import ApprovalEvent, ApprovalRequest, ApprovalTask, RequestStatus, TaskStatus
from xietong.core.errors import Conflict

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only"),
]


def _approvers(org: dict[str, Any], count: int) -> tuple[Any, list[Any]]:
    team = TeamFactory(business_unit=org["bu1"], name="审批组")
    return team, [UserFactory(username=f"appr{i}", display_name=f"审批人{i}", primary_team=team) for i in range(count)]


def _decide(service: Callable[..., Any], request_id: int, user: Any, **kwargs: Any) -> Callable[[], Any]:
    def call() -> Any:
        fresh = type(user).objects.get(pk=user.pk)  # a user object (and its access) per thread
        return service(request=request_id, actor=fresh, **kwargs)

    return call


def test_twenty_any_approvers_at_once_complete_the_step_exactly_once(
    deal: Deal, org: dict[str, Any], people: dict[str, Any], calls: list
) -> None:
    team, approvers = _approvers(org, 20)
    make_flow({"kind": "team", "team": team, "mode": "any"}, {"kind": "user", "user": people["legal"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    results = run_together([_decide(services.approval_approve, request.pk, u) for u in approvers])
    won = [r for r in results if isinstance(r, ApprovalRequest)]
    refused = [r for r in results if isinstance(r, PermissionDenied)]
    assert (len(won), len(refused)) == (1, 19), results
    assert ApprovalEvent.objects.filter(request=request, kind="step_done").count() == 1
    assert ApprovalTask.objects.filter(request=request, step=0, status=TaskStatus.APPROVED).count() == 1
    assert ApprovalTask.objects.filter(request=request, step=0, status=TaskStatus.SKIPPED).count() == 19
    assert list(ApprovalTask.objects.filter(request=request, step=1).values_list("approver_id", flat=True)) == [
        people["legal"].pk
    ]


def test_ten_all_approvers_at_once_approve_the_request_exactly_once(
    deal: Deal, org: dict[str, Any], people: dict[str, Any], calls: list
) -> None:
    team, approvers = _approvers(org, 10)
    make_flow({"kind": "team", "team": team, "mode": "all"})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    results = run_together([_decide(services.approval_approve, request.pk, u) for u in approvers])
    assert all(isinstance(r, ApprovalRequest) for r in results), results
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert ApprovalEvent.objects.filter(request=request, kind="finish").count() == 1
    assert [c for c in calls if c[0] == "approved"] == [("approved", deal.pk, request.pk)]


def test_approve_and_reject_at_once_one_wins(deal: Deal, org: dict[str, Any], people: dict[str, Any]) -> None:
    team, approvers = _approvers(org, 2)
    make_flow({"kind": "team", "team": team, "mode": "all"})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    results = run_together(
        [
            _decide(services.approval_approve, request.pk, approvers[0]),
            _decide(services.approval_reject, request.pk, approvers[1]),
        ]
    )
    request.refresh_from_db()
    # whichever came first, a 会签 step with a rejection in it never completes: rejected
    assert request.status == RequestStatus.REJECTED
    assert isinstance(results[1], ApprovalRequest), results
    assert isinstance(results[0], ApprovalRequest | Conflict), results  # before, or refused after
    assert ApprovalEvent.objects.filter(request=request, kind="finish").count() == 0


def test_recall_and_approve_at_once_one_wins(deal: Deal, people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    results = run_together(
        [
            _decide(services.approval_approve, request.pk, people["finance"]),
            _decide(services.approval_recall, request.pk, people["rep"]),
        ]
    )
    request.refresh_from_db()
    if request.status == RequestStatus.APPROVED:
        assert isinstance(results[1], Conflict), results
    else:
        assert request.status == RequestStatus.RECALLED
        assert isinstance(results[0], Conflict), results


def test_ten_submits_of_one_document_at_once_make_one_request(deal: Deal, people: dict[str, Any]) -> None:
    make_flow({"kind": "user", "user": people["finance"]})

    def submit() -> Any:
        fresh = Deal.objects.get(pk=deal.pk)
        return services.approval_submit(document=fresh, actor=type(people["rep"]).objects.get(pk=people["rep"].pk))

    results = run_together([submit for _ in range(10)])
    assert sum(isinstance(r, ApprovalRequest) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 9, results
    assert ApprovalRequest.objects.filter(object_id=str(deal.pk)).count() == 1
