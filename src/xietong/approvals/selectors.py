"""Reads of the approval engine, visibility applied (docs/subsystems/approvals.md)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, QuerySet

from xietong.core.errors import NotFound
from xietong.core.params import as_int

from . import registry, services
from .models import (
    ApprovalEvent,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    ApprovalTask,
    Delegation,
    RequestStatus,
    TaskStatus,
)


def approval_for(document: models.Model) -> ApprovalRequest | None:
    """The latest approval request of ``document`` (any status), or None. No visibility filter: the
    caller shows it on the document's page, which its viewer already sees."""
    if document is None or document.pk is None:
        return None
    content_type = ContentType.objects.get_for_model(type(document))
    return (
        ApprovalRequest.objects.filter(content_type=content_type, object_id=str(document.pk))
        .select_related("submitter", "content_type")
        .order_by("-pk")
        .first()
    )


def document_summary(approval: ApprovalRequest) -> list[tuple[str, str]]:
    """What the document type says an approver should see of the document (the request's viewer
    sees it: approvers, the submitter and whoever sees the document); empty when it is gone."""
    try:
        document_type = registry.get(approval.document_type)
    except KeyError:
        return []
    document = approval.document()
    return document_type.summary(document) if document is not None else []


def approvals_of(document: models.Model) -> QuerySet[ApprovalRequest]:
    content_type = ContentType.objects.get_for_model(type(document))
    return ApprovalRequest.objects.filter(content_type=content_type, object_id=str(document.pk)).order_by("-pk")


def is_in_approval(document: models.Model) -> bool:
    content_type = ContentType.objects.get_for_model(type(document))
    return ApprovalRequest.objects.filter(
        content_type=content_type, object_id=str(document.pk), status=RequestStatus.PENDING
    ).exists()


