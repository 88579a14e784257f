"""The monthly S&OP cycle: every write of demand plans, their lines and overrides, the approval
engine's callbacks, contingency plans and review meetings; plus the two comparisons a plan page shows
(against another version, against actuals).

- ``plan_create`` makes a new version of a cycle: one line per product × BU × month of the horizon
  that has a statistical baseline (the forecast run), open orders or weighted pipeline
  (``xietong.supply.signals``). ``proposal`` = max(baseline, open orders + pipeline); ``consensus`` =
  the proposal until someone overrides it.
- ``line_override`` (sales, within their BU's demand scope): a quantity with a reason (or None to
  clear it); every override is kept in ``DemandOverride`` (who, when, why, the value before).
- ``plan_advance``: demand review → supply review; supply review → the approval engine (document
  type "demand_plan", ``plan_registrations``) → executive review → approved (or back to supply
  review when returned). From executive review on, a plan is frozen: every change answers
  ``Conflict`` (409) on every path.

The first planned month is the cycle month; months are dates on the 1st.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.errors import Conflict, NotFound
from xietong.org.policies import require

from .choices import ContingencyTrigger, ForecastStatus, PlanStage
from .models import (
    ContingencyPlan,
    DemandOverride,
    DemandPlan,
    DemandPlanLine,
    Forecast,
    ForecastRun,
    ReviewMeeting,
    SupplyItem,
)

MODULE = "demand"
QTY = Decimal("0.001")
ZERO = Decimal("0.000")
MAX_QUANTITY = Decimal("99999999999.999")
MAX_HORIZON = 36

Key = tuple[int, int, date]


# --- months ---------------------------------------------------------------------------------------------


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    years, month = divmod(d.month - 1 + n, 12)
    return date(d.year + years, month + 1, 1)


def plan_months(plan: DemandPlan) -> list[date]:
    return [add_months(plan.first_month, i) for i in range(plan.horizon)]


# --- the signals (xietong.supply.signals; tests may replace these two functions) --------------------------


def gather_signals(*, first_month: date, horizon: int) -> tuple[dict[Key, Decimal], dict[Key, Decimal]]:
    """(open orders, weighted pipeline) per (product, BU, month)."""
    from . import signals

    return (
        signals.open_orders(first_month=first_month),
        signals.weighted_pipeline(first_month=first_month, months=horizon),
    )


def actual_demand(*, start: date, end: date) -> dict[Key, Decimal]:
    """Demand history (ERP history + XieTong orders) per (product, BU, month), months in [start, end)."""
    from . import signals

    return signals.demand_history(start=start, end=end)


# --- helpers ----------------------------------------------------------------------------------------------


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _q(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(QTY, rounding=ROUND_HALF_UP)


def is_locked(plan: DemandPlan) -> bool:
    """Frozen (executive review, approved, superseded): nothing may change it."""
    return plan.is_frozen


def _refuse_if_frozen(plan: DemandPlan) -> None:
    if plan.is_frozen:
        raise Conflict(
            _("This plan version is frozen (%(stage)s): it cannot change. Make a new version instead.")
            % {"stage": plan.get_stage_display()}
        )


def default_title(cycle: date) -> str:
    return _("%(month)s S&OP") % {"month": date_format(cycle, "YEAR_MONTH_FORMAT")}


def _lock_plan(actor: Any, plan: Any, action: str = "view") -> DemandPlan:
    return DemandPlan.objects.lock_visible(actor, _pk(plan), action)


# --- creating a version -----------------------------------------------------------------------------------


def _latest_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(status=ForecastStatus.DONE).order_by("-created_at", "-pk").first()


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    cycle: date,
    horizon: int = 18,
    forecast_run: ForecastRun | None = None,
    title: str = "",
) -> DemandPlan:
    """A new version of ``cycle``'s plan (version = the cycle's last + 1). ``forecast_run`` defaults to
    the newest finished run. ``previous``: the cycle's last version, or else the last approved plan."""
    require(actor, MODULE, "create")
    if not isinstance(cycle, date):
        raise ValidationError({"cycle": _("Enter a month.")})
    cycle = month_start(cycle)
    try:
        horizon = int(horizon)
    except (TypeError, ValueError):
        raise ValidationError({"horizon": _("Enter a whole number of months.")}) from None
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValidationError({"horizon": _("The horizon is between 1 and %(max)s months.") % {"max": MAX_HORIZON}})
    if cycle.year * 12 + cycle.month - 1 + horizon - 1 > date.max.year * 12 + date.max.month - 1:
        raise ValidationError({"cycle": _("A plan's months end by December 9999.")})
    run = forecast_run if forecast_run is not None else _latest_run()
    if run is not None and run.status != ForecastStatus.DONE:
        raise ValidationError({"forecast_run": _("Choose a forecast run that has finished.")})
    title = (title or "").strip() or default_title(cycle)
    if len(title) > 120:
        raise ValidationError({"title": _("At most 120 characters.")})

    same_cycle = DemandPlan.objects.select_for_update().filter(cycle=cycle).order_by("-version")
    last_of_cycle = same_cycle.first()
    previous = last_of_cycle or (
        DemandPlan.objects.filter(stage=PlanStage.APPROVED, cycle__lt=cycle).order_by("-cycle", "-version").first()
    )
    version = (last_of_cycle.version + 1) if last_of_cycle else 1
    plan = DemandPlan(
        cycle=cycle,
        version=version,
        title=title,
        first_month=cycle,
        horizon=horizon,
        forecast_run=run,
        previous=previous,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise Conflict(_("Another version of this cycle was just made; try again.")) from None
    DemandPlanLine.objects.bulk_create(_build_lines(plan), batch_size=1000)
    audit.record_create(actor=actor, obj=plan)
    return plan


def _build_lines(plan: DemandPlan) -> list[DemandPlanLine]:
    months = set(plan_months(plan))
    baseline: dict[Key, tuple[Decimal, Decimal, Decimal]] = {}
    if plan.forecast_run_id:
        rows = Forecast.objects.filter(
            run_id=plan.forecast_run_id,
            month__gte=plan.first_month,
            month__lt=add_months(plan.first_month, plan.horizon),
        ).values_list("product_id", "business_unit_id", "month", "quantity", "low", "high")
        for product_id, bu_id, month, qty, low, high in rows:
            baseline[(product_id, bu_id, month)] = (qty, low, high)
    orders, pipeline = gather_signals(first_month=plan.first_month, horizon=plan.horizon)
    keys = set(baseline) | {k for k in orders if k[2] in months} | {k for k in pipeline if k[2] in months}
    lines = []
    for key in sorted(keys):
        product_id, bu_id, month = key
        qty, low, high = baseline.get(key, (ZERO, ZERO, ZERO))
        base = max(_q(qty), ZERO)
        open_qty = max(_q(orders.get(key)), ZERO)
        pipe = max(_q(pipeline.get(key)), ZERO)
        proposal = max(base, open_qty + pipe)
        lines.append(
            DemandPlanLine(
                plan=plan,
                product_id=product_id,
                business_unit_id=bu_id,
                month=month,
                baseline=base,
                baseline_low=max(_q(low), ZERO),
                baseline_high=max(_q(high), ZERO),
                open_orders=open_qty,
                pipeline=pipe,
                proposal=proposal,
                override=None,
                consensus=proposal,
            )
        )
    return lines


# --- overrides --------------------------------------------------------------------------------------------


def _quantity(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if number < 0:
        raise ValidationError({field: _("The quantity cannot be negative.")})
    if number > MAX_QUANTITY:
        raise ValidationError({field: _("The quantity is too large.")})
    return number.quantize(QTY, rounding=ROUND_HALF_UP)


@transaction.atomic
def line_override(*, actor: Any, line: DemandPlanLine | int, quantity: Any, reason: str) -> DemandPlanLine:
    """Set (or with None clear) the sales override of a line in the actor's demand scope; the reason
    is required. A frozen plan answers ``Conflict``."""
    require(actor, MODULE, "edit")
    found = DemandPlanLine.objects.visible_to(actor, "edit").filter(pk=_pk(line)).values_list("plan_id", flat=True)
    plan_id = found.first()
    if plan_id is None:
        raise NotFound()
    plan = DemandPlan.objects.select_for_update().get(pk=plan_id)  # the plan first, then its line
    _refuse_if_frozen(plan)
    locked = DemandPlanLine.objects.lock_visible(actor, _pk(line), "edit")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the quantity changes.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("At most 500 characters.")})
    new = _quantity(quantity, "quantity")
    before = locked.override
    DemandOverride.objects.create(line=locked, quantity=new, previous=before, reason=reason, user=actor)
    locked.override = new
    locked.consensus = new if new is not None else locked.proposal
    locked.save(update_fields=["override", "consensus"])
    audit.record(
        actor=actor,
        obj=plan,
        kind="action",
        verb="demand_overridden",
        changes={
            "override": [
                None if before is None else str(before),
                None if new is None else str(new),
            ]
        },
    )
    return locked


