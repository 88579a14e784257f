"""Opportunities: every write — create, edit, move through the stages (gates enforced), win, lose,
reopen, product lines, contacts with their roles, the deal team with its splits, the checklist.

Every service is keyword-only and atomic, checks the module permission and the record's scope
(``lock_visible``: 404 outside it), enforces the stage gates (``gates.py``) whatever the path,
records each stage move, audits, and checks after the write that the actor still sees what they
wrote. Money is Decimal throughout; the amount of an opportunity with product lines is the sum of
its lines, to the cent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.validators import MONEY_LIMIT, QUANTITY_LIMIT, check_line_count, clean_text, has_places
from xietong.core.visibility import addressable_people, ensure_still_visible
from xietong.org.policies import require

from . import gates
from .choices import ForecastCategory, LostReason, MemberAccess, OpportunityStatus, StageKind, TeamRole
from .models import (
    HUNDRED,
    ChecklistCheck,
    ChecklistItem,
    DealTeamMember,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    SalesProcess,
    Stage,
    StageMove,
    line_amount,
)

MODULE = "opportunities"
CLOSE_NOTE_MAX = Opportunity._meta.get_field("close_note").max_length or 500
LOST_TO_MAX = Opportunity._meta.get_field("lost_to").max_length or 100
UNSET: Any = object()


def _pk(value: Any) -> Any:
    """A record or its id → the id."""
    return getattr(value, "pk", value)


EDITABLE_FIELDS = (
    "name",
    "amount",
    "expected_close",
    "probability",
    "forecast_category",
    "source",
    "campaign",
    "competitors",
    "next_step",
    "next_step_date",
    "description",
)


# --- reading what a write needs ----------------------------------------------------------------------


def default_process(business_unit: Any) -> SalesProcess | None:
    """The BU's default active process, else its oldest active one."""
    bu_id = getattr(business_unit, "pk", business_unit)
    return SalesProcess.objects.filter(business_unit_id=bu_id, is_active=True).order_by("-is_default", "pk").first()


def stages_of(process: SalesProcess) -> list[Stage]:
    return list(process.stages.order_by("position"))


def first_open_stage(process: SalesProcess) -> Stage:
    stage = process.stages.filter(kind=StageKind.OPEN).order_by("position").first()
    if stage is None:
        raise ValidationError({"process": _("The sales process “%(name)s” has no open stage.") % {"name": process}})
    return stage


def closing_stage(process: SalesProcess, kind: str) -> Stage:
    stage = process.stages.filter(kind=kind).order_by("position").first()
    if stage is None:
        label = StageKind(kind).label
        raise ValidationError(
            {"stage": _("The sales process “%(name)s” has no “%(kind)s” stage.") % {"name": process, "kind": label}}
        )
    return stage


def _between(process_stages: list[Stage], current: Stage | None, target: Stage) -> tuple[list[Stage], list[Stage]]:
    """Moving forward from ``current`` to ``target``: the stages entered (skipped ones and the target)
    and the stages left (the current one and the skipped ones). Backward: no gate at all (the deal
    went through those stages already)."""
    if current is None:  # created at ``target``: as if moved there from the start
        entered = [s for s in process_stages if s.kind == StageKind.OPEN and s.position <= target.position]
        left = [s for s in entered if s.position < target.position]
        if target.kind != StageKind.OPEN:
            entered.append(target)
        return entered, left
    if target.position <= current.position:
        return [], []
    skipped = [
        s for s in process_stages if current.position < s.position < target.position and s.kind == StageKind.OPEN
    ]
    return [*skipped, target], [current, *skipped]


def _check_gate(
    opportunity: Opportunity, current: Stage | None, target: Stage, stages: list[Stage] | None = None
) -> None:
    """``Conflict`` naming what is missing when the move from ``current`` to ``target`` breaks a gate
    (``stages``: the process's stages in order, when the caller has them)."""
    if stages is None:
        process = opportunity.process if opportunity.process_id == target.process_id else target.process
        stages = stages_of(process)
    entering, leaving = _between(stages, current, target)
    lacking = gates.missing(opportunity, entering=entering, leaving=leaving)
    if lacking:
        raise Conflict(gates.message(lacking, target))


