"""Domain events, delivered after the transaction commits (docs/subsystems/events.md).

A service that did something others may react to publishes an event; apps above it subscribe.
So a lower app (org) never imports a higher one (collaboration), and nothing reacts to a write
that was rolled back::

    # org/services.py, inside the service's transaction
    events.publish("org.role_assigned", user_id=target.pk, role_id=role.pk, actor_id=actor.pk)

    # collaboration/subscriptions.py, imported from CollaborationConfig.ready
    @events.subscriber("org.role_assigned")
    def notify_role_assigned(event: events.Event) -> None:
        tasks.deliver.enqueue(...)

Subscribers run in ``transaction.on_commit`` callbacks: they should only enqueue tasks (with ids,
never model instances), so a slow or failing reaction never delays or breaks the write. This is
not Django signals: events are named, published explicitly by services, and carry plain data.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .context import current_request_id


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
    for func in list(_subscribers.get(name, ())):
        # robust: a failing reaction is logged by Django and never breaks the committed request
        transaction.on_commit(functools.partial(func, event), robust=True)
