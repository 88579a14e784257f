"""What the collaboration app does when other apps publish events: notify the people concerned.

Each subscriber only enqueues the delivery task (after the commit; see core/events.py)."""

from __future__ import annotations

from xietong.core import events

from .tasks import deliver_notifications, record_changed, tell_followers

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


# --- records with the surface: owners follow them, followers hear of what matters (follows.py) ----


@events.subscriber("audit.recorded")
def _audited(event: events.Event) -> None:
    from . import registry

    if registry.surface_of(event.data["model"]) is not None:
        record_changed.enqueue(entry_id=event.data["entry_id"])


@events.subscriber("collaboration.commented")
def _commented(event: events.Event) -> None:
    data = event.data
    tell_followers.enqueue(
        event_key=event.key,
        kind="followed_comment",
        record=data["record"],
        actor_id=data["actor_id"],
        params={"actor": data["actor"], "excerpt": data["excerpt"]},
        exclude=data.get("exclude", []),
    )


@events.subscriber("collaboration.file_added")
def _file_added(event: events.Event) -> None:
    data = event.data
    label, _sep, pk = data["record"].partition(":")  # "app_label.model:pk"
    tell_followers.enqueue(
        event_key=event.key,
        kind="followed_file",
        record=[label, pk],
        actor_id=data["actor_id"],
        params={"name": data["name"]},
        exclude=[],
    )


@events.subscriber("core.record_shared")
def _shared(event: events.Event) -> None:
    data = event.data
    deliver_notifications.enqueue(
        event_key=event.key,
        kind="record_shared",
        recipient_ids=[data["user_id"]],
        actor_id=data["actor_id"],
        record=data["record"],
        params={"actor": data["actor"], "record": data["record_name"]},
    )
