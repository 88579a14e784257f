"""The demo approval flows (org/demo.py runs this step before the quotes', contracts', receivables'
and orders' steps, which submit their documents through these flows).

Each demo business unit's head defines, through ``services.flow_create`` as an administrator would:

- 报价折扣审批 (quotes whose largest line discount is over 10 %): the submitter's manager (或签), and
  when the discount is over 20 % also the BU head (或签);
- 合同总部评审 (every contract and amendment): 法务审核 by a named user — the demo group has no legal
  staff, so the BU head reviews the legal terms —, then 财务审核 by the holders of the finance role
  (会签);
- 订单信用审核 (orders the credit check sends to review): the BU's finance (或签);
- 开票审批 (invoice requests): the BU's finance (或签);
- 回款计划审批 (payment plans and their changes): the submitter's manager (或签).

Reminders after 24 hours and escalation to the BU head after 72. Idempotent: a flow is created only
when its BU has no flow of that name and document type yet.

``people`` and ``approve`` are shared with the other quote-to-cash demo steps: the demo group's
people by BU and role, and "every approver of the next steps says yes" through the engine.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from xietong.org import demo as org_demo
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, Role, User

from . import services
from .models import ApprovalFlow, ApprovalRequest, ApprovalTask, RequestStatus, TaskStatus

BUS = ("ind", "med", "energy")
QUOTE_FLOW = "报价折扣审批"
CONTRACT_FLOW = "合同总部评审"
ORDER_FLOW = "订单信用审核"
INVOICE_FLOW = "开票审批"
PLAN_FLOW = "回款计划审批"
LEGAL_STEP = "法务审核"
FINANCE_STEP = "财务审核"
QUOTE_MANAGER_THRESHOLD = "10"
QUOTE_HEAD_THRESHOLD = "20"


def people(codes: set[str]) -> dict[str, dict[str, list[User]]]:
    """The demo group's people by BU code and role code, in the plan's order (the benchmark's extra
    users are left out); only active users that exist."""
    _teams, specs = org_demo._demo_plan()
    wanted = {s.username: (s.role_bu, s.role) for s in specs if s.role_bu in codes}
    users = {u.username: u for u in User.objects.filter(username__in=list(wanted), is_active=True)}
    out: dict[str, dict[str, list[User]]] = {code: {} for code in codes}
    for username, (bu, role) in wanted.items():
        if username in users and bu is not None:
            out[bu].setdefault(role, []).append(users[username])
    return out


def first(people_of_bu: dict[str, list[User]], role: str) -> User | None:
    return next(iter(people_of_bu.get(role) or []), None)


def pending_request(document: models.Model) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(type(document)),
        object_id=str(document.pk),
        status=RequestStatus.PENDING,
    ).first()


def approve(document: models.Model, *, steps: int | None = None, comment: str = "同意。") -> int:
    """The approvers of the document's pending request approve ``steps`` steps (None: all of them),
    each through ``services.approval_approve``. Returns the number of decisions taken."""
    request = pending_request(document)
    decisions = 0
    done = 0
    while request is not None and request.status == RequestStatus.PENDING and (steps is None or done < steps):
        step = request.current_step
        if step is None:
            break
        tasks = list(
            ApprovalTask.objects.filter(request=request, step=step, status=TaskStatus.PENDING)
            .select_related("approver")
            .order_by("pk")
        )
        if not tasks:
            break
        for task in tasks:
            request = services.approval_approve(request=request.pk, actor=task.approver, comment=comment)
            decisions += 1
            if request.status != RequestStatus.PENDING or request.current_step != step:
                break
        done += 1
    return decisions


def _gt(field: str, value: str) -> list[dict[str, Any]]:
    return [{"field": field, "op": ">", "value": value}]


def _flows(head: User, finance: Role) -> list[dict[str, Any]]:
    return [
        {
            "document_type": "quote",
            "name": QUOTE_FLOW,
            "conditions": _gt("max_discount", QUOTE_MANAGER_THRESHOLD),
            "steps": [
                {"name": "直属上级审批", "kind": "manager", "mode": "any"},
                {
                    "name": "事业部总经理审批",
                    "kind": "user",
                    "user_id": head.pk,
                    "mode": "any",
                    "conditions": _gt("max_discount", QUOTE_HEAD_THRESHOLD),
                },
            ],
        },
        {
            "document_type": "contract",
            "name": CONTRACT_FLOW,
            "conditions": [],
            "steps": [
                {"name": LEGAL_STEP, "kind": "user", "user_id": head.pk, "mode": "any"},
                {"name": FINANCE_STEP, "kind": "role", "role_id": finance.pk, "mode": "all"},
            ],
        },
        {
            "document_type": "order",
            "name": ORDER_FLOW,
            "conditions": [],
            "steps": [{"name": "财务信用审核", "kind": "role", "role_id": finance.pk, "mode": "any"}],
        },
        {
            "document_type": "invoice",
            "name": INVOICE_FLOW,
            "conditions": [],
            "steps": [{"name": "财务审核", "kind": "role", "role_id": finance.pk, "mode": "any"}],
        },
        {
            "document_type": "payment_plan",
            "name": PLAN_FLOW,
            "conditions": [],
            "steps": [{"name": "销售主管审批", "kind": "manager", "mode": "any"}],
        },
    ]


def load(created: Counter[str]) -> None:
    from . import registry

    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=BUS)}
    finance = Role.objects.filter(code="finance").first()
    if not units or finance is None:
        return
    known = {t.code for t in registry.types()}
    by_bu = people(set(units))
    for code in BUS:
        bu = units.get(code)
        head = first(by_bu.get(code, {}), "bu_head")
        if bu is None or head is None:
            continue
        existing = set(ApprovalFlow.objects.filter(business_unit=bu).values_list("document_type", "name"))
        for spec in _flows(head, finance):
            if spec["document_type"] not in known or (spec["document_type"], spec["name"]) in existing:
                continue
            services.flow_create(
                actor=head,
                document_type=spec["document_type"],
                name=spec["name"],
                steps=spec["steps"],
                business_unit_id=bu.pk,
                conditions=spec["conditions"],
                priority=100,
                remind_after_hours=24,
                escalate_after_hours=72,
                escalate_to_id=head.pk,
            )
            created["approval flows"] += 1


register_demo_step(load)
