"""Sales processes and their stages: the configuration a BU's administrators keep (opportunities
"administer" in the BU). Changing a process never moves an opportunity: a stage in use cannot be
deleted, only renamed or reordered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.choices import DataScope
from xietong.core.validators import clean_text

from . import gates
from .choices import ForecastCategory, StageKind
from .models import ChecklistItem, Opportunity, SalesProcess, Stage

MODULE = "opportunities"
CHECKLIST_TEXT_MAX = ChecklistItem._meta.get_field("text").max_length or 200

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
    for n, s in enumerate(stages, start=1):  # a checklist item too long is refused, never cut
        for m, item in enumerate(s.get("checklist") or [], start=1):
            clean_text(item.get("text"), f"stages[{n}].checklist[{m}].text", CHECKLIST_TEXT_MAX)
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
                    stage=stage, text=str(i.get("text", "")).strip(), required=bool(i.get("required")), position=n
                )
                for n, i in enumerate(items)
                if str(i.get("text", "")).strip()
            ]
        )
    audit.record_create(actor=actor, obj=process)
    return process


def stage_in_use(stage: Stage) -> bool:
    return Opportunity.objects.filter(stage=stage).exists()


# --- changing a process ------------------------------------------------------------------------------

PROCESS_FIELDS = ("name", "description", "is_default", "is_active")


def administered_processes(actor: Any) -> Any:
    """The processes ``actor`` may change (opportunities "administer" across their BU), inactive ones too."""
    return (
        SalesProcess.objects.visible_to(actor, "administer")
        .select_related("business_unit")
        .order_by("business_unit__name", "-is_default", "name")
    )


def _lock_process(actor: Any, process: SalesProcess | int) -> SalesProcess:
    pk: Any = getattr(process, "pk", process)
    found = SalesProcess.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise ValidationError({"process": _("No such sales process.")})
    _require_administer(actor, found.business_unit_id)
    return found


def _lock_stage(actor: Any, stage: Stage | int) -> Stage:
    pk: Any = getattr(stage, "pk", stage)
    found = Stage.objects.select_related("process").filter(pk=pk).first()
    if found is None:
        raise ValidationError({"stage": _("No such stage.")})
    _lock_process(actor, found.process_id)
    return Stage.objects.select_related("process").get(pk=pk)


@transaction.atomic
def process_update(*, actor: Any, process: SalesProcess | int, **fields: Any) -> SalesProcess:
    """Rename, describe, make default or (de)activate a process. The BU keeps one default: making
    one default unmarks the other; the default cannot be deactivated."""
    proc = _lock_process(actor, process)
    unknown = set(fields) - set(PROCESS_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    before = audit.snapshot(proc)
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            raise ValidationError({"name": _("Give the process a name.")})
        if SalesProcess.objects.filter(business_unit_id=proc.business_unit_id, name=name).exclude(pk=proc.pk).exists():
            raise ValidationError({"name": _("The business unit has a process of this name already.")})
        proc.name = name[:60]
    if "description" in fields:
        proc.description = (fields["description"] or "").strip()
    if "is_active" in fields:
        proc.is_active = bool(fields["is_active"])
    if "is_default" in fields:
        make_default = bool(fields["is_default"])
        if make_default and not proc.is_default:
            SalesProcess.objects.filter(business_unit_id=proc.business_unit_id, is_default=True).update(
                is_default=False
            )
        proc.is_default = make_default
    if proc.is_default and not proc.is_active:
        raise ValidationError({"is_active": _("The default process stays active: make another one the default first.")})
    proc.save()
    audit.record_update(actor=actor, obj=proc, before=before)
    return proc


def _open_stages(process_id: int) -> list[Stage]:
    return list(Stage.objects.filter(process_id=process_id, kind=StageKind.OPEN).order_by("position"))


def _record_stage_change(actor: Any, stage: Stage, verb: str, changes: dict[str, Any]) -> None:
    from xietong.core.models import AuditEntry

    audit.record(actor=actor, obj=stage.process, kind=AuditEntry.Kind.UPDATE, verb=verb, changes=changes)


@transaction.atomic
def stage_create(*, actor: Any, process: SalesProcess | int, **values: Any) -> Stage:
    """A new open stage at the end of the process's open stages (won and lost stay last)."""
    proc = _lock_process(actor, process)
    clean = _clean_stage({**values, "kind": StageKind.OPEN})
    if Stage.objects.filter(process=proc, name=clean["name"]).exists():
        raise ValidationError({"name": _("The process has a stage of this name already.")})
    opened = _open_stages(proc.pk)
    position = (opened[-1].position + 1) if opened else 1
    # make room: the closing stages move one down, last first (positions are unique)
    for later in Stage.objects.filter(process=proc, position__gte=position).order_by("-position"):
        later.position += 1
        later.save(update_fields=["position"])
    stage = Stage.objects.create(process=proc, position=position, **clean)
    _record_stage_change(actor, stage, "stage_added", {"stage": [None, stage.name]})
    return stage