# --- clean values ------------------------------------------------------------------------------------


def _money(value: Any, field: str, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount of money, e.g. 12800.00.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount of money, e.g. 12800.00.")})
    if amount < 0 and not allow_negative:
        raise ValidationError({field: _("The amount cannot be negative.")})
    if not has_places(amount, 2):
        raise ValidationError({field: _("Money has at most two decimal places.")})
    if abs(amount) >= Decimal("1e14"):
        raise ValidationError({field: _("The amount is too large.")})
    return amount


def _percent(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).replace("%", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a percentage between 0 and 100.")}) from None
    if not number.is_finite() or number < 0 or number > HUNDRED:
        raise ValidationError({field: _("Enter a percentage between 0 and 100.")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({field: _("A percentage has at most two decimal places.")})
    return number


def _clean_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "amount":
            out[name] = _money(value, "amount")
        elif name == "probability":
            if value is None or value == "":
                out[name] = None  # back to the stage's default
            else:
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    raise ValidationError({"probability": _("Enter a whole percentage between 0 and 100.")}) from None
                if not 0 <= number <= 100:
                    raise ValidationError({"probability": _("Enter a whole percentage between 0 and 100.")})
                out[name] = number
        elif name == "forecast_category":
            if value not in ForecastCategory.values:
                raise ValidationError({"forecast_category": _("Choose a forecast category.")})
            out[name] = value
        elif name in ("expected_close", "next_step_date"):
            out[name] = value or None
        elif name == "name":
            text = (value or "").strip()
            if not text:
                raise ValidationError({"name": _("Give the opportunity a name.")})
            out[name] = text
        else:
            out[name] = (value or "").strip() if isinstance(value, str) or value is None else value
    return out


# --- create and edit -------------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor: Any,
    customer: Any,
    name: str,
    business_unit: Any = None,
    process: SalesProcess | None = None,
    stage: Stage | None = None,
    owner: Any = None,
    lead: Any = None,
    lines: Sequence[Mapping[str, Any]] = (),
    contacts: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> Opportunity:
    """A new opportunity of ``customer`` in ``business_unit`` (default: the actor's), at the first
    open stage of the BU's default process unless ``stage`` says otherwise (its gate applies, and the
    gates of the stages before it). ``lines``: dicts with product, quantity, unit_price, discount,
    delivery_month; ``contacts``: dicts with contact and role; ``lead``: the lead it came from (one
    the actor sees). The forecast category is the stage's unless given. The owner (default: the
    actor) is the first member of the deal team, with the whole revenue credit."""
    from xietong.customers.models import Customer
    from xietong.leads.models import Lead

    require(actor, MODULE, "create")
    if customer is None or not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": _("No such customer.")})
    business_unit = business_unit or actor.business_unit
    if business_unit is None:
        raise ValidationError({"business_unit": _("Choose a business unit.")})
    if process is None:
        process = default_process(business_unit)
        if process is None:
            raise ValidationError(
                {"process": _("%(bu)s has no sales process yet: ask its administrator.") % {"bu": business_unit}}
            )
    elif process.business_unit_id != business_unit.pk or not process.is_active:
        raise ValidationError({"process": _("Choose an active sales process of the business unit.")})
    stage = stage or first_open_stage(process)
    if stage.process_id != process.pk:
        raise ValidationError({"stage": _("Choose a stage of the sales process.")})
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("A new opportunity starts at an open stage.")})
    owner = owner or actor
    _check_owner(actor, owner)
    if lead is not None and not Lead.objects.visible_to(actor).filter(pk=_pk(lead)).exists():
        raise ValidationError({"lead": _("No such lead.")})
    values = _clean_fields({"name": name, **fields})
    probability = values.pop("probability", None)
    category = values.pop("forecast_category", stage.forecast_category)
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer,
        business_unit=business_unit,
        process=process,
        stage=stage,
        owner=owner,
        probability=stage.probability if probability is None else probability,
        probability_overridden=probability is not None,
        forecast_category=category,
        lead_id=_pk(lead),
        stage_entered_at=now,
        last_activity_at=now,
        created_by=actor,
        **values,
    )
    opportunity.save()
    if lines:
        _write_lines(actor, opportunity, lines)
    if contacts:
        _write_contacts(opportunity, contacts)
    _check_gate(opportunity, None, stage)
    DealTeamMember.objects.create(
        opportunity=opportunity,
        user=owner,
        role=TeamRole.SALES,
        access=MemberAccess.EDIT,
        split=HUNDRED,
        added_by=actor,
    )
    StageMove.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, moved_at=now, amount=opportunity.amount, actor=actor
    )
    audit.record_create(actor=actor, obj=opportunity)
    _sync_relationship(opportunity, opened=now)
    _follow(owner, opportunity)
    ensure_still_visible(opportunity, actor)
    events.publish(
        "pipeline.opportunity_created",
        key=f"opportunity:{opportunity.pk}:created",
        opportunity_id=opportunity.pk,
        owner_id=owner.pk,
        actor_id=actor.pk,
    )
    return opportunity


