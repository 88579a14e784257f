"""REST endpoints of the approval engine:

- ``/api/v1/approvals``: the requests waiting for the caller's decision (default ``?mine=pending``;
  ``submitted``, ``decided`` or ``all`` = every request the caller sees), ``?status=``,
  ``?document_type=``, cursor pages; ``/{id}`` with its steps, tasks and history; decisions
  ``/{id}/approve``, ``/reject``, ``/return`` (``step``), ``/recall``, ``/delegate`` (``user_id``),
  each with a ``comment``. A request the caller cannot see is 404; one they see but do not decide on
  is 403; a finished one is 409.
- ``/api/v1/approval-flows``: the flows the caller administers (CRUD, steps inside the flow's body);
  ``/api/v1/approval-document-types``: the document types and the fields their conditions may test.
- ``/api/v1/approval-delegations``: the caller's away periods and who decides for them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref

from . import registry, selectors, services
from .models import ApprovalFlow, ApprovalRequest, ApprovalStep, Delegation, RequestStatus

router = Router(tags=["approvals"])


# --- schemas ----------------------------------------------------------------------------------------------


class StepSnapshotOut(Schema):
    index: int
    name: str
    kind: str
    mode: str
    skipped: bool
    approver_ids: list[int]


class RequestOut(Schema):
    id: int
    document_type: str
    object_id: str
    title: str = Field(description="The document as numbers and names (stored once, in no language).")
    display_title: str = Field(description="The document type in the caller's language, then the title.")
    amount: Decimal | None
    url: str
    status: str
    current_step: int | None
    flow_name: str
    submitter: Ref
    business_unit_id: int | None
    comment: str
    submitted_at: datetime
    finished_at: datetime | None
    steps: list[StepSnapshotOut]

    @staticmethod
    def resolve_submitter(obj: ApprovalRequest) -> Any:
        return ref(obj.submitter)

    @staticmethod
    def resolve_steps(obj: ApprovalRequest) -> list[dict[str, Any]]:
        return [
            {
                "index": index,
                "name": s.get("name", ""),
                "kind": s.get("kind", ""),
                "mode": s.get("mode", ""),
                "skipped": bool(s.get("skipped")),
                "approver_ids": list(s.get("approver_ids", [])),
            }
            for index, s in enumerate(obj.steps)
        ]


# Plain pydantic: the rows are dicts (``selectors.rows_out``), validated in pydantic's compiled code
# rather than through ninja's per-attribute getter (the inbox pages at the B3 ratio).
class RequestRowOut(BaseModel):
    """A list item: the request without its steps (``/approvals/{id}`` has them)."""

    id: int
    document_type: str
    object_id: str
    title: str
    display_title: str
    amount: Decimal | None
    url: str
    status: str
    current_step: int | None
    flow_name: str
    submitter: Ref
    business_unit_id: int | None
    submitted_at: datetime
    finished_at: datetime | None


class ApprovalTaskOut(Schema):
    id: int
    step: int
    approver: Ref
    delegated_from: Ref | None
    status: str
    comment: str
    created_at: datetime
    decided_at: datetime | None


class EventOut(Schema):
    id: int
    kind: str
    actor: Ref | None
    step: int | None
    comment: str
    params: dict[str, Any]
    created_at: datetime


class RequestDetailOut(RequestOut):
    tasks: list[ApprovalTaskOut]
    events: list[EventOut]
    can_decide: bool
    can_recall: bool

    @staticmethod
    def resolve_tasks(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": t.pk,
                "step": t.step,
                "approver": ref(t.approver),
                "delegated_from": ref(t.delegated_from),
                "status": t.status,
                "comment": t.comment,
                "created_at": t.created_at,
                "decided_at": t.decided_at,
            }
            for step in obj.view.steps
            for t in step.tasks
        ]

    @staticmethod
    def resolve_events(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": e.pk,
                "kind": e.kind,
                "actor": ref(e.actor),
                "step": e.step,
                "comment": e.comment,
                "params": e.params,
                "created_at": e.created_at,
            }
            for e in obj.view.events
        ]

    @staticmethod
    def resolve_can_decide(obj: Any) -> bool:
        return obj.view.my_task is not None

    @staticmethod
    def resolve_can_recall(obj: Any) -> bool:
        return bool(obj.view.can_recall)


class ApprovalCommentIn(Schema):
    comment: str = ""


class ApprovalReturnIn(ApprovalCommentIn):
    step: int


class DelegateIn(ApprovalCommentIn):
    user_id: int


class ConditionIO(Schema):
    field: str
    op: str
    value: Any = None


class StepIn(Schema):
    name: str
    kind: str
    mode: str = "all"
    user_id: int | None = None
    role_id: int | None = None
    team_id: int | None = None
    levels: int = 1
    conditions: list[ConditionIO] = []


class StepOut(Schema):
    id: int
    position: int
    name: str
    kind: str
    mode: str
    user: Ref | None
    role: Ref | None
    team: Ref | None
    levels: int
    conditions: list[ConditionIO]

    @staticmethod
    def resolve_user(obj: ApprovalStep) -> Any:
        return ref(obj.user)

    @staticmethod
    def resolve_role(obj: ApprovalStep) -> Any:
        return ref(obj.role)

    @staticmethod
    def resolve_team(obj: ApprovalStep) -> Any:
        return ref(obj.team)


class FlowOut(Schema):
    id: int
    document_type: str
    name: str
    business_unit: Ref | None
    priority: int
    conditions: list[ConditionIO]
    is_active: bool
    remind_after_hours: int | None
    escalate_after_hours: int | None
    escalate_to: Ref | None
    steps: list[StepOut]

    @staticmethod
    def resolve_business_unit(obj: ApprovalFlow) -> Any:
        return ref(obj.business_unit)

    @staticmethod
    def resolve_escalate_to(obj: ApprovalFlow) -> Any:
        return ref(obj.escalate_to)

    @staticmethod
    def resolve_steps(obj: ApprovalFlow) -> list[Any]:
        return list(obj.steps.all())


class FlowIn(Schema):
    document_type: str
    name: str
    business_unit_id: int | None = None
    priority: int = 100
    conditions: list[ConditionIO] = []
    is_active: bool = True
    remind_after_hours: int | None = None
    escalate_after_hours: int | None = None
    escalate_to_id: int | None = None
    steps: list[StepIn]


class FlowPatch(Schema):
    name: str | None = None
    priority: int | None = None
    conditions: list[ConditionIO] | None = None
    is_active: bool | None = None
    remind_after_hours: int | None = None
    escalate_after_hours: int | None = None
    escalate_to_id: int | None = None
    steps: list[StepIn] | None = None


class FieldOut(Schema):
    name: str
    label: str
    kind: str
    choices: list[list[Any]] | None = None


class DocumentTypeOut(Schema):
    code: str
    label: str
    fields: list[FieldOut]


class DelegationIn(Schema):
    delegate_id: int
    starts_on: date
    ends_on: date


class DelegationOut(Schema):
    id: int
    delegate: Ref
    starts_on: date
    ends_on: date
    is_active: bool

    @staticmethod
    def resolve_delegate(obj: Delegation) -> Any:
        return ref(obj.delegate)


# --- approvals ---------------------------------------------------------------------------------------------


def _rows_out(rows: list[Any], request: HttpRequest) -> list[Any]:
    return selectors.rows_out(rows)


@router.get("/approvals", response={200: list[RequestRowOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-key",), after=_rows_out)
def list_approvals(
    request: HttpRequest, mine: str = "pending", status: str | None = None, document_type: str | None = None
) -> Any:
    """``mine``: pending (waiting for my decision, the default; newest task first), submitted, decided,
    all (every request the caller sees; newest first)."""
    from django.core.exceptions import ValidationError

    if mine not in ("pending", "submitted", "decided", "all"):
        raise ValidationError({"mine": "pending, submitted, decided or all"})
    if status is not None and status not in RequestStatus.values:
        raise ValidationError({"status": ", ".join(RequestStatus.values)})
    if document_type and document_type not in {t.code for t in registry.types()}:
        raise ValidationError({"document_type": ", ".join(t.code for t in registry.types())})
    return selectors.request_rows(user=request.user, mine=mine, status=status, document_type=document_type)


def _detail(user: Any, pk: int) -> ApprovalRequest:
    """The request with what its page shows (``view``: steps, tasks, history, what the caller may do)."""
    approval = selectors.approval_get(user=user, pk=pk)
    approval.view = selectors.request_view(user=user, request=approval)  # type: ignore[attr-defined]
    return approval


@router.get("/approvals/{approval_id}", response={200: RequestDetailOut, **ERROR_RESPONSES})
def get_approval(request: HttpRequest, approval_id: int) -> Any:
    return _detail(request.user, approval_id)


@router.post("/approvals/{approval_id}/approve", response={200: RequestDetailOut, **ERROR_RESPONSES})
def approve(request: HttpRequest, approval_id: int, payload: ApprovalCommentIn) -> Any:
    services.approval_approve(request=approval_id, actor=request.user, comment=payload.comment)
    return _detail(request.user, approval_id)


@router.post("/approvals/{approval_id}/reject", response={200: RequestDetailOut, **ERROR_RESPONSES})
def reject(request: HttpRequest, approval_id: int, payload: ApprovalCommentIn) -> Any:
    services.approval_reject(request=approval_id, actor=request.user, comment=payload.comment)
    return _detail(request.user, approval_id)


@router.post("/approvals/{approval_id}/return", response={200: RequestDetailOut, **ERROR_RESPONSES})
def return_(request: HttpRequest, approval_id: int, payload: ApprovalReturnIn) -> Any:
    """``step``: the index (from 0) of an earlier step in the request's ``steps``."""
    services.approval_return(request=approval_id, actor=request.user, step=payload.step, comment=payload.comment)
    return _detail(request.user, approval_id)


