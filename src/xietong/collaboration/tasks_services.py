"""Tasks: services (every write) and selectors (every read). docs/subsystems/tasks-collab.md.

A task is assigned to anyone the creator can see (across departments is the point), may stand alone
or be linked to a record with the collaboration surface, and is seen by the people on it, by whoever
sees its record, and through roles on the module "tasks" (models.TaskPolicy). Assignments and
completions notify through ``core.events`` after the commit; status changes and reassignments are
recorded in the task's audit trail.

``remind_at``: the periodic job of collaboration/reminders.py notifies the assignee and collaborators
then; changing ``remind_at`` re-arms the reminder (``reminded_at`` is cleared).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit, events
from xietong.core.components import register_record_panel, register_record_url
from xietong.core.errors import NotFound, PermissionDenied, ValidationError
from xietong.core.visibility import addressable_people, ensure_still_visible, members_of

from . import registry
from .models import Task, TaskQuerySet, _collaborator_task_ids
from .tasks import deliver_notifications

VIEWS = ("assigned", "created", "team", "overdue", "all")
# the calendar's scopes (calendar.py): "mine" is assigned to me or I collaborate
CALENDAR_VIEWS = ("mine", "created", "team", "all")
UPDATABLE = ("title", "description", "assignee", "collaborators", "due_at", "priority", "remind_at")

_unset: Any = object()


# --- rules ----------------------------------------------------------------------------------------


def assignable_users(*, actor: Any) -> models.QuerySet[Any]:
    """Who ``actor`` may assign a task to or add as collaborator: the people they may address
    (core.visibility.addressable_people)."""
    return addressable_people(actor).order_by("display_name", "username")  # type: ignore[no-any-return]


def _check_people(actor: Any, assignee: Any, collaborators: Iterable[Any]) -> None:
    wanted = {u.pk for u in [assignee, *collaborators] if u is not None} - {actor.pk}
    if not wanted:
        return
    seen = set(assignable_users(actor=actor).filter(pk__in=wanted).values_list("pk", flat=True))
    if assignee is not None and assignee.pk != actor.pk and assignee.pk not in seen:
        raise ValidationError({"assignee": _("Choose someone you can see.")})
    if wanted - seen - ({assignee.pk} if assignee is not None else set()):
        raise ValidationError({"collaborators": _("Choose people you can see.")})


def can_edit(user: Any, task: Task) -> bool:
    return Task.objects.visible_to(user, "edit").filter(pk=task.pk).exists()


def can_set_status(user: Any, task: Task) -> bool:
    """The assignee, the creator, a collaborator, or someone whose role may edit the task."""
    if user.pk in (task.assignee_id, task.creator_id):
        return True
    if task.collaborators.filter(pk=user.pk).exists():
        return True
    return can_edit(user, task)


def _clean(title: str | None, description: str | None) -> None:
    if title is not None and not title.strip():
        raise ValidationError({"title": _("Give the task a title.")})
    if title is not None and len(title) > 200:
        raise ValidationError({"title": _("A title can be at most 200 characters.")})
    if description is not None and len(description) > 10_000:
        raise ValidationError({"description": _("A description can be at most 10,000 characters.")})


def _announce_assigned(task: Task, actor: Any) -> None:
    if task.assignee_id == actor.pk:
        return
    events.publish(
        "collaboration.task_assigned",
        key=f"task:{task.pk}:assigned:{task.assignee_id}:{int(timezone.now().timestamp() * 1000)}",
        task_id=task.pk,
        actor_id=actor.pk,
        recipient_ids=[task.assignee_id],
        params={"actor": str(actor), "title": task.title},
    )


# --- services -------------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor: Any,
    title: str,
    assignee: Any = None,
    description: str = "",
    collaborators: Iterable[Any] = (),
    due_at: datetime | None = None,
    priority: str = Task.Priority.NORMAL,
    remind_at: datetime | None = None,
    record_key: str = "",
) -> Task:
    """Anyone creates tasks. The assignee (default: the actor) and collaborators must be people the
    actor sees; ``record_key`` ("app_label.model:pk") must name a record the actor sees (else 404)."""
    _clean(title, description)
    collaborators = list(collaborators)
    assignee = assignee or actor
    _check_people(actor, assignee, collaborators)
    if priority not in Task.Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    content_type, object_id = None, ""
    if record_key:
        record = registry.resolve(actor, record_key)
        content_type, object_id = ContentType.objects.get_for_model(record), str(record.pk)
    task = Task.objects.create(
        title=title.strip(),
        description=description,
        assignee=assignee,
        creator=actor,
        due_at=due_at,
        priority=priority,
        remind_at=remind_at,
        content_type=content_type,
        object_id=object_id,
    )
    task.collaborators.set(collaborators)
    audit.record_create(actor=actor, obj=task)
    _announce_assigned(task, actor)
    return task


def _lock(actor: Any, pk: Any) -> Task:
    found = Task.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return cast(Task, found)


@transaction.atomic
def task_update(*, actor: Any, task: Task, **changes: Any) -> Task:
    """Change any of ``UPDATABLE``: the creator, the assignee or a role with edit on the task."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"task_update: unknown fields {sorted(unknown)}")
    task = _lock(actor, task.pk)
    if not can_edit(actor, task):
        raise PermissionDenied(_("Only its creator, its assignee or a manager can change a task."))
    _clean(changes.get("title"), changes.get("description"))
    if "priority" in changes and changes["priority"] not in Task.Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    old_assignee = task.assignee_id
    new_assignee = changes.get("assignee") or task.assignee
    new_collaborators = list(changes["collaborators"]) if "collaborators" in changes else []
    old_collaborators = set(task.collaborators.values_list("pk", flat=True))
    # only people newly put on the task must be visible to the actor
    _check_people(
        actor,
        new_assignee if new_assignee.pk != old_assignee else None,
        [u for u in new_collaborators if u.pk not in old_collaborators],
    )
    before = audit.snapshot(task)
    if "remind_at" in changes and changes["remind_at"] != task.remind_at:
        task.reminded_at = None  # a moved reminder goes out again (collaboration/reminders.py)
    for name in ("title", "description", "due_at", "priority", "remind_at"):
        if name in changes:
            setattr(task, name, changes[name].strip() if name == "title" else changes[name])
    task.assignee = new_assignee
    task.save()
    if "collaborators" in changes:
        task.collaborators.set(new_collaborators)
    audit.record_update(actor=actor, obj=task, before=before)
    ensure_still_visible(task, actor)  # nobody pushes a task out of their own sight
    if task.assignee_id != old_assignee:
        _announce_assigned(task, actor)
    return task