def _check_owner(actor: Any, owner: Any) -> None:
    if owner.pk == actor.pk:
        return
    if not owner.is_active or not addressable_people(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("No such person.")})
    if not owner.access.can(MODULE, "edit"):
        raise ValidationError({"owner": _("%(name)s may not work on opportunities.") % {"name": owner}})


def _follow(user: Any, opportunity: Opportunity) -> None:
    from xietong.collaboration import follows

    follows.follow(actor=user, record=opportunity)


def _sync_relationship(opp: Opportunity, *, opened: datetime | None = None, won: datetime | None = None) -> None:
    """Keep the BU relationship's pipeline facts that the public pool's recycle rules read
    (docs/adr/0010): when it last had a new opportunity, when it last won one, and whether it has
    open business now (recycling skips those)."""
    from xietong.customers.models import Relationship

    open_now = Opportunity.objects.filter(
        customer_id=opp.customer_id, business_unit_id=opp.business_unit_id, status=OpportunityStatus.OPEN
    ).exists()
    values: dict[str, Any] = {"has_open_business": open_now}
    if opened is not None:
        values["last_opportunity_at"] = opened
    if won is not None:
        values["last_won_at"] = won
    Relationship.objects.filter(customer_id=opp.customer_id, business_unit_id=opp.business_unit_id).update(**values)


def _lock(actor: Any, opportunity: Opportunity | int, action: str = "edit") -> Opportunity:
    """The opportunity locked for ``action`` (its stage, process and owner read along, not locked); one the
    actor sees but may not change: ``PermissionDenied``; one they do not see: ``NotFound``."""
    pk = _pk(opportunity)
    found = (
        Opportunity.objects.visible_to(actor, action)
        .select_related("stage", "process", "owner")
        .select_for_update(of=("self",))
        .filter(pk=pk)
        .first()
    )
    if found is not None:
        return found
    if not Opportunity.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    raise PermissionDenied(_("You may not change this opportunity."))


