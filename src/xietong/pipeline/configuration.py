"""Sales processes and their stages: the configuration a BU's administrators keep (opportunities
"administer" in the BU). Changing a process never moves an opportunity: a stage in use cannot be
deleted, only renamed or reordered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.choices import DataScope

from . import gates
from .choices import ForecastCategory, StageKind
from .models import ChecklistItem, Opportunity, SalesProcess, Stage

MODULE = "opportunities"

# A process to start from (the seed's pipeline): name, kind, probability, forecast category, days, gate
STANDARD_STAGES: tuple[tuple[str, str, int, str, int | None, tuple[str, ...]], ...] = (
    ("初步接洽", StageKind.OPEN, 10, ForecastCategory.PIPELINE, 14, ()),
    ("需求确认", StageKind.OPEN, 25, ForecastCategory.PIPELINE, 21, ("contact",)),
    ("方案报价", StageKind.OPEN, 50, ForecastCategory.BEST_CASE, 21, ("product_lines", "expected_close")),
    ("商务谈判", StageKind.OPEN, 75, ForecastCategory.COMMIT, 30, ("decision_maker", "amount")),
    ("合同签订", StageKind.OPEN, 90, ForecastCategory.COMMIT, 14, ("next_step",)),
    ("赢单", StageKind.WON, 100, ForecastCategory.CLOSED, None, ()),
    ("输单", StageKind.LOST, 0, ForecastCategory.OMITTED, None, ()),
)


def can_administer(actor: Any, business_unit: Any) -> bool:
    bu_id = getattr(business_unit, "pk", business_unit)
    return actor.access.widest_scope(MODULE, "administer", bu_id) >= DataScope.BUSINESS_UNIT


def _require_administer(actor: Any, business_unit: Any) -> None:
    if not can_administer(actor, business_unit):
        raise PermissionDenied(_("Only administrators of opportunities in the business unit may change its processes."))


def _clean_stage(values: Mapping[str, Any], n: int | None = None) -> dict[str, Any]:
    where = f"stages[{n}]." if n is not None else ""
    name = (values.get("name") or "").strip()
    if not name:
        raise ValidationError({f"{where}name": _("Give the stage a name.")})
    kind = values.get("kind") or StageKind.OPEN
    if kind not in StageKind.values:
        raise ValidationError({f"{where}kind": _("Choose open, won or lost.")})
    try:
        probability = int(values.get("probability", 0))
    except (TypeError, ValueError):
        probability = -1
    if not 0 <= probability <= 100:
        raise ValidationError({f"{where}probability": _("Enter a whole percentage between 0 and 100.")})
    category = values.get("forecast_category") or ForecastCategory.PIPELINE
    if category not in ForecastCategory.values:
        raise ValidationError({f"{where}forecast_category": _("Choose a forecast category.")})
    requirements = list(values.get("requirements") or [])
    unknown = [code for code in requirements if gates.get(code) is None]
    if unknown:
        raise ValidationError({f"{where}requirements": _("Unknown requirement: %(code)s.") % {"code": unknown[0]}})
    days = values.get("expected_days")
    return {
        "name": name[:40],
        "kind": kind,
        "probability": probability,
        "forecast_category": category,
        "expected_days": int(days) if days not in (None, "") else None,
        "requirements": requirements,
        "playbook": values.get("playbook") or "",
    }


@transaction.atomic
def process_create(
    *,
    actor: Any,
    business_unit: Any,
    name: str,
    stages: Sequence[Mapping[str, Any]] | None = None,
    description: str = "",
    is_default: bool = False,
) -> SalesProcess:
    """A new process of the BU with its stages in order (default: ``STANDARD_STAGES``); it needs at
    least one open, one won and one lost stage. ``stages``: dicts with name, kind, probability,
    forecast_category, expected_days, requirements, playbook and checklist (a list of
    ``{"text", "required"}``)."""
    _require_administer(actor, business_unit)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the process a name.")})
    if SalesProcess.objects.filter(business_unit=business_unit, name=name).exists():
        raise ValidationError({"name": _("The business unit has a process of this name already.")})
    if stages is None:
        stages = [
            {"name": n, "kind": k, "probability": p, "forecast_category": c, "expected_days": d, "requirements": r}
            for n, k, p, c, d, r in STANDARD_STAGES
        ]
    cleaned = [_clean_stage(s, n) for n, s in enumerate(stages, start=1)]
    kinds = {c["kind"] for c in cleaned}
    if kinds != set(StageKind.values):
        raise ValidationError({"stages": _("A process needs at least one open stage, a won stage and a lost stage.")})
    names = [c["name"] for c in cleaned]
    if len(set(names)) != len(names):
        raise ValidationError({"stages": _("Two stages have the same name.")})
    first = not SalesProcess.objects.filter(business_unit=business_unit, is_active=True).exists()
    if is_default or first:
        SalesProcess.objects.filter(business_unit=business_unit, is_default=True).update(is_default=False)
    process = SalesProcess.objects.create(
        business_unit=business_unit, name=name, description=description, is_default=is_default or first
    )
    # open stages first, then won, then lost, each in the order given
    order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    ordered = sorted(zip(cleaned, stages, strict=True), key=lambda pair: order[pair[0]["kind"]])
    for position, (values, raw) in enumerate(ordered, start=1):
        stage = Stage.objects.create(process=process, position=position, **values)
        items = raw.get("checklist") or []
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    stage=stage, text=str(i.get("text", "")).strip()[:200], required=bool(i.get("required")), position=n
                )
                for n, i in enumerate(items)
                if str(i.get("text", "")).strip()
            ]
        )
    audit.record_create(actor=actor, obj=process)
    return process


def stage_in_use(stage: Stage) -> bool:
    return Opportunity.objects.filter(stage=stage).exists()