# --- the cycle --------------------------------------------------------------------------------------------


@transaction.atomic
def plan_advance(*, actor: Any, plan: DemandPlan | int) -> DemandPlan:
    """demand review → supply review (contingency triggers checked); supply review → the approval
    engine: executive review while a flow decides, approved at once when no flow applies."""
    require(actor, MODULE, "create")
    locked = _lock_plan(actor, plan, "create")
    if locked.stage == PlanStage.DEMAND_REVIEW:
        before = audit.snapshot(locked)
        locked.stage = PlanStage.SUPPLY_REVIEW
        locked.save(update_fields=["stage"])
        audit.record_update(actor=actor, obj=locked, before=before, verb="supply_review")
        contingency_check(locked)
    elif locked.stage == PlanStage.SUPPLY_REVIEW:
        plan_submit(actor=actor, plan=locked)
    else:
        raise Conflict(
            _("A plan in %(stage)s cannot move on from here.") % {"stage": locked.get_stage_display()},
            field="stage",
        )
    return DemandPlan.objects.get(pk=locked.pk)


@transaction.atomic
def plan_submit(*, actor: Any, plan: DemandPlan | int, comment: str = "") -> DemandPlan:
    """Supply review → the approval engine (executive review). Only from supply review."""
    from xietong.approvals import services as approvals

    require(actor, MODULE, "create")
    locked = _lock_plan(actor, plan, "create")
    if locked.stage != PlanStage.SUPPLY_REVIEW:
        raise Conflict(
            _("Only a plan in supply review goes to the executive review; this one is in %(stage)s.")
            % {"stage": locked.get_stage_display()},
            field="stage",
        )
    approvals.approval_submit(document=locked, actor=actor, comment=comment)
    return DemandPlan.objects.get(pk=locked.pk)


