"""Only money owed counts as open or overdue: the installments of a plan in force (approved; also
while a change to it waits or is in approval) of a signed contract. A draft plan, a first schedule
in approval or a plan of an unsigned contract is in no aging, credit state, reminder or total."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep, StepKind
from xietong.contracts.models import Contract
from xietong.receivables import selectors, services
from xietong.receivables.choices import PlanStatus
from xietong.receivables.models import Installment, PaymentPlan

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def flow(people: Any) -> ApprovalFlow:
    f = ApprovalFlow.objects.create(document_type="payment_plan", name="回款计划审批")
    ApprovalStep.objects.create(flow=f, position=1, name="经理", kind=StepKind.USER, user=people.manager)
    return f


def save_plan(people: Any, contract: Any) -> PaymentPlan:
    """¥60,000.00 overdue 100 days, ¥53,000.00 due in 2 days (due soon), through the service."""
    return services.plan_save(
        actor=people.rep,
        contract=contract,
        installments=[
            {"name": "预付款", "due_date": days(-100), "amount": "60000.00"},
            {"name": "尾款", "due_date": days(2), "amount": "53000.00"},
        ],
    )


def owed(people: Any, contract: Any) -> dict[str, Any]:
    """Every reader of open and overdue money, as one comparable dict."""
    aging = selectors.aging(user=people.finance)
    credit = selectors.customer_credit(customer_id=contract.customer_id, business_unit_id=contract.business_unit_id)
    return {
        "aging": [(r.name, r.not_due, r.d90_plus, r.total) for r in aging.rows],
        "due_in_period": aging.due_in_period,
        "credit": (credit.open_receivables, credit.overdue),
        "customer_tab": [
            i.amount
            for i in selectors.customer_open_installments(user=people.finance, customer_id=contract.customer_id)
        ],
        "my_day": [i.amount for i in selectors.overdue_for_owner(user=people.rep)],
        "contract_overdue": selectors.contract_money(contract=contract).overdue,
    }


NOTHING = {
    "aging": [],
    "due_in_period": ZERO,
    "credit": (ZERO, ZERO),
    "customer_tab": [],
    "my_day": [],
    "contract_overdue": ZERO,
}


def in_force(contract: Any) -> dict[str, Any]:
    return {
        "aging": [(contract.customer.name, D("53000.00"), D("60000.00"), D("113000.00"))],
        "due_in_period": ZERO,  # nothing due in the 90 days up to today
        "credit": (D("113000.00"), D("60000.00")),
        "customer_tab": [D("60000.00"), D("53000.00")],
        "my_day": [D("60000.00")],
        "contract_overdue": D("60000.00"),
    }


def reminded() -> tuple[int, int]:
    """(overdue reminders sent now, installments told they are due soon)."""
    sent = services.overdue_remind()
    return sent, Installment.objects.filter(due_soon_reminded_at__isnull=False).count()


def test_a_draft_plan_is_not_owed(people, contract):
    plan = save_plan(people, contract)
    assert (plan.status, plan.approved_at) == (PlanStatus.DRAFT, None)
    assert owed(people, contract) == NOTHING
    assert reminded() == (0, 0)
    response = login(people.finance).get("/api/v1/receivables/aging")
    assert (response.status_code, response.json()["rows"], response.json()["totals"]["total"]) == (200, [], "0.00")


def test_a_first_schedule_in_approval_is_not_owed_then_counts_while_a_change_waits(people, contract, flow):
    plan = save_plan(people, contract)
    services.plan_submit(actor=people.rep, plan=plan)
    assert PaymentPlan.objects.get().status == PlanStatus.IN_APPROVAL
    assert owed(people, contract) == NOTHING
    assert reminded() == (0, 0)

    approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.manager)
    assert PaymentPlan.objects.get().status == PlanStatus.ACTIVE
    assert owed(people, contract) == in_force(contract)
    assert reminded() == (1, 1)

    # a change moving both due dates out of the way, in approval: the installments in force still count
    rows = [{"id": i.pk, "due_date": days(200), "amount": i.amount} for i in plan.installments.order_by("position")]
    services.plan_submit(
        actor=people.rep, plan=services.plan_save(actor=people.rep, contract=contract, installments=rows)
    )
    plan.refresh_from_db()
    assert (plan.status, plan.proposal is not None) == (PlanStatus.IN_APPROVAL, True)
    assert owed(people, contract) == in_force(contract)


def test_a_plan_of_a_contract_not_signed_is_not_owed_until_it_is_signed(people):
    c = money.contract(people.rep, status="approved")
    money.payment_plan(c, [(days(-100), "60000.00"), (days(2), "53000.00")])  # approved, in force
    assert owed(people, c) == NOTHING
    assert reminded() == (0, 0)

    Contract.objects.filter(pk=c.pk).update(status="signed", signed_date=days(0))
    assert owed(people, c) == in_force(c)
    # an amendment in review leaves the contract signed: what it owes still counts
    Contract.objects.filter(pk=c.pk).update(status="in_review", amended_from_status="signed")
    assert owed(people, c) == in_force(c)
    assert reminded() == (1, 1)