def _apply_status(task: Task, status: str) -> None:
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    if status == Task.Status.DONE and task.status != Task.Status.DONE:
        task.completed_at = timezone.now()
    elif status != Task.Status.DONE:
        task.completed_at = None
    task.status = status


def _announce_done(task: Task, actor: Any) -> None:
    if task.creator_id == actor.pk:
        return
    events.publish(
        "collaboration.task_done",
        key=f"task:{task.pk}:done:{int(timezone.now().timestamp() * 1000)}",
        task_id=task.pk,
        actor_id=actor.pk,
        recipient_ids=[task.creator_id],
        params={"actor": str(actor), "title": task.title},
    )


@transaction.atomic
def task_set_status(*, actor: Any, task: Task, status: str) -> Task:
    """Done sets ``completed_at``; any other status (reopening) clears it. The creator hears of it."""
    task = _lock(actor, task.pk)
    if not can_set_status(actor, task):
        raise PermissionDenied(_("Only the people on a task can change its status."))
    if task.status == status:
        return task
    before = audit.snapshot(task)
    _apply_status(task, status)
    task.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record_update(actor=actor, obj=task, before=before)
    if status == Task.Status.DONE:
        _announce_done(task, actor)
    return task


@transaction.atomic
def task_bulk_update(
    *,
    actor: Any,
    task_ids: Iterable[int],
    status: str | None = None,
    assignee: Any = None,
    due_at: datetime | None = None,
) -> list[Task]:
    """All or nothing: every id must be a task the actor may edit — an invisible one answers 404, a
    visible one the actor may not edit 403 — and nothing changes unless all can."""
    ids = sorted(set(task_ids))
    if not ids:
        raise ValidationError({"ids": _("Choose at least one task.")})
    if status is None and assignee is None and due_at is None:
        raise ValidationError({"__all__": _("Choose what to change.")})
    if status is not None and status not in Task.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    tasks = list(Task.objects.visible_to(actor).select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(tasks) != len(ids):
        raise NotFound()
    editable = set(Task.objects.visible_to(actor, "edit").filter(pk__in=ids).values_list("pk", flat=True))
    if editable != set(ids):
        raise PermissionDenied(_("You may not change some of these tasks."))
    if assignee is not None:
        _check_people(actor, assignee, ())
    for task in tasks:
        before = audit.snapshot(task)
        old_assignee, old_status = task.assignee_id, task.status
        if status is not None:
            _apply_status(task, status)
        if assignee is not None:
            task.assignee = assignee
        if due_at is not None:
            task.due_at = due_at
        task.save()
        audit.record_update(actor=actor, obj=task, before=before, verb="bulk")
        ensure_still_visible(task, actor)
        if task.assignee_id != old_assignee:
            _announce_assigned(task, actor)
        if status == Task.Status.DONE and old_status != Task.Status.DONE:
            _announce_done(task, actor)
    return tasks


# --- notifications --------------------------------------------------------------------------------


@events.subscriber("collaboration.task_assigned")
@events.subscriber("collaboration.task_done")
def notify_task(event: events.Event) -> None:
    deliver_notifications.enqueue(
        event_key=event.key,
        kind="task_assigned" if event.name == "collaboration.task_assigned" else "task_done",
        recipient_ids=event.data["recipient_ids"],
        actor_id=event.data["actor_id"],
        record=["collaboration.task", event.data["task_id"]],
        params=event.data["params"],
    )


# --- selectors ------------------------------------------------------------------------------------


def _listed(qs: TaskQuerySet) -> TaskQuerySet:
    return qs.select_related("assignee", "creator", "content_type").prefetch_related("collaborators")


def in_view(qs: TaskQuerySet, *, user: Any, view: str) -> TaskQuerySet:
    """Narrow ``qs`` (visibility already applied) to one view of the task list or the calendar:
    ``assigned`` (to me), ``mine`` (assigned to me or I collaborate), ``created`` (by me), ``team``
    (assigned to members of the teams I belong to or manage, and their sub-teams where I manage),
    ``overdue`` (due before now, still open or in progress); anything else: all of ``qs``."""
    access = user.access
    if view == "assigned":
        return qs.filter(assignee_id=user.pk)
    if view == "mine":
        return qs.filter(Q(assignee_id=user.pk) | Q(pk__in=_collaborator_task_ids(user.pk)))
    if view == "created":
        return qs.filter(creator_id=user.pk)
    if view == "team":
        return qs.filter(assignee_id__in=members_of(team_ids=access.team_ids, paths=access.managed_paths))
    if view == "overdue":
        return qs.filter(due_at__lt=timezone.now(), status__in=Task.ACTIVE)
    return qs


def task_list(
    *, user: Any, view: str = "all", status: str | None = None, record: models.Model | None = None
) -> TaskQuerySet:
    """The tasks ``user`` sees, narrowed to a view: ``assigned`` (to me), ``created`` (by me), ``team``
    (assigned to members of the teams I belong to or manage, and their sub-teams where I manage),
    ``overdue`` (due before now, still open or in progress), ``all``."""
    qs = in_view(Task.objects.visible_to(user), user=user, view=view)
    if status:
        qs = qs.filter(status=status)
    if record is not None:
        qs = qs.on(record)
    return _listed(qs).order_by("-id")


def task_calendar(*, user: Any, start: datetime, end: datetime, view: str = "mine") -> TaskQuerySet:
    """The tasks ``user`` sees in a calendar view (``CALENDAR_VIEWS``) due in ``[start, end)``, by due time;
    done and cancelled ones too (the calendar strikes them through)."""
    qs = in_view(Task.objects.visible_to(user), user=user, view=view if view in CALENDAR_VIEWS else "mine")
    return qs.filter(due_at__gte=start, due_at__lt=end).select_related("assignee").order_by("due_at", "pk")


def task_get(*, user: Any, pk: Any) -> Task:
    return cast(Task, _listed(Task.objects.all()).get_visible(user, pk))


def task_record(task: Task) -> models.Model | None:
    if not task.content_type_id:
        return None
    model = ContentType.objects.get_for_id(task.content_type_id).model_class()
    return model._default_manager.filter(pk=task.object_id).first() if model else None


def visible_task_record(*, user: Any, task: Task) -> models.Model | None:
    """The linked record if ``user`` sees it (else None: the task page shows no link)."""
    if not task.content_type_id:
        return None
    ref = (task.content_type_id, task.object_id)
    return registry.visible_records(user, [ref]).get(ref)


def record_links(tasks: Iterable[Task], *, user: Any) -> dict[int, tuple[str, str]]:
    """task pk → (record name, record page) for the linked records ``user`` sees: one query per kind."""
    from xietong.core.components import record_url

    items = [t for t in tasks if t.content_type_id is not None]
    seen = registry.visible_records(user, [(t.content_type_id, t.object_id) for t in items])  # type: ignore[misc]
    return {
        t.pk: (str(seen[ref]), record_url(*ref)) for t in items if (ref := (t.content_type_id, t.object_id)) in seen
    }


register_record_url("collaboration.task", "collaboration:task_detail")
# the panel of a record's open tasks on every record page with the collaboration surface
register_record_panel("collaboration/tasks/panel.html", order=30)


# --- the record timeline's "task" entries ----------------------------------------------------------


@dataclass(slots=True, eq=False)
class TaskRow:
    """A task as ``collaboration/timeline/task.html`` and ``_task_text`` read it, read-only."""

    id: int
    created_at: datetime
    title: str
    status: str
    due_at: datetime | None
    assignee: Any  # timeline.Person

    @property
    def pk(self) -> int:
        return self.id

    def get_status_display(self) -> str:
        return str(Task.Status(self.status).label)


def _task_text(task: TaskRow) -> str:
    return _("Task “%(title)s” for %(assignee)s · %(status)s") % {
        "title": task.title,
        "assignee": task.assignee,
        "status": task.get_status_display(),
    }


@cache
def _task_rows() -> Any:
    return Task.objects.order_by("-created_at", "-id").values_list(
        "id", "created_at", "title", "status", "due_at", "assignee_id", "assignee__username", "assignee__display_name"
    )


def fetch_tasks(*, user: Any, record: models.Model, cursor: Any, limit: int) -> list[Any]:
    """The tasks linked to the record, by creation, newest first (one query, the assignee's name
    joined). Whoever sees the record sees its tasks (``TaskPolicy``), which the timeline has checked."""
    from . import timeline

    qs = timeline.attached_rows(_task_rows(), user=user, record=record)
    if cursor is not None:
        qs = qs.filter(cursor.q("task"))
    person = timeline.people()
    entries = []
    for pk, created_at, title, status, due_at, *assignee in qs[:limit]:
        row = TaskRow(pk, created_at, title, status, due_at, person(*assignee))
        entries.append(timeline.TimelineEntry("task", pk, created_at, None, _TASK_TEMPLATE, row, _task_text))
    return entries


_TASK_TEMPLATE = "collaboration/timeline/task.html"


def _register_timeline_source() -> None:
    from . import timeline

    timeline.register_source(timeline.TimelineSource("task", gettext_lazy("Tasks"), fetch_tasks))


_register_timeline_source()
