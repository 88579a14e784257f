"""The timeline panel on record pages (collaboration/timeline/panel.html)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_panel(context: Any, record: Any) -> dict[str, Any] | None:
    """The first page of the record's timeline, or None (nothing rendered) when ``record`` has no
    collaboration surface or the viewer cannot see it."""
    user = registry.panel_viewer(context, record)
    if user is None:
        return None
    from ..timeline_views import panel_context

    return panel_context(user=user, record=record, kinds=None, before=None)
