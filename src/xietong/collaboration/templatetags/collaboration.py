from typing import Any

from django import template

from .. import follows, registry

register = template.Library()


@register.filter
def has_surface(record: Any) -> bool:
    """Whether the record has the collaboration surface (comments, followers …)."""
    return registry.has_surface(record)


@register.filter
def record_key(record: Any) -> str:
    return registry.record_key(record)


@register.simple_tag(takes_context=True)
def follow_state(context: Any, record: Any) -> dict[str, Any]:
    user = context["request"].user
    people = list(follows.followers(user=user, record=record)[:20])
    return {"following": follows.is_following(user=user, record=record), "people": people}


@register.simple_tag(takes_context=True)
def record_tasks(context: Any, record: Any) -> list[Any]:
    """The record's open and in-progress tasks the viewer sees, for the record page's panel."""
    from .. import tasks_services

    user = context["request"].user
    return list(tasks_services.task_list(user=user, record=record).active()[:20])
