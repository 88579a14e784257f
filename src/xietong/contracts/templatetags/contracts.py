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


@register.simple_tag(takes_context=True)
def contract_of_quote(context: Any, quote: Any) -> dict[str, Any]:
    """What the quote's panel offers: ``existing`` (the contract the quote — any version — already
    became, or None: then "Create contract") and ``seen`` (whether the viewer may see it)."""
    from ..selectors import contract_made_from_quote

    request = context.get("request")
    existing, seen = contract_made_from_quote(user=request.user, quote=quote)
    return {"existing": existing, "seen": seen}
