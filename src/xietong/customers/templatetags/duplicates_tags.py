"""Template tags of the duplicates zone: the conflicts panel a customer page includes."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_conflicts(context: dict[str, Any], customer: Any) -> list[Any]:
    """The customer's ownership conflicts the viewing user sees (newest first, at most 20)."""
    from xietong.customers import conflicts

    request = context.get("request")
    if request is None or customer is None:
        return []
    return conflicts.conflicts_of(customer=customer, user=request.user)
