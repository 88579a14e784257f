"""Template helpers of the contracts app: the contracts of the record a shared panel is on."""

from __future__ import annotations

from typing import Any

from django import template

from xietong.core.templatetags.xt import model_label

register = template.Library()


@register.simple_tag(takes_context=True)
def contracts_of(context: Any, record: Any) -> list[Any]:
    """The contracts the viewer sees that were made from ``record`` (a quote) or belong to it (an
    opportunity), newest first (at most 20). One query."""
    from ..selectors import contract_list

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.access.can("contracts", "view"):
        return []
    label = model_label(record)
    rows = contract_list(user=user)
    if label == "quotes.quote":
        rows = rows.filter(quote_id=record.pk)
    elif label == "pipeline.opportunity":
        rows = rows.filter(opportunity_id=record.pk)
    else:
        return []
    return list(rows.order_by("-pk")[:20])


@register.filter
def any_live(rows: list[Any]) -> bool:
    """Whether one of these contracts is not terminated (a quote then makes no second one)."""
    return any(row.status != "terminated" for row in rows)
