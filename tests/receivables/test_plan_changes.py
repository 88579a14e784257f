"""A change to a payment plan in force waits for approval: until it is approved the approved
installments count — in aging, credit control, overdue reminders and allocations — and the change
is kept as the plan's proposal, shown beside them, submitted, returned, discarded or applied."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from xietong.approvals import selectors as approval_selectors
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep, StepKind
from xietong.core.errors import Conflict
from xietong.core.models import AuditEntry
from xietong.receivables import selectors, services
from xietong.receivables.choices import PlanStatus
from xietong.receivables.models import Installment, PaymentPlan

pytestmark = pytest.mark.django_db

D = Decimal


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def plan(contract: Any) -> PaymentPlan:
    """In force: ¥60,000.00 overdue 10 days, ¥53,000.00 due in 20 days."""
    return money.payment_plan(contract, [(days(-10), "60000.00"), (days(20), "53000.00")])


@pytest.fixture
def flow(people: Any) -> ApprovalFlow:
    f = ApprovalFlow.objects.create(document_type="payment_plan", name="回款计划审批")
    ApprovalStep.objects.create(flow=f, position=1, name="经理", kind=StepKind.USER, user=people.manager)
    return f


def rows_of(plan: PaymentPlan) -> list[dict[str, Any]]:
    return [
        {"id": i.pk, "name": i.name, "due_date": i.due_date, "amount": i.amount}
        for i in plan.installments.order_by("position")
    ]


def schedule(plan: PaymentPlan) -> list[tuple[date, Decimal]]:
    return [(i.due_date, i.amount) for i in Installment.objects.filter(plan=plan).order_by("position")]


def overdue_of(contract: Any) -> Decimal:
    return selectors.customer_credit(
        customer_id=contract.customer_id, business_unit_id=contract.business_unit_id
    ).overdue


def postpone_the_overdue_installment(people: Any, contract: Any, plan: PaymentPlan) -> PaymentPlan:
    rows = rows_of(plan)
    rows[0]["due_date"] = days(50)
    return services.plan_save(actor=people.rep, contract=contract, installments=rows)


def test_a_postponed_due_date_counts_only_once_the_change_is_approved(people, contract, plan, flow):
    in_force = schedule(plan)
    plan = postpone_the_overdue_installment(people, contract, plan)
    assert (plan.status, schedule(plan)) == (PlanStatus.DRAFT, in_force)
    assert plan.proposal["installments"][0] == {
        "id": plan.installments.order_by("position")[0].pk,
        "name": "",
        "due_date": days(50).isoformat(),
        "amount": "60000.00",
    }
    # the overdue money stays overdue: aging, credit control and the reminder read the plan in force
    assert overdue_of(contract) == D("60000.00")
    assert selectors.aging(user=people.finance).totals.d1_30 == D("60000.00")
    assert services.overdue_remind() == 1

    services.plan_submit(actor=people.rep, plan=plan)
    assert (PaymentPlan.objects.get().status, schedule(plan)) == (PlanStatus.IN_APPROVAL, in_force)
    assert overdue_of(contract) == D("60000.00")

    approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.manager)
    plan.refresh_from_db()
    assert (plan.status, plan.proposal) == (PlanStatus.ACTIVE, None)
    assert schedule(plan) == [(days(50), D("60000.00")), (days(20), D("53000.00"))]
    assert overdue_of(contract) == D("0.00")
    first = plan.installments.order_by("position")[0]
    assert first.reminded_at is None  # a new due date: reminded again when it is missed
    verbs = [e.verb for e in AuditEntry.objects.for_object(plan).order_by("pk")]
    assert verbs == ["plan_change_proposed", "money_submitted", "plan_changed"]
    changed = AuditEntry.objects.for_object(plan).get(verb="plan_changed")
    assert changed.actor_id == people.rep.pk  # the submitter's change, applied on approval
    assert changed.changes["installments"] == [
        f"#1 {days(-10):%Y-%m-%d} ¥60,000.00; #2 {days(20):%Y-%m-%d} ¥53,000.00",
        f"#1 {days(50):%Y-%m-%d} ¥60,000.00; #2 {days(20):%Y-%m-%d} ¥53,000.00",
    ]


def test_a_returned_change_keeps_the_proposal_and_the_plan_in_force(people, contract, plan, flow):
    in_force = schedule(plan)
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.rep, plan=plan)
    approvals.approval_reject(request=ApprovalRequest.objects.get(), actor=people.manager, comment="不同意延期")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.proposal["installments"][0]["due_date"] == days(50).isoformat()
    assert schedule(plan) == in_force


def test_saving_the_schedule_in_force_over_a_change_is_refused_rather_than_dropping_it(people, contract, plan):
    """A form opened before someone proposed a change, posted unchanged, would drop their change."""
    original = rows_of(plan)
    postpone_the_overdue_installment(people, contract, plan)
    with pytest.raises(Conflict) as refused:
        services.plan_save(actor=people.manager, contract=contract, installments=original)
    assert "放弃" in str(refused.value)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.proposal["installments"][0]["due_date"] == days(50).isoformat()
    assert [e.verb for e in AuditEntry.objects.for_object(plan).order_by("pk")] == ["plan_change_proposed"]


def test_an_approval_that_no_longer_adds_up_after_an_amendment_is_refused(people, contract, plan, flow):
    from xietong.contracts import services as contracts

    in_force = schedule(plan)
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.rep, plan=plan)
    line = contract.lines.get()
    contracts.contract_amend(
        actor=people.rep,
        contract=contract,
        reason="减量",
        lines=[
            {"id": line.pk, "product": line.product_id, "quantity": "1", "unit_price": "50000.00", "tax_rate": "13"}
        ],
    )
    contract.refresh_from_db()
    assert contract.amount == D("56500.00")
    with pytest.raises(Conflict) as refused:
        approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.manager)
    assert "¥113,000.00" in str(refused.value) and "¥56,500.00" in str(refused.value)
    plan.refresh_from_db()
    assert (plan.status, schedule(plan)) == (PlanStatus.IN_APPROVAL, in_force)
    approvals.approval_reject(request=ApprovalRequest.objects.get(), actor=people.manager, comment="合同已变更")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.proposal is not None


def test_payments_and_refunds_go_on_while_a_change_is_in_approval(people, contract, plan, flow):
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.rep, plan=plan)
    receipt = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="60000.00")
    assert [a.amount for a in receipt.allocations.all()] == [D("60000.00")]
    assert overdue_of(contract) == D("0.00")  # the customer paid what was overdue under the plan in force
    services.payment_refund(actor=people.finance, payment=receipt, amount="1000.00", refunded_on=days(0))
    approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.manager)
    plan.refresh_from_db()
    first = plan.installments.order_by("position")[0]
    assert (plan.status, first.due_date, first.received) == (PlanStatus.ACTIVE, days(50), D("59000.00"))


def test_a_change_that_payments_since_its_submission_no_longer_fit_is_refused_at_approval(people, contract, plan, flow):
    rows = rows_of(plan)
    merged = [rows[0] | {"amount": "113000.00"}]  # the second installment folded into the first
    plan = services.plan_save(actor=people.rep, contract=contract, installments=merged)
    services.plan_submit(actor=people.rep, plan=plan)
    services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="70000.00")
    with pytest.raises(Conflict) as refused:
        approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.manager)
    assert "¥10,000.00" in str(refused.value)


def test_a_change_applied_without_a_flow_is_recorded_as_its_author(people, contract, plan):
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.manager, plan=plan)
    changed = AuditEntry.objects.for_object(plan).get(verb="plan_changed")
    assert changed.actor_id == people.rep.pk


def test_saving_the_schedule_in_force_unchanged_records_nothing(people, contract, plan):
    services.plan_save(actor=people.rep, contract=contract, installments=rows_of(plan))
    plan.refresh_from_db()
    assert (plan.status, plan.proposal) == (PlanStatus.ACTIVE, None)
    assert not AuditEntry.objects.for_object(plan).exists()


def test_a_change_is_discarded_and_the_plan_is_active_again(people, contract, plan, flow):
    in_force = schedule(plan)
    with pytest.raises(Conflict):
        services.plan_discard_change(actor=people.rep, plan=plan)  # nothing to discard
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.rep, plan=plan)
    with pytest.raises(Conflict):
        services.plan_discard_change(actor=people.rep, plan=plan)  # in approval: locked
    approvals.approval_recall(request=ApprovalRequest.objects.get(), actor=people.rep)
    plan = services.plan_discard_change(actor=people.rep, plan=plan)
    assert (plan.status, plan.proposal, schedule(plan)) == (PlanStatus.ACTIVE, None, in_force)
    with pytest.raises(Conflict):
        services.plan_submit(actor=people.rep, plan=plan)  # nothing left to submit


def test_payments_go_to_the_installments_in_force_while_a_change_is_drafted(people, contract, plan):
    rows = rows_of(plan)
    services.plan_save(actor=people.rep, contract=contract, installments=[rows[0] | {"amount": "113000.00"}])
    payment = services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="70000.00")
    assert [(a.installment_id, a.amount) for a in payment.allocations.order_by("pk")] == [
        (rows[0]["id"], D("60000.00")),
        (rows[1]["id"], D("10000.00")),
    ]
    # the change removes an installment that has received money since: submitting it is refused
    with pytest.raises(ValidationError) as exc:
        services.plan_submit(actor=people.rep, plan=plan)
    (message,) = exc.value.message_dict["installments"]
    assert "¥10,000.00" in message
    assert PaymentPlan.objects.get().status == PlanStatus.DRAFT


def test_a_change_is_checked_against_the_plan_in_force_when_saved(people, contract, plan):
    services.payment_record(actor=people.finance, contract=contract, received_on=days(0), amount="60000.00")
    rows = rows_of(plan)
    rows[0]["amount"], rows[1]["amount"] = "50000.00", "63000.00"
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert exc.value.message_dict == {"installments.0.amount": ["¥50,000.00 少于该期已回款的 ¥60,000.00。"]}
    assert PaymentPlan.objects.get().proposal is None


def test_a_plan_never_approved_changes_at_once(people, contract):
    rows = [{"due_date": days(10), "amount": "113000.00"}]
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows)
    plan = services.plan_save(
        actor=people.rep, contract=contract, installments=[{"id": plan.installments.get().pk} | rows[0]]
    )
    assert (plan.approved_at, plan.proposal) == (None, None)
    rows = [{"id": plan.installments.get().pk, "due_date": days(40), "amount": "113000.00"}]
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert (plan.status, plan.proposal, schedule(plan)) == (PlanStatus.DRAFT, None, [(days(40), D("113000.00"))])
    services.plan_submit(actor=people.rep, plan=plan)  # no flow applies: in force at once
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.approved_at is not None


def test_the_approver_sees_the_proposed_and_the_installments_in_force(people, contract, plan, flow, client):
    plan = postpone_the_overdue_installment(people, contract, plan)
    services.plan_submit(actor=people.rep, plan=plan)
    request = ApprovalRequest.objects.get()
    client.force_login(people.manager)
    page = client.get(f"/approvals/{request.pk}/").content.decode()
    proposed, in_force = page.split('id="approval-document-summary"')[1].split("</dl>")[0].split("<dt>")[2:4]
    assert f"<dd>#1 {days(50):%Y-%m-%d} ¥60,000.00<br>#2 {days(20):%Y-%m-%d} ¥53,000.00</dd>" in proposed
    assert f"<dd>#1 {days(-10):%Y-%m-%d} ¥60,000.00<br>#2 {days(20):%Y-%m-%d} ¥53,000.00</dd>" in in_force


def test_the_approver_sees_a_difference_in_force_that_a_change_drops(people, contract, flow):
    plan = money.payment_plan(contract, [(days(10), "110000.00")], difference=D("-3000.00"), difference_reason="折让")
    rows = rows_of(plan)
    rows[0]["amount"] = "113000.00"
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows)
    services.plan_submit(actor=people.rep, plan=plan)
    summary = dict(approval_selectors.document_summary(ApprovalRequest.objects.get()))
    assert summary["差额（现行）"] == "-¥3,000.00 · 折让"


def test_the_approval_conditions_read_the_change(people, contract, plan):
    """A flow for plans of more than two installments applies to a change that adds a third."""
    f = ApprovalFlow.objects.create(
        document_type="payment_plan", name="分期多", conditions=[{"field": "installments", "op": ">", "value": "2"}]
    )
    ApprovalStep.objects.create(flow=f, position=1, name="经理", kind=StepKind.USER, user=people.manager)
    rows = rows_of(plan)
    rows[1]["amount"] = "43000.00"
    rows.append({"name": "质保金", "due_date": days(400), "amount": "10000.00"})
    plan = services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert services.plan_submit(actor=people.rep, plan=plan) is not None
    assert ApprovalRequest.objects.get().flow_id == f.pk


# --- the plan page and the API ---------------------------------------------------------------------------


def test_the_plan_page_keeps_a_change_apart_from_the_installments_in_force(people, contract, plan):
    client = login(people.rep)
    url = f"/receivables/contracts/{contract.pk}/plan/"
    first, second = plan.installments.order_by("position")
    data = {
        "inst-TOTAL_FORMS": "2",
        "inst-INITIAL_FORMS": "0",
        "inst-0-id": str(first.pk),
        "inst-0-due_date": days(50).isoformat(),
        "inst-0-amount": "60000.00",
        "inst-1-id": str(second.pk),
        "inst-1-due_date": days(20).isoformat(),
        "inst-1-amount": "53000.00",
    }
    assert client.post(url, data).status_code == 303
    page = client.get(url).content.decode()
    in_force, change = page.split('id="plan-in-force"')[1].split('id="plan-change-title"')
    assert f"{days(-10):%Y-%m-%d}" in in_force and f"{days(50):%Y-%m-%d}" not in in_force
    assert f'value="{days(50):%Y-%m-%d}"' in change and f"{days(-10):%Y-%m-%d}" not in change
    assert 'data-plan-change="draft"' in page and "plan/discard-change/" in page
    contract_page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-plan-status="draft"' in contract_page and 'data-plan-change="draft"' in contract_page
    assert "已生效" in contract_page.split('id="contract-money"')[1]
    assert client.post(f"{url}discard-change/").status_code == 303
    page = client.get(url).content.decode()
    assert 'id="plan-in-force"' not in page and f'value="{days(-10):%Y-%m-%d}"' in page


def test_the_api_shows_the_change_beside_the_plan_in_force_and_discards_it(people, contract, plan):
    client = login(people.rep)
    rows = [r | {"due_date": r["due_date"].isoformat(), "amount": str(r["amount"])} for r in rows_of(plan)]
    rows[0]["due_date"] = days(50).isoformat()
    response = client.put(
        f"/api/v1/payment-plans/{plan.pk}/installments",
        data=json.dumps({"installments": rows}),
        content_type="application/json",
    )
    data = response.json()
    assert (data["status"], [i["due_date"] for i in data["installments"]]) == (
        "draft",
        [days(-10).isoformat(), days(20).isoformat()],
    )
    assert data["proposal"] == {
        "total": "113000.00",
        "difference": "0.00",
        "difference_reason": "",
        "installments": [
            {"id": rows[0]["id"], "position": 1, "name": "", "due_date": days(50).isoformat(), "amount": "60000.00"},
            {"id": rows[1]["id"], "position": 2, "name": "", "due_date": days(20).isoformat(), "amount": "53000.00"},
        ],
    }
    response = client.post(f"/api/v1/payment-plans/{plan.pk}/discard-change")
    assert (response.json()["status"], response.json()["proposal"]) == ("active", None)
    response = client.post(f"/api/v1/payment-plans/{plan.pk}/discard-change")
    assert response.status_code == 409


def test_the_plan_waits_while_an_amendment_of_the_contract_is_in_review(people, contract, plan):
    """A plan made to fit the amount of an amendment still in review was left not adding up when the
    amendment was rejected (¥169,500 scheduled on a ¥113,000 contract)."""
    from xietong.contracts import services as contracts

    f = ApprovalFlow.objects.create(document_type="contract", name="合同审批")
    ApprovalStep.objects.create(flow=f, position=1, name="法务", kind=StepKind.USER, user=people.manager)
    in_force = schedule(plan)
    line = contract.lines.get()
    contracts.contract_amend(
        actor=people.rep,
        contract=contract,
        reason="增量",
        lines=[
            {"id": line.pk, "product": line.product_id, "quantity": "3", "unit_price": "50000.00", "tax_rate": "13"}
        ],
    )
    contract.refresh_from_db()
    assert (contract.status, contract.amount) == ("in_review", D("169500.00"))
    rows = rows_of(plan)
    rows[1]["amount"] = D("109500.00")
    with pytest.raises(Conflict) as refused:
        services.plan_save(actor=people.rep, contract=contract, installments=rows)
    assert refused.value.field == "contract" and "审" in str(refused.value)
    assert schedule(plan) == in_force
    response = login(people.rep).post(
        f"/api/v1/payment-plans/{plan.pk}/submit", data=json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 409
    approvals.approval_reject(request=ApprovalRequest.objects.get(), actor=people.manager, comment="不同意")
    contract.refresh_from_db()
    plan.refresh_from_db()
    assert (contract.amount, schedule(plan), plan.difference) == (D("113000.00"), in_force, D("0.00"))
