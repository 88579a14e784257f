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
