"""What the approval engine adds to the shared surfaces (imported from ``ApprovalsConfig.ready``, no
I/O): notification kinds, the request's page for notification links, navigation, My day's "Waiting
for my approval", the hourly reminder job and the audit verbs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collaboration import kinds, myday
from xietong.collaboration import registry as collaboration_registry
from xietong.core import audit, components, navigation, scheduling
from xietong.core.navigation import NavItem

from . import selectors, tasks
from .models import ApprovalRequest
from .registry import display_title

APPROVALS = gettext_lazy("Approvals")

# --- notifications (each links to the request page, where one click approves) ---------------------------


def _titled(p: dict[str, Any]) -> dict[str, Any]:
    """The notification's parameters with the request's title in the reader's language."""
    return {**p, "title": display_title(p.get("document_type", ""), p.get("title", ""))}


for _code, _text in (
    ("approval_requested", lambda p: _("%(actor)s asks for your approval: %(title)s") % _titled(p)),
    ("approval_approved", lambda p: _("Approved: %(title)s") % _titled(p)),
    ("approval_rejected", lambda p: _("%(actor)s rejected %(title)s") % _titled(p)),
    ("approval_recalled", lambda p: _("%(actor)s recalled %(title)s") % _titled(p)),
    ("approval_returned", lambda p: _("%(actor)s sent %(title)s back to the step “%(step)s”") % _titled(p)),
    ("approval_reminder", lambda p: _("Still waiting for your approval: %(title)s") % _titled(p)),
    ("approval_escalated", lambda p: _("Escalated to you, waiting for approval: %(title)s") % _titled(p)),
):
    kinds.register(kinds.Kind(_code, APPROVALS, _text))

components.register_record_url("approvals.approvalrequest", "approvals:request_detail")

# comments and files on a request (the attachments of the decisions), for whoever sees the request;
# no change notifications to followers: the engine notifies who needs to act
collaboration_registry.register(ApprovalRequest, owner_field="submitter", notify_fields=())

# --- navigation -------------------------------------------------------------------------------------------


def _may_administer(user: Any) -> bool:
    return bool(user.access.can("approvals", "administer"))


navigation.register(
    NavItem("workbench", gettext_lazy("Waiting for my approval"), "approvals:pending", "patch-check", order=30)
)
navigation.register(
    NavItem("workbench", gettext_lazy("Submitted for approval"), "approvals:submitted", "send-check", order=31)
)

navigation.register(
    NavItem(
        "settings",
        gettext_lazy("Approval flows"),
        "approvals:flow_list",
        "diagram-3",
        order=60,
        visible=_may_administer,
    )
)
navigation.register(
    NavItem("settings", gettext_lazy("My delegations"), "approvals:delegations", "person-check", order=61)
)

# --- My day -------------------------------------------------------------------------------------------------


def waiting_section(user: Any) -> dict[str, Any] | None:
    """My pending approvals, newest first (two queries: the page and the count)."""
    items = list(selectors.pending_tasks(user=user)[: myday.LIMIT + 1])
    if not items:
        return None
    return {"items": items[: myday.LIMIT], "more": len(items) > myday.LIMIT}


myday.register(
    myday.Section(
        "approvals_waiting",
        gettext_lazy("Waiting for my approval"),
        "approvals/myday_waiting.html",
        waiting_section,
        12,
    )
)

# --- the periodic reminder ----------------------------------------------------------------------------------

scheduling.register(
    "approvals-remind-escalate",
    tasks.remind_and_escalate,
    every=timedelta(hours=1),
    description="remind late approvers and escalate overdue approvals",
)

# --- how the audit trail reads ------------------------------------------------------------------------------

for _verb, _label in (
    ("approval_submitted", gettext_lazy("submitted for approval")),
    ("approval_approved", gettext_lazy("approved")),
    ("approval_rejected", gettext_lazy("rejected")),
    ("approval_returned", gettext_lazy("returned to an earlier step")),
    ("approval_recalled", gettext_lazy("recalled the approval")),
    ("approval_delegated", gettext_lazy("delegated the approval")),
    ("delegation_ended", gettext_lazy("ended a delegation")),
):
    audit.register_verb(_verb, _label)