def approval_get(*, user: Any, pk: Any) -> ApprovalRequest:
    """A request the user may see (submitter, approver, module scope, or a viewer of its document), else 404."""
    try:
        found = ApprovalRequest.objects.select_related("submitter", "content_type", "business_unit").get(pk=pk)
    except (ApprovalRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not services.may_see(user, found):
        raise NotFound()
    return found


def pending_tasks(
    *,
    user: Any,
    document_type: str | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
) -> QuerySet[ApprovalTask]:
    """The user's pending tasks on pending requests, newest first (index approver, status, -id)."""
    qs = ApprovalTask.objects.filter(approver_id=user.pk, status=TaskStatus.PENDING).select_related(
        "request__submitter", "delegated_from"
    )
    if document_type:
        qs = qs.filter(request__document_type=document_type)
    if submitted_from:
        qs = qs.filter(request__submitted_at__date__gte=submitted_from)
    if submitted_to:
        qs = qs.filter(request__submitted_at__date__lte=submitted_to)
    return qs.order_by("-pk")


def was_asked(*, user: Any, pk: Any) -> bool:
    """Whether ``user`` was ever asked to decide on the request ``pk`` (any task, any status)."""
    return ApprovalTask.objects.filter(request_id=pk, approver_id=user.pk).exists()


def pending_count(*, user: Any) -> int:
    return ApprovalTask.objects.filter(approver_id=user.pk, status=TaskStatus.PENDING).count()


def request_list(
    *,
    user: Any,
    mine: str = "pending",
    status: str | None = None,
    document_type: str | None = None,
) -> QuerySet[ApprovalRequest]:
    """``mine``: "pending" (waiting for the user's decision), "submitted" (by the user), "decided"
    (the user took part), "all" (every request the user sees)."""
    qs = ApprovalRequest.objects.select_related("submitter")
    if mine == "pending":
        qs = qs.filter(
            pk__in=ApprovalTask.objects.filter(approver_id=user.pk, status=TaskStatus.PENDING).values("request_id")
        )
    elif mine == "submitted":
        qs = qs.filter(submitter_id=user.pk)
    elif mine == "decided":
        qs = qs.filter(
            pk__in=ApprovalTask.objects.filter(approver_id=user.pk)
            .exclude(status=TaskStatus.PENDING)
            .values("request_id")
        )
    else:
        qs = qs.visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if document_type:
        qs = qs.filter(document_type=document_type)
    return qs.order_by("-pk")


ROW_FIELDS = (
    "document_type",
    "object_id",
    "title",
    "amount",
    "url",
    "status",
    "current_step",
    "flow_name",
    "submitter_id",
    "business_unit_id",
    "submitted_at",
    "finished_at",
)


def request_rows(
    *,
    user: Any,
    mine: str = "pending",
    status: str | None = None,
    document_type: str | None = None,
) -> QuerySet[Any]:
    """The API list as light rows (dicts), keyed for keyset pages by ``key``: the caller's pending
    *task* id for ``mine="pending"`` (the inbox reads the index approver, status, -id and stops after
    one page, however many are pending), the request id otherwise. ``request_id`` is the request."""
    from django.db.models import F

    if mine == "pending":
        tasks = _pending_rows().filter(approver_id=user.pk, status=TaskStatus.PENDING)
        if status:
            tasks = tasks.filter(request__status=status)
        if document_type:
            tasks = tasks.filter(request__document_type=document_type)
        return tasks
    requests = request_list(user=user, mine=mine, status=status, document_type=document_type)
    return requests.annotate(key=F("id"), request_id=F("id")).values(
        "key", "request_id", *ROW_FIELDS, submitter_name=F("submitter__display_name")
    )


@functools.cache
def _pending_rows() -> QuerySet[Any]:
    """The inbox's columns on the tasks (``request__<name>``), resolved once per process: resolving the
    joined columns cost more than the rest of building the statement. Every use filters it, which
    clones it, so this one is never evaluated."""
    from django.db.models import F

    return ApprovalTask.objects.annotate(key=F("id")).values(
        "key",
        "request_id",
        *(f"request__{name}" for name in ROW_FIELDS),
        submitter_name=F("request__submitter__display_name"),
    )


def rows_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``request_rows`` as the API's list items (each document type's label is looked up
    once per page, not once per row)."""
    from .registry import display_title

    prefix = "request__" if rows and "request__title" in rows[0] else ""
    columns = [(name, prefix + name) for name in ROW_FIELDS if name != "submitter_id"]
    labels: dict[str, str] = {}
    items = []
    for row in rows:
        document_type = row[prefix + "document_type"]
        if document_type not in labels:
            labels[document_type] = display_title(document_type, "")
        item = {name: row[column] for name, column in columns}
        item["id"] = row["request_id"]
        item["display_title"] = labels[document_type] + row[prefix + "title"]
        item["submitter"] = {"id": row[prefix + "submitter_id"], "name": row["submitter_name"]}
        items.append(item)
    return items


@dataclass
class StepView:
    index: int
    name: str
    mode: str
    kind: str
    skipped: bool
    is_current: bool
    is_done: bool
    tasks: list[ApprovalTask] = field(default_factory=list)
    approver_names: list[str] = field(default_factory=list)


@dataclass
class RequestView:
    request: ApprovalRequest
    steps: list[StepView]
    events: list[ApprovalEvent]
    my_task: ApprovalTask | None
    can_recall: bool
    earlier_steps: list[StepView]
    document_type_label: str
    delegate_choices: list[Any] = field(default_factory=list)


DELEGATE_CHOICES = 300


def request_view(*, user: Any, request: ApprovalRequest) -> RequestView:
    """Everything the panel and the request page show, in a fixed number of queries."""
    from django.contrib.auth import get_user_model

    tasks = list(request.tasks.select_related("approver", "delegated_from").order_by("step", "pk"))
    events = list(request.events.select_related("actor").order_by("pk"))
    for event in events:  # the step each decision was taken on, by name (the history shows it)
        known = event.step is not None and event.step < len(request.steps)
        event.step_name = request.steps[event.step].get("name", "") if known else ""  # type: ignore[attr-defined]
    planned_ids = {pk for step in request.steps for pk in step.get("approver_ids", [])}
    names = {u.pk: str(u) for u in get_user_model()._default_manager.filter(pk__in=planned_ids)}
    steps: list[StepView] = []
    for index, data in enumerate(request.steps):
        is_current = request.is_pending and request.current_step == index
        is_done = (
            request.status == RequestStatus.APPROVED
            or (request.is_pending and request.current_step is not None and index < request.current_step)
        ) and not data.get("skipped")
        steps.append(
            StepView(
                index=index,
                name=data.get("name", ""),
                mode=data.get("mode", ""),
                kind=data.get("kind", ""),
                skipped=bool(data.get("skipped")),
                is_current=is_current,
                is_done=is_done,
                tasks=[t for t in tasks if t.step == index],
                approver_names=[names.get(pk, "?") for pk in data.get("approver_ids", [])],
            )
        )
    my_task = None
    if request.is_pending and getattr(user, "pk", None):
        my_task = next(
            (
                t
                for t in tasks
                if t.step == request.current_step and t.approver_id == user.pk and t.status == TaskStatus.PENDING
            ),
            None,
        )
    decided = any(t.status in (TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.RETURNED) for t in tasks)
    can_recall = request.is_pending and request.submitter_id == getattr(user, "pk", None) and not decided
    earlier = [
        s for s in steps if request.current_step is not None and s.index < request.current_step and not s.skipped
    ]
    try:
        label = str(registry.get(request.document_type).label)
    except KeyError:
        label = request.document_type
    delegate_choices: list[Any] = []
    if my_task is not None:  # whom the approver may hand the task to: the people they may address,
        from xietong.core.visibility import addressable_people  # never the submitter

        pending = {t.approver_id for t in tasks if t.status == TaskStatus.PENDING and t.step == request.current_step}
        delegate_choices = list(
            addressable_people(user)
            .exclude(pk__in={*pending, request.submitter_id})
            .only("pk", "display_name", "username")
            .order_by("display_name", "pk")[:DELEGATE_CHOICES]
        )
    return RequestView(
        request=request,
        steps=steps,
        events=events,
        my_task=my_task,
        can_recall=can_recall,
        earlier_steps=earlier,
        document_type_label=label,
        delegate_choices=delegate_choices,
    )


def flow_list(*, user: Any, document_type: str | None = None) -> QuerySet[ApprovalFlow]:
    qs = services.flows_administrable(user).select_related("business_unit", "escalate_to")
    if document_type:
        qs = qs.filter(document_type=document_type)
    return qs.prefetch_related(
        Prefetch("steps", queryset=ApprovalStep.objects.select_related("user", "role", "team"))
    ).order_by("document_type", "business_unit_id", "priority", "pk")


def flow_get(*, user: Any, pk: Any) -> ApprovalFlow:
    found = flow_list(user=user).filter(pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found


def delegation_list(*, user: Any) -> QuerySet[Delegation]:
    return Delegation.objects.filter(user_id=user.pk).select_related("delegate").order_by("-starts_on", "-pk")
