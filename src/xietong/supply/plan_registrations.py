"""What the S&OP cycle adds to the shared surfaces (imported from ``SupplyConfig.ready``, no I/O): the
approval engine's document type "demand_plan" (the executive review), the collaboration surface of
demand plans (comments), the notification kind "contingency_triggered", record URLs and audit verbs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals import registry as approvals
from xietong.collaboration import kinds
from xietong.collaboration import registry as collaboration
from xietong.core import audit, components

from . import plan_services
from .models import DemandPlan, DemandPlanLine


def _total(plan: Any) -> Any:
    from django.db.models import Sum

    return DemandPlanLine.objects.filter(plan_id=plan.pk).aggregate(s=Sum("consensus"))["s"]


def _summary(plan: Any) -> list[tuple[str, str]]:
    """What an executive sees without opening the plan: cycle, horizon, total consensus, overrides."""
    from .models import DemandOverride

    total = _total(plan)
    overrides = DemandOverride.objects.filter(line__plan_id=plan.pk).count()
    return [
        (_("Cycle"), plan.cycle.strftime("%Y-%m")),
        (_("Version"), str(plan.version)),
        (
            _("Horizon"),
            _("%(first)s, %(months)s months") % {"first": plan.first_month.strftime("%Y-%m"), "months": plan.horizon},
        ),
        (_("Total consensus demand"), f"{(total or 0):f}"),
        (_("Sales overrides"), str(overrides)),
    ]


DEMAND_PLAN = approvals.register(
    approvals.DocumentType(
        code="demand_plan",
        label=gettext_lazy("Demand plan (executive review)"),
        model="supply.DemandPlan",
        fields=(
            approvals.ConditionField("horizon", gettext_lazy("Horizon (months)"), "number", lambda p: p.horizon),
            approvals.ConditionField("version", gettext_lazy("Version"), "number", lambda p: p.version),
        ),
        title=lambda p: f"{p.title} v{p.version}",
        url=lambda p: reverse("supply:plan_detail", args=[p.pk]),
        business_unit_id=lambda p: None,
        owner_id=lambda p: p.created_by_id,
        amount=lambda p: None,
        summary=_summary,
        on_submitted=plan_services.on_submitted,
        on_approved=plan_services.on_approved,
        on_returned=plan_services.on_returned,
        extra={"is_locked": plan_services.is_locked},
    )
)

collaboration.register(DemandPlan, owner_field="created_by")


def register_kinds() -> None:
    """Notification kinds and audit verbs of the cycle (idempotent)."""
    kinds.register(
        kinds.Kind(
            "contingency_triggered",
            gettext_lazy("S&OP"),
            lambda p: (
                _("Contingency plan “%(name)s” was triggered by %(plan)s: %(note)s")
                % {"name": p["name"], "plan": p["plan"], "note": p["note"]}
            ),
        )
    )
    audit.register_verb("demand_overridden", gettext_lazy("changed the demand"))
    audit.register_verb("supply_review", gettext_lazy("moved to supply review"))
    audit.register_verb("executive_review", gettext_lazy("submitted to the executive review"))
    audit.register_verb("plan_approved", gettext_lazy("approved the plan"))
    audit.register_verb("plan_superseded", gettext_lazy("superseded by a newer approved version"))
    audit.register_verb("plan_returned", gettext_lazy("returned to supply review"))
    audit.register_verb("meeting_recorded", gettext_lazy("recorded a review meeting"))
    audit.register_verb("contingency_triggered", gettext_lazy("triggered"))


register_kinds()
components.register_record_url("supply.demandplan", "supply:plan_detail")
