"""The comments panel on record pages (collaboration/comments/panel.html)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import attachments, comments, registry

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_panel(context: Any, record: Any) -> dict[str, Any] | None:
    """What the panel shows, or None (nothing rendered) when ``record`` has no collaboration surface
    or the viewer cannot see it. Threads come with a fixed number of queries."""
    user = registry.panel_viewer(context, record)
    if user is None:
        return None
    threads = list(comments.comment_thread(user=user, record=record))
    for thread in threads:
        for c in [thread, *thread.replies.all()]:  # type: ignore[attr-defined]
            c.can_edit = comments.can_edit(user, c)  # type: ignore[attr-defined]
            c.can_delete = c.author_id == user.pk and c.deleted_at is None  # type: ignore[attr-defined]
    attachments.with_comment_files(user=user, comment_list=[c for t in threads for c in [t, *t.replies.all()]])  # type: ignore[attr-defined]
    from ..comments_views import NewCommentForm, panel_dom_id

    return {
        "key": registry.record_key(record),
        "threads": threads,
        "form": context.get("comment_form") or NewCommentForm(),
        "dom_id": panel_dom_id(record),
        "share_offer": context.get("share_offer"),
    }
