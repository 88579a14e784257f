"""Task reminders: the every-minute job tells the assignee and the collaborators once, re-arms when the
reminder time moves, skips finished tasks; the task form's quick choices set the reminder time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from xietong.collaboration import kinds, reminders, selectors
from xietong.collaboration import tasks_services as svc
from xietong.collaboration.models import Notification, Task
from xietong.collaboration.tasks import send_task_reminders
from xietong.core import scheduling
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def people(org):
    role = make_role("people", {"org": (DataScope.GROUP, {"view"}), "tasks": (DataScope.SELF, {"view", "edit"})})
    wang = UserFactory(username="wang", display_name="王芳", primary_team=org["shanghai"])
    li = UserFactory(username="lilei", display_name="李雷", primary_team=org["supply"])
    zhao = UserFactory(username="zhao", display_name="赵六", primary_team=org["pudong"])
    for user in (wang, li, zhao):
        grant(user, role)
    return {"wang": wang, "li": li, "zhao": zhao}


def reminded(task=None) -> list[tuple[str, str]]:
    qs = (
        Notification.objects.filter(kind="task_reminder")
        .select_related("recipient")
        .order_by("recipient__username", "pk")
    )
    if task is not None:
        qs = qs.filter(object_id=str(task.pk))
    return [(n.recipient.username, n.event_key) for n in qs]


@pytest.fixture
def task(people):
    """Created by 王芳 for 李雷 with 赵六 collaborating: due 18:00, reminder at 17:00 (both past)."""
    return svc.task_create(
        actor=people["wang"],
        title="备货",
        assignee=people["li"],
        collaborators=[people["zhao"]],
        due_at=local(2026, 11, 20, 18, 0),
        remind_at=local(2026, 11, 20, 17, 0),
    )


def test_the_job_is_registered_to_run_every_minute():
    job = scheduling.get("send-task-reminders")
    assert (job.task, job.every) == (send_task_reminders, timedelta(minutes=1))


def test_a_due_reminder_tells_the_assignee_and_collaborators_once_even_when_the_job_runs_twice(people, task):
    key = f"task-reminder:{task.pk}:2026-11-20T09:00:00+00:00"
    assert send_task_reminders.enqueue().return_value == 1
    assert send_task_reminders.enqueue().return_value == 0
    assert reminded() == [("lilei", key), ("zhao", key)]  # not the creator
    task.refresh_from_db()
    assert task.reminded_at is not None
    # a second run that missed the mark (e.g. it died before it) still notifies nobody twice
    Task.objects.filter(pk=task.pk).update(reminded_at=None)
    assert reminders.reminders_send() == 1
    assert reminded() == [("lilei", key), ("zhao", key)]


def test_the_reminder_reads_with_the_due_time_in_the_readers_language(people, task):
    reminders.reminders_send()
    note = Notification.objects.get(recipient=people["li"], kind="task_reminder")
    assert note.params == {"title": "备货", "due": "2026-11-20T10:00:00+00:00"}
    with translation.override("en"):
        assert kinds.text_of(note.kind, note.params) == "Reminder: “备货” is due 2026-11-20 18:00"
        (decorated,) = selectors.decorate([note], user=people["li"])
        assert decorated.url == f"/tasks/{task.pk}/"
        assert kinds.text_of("task_reminder", {"title": "无截止", "due": None}) == "Reminder: “无截止”"
    assert kinds.text_of("task_reminder", {"title": "无截止", "due": None}) == "提醒：“无截止”"


def test_a_reminder_not_yet_due_waits(people):
    later = svc.task_create(actor=people["wang"], title="明天", remind_at=timezone.now() + timedelta(minutes=5))
    assert reminders.reminders_send() == 0
    assert reminders.reminders_send(now=timezone.now() + timedelta(minutes=6)) == 1
    assert reminded(later) == [("wang", f"task-reminder:{later.pk}:{later.remind_at.isoformat()}")]


def test_done_and_cancelled_tasks_are_not_reminded(people, task):
    other = svc.task_create(actor=people["wang"], title="取消", remind_at=local(2026, 11, 20, 8, 0))
    svc.task_set_status(actor=people["li"], task=task, status="done")
    svc.task_set_status(actor=people["wang"], task=other, status="cancelled")
    assert reminders.reminders_send() == 0
    assert reminded() == []


def test_moving_the_reminder_later_re_arms_it_and_other_edits_do_not(people, task):
    reminders.reminders_send()
    svc.task_update(actor=people["wang"], task=task, title="备货（加急）")
    task.refresh_from_db()
    assert task.reminded_at is not None  # not re-armed by another change
    assert reminders.reminders_send() == 0
    soon = timezone.now() + timedelta(minutes=30)
    svc.task_update(actor=people["wang"], task=task, remind_at=soon)
    task.refresh_from_db()
    assert task.reminded_at is None
    assert reminders.reminders_send() == 0  # not before its new time
    assert reminders.reminders_send(now=soon + timedelta(seconds=1)) == 1
    second = f"task-reminder:{task.pk}:{soon.astimezone(UTC).isoformat()}"
    first = f"task-reminder:{task.pk}:2026-11-20T09:00:00+00:00"
    assert reminded() == [("lilei", first), ("lilei", second), ("zhao", first), ("zhao", second)]


def test_the_edit_form_does_not_re_arm_an_unchanged_reminder_with_seconds(people):
    t = svc.task_create(actor=people["wang"], title="整点", remind_at=local(2026, 11, 20, 17, 0, 30))
    reminders.reminders_send()
    response = login(people["wang"]).post(
        f"/tasks/{t.pk}/edit/",
        {"title": "整点改", "assignee": people["wang"].pk, "priority": "normal", "remind_at": "2026-11-20T17:00"},
    )
    assert response.status_code == 303
    t.refresh_from_db()
    assert (t.title, t.remind_at, t.reminded_at is not None) == ("整点改", local(2026, 11, 20, 17, 0, 30), True)


def test_inactive_people_are_not_reminded(people, task):
    people["zhao"].is_active = False
    people["zhao"].save()
    reminders.reminders_send()
    assert [u for u, _k in reminded()] == ["lilei"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("0", (2026, 11, 20, 18, 0)),
        ("15", (2026, 11, 20, 17, 45)),
        ("60", (2026, 11, 20, 17, 0)),
        ("1440", (2026, 11, 19, 18, 0)),
    ],
)
def test_the_form_offers_quick_reminder_times_before_the_due_time(people, choice, expected):
    client = login(people["wang"])
    response = client.post(
        "/tasks/new/",
        {
            "title": "快捷提醒",
            "assignee": people["wang"].pk,
            "priority": "normal",
            "due_at": "2026-11-20T18:00",
            "remind_before": choice,
            "remind_at": "2026-11-01T08:00",  # a quick choice wins over the exact time
        },
    )
    assert response.status_code == 303
    assert Task.objects.get(title="快捷提醒").remind_at == local(*expected)


def test_a_quick_reminder_needs_a_due_time(people):
    people["wang"].language = "en"
    people["wang"].save()
    response = login(people["wang"]).post(
        "/tasks/new/", {"title": "无截止", "assignee": people["wang"].pk, "priority": "normal", "remind_before": "60"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"remind_before": ["Set a due time to be reminded before it."]}
    assert not Task.objects.filter(title="无截止").exists()
