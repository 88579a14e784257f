"""What the collaboration app does when other apps publish events: notify the people concerned.

Each subscriber only enqueues the delivery task (after the commit; see core/events.py)."""

from __future__ import annotations

from xietong.core import events

from .tasks import deliver_notifications

# event name → notification kind; every org event about a person's rights or place tells that person
ORG_EVENTS = {
    "org.role_assigned": "role_assigned",
    "org.role_revoked": "role_revoked",
    "org.user_moved": "user_moved",
    "org.made_manager": "made_manager",
    "org.password_reset": "password_reset",
}


def _notify_the_user(event: events.Event) -> None:
    data = event.data
    deliver_notifications.enqueue(
        event_key=event.key,
        kind=ORG_EVENTS[event.name],
        recipient_ids=[data["user_id"]],
        actor_id=data.get("actor_id"),
        record=["org.user", data["user_id"]],
        params=data.get("params", {}),
    )


for _name in ORG_EVENTS:
    events.subscriber(_name)(_notify_the_user)
