"""Task reminders: a periodic job (collaboration/scheduled.py, every minute) tells the assignee and the
collaborators of each active task whose ``remind_at`` has come.

- Due: status open or in progress, ``remind_at <= now``, ``reminded_at`` empty. Done and cancelled
  tasks are not reminded. Changing ``remind_at`` clears ``reminded_at`` (tasks_services.task_update), so
  a reminder moved later goes out again.
- Once: the notification's event key is ``task-reminder:<task id>:<remind_at>``, unique per recipient
  (services.notifications_deliver), and ``reminded_at`` is set by a conditional UPDATE (only while
  ``remind_at`` is still the one reminded of and nobody marked it before) in the same transaction. A job
  that runs twice, or two jobs at once, notify once; a job that dies half-way is completed by the next.
- E-mail follows the recipients' preferences like any notification (collaboration/emails.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import services
from .models import Task

log = logging.getLogger("xietong.collaboration")

BATCH = 500  # tasks per run; a backlog drains over the following minutes


def due_reminders(*, now: datetime) -> list[Task]:
    return list(
        Task.objects.active()
        .filter(remind_at__isnull=False, remind_at__lte=now, reminded_at__isnull=True)
        .select_related("assignee")
        .prefetch_related("collaborators")
        .order_by("remind_at", "pk")[:BATCH]
    )


def reminder_recipients(task: Task) -> list[int]:
    people = [task.assignee, *task.collaborators.all()]
    return sorted({p.pk for p in people if p.is_active})


def reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders that are due; the number of tasks reminded."""
    now = now or timezone.now()
    sent = 0
    for task in due_reminders(now=now):
        remind_at = task.remind_at
        assert remind_at is not None
        with transaction.atomic():
            services.notifications_deliver(
                event_key=f"task-reminder:{task.pk}:{remind_at.isoformat()}",
                kind="task_reminder",
                recipient_ids=reminder_recipients(task),
                record=("collaboration.task", task.pk),
                params={"title": task.title, "due": task.due_at.isoformat() if task.due_at else None},
            )
            marked = Task.objects.filter(
                pk=task.pk, remind_at=remind_at, reminded_at__isnull=True, status__in=Task.ACTIVE
            ).update(reminded_at=now)
        sent += marked
    if sent:
        log.info("reminded of %d tasks", sent)
    return sent
