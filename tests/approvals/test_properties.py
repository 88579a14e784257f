"""Property tests of the approval state machine (Hypothesis): random flows (1–3 steps, 会签 or 或签,
1–3 approvers each) and random sequences of decisions, checked against a small reference model.

Whatever happens: a request is approved only when every step got its required approvals (all of
them for 会签, one for 或签, counted since the step last opened); never after a rejection; recalled
only before the first decision; and each refusal is the one the rules give (404 never asked, 409 finished,
403 not a current approver, 422 a bad step or delegate)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.approvals.conftest import make_flow
from tests.sampleapp.models import Deal
from tests.support.factories import TeamFactory, UserFactory
from xietong.approvals import services
from xietong.approvals.models import ApprovalFlow, ApprovalTask, RequestStatus, TaskStatus
from xietong.core.errors import Conflict, NotFound
from xietong.org.models import TeamMembership

pytestmark = pytest.mark.django_db

POOL = 4
_names = itertools.count()


@dataclass
class Model:
    steps: list[tuple[str, list[int]]]  # (mode, approver indexes)
    status: str = "pending"
    current: int = 0
    pending: set[int] = field(default_factory=set)
    approved_in_step: set[int] = field(default_factory=set)
    decided: bool = False
    asked: set[int] = field(default_factory=set)  # who ever had a task: they see the request

    def __post_init__(self) -> None:
        self._open(0)

    def _open(self, index: int) -> None:
        self.current = index
        self.pending = set(self.steps[index][1])
        self.asked |= self.pending
        self.approved_in_step = set()

    def act(self, action: str, who: int, to: int, target: int) -> type[Exception] | None:
        if action == "recall":
            if self.status != "pending" or self.decided:
                return Conflict
            self.status = "recalled"
            return None
        if who not in self.asked:
            return NotFound  # cannot see the request at all
        if self.status != "pending":
            return Conflict
        if who not in self.pending:
            return PermissionDenied
        if action == "approve":
            self.decided = True
            self.pending.discard(who)
            self.approved_in_step.add(who)
            mode, _approvers = self.steps[self.current]
            if mode == "any" or not self.pending:
                if self.current + 1 == len(self.steps):
                    self.status = "approved"
                else:
                    self._open(self.current + 1)
        elif action == "reject":
            self.decided = True
            self.status = "rejected"
        elif action == "return":
            if not 0 <= to < self.current:
                return ValidationError
            self.decided = True
            self._open(to)
        elif action == "delegate":
            if target == who or target in self.pending:
                return ValidationError
            self.pending.discard(who)
            self.pending.add(target)
            self.asked.add(target)
        return None


flows = st.lists(
    st.tuples(st.sampled_from(["all", "any"]), st.sets(st.integers(0, POOL - 1), min_size=1, max_size=3)),
    min_size=1,
    max_size=3,
)
decisions = st.lists(
    st.tuples(
        st.sampled_from(["approve", "approve", "approve", "reject", "return", "recall", "delegate"]),
        st.integers(0, POOL - 1),
        st.integers(0, 2),
        st.integers(0, POOL - 1),
    ),
    max_size=12,
)


@pytest.fixture
def pool(org: dict[str, Any], people: dict[str, Any]) -> list[Any]:
    return [UserFactory(username=f"p{i}", display_name=f"审批{i}", primary_team=org["supply"]) for i in range(POOL)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flow_steps=flows, sequence=decisions)
def test_the_engine_follows_the_rules(
    flow_steps: list[tuple[str, set[int]]],
    sequence: list[tuple[str, int, int, int]],
    org: dict[str, Any],
    people: dict[str, Any],
    pool: list[Any],
) -> None:
    ApprovalFlow.objects.all().update(is_active=False)
    steps = []
    for mode, members in flow_steps:
        team = TeamFactory(business_unit=org["bu1"], name=f"组{next(_names)}")
        TeamMembership.objects.bulk_create([TeamMembership(team=team, user=pool[i]) for i in sorted(members)])
        steps.append({"kind": "team", "team": team, "mode": mode})
    make_flow(*steps)
    deal = Deal.objects.create(name="性质", owner=people["rep"], business_unit=org["bu1"], amount="1.00")
    request = services.approval_submit(document=deal, actor=people["rep"])
    assert request is not None
    model = Model(steps=[(mode, sorted(members)) for mode, members in flow_steps])
    for action, who, to, target in sequence:
        expected = model.act(action, who, to, target)
        actor = people["rep"] if action == "recall" else pool[who]
        try:
            if action == "approve":
                services.approval_approve(request=request.pk, actor=actor)
            elif action == "reject":
                services.approval_reject(request=request.pk, actor=actor)
            elif action == "return":
                services.approval_return(request=request.pk, actor=actor, step=to)
            elif action == "recall":
                services.approval_recall(request=request.pk, actor=actor)
            else:
                services.approval_delegate(request=request.pk, actor=actor, user=pool[target])
            raised = None
        except (Conflict, NotFound, PermissionDenied, ValidationError) as exc:
            raised = type(exc)
        assert raised == expected, (action, who, to, target)
        request.refresh_from_db()
        assert request.status == model.status
        if model.status == "pending":
            assert request.current_step == model.current
            pending = set(
                ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING).values_list(
                    "approver_id", flat=True
                )
            )
            assert pending == {pool[i].pk for i in model.pending}
        else:
            assert not ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING).exists()
    if request.status == RequestStatus.APPROVED:
        # every step's last opening got its required approvals
        last_mode, last_members = flow_steps[-1]
        final = set(
            ApprovalTask.objects.filter(
                request=request, step=len(flow_steps) - 1, status=TaskStatus.APPROVED
            ).values_list("approver_id", flat=True)
        )
        assert final
        if last_mode == "all" and not any(a == "delegate" for a, *_ in sequence):
            assert {pool[i].pk for i in last_members} <= final
    if request.status == RequestStatus.RECALLED:
        assert not ApprovalTask.objects.filter(
            request=request, status__in=(TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.RETURNED)
        ).exists()
