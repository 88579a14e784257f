# ruff: noqa: F811  (the fixtures shared from test_plan_services are imported by name)
"""Demand plans in the approval engine and the collaboration surface: the document type
"demand_plan", what an approver sees (the request page, the plan itself), the lock while in review,
the return to supply review, and comments on a plan."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import override

from tests.conftest import login
from tests.supply.test_plan_services import DEC, approval_flow, line, make_plan, people, products, run, signals  # noqa: F401
from tests.support.factories import UserFactory
from tests.support.i18n import zh
from xietong.approvals import registry
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalRequest
from xietong.collaboration import comments
from xietong.collaboration import registry as collaboration
from xietong.supply import plan_services
from xietong.supply.choices import PlanStage
from xietong.supply.models import DemandPlan

pytestmark = pytest.mark.django_db


def in_review(people: Any, run: Any) -> DemandPlan:
    approval_flow(people.boss)
    plan = make_plan(people, run)
    plan_services.plan_advance(actor=people.planner, plan=plan)
    return plan_services.plan_advance(actor=people.planner, plan=plan)


def test_the_demand_plan_document_type_is_registered():
    document_type = registry.get("demand_plan")
    assert document_type.model == "supply.DemandPlan"
    assert document_type.extra["is_locked"] is plan_services.is_locked


def test_the_request_names_and_links_the_plan_and_the_approver_sees_both(people, signals, run):
    plan = in_review(people, run)
    request = ApprovalRequest.objects.get()
    assert request.url == f"/sop/plans/{plan.pk}/"
    assert request.title == f"{plan.title} v1"  # numbers and names: the reader's language goes in front
    with override("en"):
        assert request.display_title == f"Demand plan (executive review) · {plan.title} v1"
    with override("zh-hans"):
        assert request.display_title == f"{zh('Demand plan (executive review)')} · {plan.title} v1"
    assert request.submitter_id == people.planner.pk
    boss = login(people.boss)
    assert boss.get(f"/approvals/{request.pk}/").status_code == 200
    assert boss.get(f"/sop/plans/{plan.pk}/").status_code == 200


def test_in_review_the_plan_is_locked_and_only_the_engine_moves_it(people, products, signals, run):
    plan = in_review(people, run)
    assert plan.stage == PlanStage.EXECUTIVE_REVIEW
    assert plan_services.is_locked(plan)
    client = login(people.mgr1)
    dec = line(plan, products.p1, DEC)
    assert (
        client.post(f"/sop/plans/{plan.pk}/lines/{dec.pk}/override/", {"quantity": "1", "reason": "x"}).status_code
        == 409
    )
    assert login(people.planner).post(f"/api/v1/demand-plans/{plan.pk}/advance").status_code == 409


def test_a_recalled_request_brings_the_plan_back_to_supply_review(people, signals, run):
    plan = in_review(people, run)
    approvals.approval_recall(request=ApprovalRequest.objects.get(), actor=people.planner, comment="再调整")
    plan.refresh_from_db()
    assert plan.stage == PlanStage.SUPPLY_REVIEW
    again = plan_services.plan_advance(actor=people.planner, plan=plan)
    assert again.stage == PlanStage.EXECUTIVE_REVIEW
    assert ApprovalRequest.objects.count() == 2


def test_plans_have_the_comments_panel(people, signals, run):
    plan = make_plan(people, run)
    assert collaboration.has_surface(plan)
    comments.comment_create(actor=people.mgr1, record=plan, body="华东需求看涨")
    html = login(people.rep1).get(f"/sop/plans/{plan.pk}/").content.decode()
    assert "xt-comments" in html
    assert "华东需求看涨" in html


def test_someone_without_demand_does_not_see_a_plan(people, signals, run):
    plan = make_plan(people, run)
    stranger = UserFactory(username="stranger", primary_team=people.org["east"])
    assert login(stranger).get(f"/sop/plans/{plan.pk}/").status_code == 404
    assert login(stranger).get(f"/api/v1/demand-plans/{plan.pk}").status_code == 404
    assert login(stranger).get("/sop/plans/").status_code == 403
