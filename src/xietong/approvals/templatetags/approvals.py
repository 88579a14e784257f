"""``{% load approvals %}{% approval_panel document %}``: the document's approval — its state, the
steps with who decided what and when, the history, and the decision buttons for a current approver
(approve, reject, return, delegate) or the submitter (recall)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def approval_panel(context: Any, document: Any) -> SafeString:
    """Renders nothing for a document that never went into approval."""
    approval = selectors.approval_for(document)
    if approval is None:
        return mark_safe("")
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    view = selectors.request_view(user=user, request=approval)
    html = render_to_string(
        "approvals/partials/panel.html",
        {"view": view, "approval": approval, "document": document, "next": getattr(request, "path", "")},
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - a template we render


@register.filter
def approval_state(document: Any) -> str:
    """The status code of the document's latest approval ("" when none)."""
    approval = selectors.approval_for(document)
    return approval.status if approval is not None else ""
