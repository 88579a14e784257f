"""Domain events: with the database task queue the reactions' tasks join the write's transaction
(an outbox, docs/adr/0012); with any other queue they run after the commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.tasks import task
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from xietong.core import events

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RAN: list[Any] = []


@task()
def remember(value: str) -> None:
    RAN.append(value)


@pytest.fixture
def subscribed() -> Any:
    def enqueue(event: events.Event) -> None:
        remember.enqueue(value=event.data["value"])

    def fail(event: events.Event) -> None:
        DBTaskResult.objects.create(task_path="broken", args_kwargs={}, queue_name="default", backend_name="default")
        raise RuntimeError("a reaction that fails")

    events.subscriber("test.happened")(enqueue)
    events.subscriber("test.happened")(fail)
    yield
    events._subscribers.pop("test.happened")


@override_settings(TASKS=DATABASE_QUEUE)
def test_with_the_database_queue_the_task_is_written_in_the_transaction(subscribed, caplog):
    with transaction.atomic():
        events.publish("test.happened", key="one", value="kept")
        # already in the transaction, before any commit: one commit carries the write and its tasks
        assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [remember.module_path]
    assert DBTaskResult.objects.get().args_kwargs == {"args": [], "kwargs": {"value": "kept"}}
    # the failing reaction was undone alone (its savepoint) and logged; the write and the other task stand
    assert "The reaction" in caplog.text and "test.happened" in caplog.text


@override_settings(TASKS=DATABASE_QUEUE)
def test_with_the_database_queue_a_rolled_back_write_leaves_no_task(subscribed):
    with pytest.raises(ValueError), transaction.atomic():
        events.publish("test.happened", key="two", value="lost")
        raise ValueError("the write fails")
    assert DBTaskResult.objects.count() == 0


def test_with_another_queue_the_reaction_waits_for_the_commit(subscribed):
    RAN.clear()
    with transaction.atomic():
        events.publish("test.happened", key="three", value="after")
        assert RAN == []  # the immediate queue of the tests stands for Redis/RQ: nothing before the commit
    assert RAN == ["after"]
    assert not DBTaskResult.objects.filter(task_path=remember.module_path).exists()
