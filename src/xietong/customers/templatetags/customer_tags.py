"""Template tags of the customers app: the follow-up panel any record page includes
(``{% include "customers/followups/panel.html" with record=lead %}`` → ``followup_panel_context``)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

PANEL_SIZE = 20


def followup_panel_context(request: Any, record: Any, *, form: Any = None) -> dict[str, Any]:
    """What ``customers/followups/panel.html`` shows for ``record``: the latest follow-ups the
    viewer sees, and the form when they may log one (two queries and the form)."""
    from xietong.collaboration import registry

    from ..forms import FollowUpForm
    from ..selectors import followup_list

    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or record is None:
        return {"show": False}
    items = list(followup_list(user=user, record=record)[: PANEL_SIZE + 1])
    access = user.access
    may_log = access.can("customers", "edit") or access.can("customers", "create") or access.can("leads", "edit")
    return {
        "show": True,
        "record": record,
        "record_key": registry.record_key(record),
        "items": items[:PANEL_SIZE],
        "more": len(items) > PANEL_SIZE,
        "form": form if form is not None else FollowUpForm(prefix="fu"),
        "may_log": may_log,
        "request": request,
    }


@register.simple_tag(takes_context=True)
def followup_panel(context: Any, record: Any) -> dict[str, Any]:
    """``{% followup_panel record as panel %}``: the panel's context (see ``followup_panel_context``)."""
    if "followup_panel" in context and context["followup_panel"].get("record") is record:
        return dict(context["followup_panel"])
    return followup_panel_context(context.get("request"), record)


@register.filter
def map_url(check_in: Any) -> str:
    """A map page of the check-in's location. Browsers report WGS-84; AMap draws GCJ-02 (China's
    shifted datum, some hundred metres apart), so the link says ``coordinate=wgs84`` and AMap converts."""
    return f"https://uri.amap.com/marker?position={check_in.longitude},{check_in.latitude}&coordinate=wgs84"
