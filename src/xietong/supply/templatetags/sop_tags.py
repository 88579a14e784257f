"""Template tags of S&OP on other apps' pages: the at-risk flag on a deal."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def opportunity_risks(context: Any, record: Any) -> list[Any]:
    """The open supply risks of an opportunity the user sees (one query); [] for any other record."""
    user = context.get("user")
    if record is None or user is None or not getattr(user, "is_authenticated", False):
        return []
    if record._meta.label_lower != "pipeline.opportunity":
        return []
    from xietong.supply.models import OpportunityRisk

    return list(
        OpportunityRisk.objects.visible_to(user)
        .filter(opportunity_id=record.pk, resolved_at__isnull=True)
        .select_related("product")
        .order_by("month", "pk")
    )