STAGE_FIELDS = ("name", "probability", "forecast_category", "expected_days", "requirements", "playbook")


@transaction.atomic
def stage_update(*, actor: Any, stage: Stage | int, **values: Any) -> Stage:
    """Change a stage's name, default probability, forecast category, expected days, gate and
    playbook (its kind and place stay). Opportunities already in it keep their numbers."""
    found = _lock_stage(actor, stage)
    unknown = set(values) - set(STAGE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    current = {name: getattr(found, name) for name in STAGE_FIELDS}
    clean = _clean_stage({**current, **values, "kind": found.kind})
    clean.pop("kind")
    if Stage.objects.filter(process_id=found.process_id, name=clean["name"]).exclude(pk=found.pk).exists():
        raise ValidationError({"name": _("The process has a stage of this name already.")})
    before = audit.snapshot(found)
    for name, value in clean.items():
        setattr(found, name, value)
    found.save()
    changes = audit.diff(before, audit.snapshot(found, before.keys()))
    if changes or current["playbook"] != found.playbook:
        _record_stage_change(actor, found, "stage_changed", {"stage": [current["name"], found.name], **changes})
    return found


@transaction.atomic
def stage_delete(*, actor: Any, stage: Stage | int) -> None:
    """Delete an open stage no opportunity is in, nor ever was (its history would lose its steps);
    the process keeps at least one open stage, and its won and lost stages."""
    from .models import StageMove

    found = _lock_stage(actor, stage)
    if found.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("The won and lost stages cannot be deleted.")})
    if stage_in_use(found):
        raise ValidationError(
            {"stage": _("Opportunities are in “%(stage)s”: move them to another stage first.") % {"stage": found}}
        )
    if StageMove.objects.filter(Q(from_stage=found) | Q(to_stage=found)).exists():
        raise ValidationError(
            {"stage": _("Opportunities went through “%(stage)s”: it stays in their history.") % {"stage": found}}
        )
    if len(_open_stages(found.process_id)) <= 1:
        raise ValidationError({"stage": _("A process needs at least one open stage.")})
    name = found.name
    found.delete()
    _record_stage_change(actor, found, "stage_deleted", {"stage": [name, None]})


@transaction.atomic
def stage_move(*, actor: Any, stage: Stage | int, direction: str) -> Stage:
    """Move an open stage one place up or down among the open stages (won and lost stay last)."""
    found = _lock_stage(actor, stage)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")})
    if found.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("The won and lost stages stay last.")})
    opened = _open_stages(found.process_id)
    index = next(i for i, s in enumerate(opened) if s.pk == found.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(opened):
        return found
    other = opened[other_index]
    mine, theirs = found.position, other.position
    free = (
        Stage.objects.filter(process_id=found.process_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    ) + 1
    found.position = free
    found.save(update_fields=["position"])
    other.position = mine
    other.save(update_fields=["position"])
    found.position = theirs
    found.save(update_fields=["position"])
    _record_stage_change(actor, found, "stage_moved", {"stage": [found.name, found.name], "position": [mine, theirs]})
    return found


@transaction.atomic
def checklist_item_create(*, actor: Any, stage: Stage | int, text: str, required: bool = False) -> ChecklistItem:
    """A new item at the end of the stage's checklist (``required``: ticked before the deal moves on)."""
    found = _lock_stage(actor, stage)
    text = clean_text(text, "text", CHECKLIST_TEXT_MAX)
    if not text:
        raise ValidationError({"text": _("Say what is to be done.")})
    last = ChecklistItem.objects.filter(stage=found).order_by("-position").values_list("position", flat=True).first()
    item = ChecklistItem.objects.create(
        stage=found, text=text, required=bool(required), position=(last + 1) if last is not None else 0
    )
    _record_stage_change(actor, found, "checklist_added", {"checklist": [None, f"{found.name}: {item.text}"]})
    return item


@transaction.atomic
def checklist_item_delete(*, actor: Any, item: ChecklistItem | int) -> None:
    """Remove an item from a stage's checklist (the ticks of it go with it)."""
    pk: Any = getattr(item, "pk", item)
    found = ChecklistItem.objects.select_related("stage").filter(pk=pk).first()
    if found is None:
        raise ValidationError({"item": _("No such checklist item.")})
    stage = _lock_stage(actor, found.stage_id)
    text = found.text
    found.delete()
    _record_stage_change(actor, stage, "checklist_removed", {"checklist": [f"{stage.name}: {text}", None]})