@transaction.atomic
def opportunity_update(*, actor: Any, opportunity: Opportunity | int, owner: Any = UNSET, **fields: Any) -> Opportunity:
    """Change the fields of an open or closed opportunity (``EDITABLE_FIELDS``); a probability of
    None goes back to the stage's default. The amount of an opportunity with product lines is their
    sum and cannot be set by hand. A new owner joins the deal team."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    before = audit.snapshot(opp)
    values = _clean_fields(fields)
    if "amount" in values and opp.lines.exists() and values["amount"] != opp.amount:
        raise ValidationError({"amount": _("The amount is the sum of the product lines: change the lines.")})
    if "probability" in values:
        probability = values.pop("probability")
        opp.probability = opp.stage.probability if probability is None else probability
        opp.probability_overridden = probability is not None
    for name, value in values.items():
        setattr(opp, name, value)
    if owner is not UNSET and owner is not None and owner.pk != opp.owner_id:
        _check_owner(actor, owner)
        opp.owner = owner
        DealTeamMember.objects.update_or_create(
            opportunity=opp,
            user=owner,
            defaults={"access": MemberAccess.EDIT},
            create_defaults={"role": TeamRole.SALES, "access": MemberAccess.EDIT, "added_by": actor},
        )
        _follow(owner, opp)
    opp.last_activity_at = timezone.now()
    opp.save()
    audit.record_update(actor=actor, obj=opp, before=before)
    ensure_still_visible(opp, actor)
    return opp


# --- moving through the stages --------------------------------------------------------------------------


# what ``_record_move`` changes on the opportunity
MOVE_FIELDS = (
    "stage",
    "stage_entered_at",
    "last_activity_at",
    "probability",
    "probability_overridden",
    "forecast_category",
    "updated_at",
)


def _record_move(opp: Opportunity, target: Stage, actor: Any, now: datetime) -> None:
    seconds = max(int((now - opp.stage_entered_at).total_seconds()), 0) if opp.stage_entered_at else None
    StageMove.objects.create(
        opportunity=opp,
        from_stage=opp.stage,
        to_stage=target,
        moved_at=now,
        seconds_in_from=seconds,
        amount=opp.amount,
        actor=actor,
    )
    opp.stage = target
    opp.stage_entered_at = now
    opp.last_activity_at = now
    if not opp.probability_overridden or target.kind != StageKind.OPEN:
        opp.probability = target.probability
        opp.probability_overridden = False
    opp.forecast_category = target.forecast_category


@transaction.atomic
def opportunity_move(*, actor: Any, opportunity: Opportunity | int, stage: Stage | int) -> Opportunity:
    """Move an open opportunity to another open stage of its process. Forward, the gates of every
    stage entered and the required checklist of every stage left must be met, or ``Conflict`` says
    what is missing; backward is always allowed. Winning and losing have their own services."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    stages = stages_of(opp.process)
    target = next((s for s in stages if s.pk == _pk(stage)), None)
    if target is None:
        raise ValidationError({"stage": _("Choose a stage of the opportunity's sales process.")})
    if opp.status != OpportunityStatus.OPEN:
        raise Conflict(_("The opportunity is closed: reopen it first."))
    if target.kind == StageKind.WON:
        return _win(actor, opp, note="")
    if target.kind == StageKind.LOST:
        raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})
    if target.pk == opp.stage_id:
        return opp
    _check_gate(opp, opp.stage, target, stages)
    before = audit.snapshot(opp)
    _record_move(opp, target, actor, timezone.now())
    opp.save(update_fields=MOVE_FIELDS)
    audit.record_update(actor=actor, obj=opp, before=before, verb="stage_move")
    # (no visibility re-check: who sees a deal does not depend on its stage)
    return opp


def _stage_of(opp: Opportunity, stage: Stage | int) -> Stage:
    pk = _pk(stage)
    found = Stage.objects.filter(pk=pk, process_id=opp.process_id).first()
    if found is None:
        raise ValidationError({"stage": _("Choose a stage of the opportunity's sales process.")})
    return found


def _win(actor: Any, opp: Opportunity, *, note: str) -> Opportunity:
    won = closing_stage(opp.process, StageKind.WON)
    _check_gate(opp, opp.stage, won)
    before = audit.snapshot(opp)
    now = timezone.now()
    _record_move(opp, won, actor, now)
    opp.status = OpportunityStatus.WON
    opp.forecast_category = ForecastCategory.CLOSED
    opp.probability = 100
    opp.closed_at = now
    opp.close_note = note
    opp.lost_reason, opp.lost_to = "", ""
    opp.save()
    _sync_relationship(opp, won=now)
    audit.record_update(actor=actor, obj=opp, before=before, verb="won")
    ensure_still_visible(opp, actor)
    events.publish(
        "pipeline.opportunity_won",
        key=f"opportunity:{opp.pk}:won:{now.isoformat()}",
        opportunity_id=opp.pk,
        actor_id=actor.pk,
    )
    return opp


