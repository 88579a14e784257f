"""REST endpoints of tasks: ``/api/v1/tasks`` (list, create), the task by id (read, change), its
status, and bulk changes. No delete: cancel a task instead (status ``cancelled``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page

from . import registry
from . import tasks_services as svc
from .models import Task

router = Router(tags=["tasks"])


class TaskOut(Schema):
    id: int
    title: str
    description: str = Field(description="Plain text: show it escaped.")
    assignee_id: int
    assignee_name: str
    creator_id: int
    collaborator_ids: list[int]
    due_at: datetime | None
    priority: str
    status: str
    completed_at: datetime | None
    remind_at: datetime | None = Field(
        description="When the assignee and collaborators get a reminder (a notification)."
    )
    record: str | None = Field(description='The linked record, e.g. "org.team:12", or null.')
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_assignee_name(obj: Task) -> str:
        return str(obj.assignee)

    @staticmethod
    def resolve_collaborator_ids(obj: Task) -> list[int]:
        return [u.pk for u in obj.collaborators.all()]

    @staticmethod
    def resolve_record(obj: Task) -> str | None:
        """The linked record's key, only while the caller sees the record (set by ``_with_records``)."""
        return getattr(obj, "visible_record", None)


class TaskIn(Schema):
    title: str
    description: str = ""
    assignee_id: int | None = Field(None, description="Default: you.")
    collaborator_ids: list[int] = []
    due_at: datetime | None = None
    priority: str = "normal"
    remind_at: datetime | None = None
    record: str = Field("", description='Optional "app_label.model:pk" of a record you can see.')


class TaskPatch(Schema):
    title: str | None = None
    description: str | None = None
    assignee_id: int | None = None
    collaborator_ids: list[int] | None = None
    due_at: datetime | None = None
    priority: str | None = None
    remind_at: datetime | None = None


class StatusIn(Schema):
    status: str


class TaskBulkIn(Schema):
    ids: list[int]
    status: str | None = None
    assignee_id: int | None = None
    due_at: datetime | None = None


def _person(request: HttpRequest, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    people = svc.assignable_users(actor=request.user).filter(pk=pk).first()
    if people is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({field: _("No such person.")})
    return people


def _people(request: HttpRequest, pks: list[int], field: str) -> list[Any]:
    found = list(svc.assignable_users(actor=request.user).filter(pk__in=pks))
    if len(found) != len(set(pks)):
        from django.core.exceptions import ValidationError

        raise ValidationError({field: _("No such person.")})
    return found


def _with_records(tasks: list[Task], request: HttpRequest) -> list[Task]:
    """Name each task's linked record only if the caller sees it (one query per kind of record)."""
    links = svc.record_links(tasks, user=request.user)
    for task in tasks:
        if task.pk in links and task.content_type_id:
            ct = ContentType.objects.get_for_id(task.content_type_id)
            task.visible_record = f"{ct.app_label}.{ct.model}:{task.object_id}"  # type: ignore[attr-defined]
    return tasks


@router.get("/tasks", response={200: list[TaskOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",), after=_with_records)
def list_tasks(request: HttpRequest, view: str = "all", status: str = "", record: str = "") -> Any:
    """``view``: assigned, created, team, overdue or all; ``record``: only the tasks of that record."""
    target = registry.resolve(request.user, record) if record else None
    return svc.task_list(
        user=request.user, view=view if view in svc.VIEWS else "all", status=status or None, record=target
    )


@router.post("/tasks", response={201: TaskOut, **ERROR_RESPONSES})
def create_task(request: HttpRequest, payload: TaskIn) -> Any:
    task = svc.task_create(
        actor=request.user,
        title=payload.title,
        description=payload.description,
        assignee=_person(request, payload.assignee_id, "assignee_id"),
        collaborators=_people(request, payload.collaborator_ids, "collaborator_ids"),
        due_at=payload.due_at,
        priority=payload.priority,
        remind_at=payload.remind_at,
        record_key=payload.record,
    )
    return Status(201, _with_records([svc.task_get(user=request.user, pk=task.pk)], request)[0])


@router.post("/tasks/bulk", response={200: list[TaskOut], **ERROR_RESPONSES})
def bulk_update_tasks(request: HttpRequest, payload: TaskBulkIn) -> Any:
    """All or nothing: 404 if any id is not a task you see, 403 if you may not change one you see."""
    tasks = svc.task_bulk_update(
        actor=request.user,
        task_ids=payload.ids,
        status=payload.status,
        assignee=_person(request, payload.assignee_id, "assignee_id"),
        due_at=payload.due_at,
    )
    return _with_records(list(svc.task_list(user=request.user).filter(pk__in=[t.pk for t in tasks])), request)


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERROR_RESPONSES})
def get_task(request: HttpRequest, task_id: int) -> Any:
    return _with_records([svc.task_get(user=request.user, pk=task_id)], request)[0]


@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERROR_RESPONSES})
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Any:
    task = svc.task_get(user=request.user, pk=task_id)
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: v for k, v in given.items() if k not in ("assignee_id", "collaborator_ids")}
    if given.get("assignee_id") is not None:
        changes["assignee"] = _person(request, given["assignee_id"], "assignee_id")
    if given.get("collaborator_ids") is not None:
        changes["collaborators"] = _people(request, given["collaborator_ids"], "collaborator_ids")
    svc.task_update(actor=request.user, task=task, **changes)
    return _with_records([svc.task_get(user=request.user, pk=task_id)], request)[0]


@router.post("/tasks/{task_id}/status", response={200: TaskOut, **ERROR_RESPONSES})
def set_task_status(request: HttpRequest, task_id: int, payload: StatusIn) -> Any:
    task = svc.task_get(user=request.user, pk=task_id)
    svc.task_set_status(actor=request.user, task=task, status=payload.status)
    return _with_records([svc.task_get(user=request.user, pk=task_id)], request)[0]