def on_submitted(plan: DemandPlan, request: Any) -> None:
    before = audit.snapshot(plan)
    plan.stage = PlanStage.EXECUTIVE_REVIEW
    plan.save(update_fields=["stage"])
    audit.record_update(actor=None, obj=plan, before=before, verb="executive_review")


def on_approved(plan: DemandPlan, request: Any) -> None:
    """Approved: the consensus plan of its cycle; the cycle's older approved versions are superseded."""
    before = audit.snapshot(plan)
    plan.stage = PlanStage.APPROVED
    plan.approved_at = timezone.now()
    plan.save(update_fields=["stage", "approved_at"])
    audit.record_update(actor=None, obj=plan, before=before, verb="plan_approved")
    older = DemandPlan.objects.select_for_update().filter(
        cycle=plan.cycle, version__lt=plan.version, stage=PlanStage.APPROVED
    )
    for old in older.order_by("pk"):
        old_before = audit.snapshot(old)
        old.stage = PlanStage.SUPERSEDED
        old.save(update_fields=["stage"])
        audit.record_update(actor=None, obj=old, before=old_before, verb="plan_superseded")


def on_returned(plan: DemandPlan, request: Any) -> None:
    before = audit.snapshot(plan)
    plan.stage = PlanStage.SUPPLY_REVIEW
    plan.save(update_fields=["stage"])
    audit.record_update(actor=None, obj=plan, before=before, verb="plan_returned")


