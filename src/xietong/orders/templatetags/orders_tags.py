"""Template tags of the orders app: which records the orders panel applies to."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def order_panel(context: Any, record: Any) -> dict[str, Any] | None:
    """For a contract or an opportunity and a user who may see orders: the query of the panel's rows
    and whether a new order can start here (a signed or active contract with something left to
    order); None for any other record."""
    user = context.get("user")
    if record is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    if not user.access.can("orders", "view"):
        return None
    label = record._meta.label_lower
    if label == "contracts.contract":
        from xietong.orders.services import contract_remaining

        can_order = (
            user.access.can("orders", "create")
            and record.status in ("signed", "active")
            and any(row["remaining"] > 0 for row in contract_remaining(record))  # not all called off yet
        )
        return {"query": f"contract={record.pk}", "can_order": can_order, "contract_id": record.pk}
    if label == "pipeline.opportunity":
        return {"query": f"opportunity={record.pk}", "can_order": False, "contract_id": None}
    return None
