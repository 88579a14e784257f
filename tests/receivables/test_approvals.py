"""Payment plans and invoices through the real approval engine: submitted → in approval (locked on
every path) → approved / returned."""

from __future__ import annotations

from typing import Any

import pytest

from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep, StepKind
from xietong.core.errors import Conflict
from xietong.receivables import services
from xietong.receivables.choices import InvoiceStatus, PlanStatus
from xietong.receivables.models import Invoice, PaymentPlan

pytestmark = pytest.mark.django_db


def flow(document_type: str, approver: Any) -> ApprovalFlow:
    f = ApprovalFlow.objects.create(document_type=document_type, name=f"{document_type} 审批")
    ApprovalStep.objects.create(flow=f, position=1, name="财务", kind=StepKind.USER, user=approver)
    return f


def test_an_invoice_is_locked_in_approval_and_approved_by_the_approver(people, contract):
    flow("invoice", people.finance)
    invoice = services.invoice_request(
        actor=people.rep, contract=contract, amount="1000.00", kind="ordinary", tax_number="", submit=True
    )
    assert Invoice.objects.get().status == InvoiceStatus.IN_APPROVAL
    with pytest.raises(Conflict):
        services.invoice_void(actor=people.rep, invoice=invoice, reason="撤回")
    approvals.approval_approve(request=ApprovalRequest.objects.get(), actor=people.finance)
    assert Invoice.objects.get().status == InvoiceStatus.APPROVED


def test_a_plan_rejected_in_approval_goes_back_to_draft(people, contract):
    flow("payment_plan", people.manager)
    plan = services.plan_save(
        actor=people.rep, contract=contract, installments=[{"due_date": contract.end_date, "amount": "113000.00"}]
    )
    services.plan_submit(actor=people.rep, plan=plan)
    assert PaymentPlan.objects.get().status == PlanStatus.IN_APPROVAL
    with pytest.raises(Conflict):
        services.plan_save(
            actor=people.rep, contract=contract, installments=[{"due_date": contract.end_date, "amount": "113000.00"}]
        )
    approvals.approval_reject(request=ApprovalRequest.objects.get(), actor=people.manager, comment="日期不对")
    assert PaymentPlan.objects.get().status == PlanStatus.DRAFT