@transaction.atomic
def opportunity_win(*, actor: Any, opportunity: Opportunity | int, note: str = "") -> Opportunity:
    """Mark the opportunity won (the process's won stage; its gate and those before it apply)."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    if opp.status != OpportunityStatus.OPEN:
        raise Conflict(_("The opportunity is closed already."))
    return _win(actor, opp, note=clean_text(note, "note", CLOSE_NOTE_MAX))


@transaction.atomic
def opportunity_lose(
    *, actor: Any, opportunity: Opportunity | int, reason: str, lost_to: str = "", note: str = ""
) -> Opportunity:
    """Mark the opportunity lost with a reason (and the competitor who won, when that is the reason)."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    if opp.status != OpportunityStatus.OPEN:
        raise Conflict(_("The opportunity is closed already."))
    if reason not in LostReason.values:
        raise ValidationError({"reason": _("Say why the opportunity was lost.")})
    lost_to = clean_text(lost_to, "lost_to", LOST_TO_MAX)
    note = clean_text(note, "note", CLOSE_NOTE_MAX)
    if reason == LostReason.COMPETITOR and not lost_to:
        raise ValidationError({"lost_to": _("Name the competitor who won.")})
    lost = closing_stage(opp.process, StageKind.LOST)
    before = audit.snapshot(opp)
    now = timezone.now()
    _record_move(opp, lost, actor, now)
    opp.status = OpportunityStatus.LOST
    opp.forecast_category = ForecastCategory.OMITTED
    opp.probability = 0
    opp.closed_at = now
    opp.lost_reason = reason
    opp.lost_to = lost_to
    opp.close_note = note
    opp.save()
    _sync_relationship(opp)
    audit.record_update(actor=actor, obj=opp, before=before, verb="lost")
    ensure_still_visible(opp, actor)
    return opp