@router.post("/approvals/{approval_id}/recall", response={200: RequestDetailOut, **ERROR_RESPONSES})
def recall(request: HttpRequest, approval_id: int, payload: ApprovalCommentIn) -> Any:
    services.approval_recall(request=approval_id, actor=request.user, comment=payload.comment)
    return _detail(request.user, approval_id)


@router.post("/approvals/{approval_id}/delegate", response={200: RequestDetailOut, **ERROR_RESPONSES})
def delegate(request: HttpRequest, approval_id: int, payload: DelegateIn) -> Any:
    services.approval_delegate(request=approval_id, actor=request.user, user=payload.user_id, comment=payload.comment)
    return _detail(request.user, approval_id)


# --- flows -------------------------------------------------------------------------------------------------


def _conditions(items: list[ConditionIO] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [c.dict() for c in items]


def _steps(items: list[StepIn] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [{**s.dict(), "conditions": _conditions(s.conditions)} for s in items]


@router.get("/approval-flows", response={200: list[FlowOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_flows(request: HttpRequest, document_type: str | None = None) -> Any:
    """The flows the caller administers (none without "approvals · administer")."""
    return selectors.flow_list(user=request.user, document_type=document_type)


@router.post("/approval-flows", response={201: FlowOut, **ERROR_RESPONSES})
def create_flow(request: HttpRequest, payload: FlowIn) -> Any:
    values = payload.dict()
    values["conditions"] = _conditions(payload.conditions)
    values["steps"] = _steps(payload.steps)
    flow = services.flow_create(actor=request.user, **values)
    return Status(201, selectors.flow_get(user=request.user, pk=flow.pk))


@router.get("/approval-flows/{flow_id}", response={200: FlowOut, **ERROR_RESPONSES})
def get_flow(request: HttpRequest, flow_id: int) -> Any:
    return selectors.flow_get(user=request.user, pk=flow_id)


@router.patch("/approval-flows/{flow_id}", response={200: FlowOut, **ERROR_RESPONSES})
def update_flow(request: HttpRequest, flow_id: int, payload: FlowPatch) -> Any:
    """Only the fields given change; ``steps`` replaces all steps. Submitted requests keep theirs."""
    values = payload.dict(exclude_unset=True)
    if "conditions" in values:
        values["conditions"] = _conditions(payload.conditions) or []
    if "steps" in values:
        values["steps"] = _steps(payload.steps)
    services.flow_update(actor=request.user, flow=flow_id, **values)
    return selectors.flow_get(user=request.user, pk=flow_id)


@router.delete("/approval-flows/{flow_id}", response={204: None, **ERROR_RESPONSES})
def delete_flow(request: HttpRequest, flow_id: int) -> Any:
    services.flow_delete(actor=request.user, flow=flow_id)
    return Status(204, None)


@router.get("/approval-document-types", response={200: list[DocumentTypeOut], **ERROR_RESPONSES})
def list_document_types(request: HttpRequest) -> Any:
    out = []
    for t in registry.types():
        fields = []
        for f in t.fields:
            choices = f.choices() if callable(f.choices) else f.choices
            fields.append(
                {
                    "name": f.name,
                    "label": str(f.label),
                    "kind": f.kind,
                    "choices": [[v, str(label)] for v, label in choices] if choices else None,
                }
            )
        out.append({"code": t.code, "label": str(t.label), "fields": fields})
    return out


# --- delegations -------------------------------------------------------------------------------------------


@router.get("/approval-delegations", response={200: list[DelegationOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_delegations(request: HttpRequest) -> Any:
    return selectors.delegation_list(user=request.user)


@router.post("/approval-delegations", response={201: DelegationOut, **ERROR_RESPONSES})
def create_delegation(request: HttpRequest, payload: DelegationIn) -> Any:
    delegation = services.delegation_create(
        actor=request.user, delegate=payload.delegate_id, starts_on=payload.starts_on, ends_on=payload.ends_on
    )
    return Status(201, delegation)


@router.delete("/approval-delegations/{delegation_id}", response={204: None, **ERROR_RESPONSES})
def end_delegation(request: HttpRequest, delegation_id: int) -> Any:
    services.delegation_end(actor=request.user, delegation=delegation_id)
    return Status(204, None)
