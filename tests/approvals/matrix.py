"""This area's part of the permission matrix (tests/test_permission_matrix.py): the approval engine's
pages and endpoints with an id, and its foreign records — a request of a BU2 deal submitted by
``outsider`` and decided by a BU2 colleague, the BU2 flow it went through, and the outsider's own
delegation."""

from __future__ import annotations

from typing import Any

from tests.support.factories import UserFactory
from tests.support.matrix import Route
from xietong.approvals import registry, services
from xietong.approvals.models import ApprovalFlow, ApprovalStep

ROUTES: list[Route] = [
    # API
    Route("GET", "/api/v1/approvals/{pk}", "approval", api=True),
    Route("POST", "/api/v1/approvals/{pk}/approve", "approval", {"comment": "x"}, api=True),
    Route("POST", "/api/v1/approvals/{pk}/reject", "approval", {"comment": "x"}, api=True),
    Route("POST", "/api/v1/approvals/{pk}/return", "approval", {"step": 0}, api=True),
    Route("POST", "/api/v1/approvals/{pk}/recall", "approval", {}, api=True),
    Route("POST", "/api/v1/approvals/{pk}/delegate", "approval", {"user_id": 1}, api=True),
    Route("GET", "/api/v1/approval-flows/{pk}", "approval_flow", api=True),
    Route("PATCH", "/api/v1/approval-flows/{pk}", "approval_flow", {"name": "改"}, api=True),
    Route("DELETE", "/api/v1/approval-flows/{pk}", "approval_flow", api=True),
    Route("DELETE", "/api/v1/approval-delegations/{pk}", "approval_delegation", api=True),
    # pages
    Route("GET", "/approvals/{pk}/", "approval"),
    Route("POST", "/approvals/{pk}/decide/", "approval", {"decision": "approve"}),
    Route("GET", "/approvals/flows/{pk}/edit/", "approval_flow"),
    Route("POST", "/approvals/flows/{pk}/edit/", "approval_flow", {"name": "改"}),
    Route("POST", "/approvals/flows/{pk}/active/", "approval_flow", {"is_active": "0"}),
    Route("POST", "/approvals/flows/{pk}/delete/", "approval_flow"),
    Route("POST", "/approvals/delegations/{pk}/end/", "approval_delegation"),
]

NOT_SCOPED: dict[str, str] = {
    "approvals/flows/new/*/": (
        "a document type's code, not a record (no administer → 403, tests/approvals/test_flow_pages.py)"
    ),
}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2: name → record."""
    from tests.approvals.conftest import DEAL
    from tests.sampleapp.services import deal_create

    registry.register(DEAL)
    colleague = UserFactory(username="outsider_approver", display_name="外部审批人", primary_team=org["north"])
    flow = ApprovalFlow.objects.create(document_type=DEAL.code, name="外部审批", business_unit=org["bu2"])
    ApprovalStep.objects.create(flow=flow, position=1, name="外部", kind="user", user=colleague)
    ApprovalStep.objects.create(flow=flow, position=2, name="外部二", kind="user", user=colleague)
    deal = deal_create(actor=outsider, name="外部审批商机", owner=outsider, business_unit=org["bu2"], amount=1)
    request = services.approval_submit(document=deal, actor=outsider)
    assert request is not None
    import datetime

    delegation = services.delegation_create(
        actor=outsider, delegate=colleague, starts_on=datetime.date(2030, 1, 1), ends_on=datetime.date(2030, 1, 2)
    )
    return {"approval": request, "approval_flow": flow, "approval_delegation": delegation}
