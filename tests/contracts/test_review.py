"""HQ review with the real approval engine: a "contract" flow chosen by amount; submit puts the
contract in review (locked, the approval panel on its page), the approver's decision approves it or
sends it back; an amendment rejected is undone; a small contract with no applicable flow is approved
at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support.money import contract
from xietong.approvals import services as approvals
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep
from xietong.contracts import services
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import ContractVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq_review(people):
    """Contracts of 50,000 and more go to the BU head (legal and finance stand-in)."""
    flow = ApprovalFlow.objects.create(
        document_type="contract", name="总部合同评审", conditions=[{"field": "amount", "op": ">=", "value": "50000"}]
    )
    ApprovalStep.objects.create(flow=flow, position=1, name="法务", kind="user", user=people.head)
    return flow


def test_a_large_contract_goes_to_review_and_is_approved_by_the_approver(people, hq_review):
    c = contract(people.rep, status=S.DRAFT)  # 113,000.00
    request = services.contract_submit(actor=people.rep, contract=c)
    c.refresh_from_db()
    assert (c.status, request.status, request.document_type) == (S.IN_REVIEW, "pending", "contract")
    page = login(people.rep).get(f"/contracts/{c.pk}/").content.decode()
    assert 'id="contract-locked"' in page
    assert (
        login(people.rep)
        .patch(f"/api/v1/contracts/{c.pk}", data={"title": "改"}, content_type="application/json")
        .status_code
        == 409
    )
    approvals.approval_approve(request=request, actor=people.head, comment="同意")
    c.refresh_from_db()
    assert c.status == S.APPROVED


def test_a_rejected_contract_goes_back_to_draft(people, hq_review):
    c = contract(people.rep, status=S.DRAFT)
    request = services.contract_submit(actor=people.rep, contract=c)
    approvals.approval_reject(request=request, actor=people.head, comment="条款不全")
    c.refresh_from_db()
    assert c.status == S.DRAFT


def test_a_small_contract_has_no_flow_and_is_approved_at_once(people, hq_review):
    c = contract(people.rep, status=S.DRAFT, lines=[(None, "1", "100.00")])
    assert services.contract_submit(actor=people.rep, contract=c) is None
    c.refresh_from_db()
    assert c.status == S.APPROVED
    assert ApprovalRequest.objects.count() == 0


def test_a_rejected_amendment_of_an_active_contract_is_undone(people, hq_review):
    today = timezone.localdate()
    c = contract(people.rep, status=S.ACTIVE, end_date=today + timedelta(days=100))
    request = services.contract_amend(
        actor=people.rep, contract=c, reason="延期一年", end_date=today + timedelta(days=465)
    )
    c.refresh_from_db()
    assert (c.status, c.version) == (S.IN_REVIEW, 2)
    approvals.approval_reject(request=request, actor=people.head, comment="不同意延期")
    c.refresh_from_db()
    assert (c.status, c.version, c.end_date) == (S.ACTIVE, 1, today + timedelta(days=100))
    assert ContractVersion.objects.filter(contract=c).count() == 0


def test_an_approver_without_a_grant_on_contracts_opens_the_contract_they_are_asked_to_review(people, hq_review):
    from tests.support.factories import UserFactory

    legal = UserFactory(username="legal", display_name="法务")
    hq_review.steps.update(user=legal)
    c = contract(people.rep, status=S.DRAFT)
    services.contract_submit(actor=people.rep, contract=c)
    response = login(legal).get(f"/contracts/{c.pk}/")
    assert response.status_code == 200
    assert c.number in response.content.decode()


def test_the_request_page_shows_the_reviewer_the_parties_amount_term_and_payment_terms(people, hq_review):
    c = contract(people.rep, status=S.DRAFT, payment_terms="预付30%，到货60%，质保金10%")
    request = services.contract_submit(actor=people.rep, contract=c)
    page = login(people.head).get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="approval-document-summary"' in page
    assert c.party_a in page and "预付30%，到货60%，质保金10%" in page and "¥113,000.00" in page