@transaction.atomic
def opportunity_reopen(*, actor: Any, opportunity: Opportunity | int, stage: Stage | int | None = None) -> Opportunity:
    """Open a won or lost opportunity again, at ``stage`` (default: the last open stage it was in)."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    if opp.status == OpportunityStatus.OPEN:
        raise Conflict(_("The opportunity is open already."))
    if stage is None:
        last = (
            StageMove.objects.filter(opportunity=opp, to_stage__kind=StageKind.OPEN)
            .select_related("to_stage")
            .order_by("-moved_at", "-pk")
            .first()
        )
        target = last.to_stage if last is not None else first_open_stage(opp.process)
    else:
        target = _stage_of(opp, stage)
        if target.kind != StageKind.OPEN:
            raise ValidationError({"stage": _("Reopen at an open stage.")})
    before = audit.snapshot(opp)
    _record_move(opp, target, actor, timezone.now())
    opp.status = OpportunityStatus.OPEN
    opp.closed_at = None
    opp.lost_reason, opp.lost_to, opp.close_note = "", "", ""
    opp.save()
    _sync_relationship(opp)
    audit.record_update(actor=actor, obj=opp, before=before, verb="reopened")
    ensure_still_visible(opp, actor)
    return opp


# --- product lines and contacts ------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanLine:
    product: Any
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    delivery_month: date | None
    amount: Decimal | None = None  # exact, as handed over (an accepted quote's net); None: computed

    @property
    def worth(self) -> Decimal:
        """What the line adds to the deal: the amount handed over, else computed."""
        return self.amount if self.amount is not None else line_amount(self.quantity, self.unit_price, self.discount)


def _clean_lines(actor: Any, opportunity: Opportunity, lines: Sequence[Mapping[str, Any]]) -> list[CleanLine]:
    from xietong.catalog.choices import ProductStatus
    from xietong.catalog.models import Product

    check_line_count(lines)
    wanted: set[Any] = {_pk(line.get("product")) for line in lines}
    products = {p.pk: p for p in Product.objects.visible_to(actor).filter(pk__in=wanted - {None})}
    current = set(opportunity.lines.values_list("product_id", flat=True)) if opportunity.pk else set()
    clean = []
    total = Decimal("0")
    for n, line in enumerate(lines, start=1):
        prefix = f"lines[{n}]."
        pk: Any = _pk(line.get("product"))
        product = products.get(pk)
        if product is None:
            raise ValidationError({f"{prefix}product": _("Line %(n)s: no such product.") % {"n": n}})
        if product.status != ProductStatus.ACTIVE and product.pk not in current:
            raise ValidationError(
                {f"{prefix}product": _("Line %(n)s: “%(product)s” is not on sale.") % {"n": n, "product": product}}
            )
        try:
            quantity = Decimal(str(line.get("quantity", "")).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: enter a quantity.") % {"n": n}}) from None
        if not quantity.is_finite() or quantity <= 0:
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: the quantity must be more than 0.") % {"n": n}})
        if quantity >= QUANTITY_LIMIT:
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: the quantity is too large.") % {"n": n}})
        if not has_places(quantity, 3):
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: at most three decimal places.") % {"n": n}})
        price = line.get("unit_price")
        unit_price = product.list_price if price in (None, "") else _money(price, f"{prefix}unit_price")
        raw_discount = line.get("discount")
        try:
            discount = Decimal("0") if raw_discount in (None, "") else _percent(raw_discount, f"{prefix}discount")
        except ValidationError:
            raise ValidationError(
                {f"{prefix}discount": _("Line %(n)s: the discount is a percentage from 0 to 100.") % {"n": n}}
            ) from None
        month = line.get("delivery_month") or None
        if isinstance(month, str):
            try:
                month = date.fromisoformat(month if len(month) > 7 else f"{month}-01")
            except ValueError:
                raise ValidationError(
                    {f"{prefix}delivery_month": _("Line %(n)s: a month like 2027-03.") % {"n": n}}
                ) from None
        if isinstance(month, datetime):
            month = month.date()
        if month is not None:
            month = month.replace(day=1)
        raw_amount = line.get("amount")
        amount = None if raw_amount in (None, "") else _money(raw_amount, f"{prefix}amount")
        row = CleanLine(product, quantity, unit_price, discount, month, amount)
        if row.worth >= MONEY_LIMIT:  # stored, the line and the deal's amount could not be read back
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: the amount is too large.") % {"n": n}})
        total += row.worth
        if total >= MONEY_LIMIT:
            raise ValidationError({f"{prefix}quantity": _("Line %(n)s: the total would be too large.") % {"n": n}})
        clean.append(row)
    return clean


def _write_lines(actor: Any, opportunity: Opportunity, lines: Sequence[Mapping[str, Any]]) -> None:
    clean = _clean_lines(actor, opportunity, lines)
    # a line saved again as it was (the editor saved unchanged) keeps the exact amount it was handed
    kept: dict[tuple[Any, ...], list[Decimal | None]] = {}
    for old in opportunity.lines.filter(net_amount__isnull=False).order_by("position", "pk"):
        kept.setdefault((old.product_id, old.quantity, old.unit_price, old.discount), []).append(old.net_amount)
    for n, c in enumerate(clean):
        same = kept.get((c.product.pk, c.quantity, c.unit_price, c.discount))
        if c.amount is None and same:
            clean[n] = dataclasses.replace(c, amount=same.pop(0))
    opportunity.lines.all().delete()
    OpportunityLine.objects.bulk_create(
        [
            OpportunityLine(
                opportunity=opportunity,
                product=c.product,
                quantity=c.quantity,
                unit_price=c.unit_price,
                discount=c.discount,
                delivery_month=c.delivery_month,
                position=n,
                net_amount=c.amount,
            )
            for n, c in enumerate(clean)
        ]
    )
    if clean:
        opportunity.amount = sum((c.worth for c in clean), Decimal("0.00"))
        Opportunity.objects.filter(pk=opportunity.pk).update(amount=opportunity.amount)


@transaction.atomic
def lines_set(*, actor: Any, opportunity: Opportunity | int, lines: Sequence[Mapping[str, Any]]) -> Opportunity:
    """Replace the opportunity's product lines; its amount becomes their sum (no lines: the amount
    stays as it was and may be entered by hand). A line's ``amount``, when given, is its exact amount
    (an accepted quote's net), else it is computed from quantity, unit price and discount."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    before_lines = [
        (line.product_id, str(line.quantity), str(line.unit_price), str(line.discount)) for line in opp.lines.all()
    ]
    before = audit.snapshot(opp)
    _write_lines(actor, opp, lines)
    opp.last_activity_at = timezone.now()
    opp.save(update_fields=["amount", "last_activity_at", "updated_at"])
    after_lines = [
        (line.product_id, str(line.quantity), str(line.unit_price), str(line.discount)) for line in opp.lines.all()
    ]
    changes = audit.diff(before, audit.snapshot(opp, before.keys()))
    if before_lines != after_lines:
        changes["lines"] = [len(before_lines), len(after_lines)]
    if changes:  # one entry: the lines and the amount they make
        audit.record(actor=actor, obj=opp, kind=AuditEntry.Kind.UPDATE, verb="lines", changes=changes)
    return opp


