"""Credit review through the real approval engine: no flow → straight to operations; a flow → the
order waits, approved → new, rejected → cancelled with the reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import gettext as t

from tests.conftest import login
from tests.support import money
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep
from xietong.orders import services
from xietong.orders.choices import OrderStatus
from xietong.receivables.models import CustomerCredit

pytestmark = pytest.mark.django_db


def _over_limit_order(people: Any) -> Any:
    contract = money.contract(people.rep, lines=[(None, "1", "1000.00")])
    CustomerCredit.objects.create(
        customer=contract.customer, business_unit=contract.business_unit, credit_limit=Decimal("100.00")
    )
    return services.order_create(
        actor=people.rep, contract=contract, promised_date=timezone.localdate() + timedelta(days=10)
    )


def _flow(approver: Any) -> ApprovalFlow:
    flow = ApprovalFlow.objects.create(document_type="order", name="信用审批", conditions=[])
    ApprovalStep.objects.create(flow=flow, position=0, name="财务", kind="user", user=approver, mode="any")
    return flow


def test_without_a_flow_the_order_passes_credit_review_at_once(people: Any) -> None:
    order = _over_limit_order(people)
    assert order.status == OrderStatus.NEW


def test_with_a_flow_the_order_waits_and_approval_sends_it_to_operations(people: Any) -> None:
    _flow(people.finance)
    order = _over_limit_order(people)
    assert order.status == OrderStatus.CREDIT_REVIEW
    request = ApprovalRequest.objects.get(object_id=str(order.pk), document_type="order")
    approvals.approval_approve(request=request, actor=people.finance)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_a_rejected_credit_review_cancels_the_order(people: Any) -> None:
    _flow(people.finance)
    order = _over_limit_order(people)
    request = ApprovalRequest.objects.get(object_id=str(order.pk), document_type="order")
    approvals.approval_reject(request=request, actor=people.finance, comment="逾期未清")
    order.refresh_from_db()
    assert (order.status, order.cancelled_reason) == (OrderStatus.CANCELLED, "credit review rejected")


def test_an_order_approved_after_its_contract_was_terminated_is_cancelled_not_sent_to_operations(
    people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """It became a new order of a terminated contract: operations were told of an order they could
    only cancel."""
    from xietong.collaboration.models import Notification
    from xietong.contracts import services as contracts

    _flow(people.finance)
    order = _over_limit_order(people)
    contracts.contract_terminate(actor=people.rep, contract=order.contract_id, reason="客户违约")
    request = ApprovalRequest.objects.get(object_id=str(order.pk), document_type="order")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approval_approve(request=request, actor=people.finance)
    order.refresh_from_db()
    assert (order.status, order.cancelled_reason) == (
        OrderStatus.CANCELLED,
        "contract terminated during credit review",
    )
    assert not Notification.objects.filter(kind="order_queued").exists()


def test_the_order_page_gives_a_system_reason_in_the_readers_language(people: Any) -> None:
    """The stored reason ("credit review rejected") was shown as stored, in English on a Chinese page."""
    from tests.conftest import login
    from tests.support.i18n import zh

    _flow(people.finance)
    order = _over_limit_order(people)
    request = ApprovalRequest.objects.get(object_id=str(order.pk), document_type="order")
    approvals.approval_reject(request=request, actor=people.finance, comment="逾期未清")
    html = login(people.rep).get(f"/orders/{order.pk}/").content.decode()
    assert zh("The credit review was rejected.") in html
    assert "credit review rejected" not in html


def test_the_engines_credit_condition_and_summary_leave_the_orders_own_contract_out(people: Any) -> None:
    """As ``order_create`` judges it: the order's amount stands for its own contract's planned money,
    so that plan is not counted again — in the "over the credit limit" condition and in what the
    reviewer is shown."""
    from xietong.orders import registrations

    contract = money.contract(people.rep, lines=[(None, "1", "700.00")])  # 791.00 with VAT
    money.payment_plan(contract)  # 791.00 open, not due
    elsewhere = money.contract(people.rep, lines=[(None, "1", "100.00")])
    elsewhere.customer = contract.customer
    elsewhere.save(update_fields=["customer"])
    money.payment_plan(elsewhere)  # 113.00 open on another contract of the customer
    CustomerCredit.objects.create(
        customer=contract.customer, business_unit=contract.business_unit, credit_limit=Decimal("1000.00")
    )
    order = services.order_create(
        actor=people.rep, contract=contract, promised_date=timezone.localdate() + timedelta(days=10)
    )
    assert order.status == OrderStatus.NEW  # 791.00 + 113.00 is within 1,000.00
    assert registrations._over_limit(order) == "no"
    assert dict(registrations._summary(order))[t("Open receivables of other contracts")] == "¥113.00"


def test_the_api_gives_a_rejected_review_as_words_in_the_callers_language_and_a_code(people: Any) -> None:
    """The stored key ("credit review rejected") is for the code; readers get words, machines a code."""
    from xietong.org.models import User

    _flow(people.finance)
    order = _over_limit_order(people)
    request = ApprovalRequest.objects.get(object_id=str(order.pk), document_type="order")
    approvals.approval_reject(request=request, actor=people.finance, comment="逾期未清")
    seen = {}
    for language in ("zh-hans", "en"):
        User.objects.filter(pk=people.rep.pk).update(language=language)
        body = login(people.rep).get(f"/api/v1/orders/{order.pk}").json()
        seen[language] = (body["status"], body["cancelled_reason"], body["cancelled_reason_code"])
    assert seen == {
        "zh-hans": ("cancelled", "信用审批未通过。", "credit_rejected"),
        "en": ("cancelled", "The credit review was rejected.", "credit_rejected"),
    }


def test_a_persons_reason_is_given_as_typed_without_a_code(people: Any) -> None:
    order = _over_limit_order(people)  # no flow: straight to operations
    services.order_cancel(actor=people.rep, order=order, reason="客户取消")
    body = login(people.rep).get(f"/api/v1/orders/{order.pk}").json()
    assert (body["cancelled_reason"], body["cancelled_reason_code"]) == ("客户取消", "")
