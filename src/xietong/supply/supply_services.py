"""The supply plan of a demand plan version: netting, planned orders, decisions, export, capacity.

``supply_plan_compute`` reads every supply item, its inventory (summed over warehouses), the open
scheduled receipts (by due month; overdue ones count in the first month), the planned orders
planners already decided on in this plan (accepted, changed or exported: firm receipts from then
on), and the plan's consensus per product × month (summed over business units); works out each
item's safety stock; nets them with ``netting.net`` (the rule is in netting.py); then, in one
transaction, replaces the plan's ``ProjectedInventory`` rows, replaces its *proposed* planned
orders (decided ones are kept), marks open opportunities at risk, resolves risks no longer short,
checks committed opportunities against ATP, and stamps ``plan.supply_planned_at``.

Safety stock per item (``SupplyItem.safety_stock_method``):

- fixed: ``safety_stock``;
- days of cover: ``safety_days`` × (average monthly consensus over the horizon) / 30;
- service level: z(service_level) × σ × √max(1, lead months), where z is the standard normal
  quantile (``statistics.NormalDist().inv_cdf``) and σ the forecast error (``residual_sd``) of the
  product's series in the plan's forecast run (else the latest finished run), summed over business
  units (a cautious sum: the BUs' errors are taken as moving together). No series: 0.

Stages: the supply plan may be (re)computed in supply review and once approved (the supply side
answers the approved consensus; the demand numbers themselves never change here) — not in demand
review (the demand is not settled), not in executive review (what the executives are approving
must not move under them) and not once superseded: ``Conflict``. Planned orders may be decided and
exported in supply review, executive review and approved (supply decisions, not demand changes),
never on a superseded version; an exported order is with the ERP and cannot be decided again
(``Conflict``).

Opportunity risk: an open opportunity with a line of a product whose ``uncovered`` quantity (the
shortage late planned orders cannot cover in time, see netting.py) is above zero in some month on or
before the line's delivery month (missing: the expected close month, then the first month; beyond
the horizon: the last month) gets an ``OpportunityRisk`` with the reason; the owner and the item's
planner are told (kind ``supply_opportunity_at_risk``). Open risks of opportunity × product that
are no longer short are resolved.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit
from xietong.core.errors import Conflict, NotFound
from xietong.core.validators import positive_quantity
from xietong.org.policies import require

from . import atp, netting
from .choices import ForecastStatus, MakeOrBuy, PlannedOrderStatus, PlanStage, ReceiptKind, SafetyStockMethod
from .models import (
    DemandPlan,
    DemandPlanLine,
    ForecastRun,
    ForecastSeries,
    InventoryPosition,
    LineCapacity,
    OpportunityRisk,
    PlannedOrder,
    ProductionLine,
    ProjectedInventory,
    ScheduledReceipt,
    SupplyItem,
)
from .signals import add_months, month_start

MODULE = "supply"
QTY = Decimal("0.001")
ZERO = Decimal("0.000")
KIND_AT_RISK = "supply_opportunity_at_risk"
KIND_BEYOND_ATP = atp.KIND_BEYOND_ATP
KIND_ORDER_BEYOND_ATP = atp.KIND_ORDER_BEYOND_ATP
COMPUTE_STAGES = (PlanStage.SUPPLY_REVIEW, PlanStage.APPROVED)
DECIDE_STAGES = (PlanStage.SUPPLY_REVIEW, PlanStage.EXECUTIVE_REVIEW, PlanStage.APPROVED)
FIRM_STATUSES = (PlannedOrderStatus.ACCEPTED, PlannedOrderStatus.CHANGED, PlannedOrderStatus.EXPORTED)
DECISIONS = ("accept", "change", "reject")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


# --- notification kinds (the lead calls register_kinds() from the app's registrations) ----------


def register_kinds() -> None:
    from xietong.collaboration import kinds

    label = gettext_lazy("Supply planning")
    kinds.register(
        kinds.Kind(
            KIND_AT_RISK,
            label,
            lambda p: (
                _("Opportunity %(opportunity)s is at risk: %(reason)s")
                % {"opportunity": p["opportunity"], "reason": p["reason"]}
            ),
        )
    )
    kinds.register(
        kinds.Kind(
            KIND_BEYOND_ATP,
            label,
            lambda p: (
                _(
                    "Committed opportunity %(opportunity)s needs %(quantity)s of %(product)s in %(month)s; "
                    "only %(available)s are available to promise."
                )
                % {
                    "opportunity": p["opportunity"],
                    "quantity": p["quantity"],
                    "product": p["product"],
                    "month": p["month"],
                    "available": p["available"],
                }
            ),
        )
    )
    kinds.register(
        kinds.Kind(
            KIND_ORDER_BEYOND_ATP,
            label,
            lambda p: (
                _("Order %(order)s is beyond what is available to promise: short of %(shortage)s by %(on)s.")
                % {"order": p["order"], "shortage": p["shortage"], "on": p["on"]}
            ),
        )
    )


# --- reading the inputs ------------------------------------------------------------------------------


def plan_months(plan: DemandPlan) -> list[date]:
    first = month_start(plan.first_month)
    return [add_months(first, i) for i in range(plan.horizon)]


def plan_consensus(plan: DemandPlan) -> dict[tuple[int, date], Decimal]:
    """(product id, month) → consensus summed over business units (one query)."""
    rows = (
        DemandPlanLine.objects.filter(plan=plan)
        .values("product_id", "month")
        .annotate(total=Sum("consensus"))
        .order_by()
    )
    return {(r["product_id"], r["month"]): r["total"] or ZERO for r in rows}


def _lock_plan(actor: Any, plan: DemandPlan | int) -> DemandPlan:
    """The plan, locked, through the same entry point as the supply pages and API
    (``supply_selectors.plans``): whoever may open a plan's supply plan may act on it as far as their
    "supply" permissions go; one who may not gets 404."""
    from .supply_selectors import plans

    pk = plan.pk if isinstance(plan, DemandPlan) else plan
    found = plans(actor).select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _month_index(months: list[date]) -> dict[date, int]:
    return {m: i for i, m in enumerate(months)}


def _bucket(d: date, months: list[date]) -> int | None:
    """The period of a date: overdue → 0, beyond the horizon → None."""
    m = month_start(d)
    if m < months[0]:
        return 0
    if m > months[-1]:
        return None
    return (m.year - months[0].year) * 12 + m.month - months[0].month


def _service_sigma(plan: DemandPlan, product_ids: list[int]) -> dict[int, float]:
    run_id = plan.forecast_run_id
    if run_id is None:
        run_id = (
            ForecastRun.objects.filter(status=ForecastStatus.DONE)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
    if run_id is None:
        return {}
    rows = (
        ForecastSeries.objects.filter(run_id=run_id, product_id__in=product_ids, residual_sd__isnull=False)
        .values("product_id")
        .annotate(total=Sum("residual_sd"))
        .order_by()
    )
    return {r["product_id"]: float(r["total"] or 0.0) for r in rows}


def _safety_milli(item: SupplyItem, demand_row: np.ndarray, sigma: float, lead: int) -> int:
    if item.safety_stock_method == SafetyStockMethod.DAYS:
        if demand_row.size == 0 or item.safety_days == 0:
            return 0
        # safety_days × average monthly demand / 30, exact in thousandths, rounded up
        total = int(demand_row.sum())
        return -(-(item.safety_days * total) // (30 * demand_row.size))
    if item.safety_stock_method == SafetyStockMethod.SERVICE:
        if sigma <= 0:
            return 0
        z = NormalDist().inv_cdf(float(item.service_level))
        value = Decimal(repr(max(z, 0.0) * sigma * math.sqrt(max(1, lead))))
        return netting.to_milli(value)
    return netting.to_milli(item.safety_stock)


# --- compute ----------------------------------------------------------------------------------------------


def supply_plan_compute(*, actor: Any, plan: DemandPlan | int) -> dict[str, Any]:
    """Net the plan's consensus against supply (see the module); a summary dict:
    items, periods, shortages (item-months short before planning), late (late planned orders),
    planned_orders (new proposals), kept_orders (decided ones kept), overloads (line-months),
    at_risk (open risks of this plan), resolved (risks resolved now), beyond_atp (committed
    opportunity lines beyond ATP), orders_beyond_atp (open order lines beyond ATP)."""
    require(actor, MODULE, "edit")
    with transaction.atomic():
        locked = _lock_plan(actor, plan)
        if locked.stage not in COMPUTE_STAGES:
            raise Conflict(
                _("The supply plan is computed in supply review or once approved; this version is in “%(stage)s”.")
                % {"stage": locked.get_stage_display()}
            )
        months = plan_months(locked)
        periods = len(months)
        index_of = _month_index(months)
        items = list(SupplyItem.objects.select_related("product", "production_line").order_by("product_id"))
        n = len(items)
        row_of_item = {item.pk: i for i, item in enumerate(items)}
        row_of_product = {item.product_id: i for i, item in enumerate(items)}

        start = np.zeros(n, dtype=np.int64)
        for row in (
            InventoryPosition.objects.values("item_id")
            .annotate(h=Sum("on_hand"), a=Sum("allocated"), t=Sum("in_transit"))
            .order_by()
        ):
            i = row_of_item.get(row["item_id"])
            if i is not None:
                start[i] = netting.to_milli((row["h"] or ZERO) - (row["a"] or ZERO) + (row["t"] or ZERO))

        scheduled = np.zeros((n, periods), dtype=np.int64)
        production = np.zeros((n, periods), dtype=np.int64)
        for r in ScheduledReceipt.objects.filter(is_open=True).values("item_id", "due_date", "quantity", "kind"):
            i = row_of_item.get(r["item_id"])
            t = _bucket(r["due_date"], months) if periods else None
            if i is None or t is None:
                continue
            q = netting.to_milli(r["quantity"])
            scheduled[i, t] += q
            if r["kind"] == ReceiptKind.PRODUCTION:
                production[i, t] += q

        kept = np.zeros((n, periods), dtype=np.int64)
        kept_count = 0
        for o in PlannedOrder.objects.filter(plan=locked, status__in=FIRM_STATUSES).values(
            "item_id", "due_month", "quantity"
        ):
            i = row_of_item.get(o["item_id"])
            t = _bucket(o["due_month"], months) if periods else None
            kept_count += 1
            if i is None or t is None:
                continue
            kept[i, t] += netting.to_milli(o["quantity"])

        demand = np.zeros((n, periods), dtype=np.int64)
        for (product_id, month), total in plan_consensus(locked).items():
            i = row_of_product.get(product_id)
            t = index_of.get(month_start(month))
            if i is not None and t is not None:
                demand[i, t] += netting.to_milli(total)

        lead = np.array([netting.lead_months(item.lead_time_days) for item in items], dtype=np.int64)
        sigmas = _service_sigma(locked, [item.product_id for item in items if item.safety_stock_method == "service"])
        safety = np.array(
            [
                _safety_milli(item, demand[i], sigmas.get(item.product_id, 0.0), int(lead[i]))
                for i, item in enumerate(items)
            ],
            dtype=np.int64,
        )
        moq = np.array([netting.to_milli(item.moq) for item in items], dtype=np.int64)
        lot = np.array([netting.to_milli(item.lot_size) for item in items], dtype=np.int64)
        result = netting.net(
            start=start.reshape(n),
            safety=safety.reshape(n),
            moq=moq.reshape(n),
            lot=lot.reshape(n),
            lead=lead.reshape(n),
            demand=demand,
            receipts=scheduled + kept,
        )

        ProjectedInventory.objects.filter(plan=locked).delete()
        ProjectedInventory.objects.bulk_create(
            [
                ProjectedInventory(
                    plan=locked,
                    item_id=item.pk,
                    month=months[t],
                    demand=netting.from_milli(demand[i, t]),
                    receipts=netting.from_milli(scheduled[i, t]),
                    planned=netting.from_milli(result.planned[i, t] + kept[i, t]),
                    projected=netting.from_milli(result.projected[i, t]),
                    safety_stock=netting.from_milli(safety[i]),
                    shortage=netting.from_milli(result.shortage[i, t]),
                    uncovered=netting.from_milli(result.uncovered[i, t]),
                )
                for i, item in enumerate(items)
                for t in range(periods)
            ],
            batch_size=2000,
        )

        PlannedOrder.objects.filter(plan=locked, status=PlannedOrderStatus.PROPOSED).delete()
        new_orders = []
        for i, t in zip(*np.nonzero(result.planned), strict=True):
            item = items[int(i)]
            quantity = netting.from_milli(result.planned[i, t])
            late = bool(result.late[i, t])
            new_orders.append(
                PlannedOrder(
                    plan=locked,
                    item_id=item.pk,
                    kind=ReceiptKind.PRODUCTION if item.make_or_buy == MakeOrBuy.MAKE else ReceiptKind.PURCHASE,
                    release_date=months[int(result.release[i, t])],
                    due_month=months[int(t)],
                    proposed_quantity=quantity,
                    quantity=quantity,
                    production_line_id=item.production_line_id if item.make_or_buy == MakeOrBuy.MAKE else None,
                    note=_("Late: cannot arrive in time with the lead time.") if late else "",
                )
            )
        PlannedOrder.objects.bulk_create(new_orders, batch_size=2000)

        overloads = sum(1 for row in capacity_load(locked) if row["overloaded"])
        at_risk, resolved = _flag_risks(actor=actor, plan=locked, items=items, months=months, result=result)
        event = f"plan{locked.pk}"  # once per plan version and finding, however often it is recomputed
        findings = atp.check_commitments(first_month=months[0], actor_id=actor.pk, event=event) if periods else []
        late_orders = atp.check_orders(actor_id=actor.pk, event=event)

        before = audit.snapshot(locked, ["supply_planned_at"])
        locked.supply_planned_at = timezone.now()
        locked.save(update_fields=["supply_planned_at"])
        audit.record_update(actor=actor, obj=locked, before=before)
        summary = {
            "plan": locked.pk,
            "items": n,
            "periods": periods,
            "shortages": int((result.shortage > 0).sum()),
            "late": int(result.late.sum()),
            "planned_orders": len(new_orders),
            "kept_orders": kept_count,
            "overloads": overloads,
            "at_risk": at_risk,
            "resolved": resolved,
            "beyond_atp": len(findings),
            "orders_beyond_atp": len(late_orders),
        }
    if isinstance(plan, DemandPlan):
        plan.supply_planned_at = locked.supply_planned_at
    return summary


def _qty_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _flag_risks(
    *, actor: Any, plan: DemandPlan, items: list[SupplyItem], months: list[date], result: netting.NettingResult
) -> tuple[int, int]:
    """Create/update/resolve ``OpportunityRisk`` rows; (open risks of this plan, resolved now)."""
    from xietong.pipeline.choices import OpportunityStatus
    from xietong.pipeline.models import OpportunityLine

    now = timezone.now()
    short_rows = np.nonzero((result.uncovered > 0).any(axis=1))[0] if len(months) else np.array([], dtype=np.int64)
    by_product = {items[int(i)].product_id: int(i) for i in short_rows}
    findings: dict[tuple[int, int], dict[str, Any]] = {}
    if by_product:
        lines = (
            OpportunityLine.objects.filter(opportunity__status=OpportunityStatus.OPEN, product_id__in=by_product)
            .select_related("opportunity", "product")
            .order_by("opportunity_id", "pk")
        )
        for line in lines:
            i = by_product[line.product_id]
            opp = line.opportunity
            wanted = line.delivery_month or opp.expected_close or months[0]
            last = _bucket(wanted, months)
            last = len(months) - 1 if last is None else last
            short = np.nonzero(result.uncovered[i, : last + 1] > 0)[0]
            if short.size == 0:
                continue
            t = int(short[0])
            quantity = netting.from_milli(result.uncovered[i, : last + 1].max())
            key = (opp.pk, line.product_id)
            if key in findings:
                continue
            product = line.product
            findings[key] = {
                "opportunity": opp,
                "product": product,
                "month": months[t],
                "shortage": quantity,
                "planner_id": items[i].planner_id,
                "reason": (
                    _("Short of %(quantity)s %(unit)s of %(product)s in %(month)s: supply cannot arrive in time")
                    % {
                        "quantity": _qty_text(quantity),
                        "unit": getattr(product, "unit", "") or "",
                        "product": product.name,
                        "month": f"{months[t]:%Y-%m}",
                    }
                )[:300],
            }
    open_risks = {
        (r.opportunity_id, r.product_id): r
        for r in OpportunityRisk.objects.select_for_update().filter(resolved_at__isnull=True).order_by("pk")
    }
    resolved = [r.pk for key, r in open_risks.items() if key not in findings]
    if resolved:
        OpportunityRisk.objects.filter(pk__in=resolved).update(resolved_at=now)
    for key, f in findings.items():
        existing = open_risks.get(key)
        if existing is not None:
            existing.plan = plan
            existing.month = f["month"]
            existing.shortage = f["shortage"]
            existing.reason = f["reason"]
            existing.save(update_fields=["plan", "month", "shortage", "reason"])
            continue
        risk = OpportunityRisk.objects.create(
            opportunity=f["opportunity"],
            product=f["product"],
            plan=plan,
            month=f["month"],
            shortage=f["shortage"],
            reason=f["reason"],
        )
        atp._notify(
            event_key=f"supply:risk:{risk.pk}",
            kind=KIND_AT_RISK,
            recipient_ids=[r for r in (f["opportunity"].owner_id, f["planner_id"]) if r],
            actor_id=actor.pk,
            record=("pipeline.opportunity", f["opportunity"].pk),
            params={"opportunity": f["opportunity"].name, "reason": f["reason"]},
        )
    return len(findings), len(resolved)


# --- decisions --------------------------------------------------------------------------------------------


def _refuse_unless_decidable(plan: DemandPlan) -> None:
    if plan.stage not in DECIDE_STAGES:
        raise Conflict(
            _("Planned orders of a plan version in “%(stage)s” cannot be decided or exported.")
            % {"stage": plan.get_stage_display()}
        )


def planned_order_decide(
    *,
    actor: Any,
    order: PlannedOrder | int,
    decision: str,
    quantity: Decimal | None = None,
    release_date: date | None = None,
    note: str = "",
) -> PlannedOrder:
    """Accept (the proposed quantity), change (a new quantity > 0, optionally a new release date) or
    reject a planned order. An exported order: ``Conflict``; a superseded plan (or one in demand
    review): ``Conflict``."""
    require(actor, MODULE, "edit")
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(DECISIONS)}})
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": 300}})
    with transaction.atomic():
        pk = getattr(order, "pk", order)
        locked = PlannedOrder.objects.visible_to(actor, "edit").select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound()
        plan = DemandPlan.objects.get(pk=locked.plan_id)
        _refuse_unless_decidable(plan)
        if locked.status == PlannedOrderStatus.EXPORTED:
            raise Conflict(_("This planned order was exported to the ERP and cannot be decided again."))
        before = audit.snapshot(locked)
        if decision == "accept":
            locked.status = PlannedOrderStatus.ACCEPTED
            locked.quantity = locked.proposed_quantity
        elif decision == "change":
            if quantity is None:
                raise ValidationError({"quantity": _("Enter the new quantity.")})
            locked.quantity = positive_quantity(quantity, "quantity")
            if release_date is not None:
                locked.release_date = release_date
            locked.status = PlannedOrderStatus.CHANGED
        else:
            locked.status = PlannedOrderStatus.REJECTED
        locked.note = note or locked.note
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit.record_update(actor=actor, obj=locked, before=before)
    return locked


# --- export ----------------------------------------------------------------------------------------------


def _export_rows(plan: DemandPlan) -> list[PlannedOrder]:
    return list(
        PlannedOrder.objects.filter(plan=plan, status__in=FIRM_STATUSES)
        .select_related("item__product", "production_line")
        .order_by("release_date", "pk")
    )


def _columns() -> list[tuple[str, Any]]:
    return [
        (_("Reference"), lambda o: f"XT-PO-{o.plan_id}-{o.pk}"),
        (_("Product code"), lambda o: o.item.product.code),
        (_("Product"), lambda o: o.item.product.name),
        (_("Kind"), lambda o: o.kind),
        (_("Quantity"), lambda o: o.quantity),
        (_("Unit"), lambda o: getattr(o.item.product, "unit", "")),
        (_("Release by"), lambda o: o.release_date),
        (_("Needed in"), lambda o: o.due_month),
        (_("Production line"), lambda o: o.production_line.code if o.production_line else ""),
        (_("Note"), lambda o: o.note),
    ]


def _csv(rows: Iterable[PlannedOrder]) -> bytes:
    from xietong.core.exports import safe_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = _columns()
    writer.writerow([safe_text(str(h)) for h, _v in columns])
    for o in rows:
        out = []
        for _h, get in columns:
            value = get(o)
            if isinstance(value, Decimal):
                out.append(format(value.quantize(QTY), "f"))
            elif isinstance(value, date):
                out.append(value.isoformat())
            else:
                out.append(safe_text(str(value)))
        writer.writerow(out)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: Iterable[PlannedOrder]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from xietong.core.exports import DATE_FORMAT, safe_text

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Planned orders"))[:31])
    columns = _columns()
    sheet.append([safe_text(str(h)) for h, _v in columns])
    for o in rows:
        cells: list[Any] = []
        for _h, get in columns:
            value = get(o)
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value.quantize(QTY))
                cell.number_format = "0.000"
                cells.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(safe_text(str(value)))
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def planned_orders_export(*, actor: Any, plan: DemandPlan | int, fmt: str) -> tuple[str, bytes, str]:
    """The plan's accepted, changed and already exported planned orders for the ERP, as CSV (UTF-8
    with BOM) or XLSX; the accepted and changed ones become "exported". (filename, content, type)."""
    require(actor, MODULE, "export")
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(EXPORT_FORMATS)}})
    with transaction.atomic():
        locked = _lock_plan(actor, plan)
        _refuse_unless_decidable(locked)
        rows = _export_rows(locked)
        now = timezone.now()
        fresh = [o.pk for o in rows if o.status != PlannedOrderStatus.EXPORTED]
        if fresh:
            PlannedOrder.objects.filter(pk__in=fresh).update(status=PlannedOrderStatus.EXPORTED, exported_at=now)
            audit.record(
                actor=actor,
                obj=locked,
                kind="action",
                verb="",
                changes={"planned_orders_exported": [None, len(fresh)]},
            )
        content = _csv(rows) if fmt == "csv" else _xlsx(rows)
    filename = f"planned-orders-{locked.cycle:%Y-%m}-v{locked.version}.{fmt}"
    return filename, content, CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE


# --- capacity ---------------------------------------------------------------------------------------------


def capacity_load(plan: DemandPlan) -> list[dict[str, Any]]:
    """Per active production line and month of the plan: load (planned orders of the plan that are not
    rejected, production kind, by due month, plus open scheduled production receipts of the line's
    items by due month, overdue ones in the first month) against capacity (the month's
    ``LineCapacity`` or the line's usual capacity) → rows {line, month, load, capacity, overloaded}."""
    months = plan_months(plan)
    lines = list(ProductionLine.objects.filter(is_active=True).order_by("code", "pk"))
    if not months or not lines:
        return []
    row_of_line = {line.pk: i for i, line in enumerate(lines)}
    capacity = np.array([[netting.to_milli(line.capacity_per_month)] * len(months) for line in lines], dtype=np.int64)
    index_of = _month_index(months)
    for c in LineCapacity.objects.filter(line_id__in=row_of_line, month__in=months).values(
        "line_id", "month", "capacity"
    ):
        capacity[row_of_line[c["line_id"]], index_of[c["month"]]] = netting.to_milli(c["capacity"])
    load = np.zeros((len(lines), len(months)), dtype=np.int64)
    planned = (
        PlannedOrder.objects.filter(plan=plan, kind=ReceiptKind.PRODUCTION, production_line_id__in=row_of_line)
        .exclude(status=PlannedOrderStatus.REJECTED)
        .values("production_line_id", "due_month")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for r in planned:
        t = _bucket(r["due_month"], months)
        if t is not None:
            load[row_of_line[r["production_line_id"]], t] += netting.to_milli(r["total"])
    receipts = ScheduledReceipt.objects.filter(
        is_open=True, kind=ReceiptKind.PRODUCTION, item__production_line_id__in=row_of_line
    ).values("item__production_line_id", "due_date", "quantity")
    for r in receipts:
        t = _bucket(r["due_date"], months)
        if t is not None:
            load[row_of_line[r["item__production_line_id"]], t] += netting.to_milli(r["quantity"])
    check = netting.capacity_check(line_index=np.arange(len(lines)), production=load, capacity=capacity)
    return [
        {
            "line": line,
            "line_id": line.pk,
            "month": months[t],
            "load": netting.from_milli(check.load[li, t]),
            "capacity": netting.from_milli(capacity[li, t]),
            "overloaded": bool(check.overloaded[li, t]),
        }
        for li, line in enumerate(lines)
        for t in range(len(months))
    ]