# --- reads the plan page needs (sums, comparisons) -----------------------------------------------------------


def consensus(plan: DemandPlan, *, lines: Any = None) -> dict[tuple[int, date], Decimal]:
    """Consensus per (product, month), summed over BUs (``lines``: a restricted queryset of the plan's lines)."""
    rows = lines if lines is not None else DemandPlanLine.objects.filter(plan=plan)
    totals: dict[tuple[int, date], Decimal] = defaultdict(lambda: ZERO)
    for product_id, month, value in rows.filter(plan=plan).values_list("product_id", "month", "consensus"):
        totals[(product_id, month)] += value
    return dict(totals)


def plan_compare(plan_a: DemandPlan, plan_b: DemandPlan, *, user: Any = None) -> list[dict[str, Any]]:
    """Per product × month: consensus of ``plan_a``, of ``plan_b`` and ``delta`` = a − b (months of
    either). With ``user``: only the lines of BUs in the user's demand scope."""
    lines = DemandPlanLine.objects.visible_to(user) if user is not None else DemandPlanLine.objects.all()
    a = consensus(plan_a, lines=lines)
    b = consensus(plan_b, lines=lines)
    return [
        {
            "product_id": key[0],
            "month": key[1],
            "a": a.get(key, ZERO),
            "b": b.get(key, ZERO),
            "delta": a.get(key, ZERO) - b.get(key, ZERO),
        }
        for key in sorted(set(a) | set(b))
    ]


def plan_vs_actuals(plan: DemandPlan, *, user: Any = None, today: date | None = None) -> list[dict[str, Any]]:
    """Per product × month of the plan already past (before this month): consensus, actual demand and
    ``delta`` = consensus − actual (positive: the plan was too high). With ``user``: only the BUs in
    the user's demand scope."""
    this_month = month_start(today or timezone.localdate())
    months = [m for m in plan_months(plan) if m < this_month]
    if not months:
        return []
    lines = DemandPlanLine.objects.visible_to(user) if user is not None else DemandPlanLine.objects.all()
    lines = lines.filter(plan=plan, month__in=months)
    planned = consensus(plan, lines=lines)
    bu_ids = None if user is None else demand_business_units(user)
    actual: dict[tuple[int, date], Decimal] = defaultdict(lambda: ZERO)
    for (product_id, bu_id, month), qty in actual_demand(start=months[0], end=add_months(months[-1], 1)).items():
        if month in months and (bu_ids is None or bu_id in bu_ids):
            actual[(product_id, month)] += _q(qty)
    return [
        {
            "product_id": key[0],
            "month": key[1],
            "consensus": planned.get(key, ZERO),
            "actual": actual.get(key, ZERO),
            "delta": planned.get(key, ZERO) - actual.get(key, ZERO),
        }
        for key in sorted(set(planned) | set(actual))
    ]


def demand_business_units(user: Any) -> set[int] | None:
    """The BUs whose demand ``user`` sees; None: every BU (group-wide)."""
    from xietong.core.choices import DataScope

    access = user.access
    bu_ids: set[int] = set()
    for grant in access.grants_for(MODULE, "view"):
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return None
        if grant.scope >= DataScope.BUSINESS_UNIT:
            bu_ids.update(access.scope_business_units(grant))
    return bu_ids


# --- contingency plans (应急预案) ----------------------------------------------------------------------------

CONTINGENCY_FIELDS = ("name", "trigger", "threshold_percent", "product_line", "item", "actions", "owner", "is_active")


def may_manage_contingencies(actor: Any) -> bool:
    return bool(actor.access.can("supply", "edit") or actor.access.can(MODULE, "create"))


