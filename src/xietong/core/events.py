"""Domain events, delivered after the transaction commits (docs/subsystems/events-and-notifications.md).

A service that did something others may react to publishes an event; apps above it subscribe.
So a lower app (org) never imports a higher one (collaboration), and nothing reacts to a write
that was rolled back::

    # org/services.py, inside the service's transaction
    events.publish("org.role_assigned", user_id=target.pk, role_id=role.pk, actor_id=actor.pk)

    # collaboration/subscriptions.py, imported from CollaborationConfig.ready
    @events.subscriber("org.role_assigned")
    def notify_role_assigned(event: events.Event) -> None:
        tasks.deliver.enqueue(...)

Subscribers only enqueue tasks (with ids, never model instances), so a slow or failing reaction
never delays or breaks the write. With the database task queue they run inside the write's
transaction (an outbox: the tasks commit with the write, in the same commit); with another queue
(Redis/RQ) in ``transaction.on_commit`` callbacks (docs/adr/0012). This is
not Django signals: events are named, published explicitly by services, and carry plain data.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .context import current_request_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any]
    request_id: str = ""
    key: str = field(default="")  # unique per occurrence: what receivers use to stay idempotent


Subscriber = Callable[[Event], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


def subscriber(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register the decorated function for events called ``name``."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _subscribers[name]:
            _subscribers[name].append(func)
        return func

    return register


def publish(name: str, /, *, key: str, **data: Any) -> None:  # data may hold a "name" too
    """Announce ``name`` once the current transaction commits (at once outside a transaction).

    ``key`` identifies this occurrence (e.g. ``f"role_assigned:{user_role.pk}"``) so that a
    receiver that runs twice does not act twice.
    """
    event = Event(name=name, data=data, request_id=current_request_id(), key=key)
    subscribers = list(_subscribers.get(name, ()))
    if subscribers and transaction.get_connection().in_atomic_block and _queue_is_in_the_database():
        # the task queue is a table of this database: the reactions' tasks join the write's own
        # transaction (an outbox, docs/adr/0012): they exist exactly when the write commits, are run
        # by a worker only after it, and cost no commit of their own
        for func in subscribers:
            _react_now(func, event)
        return
    for func in subscribers:
        # robust: a failing reaction is logged by Django and never breaks the committed request
        transaction.on_commit(functools.partial(func, event), robust=True)


def _queue_is_in_the_database() -> bool:
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def _react_now(func: Subscriber, event: Event) -> None:
    """Run a reaction inside the current transaction, in a savepoint: a failing one is logged and
    undone alone, never breaking the write (as ``on_commit(robust=True)`` does after the commit)."""
    try:
        with transaction.atomic():
            func(event)
    except Exception:
        logger.exception("The reaction %s to %s failed", getattr(func, "__qualname__", func), event.name)