def _write_contacts(opportunity: Opportunity, contacts: Sequence[Mapping[str, Any]]) -> None:
    from xietong.customers.choices import DecisionRole
    from xietong.customers.models import Contact

    wanted: list[Any] = [_pk(c.get("contact")) for c in contacts]
    found = set(
        Contact.objects.filter(
            customer_id=opportunity.customer_id, merged_into__isnull=True, pk__in=wanted
        ).values_list("pk", flat=True)
    )
    rows = []
    for n, (item, pk) in enumerate(zip(contacts, wanted, strict=True), start=1):
        if pk not in found:
            raise ValidationError({f"contacts[{n}].contact": _("No such contact of the customer.")})
        role = item.get("role") or ""
        if role and role not in DecisionRole.values:
            raise ValidationError({f"contacts[{n}].role": _("Choose a role in the decision.")})
        rows.append(OpportunityContact(opportunity=opportunity, contact_id=pk, role=role))
    opportunity.contact_roles.all().delete()
    OpportunityContact.objects.bulk_create(list({r.contact_id: r for r in rows}.values()))


@transaction.atomic
def contacts_set(*, actor: Any, opportunity: Opportunity | int, contacts: Sequence[Mapping[str, Any]]) -> Opportunity:
    """Replace the customer's contacts on the opportunity, each with its role in the decision."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    before = sorted(opp.contact_roles.values_list("contact_id", "role"))
    _write_contacts(opp, contacts)
    after = sorted(opp.contact_roles.values_list("contact_id", "role"))
    if before != after:
        audit.record(
            actor=actor,
            obj=opp,
            kind=AuditEntry.Kind.UPDATE,
            verb="contacts",
            changes={"contacts": [len(before), len(after)]},
        )
    Opportunity.objects.filter(pk=opp.pk).update(last_activity_at=timezone.now())
    return opp


# --- the deal team ------------------------------------------------------------------------------------


@transaction.atomic
def team_set(
    *, actor: Any, opportunity: Opportunity | int, members: Sequence[Mapping[str, Any]]
) -> list[DealTeamMember]:
    """Replace the deal team: dicts with user, role, access (read / edit) and split (percent). The
    owner is always a member with edit access; the splits sum to exactly 100. New members follow the
    opportunity and are told."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    people = addressable_people(actor)
    wanted: list[Any] = [_pk(m.get("user")) for m in members]
    found = {u.pk: u for u in people.filter(pk__in=[w for w in wanted if w is not None])}
    rows: dict[int, DealTeamMember] = {}
    total = Decimal("0")
    for n, (item, pk) in enumerate(zip(members, wanted, strict=True), start=1):
        user = found.get(pk)
        if user is None:
            raise ValidationError({f"members[{n}].user": _("Member %(n)s: no such person.") % {"n": n}})
        if pk in rows:
            raise ValidationError({f"members[{n}].user": _("%(name)s is listed twice.") % {"name": user}})
        role = item.get("role") or TeamRole.OTHER
        if role not in TeamRole.values:
            raise ValidationError({f"members[{n}].role": _("Member %(n)s: choose a role.") % {"n": n}})
        access = item.get("access") or MemberAccess.READ
        if access not in MemberAccess.values:
            raise ValidationError({f"members[{n}].access": _("Member %(n)s: read or edit.") % {"n": n}})
        raw_split = item.get("split")
        try:
            split = Decimal("0") if raw_split in (None, "") else _percent(raw_split, f"members[{n}].split")
        except ValidationError:
            raise ValidationError(
                {f"members[{n}].split": _("Member %(n)s: the split is a percentage from 0 to 100.") % {"n": n}}
            ) from None
        if pk == opp.owner_id:
            access = MemberAccess.EDIT
        total += split
        rows[pk] = DealTeamMember(opportunity=opp, user=user, role=role, access=access, split=split, added_by=actor)
    if opp.owner_id not in rows:
        raise ValidationError({"members": _("The owner %(name)s stays on the deal team.") % {"name": opp.owner}})
    if total != HUNDRED:
        raise ValidationError(
            {"members": _("The revenue credit splits sum to %(total)s%%; they must sum to 100%%.") % {"total": total}}
        )
    # members who stay are changed in place: they keep who added them and when
    current = {m.user_id: m for m in opp.team.all()}
    before = {pk: (m.role, m.access, m.split) for pk, m in current.items()}
    opp.team.exclude(user_id__in=list(rows)).delete()
    kept = []
    for pk, row in rows.items():
        if pk in current:
            member = current[pk]
            member.role, member.access, member.split = row.role, row.access, row.split
            kept.append(member)
    DealTeamMember.objects.bulk_update(kept, ["role", "access", "split"])
    new_rows = [row for pk, row in rows.items() if pk not in current]
    added = {m.user_id: m for m in DealTeamMember.objects.bulk_create(new_rows)}
    created = [current[pk] if pk in current else added[pk] for pk in rows]  # in the order given
    after = {m.user_id: (m.role, m.access, m.split) for m in created}
    if before != after:
        names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in={*before, *after})}
        audit.record(
            actor=actor,
            obj=opp,
            kind=AuditEntry.Kind.UPDATE,
            verb="team",
            changes={"team": [_describe_team(before, names), _describe_team(after, names)]},
        )
    joined = [pk for pk in after if pk not in before]
    for pk in joined:
        _follow(found[pk], opp)
    if joined:
        events.publish(
            "pipeline.team_joined",
            key=f"opportunity:{opp.pk}:team:{timezone.now().isoformat()}",
            opportunity_id=opp.pk,
            user_ids=[pk for pk in joined if pk != actor.pk],
            actor_id=actor.pk,
        )
    ensure_still_visible(opp, actor)
    return created


