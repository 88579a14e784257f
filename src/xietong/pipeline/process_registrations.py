"""What this part of the pipeline app adds to the shared surfaces (imported from ``PipelineConfig.ready``, no I/O)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from xietong.core import audit, navigation
from xietong.core.navigation import NavItem


def _may_administer(user: Any) -> bool:
    return bool(user.access.can("opportunities", "administer"))


navigation.register(
    NavItem(
        "settings",
        gettext_lazy("Sales processes"),
        "pipeline:process_list",
        "signpost-split",
        order=65,
        visible=_may_administer,
    )
)

# --- how the audit trail of a process reads ---------------------------------------------------------

for _verb, _label in (
    ("stage_added", gettext_lazy("added a stage")),
    ("stage_changed", gettext_lazy("changed a stage")),
    ("stage_deleted", gettext_lazy("deleted a stage")),
    ("stage_moved", gettext_lazy("moved a stage")),
    ("checklist_added", gettext_lazy("added a checklist item")),
    ("checklist_removed", gettext_lazy("removed a checklist item")),
):
    audit.register_verb(_verb, _label)
for _key, _label in (
    ("stage", gettext_lazy("stage")),
    ("checklist", gettext_lazy("checklist item")),
    ("position", gettext_lazy("position")),
):
    audit.register_change_label("pipeline.salesprocess", _key, _label)
