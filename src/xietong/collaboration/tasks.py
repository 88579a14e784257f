from typing import Any

from django.tasks import task

from . import services


@task
def deliver_notifications(
    *,
    event_key: str,
    kind: str,
    recipient_ids: list[int],
    actor_id: int | None,
    record: list[Any] | None,
    params: dict[str, Any],
) -> int:
    """Retry-safe: a second run for the same event creates nothing."""
    return services.notifications_deliver(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        record=(record[0], record[1]) if record else None,
        params=params,
    )


@task
def record_changed(*, entry_id: int) -> None:
    """An audited change of a record with the surface: owners follow, followers hear (follows.py)."""
    from . import follows

    follows.record_changed(entry_id=entry_id)


@task
def tell_followers(
    *, event_key: str, kind: str, record: list[Any], actor_id: int | None, params: dict[str, Any], exclude: list[int]
) -> int:
    """Retry-safe like every delivery: notifications are unique per recipient and ``event_key``."""
    from . import follows

    return follows.tell_followers(
        event_key=event_key, kind=kind, record=record, actor_id=actor_id, params=params, exclude=exclude
    )


@task
def email_notifications(*, event_key: str) -> int:
    """E-mail the new notifications of one occurrence to who wants them at once (collaboration/emails.py).
    Retry-safe: each notification is claimed before it is sent."""
    from . import emails

    return emails.emails_send_for_event(event_key=event_key)


@task
def send_email_digests() -> int:
    """Hourly: the daily digests that are due (collaboration/emails.py)."""
    from . import emails

    return emails.digests_send()


@task
def send_task_reminders() -> int:
    """Every minute: the task reminders that are due (collaboration/reminders.py)."""
    from . import reminders

    return reminders.reminders_send()