def _describe_team(team: Mapping[int, tuple[str, str, Decimal]], names: Mapping[int, str]) -> str:
    return "、".join(f"{names.get(pk, pk)} {split.normalize():f}%" for pk, (_r, _a, split) in team.items())


# --- the checklist -------------------------------------------------------------------------------------


@transaction.atomic
def checklist_tick(*, actor: Any, opportunity: Opportunity | int, item: ChecklistItem | int, done: bool) -> bool:
    """Tick (or untick) a checklist item of the opportunity's process. Returns whether it is ticked."""
    require(actor, MODULE, "edit")
    opp = _lock(actor, opportunity)
    pk = _pk(item)
    found = ChecklistItem.objects.filter(pk=pk, stage__process_id=opp.process_id).first()
    if found is None:
        raise ValidationError({"item": _("No such checklist item.")})
    if done:
        _check, made = ChecklistCheck.objects.get_or_create(opportunity=opp, item=found, defaults={"done_by": actor})
        changed = made
    else:
        changed = ChecklistCheck.objects.filter(opportunity=opp, item=found).delete()[0] > 0
    if changed:
        audit.record(
            actor=actor,
            obj=opp,
            kind=AuditEntry.Kind.UPDATE,
            verb="checklist",
            changes={found.text[:60]: [not done, done]},
        )
        Opportunity.objects.filter(pk=opp.pk).update(last_activity_at=timezone.now())
    return done
