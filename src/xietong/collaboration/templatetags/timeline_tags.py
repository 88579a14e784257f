"""The timeline panel on record pages (collaboration/timeline/panel.html)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import comments

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_panel(context: Any, record: Any) -> dict[str, Any] | None:
    """The first page of the record's timeline, or None (nothing rendered) when ``record`` has no
    collaboration surface or the viewer cannot see it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or record is None or not comments.has_surface(record):
        return None
    from .. import timeline
    from ..timeline_views import panel_context

    if not timeline.sees_record(user, record):
        return None

    return panel_context(user=user, record=record, kinds=None, before=None)
