"""Template tags of quotes: the quotes panel on an opportunity's page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

PANEL_ROWS = 10


@register.simple_tag(takes_context=True)
def opportunity_quotes(context: Any, record: Any) -> dict[str, Any] | None:
    """The quotes of ``record`` when it is an opportunity and the user sees quotes (else None): the
    newest ``PANEL_ROWS`` the user sees, and whether they may make one."""
    from xietong.pipeline.models import Opportunity

    from ..selectors import quote_list

    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(record, Opportunity) or user is None or not user.is_authenticated:
        return None
    if not user.access.can("quotes", "view"):
        return None
    rows = list(quote_list(user=user, opportunity=record.pk)[: PANEL_ROWS + 1])
    return {
        "rows": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "may_create": user.access.can("quotes", "create"),
    }