def _require_contingency(actor: Any) -> None:
    if not may_manage_contingencies(actor):
        raise PermissionDenied(_("Contingency plans are kept by supply planners and demand planners."))


def _write_contingency(contingency: ContingencyPlan, values: dict[str, Any]) -> list[Any] | None:
    plans = values.pop("plans", None)
    unknown = set(values) - set(CONTINGENCY_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    for name, value in values.items():
        if name == "item":
            value = SupplyItem.objects.filter(pk=_pk(value)).first() if value not in (None, "") else None
        if name == "name" or name == "actions" or name == "product_line":
            value = (value or "").strip()
        setattr(contingency, name, value)
    if contingency.trigger in (ContingencyTrigger.DEMAND_UP, ContingencyTrigger.DEMAND_DOWN) and (
        contingency.threshold_percent is None
    ):
        raise ValidationError({"threshold_percent": _("A demand trigger needs a threshold.")})
    contingency.full_clean(exclude=["plans"])
    return plans


@transaction.atomic
def contingency_create(*, actor: Any, **values: Any) -> ContingencyPlan:
    _require_contingency(actor)
    values.setdefault("owner", actor)
    contingency = ContingencyPlan()
    plans = _write_contingency(contingency, dict(values))
    contingency.save()
    if plans is not None:
        contingency.plans.set(DemandPlan.objects.visible_to(actor).filter(pk__in=[_pk(p) for p in plans]))
    audit.record_create(actor=actor, obj=contingency)
    return contingency


@transaction.atomic
def contingency_update(*, actor: Any, contingency: ContingencyPlan | int, **values: Any) -> ContingencyPlan:
    _require_contingency(actor)
    locked = ContingencyPlan.objects.lock_visible(actor, _pk(contingency), "view")
    before = audit.snapshot(locked)
    plans = _write_contingency(locked, dict(values))
    locked.save()
    if plans is not None:
        locked.plans.set(DemandPlan.objects.visible_to(actor).filter(pk__in=[_pk(p) for p in plans]))
    audit.record_update(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def contingency_delete(*, actor: Any, contingency: ContingencyPlan | int) -> None:
    _require_contingency(actor)
    locked = ContingencyPlan.objects.lock_visible(actor, _pk(contingency), "view")
    audit.record(actor=actor, obj=locked, kind="delete")
    locked.delete()


def _line_totals(plan: DemandPlan) -> tuple[dict[str, Decimal], dict[int, Decimal], Decimal]:
    """Consensus over the horizon: per product line, per product, in all."""
    by_line: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_product: dict[int, Decimal] = defaultdict(lambda: ZERO)
    total = ZERO
    rows = DemandPlanLine.objects.filter(plan=plan).values_list("product_id", "product__product_line", "consensus")
    for product_id, product_line, value in rows:
        by_line[product_line or ""] += value
        by_product[product_id] += value
        total += value
    return by_line, by_product, total


def contingency_check(plan: DemandPlan, *, now: Any = None) -> list[ContingencyPlan]:
    """Active demand-up / demand-down contingency plans against ``plan``'s change from its previous
    version (the consensus summed over the horizon, for the plan's product line, its item, or in all):
    the triggered ones get ``last_triggered_at`` and a note, are linked to the plan, and their owners
    are told (after the commit)."""
    if plan.previous_id is None:
        return []
    previous = DemandPlan.objects.get(pk=plan.previous_id)
    now = now or timezone.now()
    cur_lines, cur_products, cur_total = _line_totals(plan)
    old_lines, old_products, old_total = _line_totals(previous)
    triggered = []
    candidates = ContingencyPlan.objects.select_for_update(of=("self",)).filter(
        is_active=True,
        trigger__in=(ContingencyTrigger.DEMAND_UP, ContingencyTrigger.DEMAND_DOWN),
        threshold_percent__isnull=False,
    )
    for contingency in candidates.select_related("item__product").order_by("pk"):
        if contingency.item_id:
            product_id = contingency.item.product_id
            cur, old, scope = (
                cur_products.get(product_id, ZERO),
                old_products.get(product_id, ZERO),
                str(contingency.item.product),
            )
        elif contingency.product_line:
            line = contingency.product_line
            cur, old, scope = cur_lines.get(line, ZERO), old_lines.get(line, ZERO), line
        else:
            cur, old, scope = cur_total, old_total, _("all products")
        if old <= 0:
            continue
        change = ((cur - old) / old * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        threshold = contingency.threshold_percent
        assert threshold is not None
        hit = change >= threshold if contingency.trigger == ContingencyTrigger.DEMAND_UP else change <= -threshold
        if not hit:
            continue
        note = _("%(scope)s: demand %(change)s%% against the previous version (%(old)s → %(new)s).") % {
            "scope": scope,
            "change": f"{change:+}",
            "old": f"{old.normalize():f}",
            "new": f"{cur.normalize():f}",
        }
        contingency.last_triggered_at = now
        contingency.last_trigger_note = note[:300]
        contingency.save(update_fields=["last_triggered_at", "last_trigger_note", "updated_at"])
        contingency.plans.add(plan)
        audit.record(actor=None, obj=contingency, kind="action", verb="contingency_triggered")
        _notify(
            event_key=f"contingency:{contingency.pk}:plan:{plan.pk}",
            kind="contingency_triggered",
            recipient_ids=[contingency.owner_id],
            record=("supply.contingencyplan", contingency.pk),
            params={"name": contingency.name, "plan": str(plan), "note": note},
        )
        triggered.append(contingency)
    return triggered


def _notify(
    *, event_key: str, kind: str, recipient_ids: list[int], record: tuple[str, int], params: dict[str, Any]
) -> None:
    transaction.on_commit(
        functools.partial(
            _deliver_later, event_key=event_key, kind=kind, recipient_ids=recipient_ids, record=record, params=params
        ),
        robust=True,
    )


def _deliver_later(
    *, event_key: str, kind: str, recipient_ids: list[int], record: tuple[str, int], params: dict[str, Any]
) -> None:
    from xietong.collaboration.tasks import deliver_notifications

    deliver_notifications.enqueue(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipient_ids,
        actor_id=None,
        record=list(record),
        params=params,
    )


# --- review meetings --------------------------------------------------------------------------------------

MEETING_STAGES = (PlanStage.DEMAND_REVIEW, PlanStage.SUPPLY_REVIEW, PlanStage.EXECUTIVE_REVIEW)


def may_record_meeting(actor: Any) -> bool:
    return bool(
        actor.access.can(MODULE, "create") or actor.access.can(MODULE, "edit") or actor.access.can("supply", "edit")
    )


@transaction.atomic
def meeting_record(
    *,
    actor: Any,
    plan: DemandPlan | int,
    stage: str,
    held_on: date,
    attendees: Iterable[Any] = (),
    minutes: str,
    decisions: str = "",
) -> ReviewMeeting:
    """The record of a review meeting of one step of the cycle (allowed on a frozen plan: it records,
    it does not change the plan)."""
    if not may_record_meeting(actor):
        raise PermissionDenied(_("Meetings are recorded by demand and supply planners and sales managers."))
    found = DemandPlan.objects.get_visible(actor, _pk(plan))
    if stage not in MEETING_STAGES:
        raise ValidationError({"stage": _("Choose a step of the cycle.")})
    if not isinstance(held_on, date):
        raise ValidationError({"held_on": _("Enter a date.")})
    minutes = (minutes or "").strip()
    if not minutes:
        raise ValidationError({"minutes": _("Write the minutes.")})
    meeting = ReviewMeeting.objects.create(
        plan=found,
        stage=stage,
        held_on=held_on,
        minutes=minutes,
        decisions=(decisions or "").strip(),
        created_by=actor,
    )
    from xietong.org.models import User

    meeting.attendees.set(User.objects.filter(pk__in=[_pk(a) for a in attendees], is_active=True))
    audit.record(actor=actor, obj=found, kind="action", verb="meeting_recorded")
    return meeting
