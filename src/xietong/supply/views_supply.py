"""Pages of the supply plan: the supply review of a plan version (projection grid, shortages,
capacity), its planned orders (accept / change / reject per row via htmx, bulk accept, export for the
ERP), the available-to-promise lookup and the charts (demand vs supply vs inventory). Thin: a form →
a selector or a service (``supply_services``) → the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.errors import Conflict, NotFound
from xietong.core.forms import add_service_error
from xietong.core.htmx import done, page_view, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from . import supply_selectors as selectors
from . import supply_services
from .choices import PlannedOrderStatus
from .models import DemandPlan, PlannedOrder
from .supply_forms import AtpForm, ChartForm, PlannedOrderChangeForm, PlannedOrderFilterForm, ProjectionFilterForm

MODULE = "supply"
GRID_ID = "supply-grid"
ORDERS_ID = "planned-order-results"
GRID_ITEMS_PER_PAGE = 25
ROW = "supply/supply_planned_orders.html#row"
EDIT_ROW = "supply/supply_planned_orders.html#edit_row"
DECIDABLE = (PlannedOrderStatus.PROPOSED, PlannedOrderStatus.ACCEPTED, PlannedOrderStatus.CHANGED,
             PlannedOrderStatus.REJECTED)  # fmt: skip


def _plans_url() -> str:
    """The plan list (the cycle's pages)."""
    try:
        return reverse("supply:plan_list")
    except NoReverseMatch:  # the plan pages are another area's; the path is fixed
        return "/sop/plans/"


def _review_url(plan: DemandPlan | int) -> str:
    return reverse("supply:supply_review", args=[getattr(plan, "pk", plan)])


def _orders_url(plan: DemandPlan | int) -> str:
    return reverse("supply:planned_orders", args=[getattr(plan, "pk", plan)])


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return as_int(value, None)


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


# --- the supply review ----------------------------------------------------------------------------------


@page_view
@require_GET
def supply_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Summary, the compute button, the projection grid (shortages highlighted), capacity."""
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    lines = selectors.production_lines(user=user)
    form = ProjectionFilterForm(request.GET, lines=lines)
    filters = form.filters()
    page = paginate(request, selectors.projection_items(user=user, plan=plan, **filters), per_page=GRID_ITEMS_PER_PAGE)
    grid = selectors.projection_grid(user=user, plan=plan, items=page["page_obj"].object_list)
    capacity = selectors.capacity_rows(user=user, plan=plan)
    return render_page(
        request,
        "supply/supply_review.html",
        {
            "plan": plan,
            "form": form,
            "filtered": any(filters.values()),
            "grid": grid,
            "months": selectors.plan_months(user=user, plan=plan),
            "capacity": capacity,
            "summary": selectors.supply_summary(user=user, plan=plan, capacity=capacity),
            "may_compute": user.access.can(MODULE, "edit") and plan.stage in supply_services.COMPUTE_STAGES,
            "planner": user.access.can(MODULE, "edit"),
            "plans_url": _plans_url(),
            "results_id": GRID_ID,
            **page,
        },
        fragments={GRID_ID: "results"},
    )


@page_view
@require_POST
def supply_compute(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "edit")
    plan = selectors.plan_get(user=user, pk=pk)
    try:
        summary = supply_services.supply_plan_compute(actor=user, plan=plan)
    except (ValidationError, Conflict) as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The supply plan is computed: %(orders)s planned orders, %(shortages)s shortages.")
            % {"orders": summary.get("planned_orders", 0), "shortages": summary.get("shortages", 0)},
        )
    return done(request, _review_url(plan))


# --- planned orders -------------------------------------------------------------------------------------


def _may_decide(user: Any, plan: DemandPlan) -> bool:
    """Decision buttons: supply edit, and a plan version whose planned orders may still be decided."""
    return bool(user.access.can(MODULE, "edit")) and plan.stage in supply_services.DECIDE_STAGES


def _row_context(request: HttpRequest, order: PlannedOrder, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    return {
        "o": order,
        "may_decide": _may_decide(user, order.plan),
        "decidable": DECIDABLE,
        **extra,
    }


@page_view
@require_GET
def planned_order_list(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    form = PlannedOrderFilterForm(request.GET, lines=selectors.production_lines(user=user))
    page = paginate(request, selectors.planned_orders(user=user, plan=plan, **form.filters()))
    return render_page(
        request,
        "supply/supply_planned_orders.html",
        {
            "plan": plan,
            "form": form,
            "may_decide": _may_decide(user, plan),
            "may_export": user.access.can(MODULE, "export"),
            "decidable": DECIDABLE,
            "results_id": ORDERS_ID,
            **page,
        },
        fragments={ORDERS_ID: "results"},
    )


@page_view
@require_GET
def planned_order_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the list (htmx): as shown, or (``?edit=1``, supply edit) the change form."""
    user: Any = request.user
    editing = request.GET.get("edit") == "1"
    if editing:
        require(user, MODULE, "edit")
    order = selectors.planned_order_get(user=user, pk=pk, action="edit" if editing else "view")
    if editing:
        form = PlannedOrderChangeForm(
            initial={"quantity": order.quantity, "release_date": order.release_date, "note": order.note}
        )
        return render_page(request, EDIT_ROW, _row_context(request, order, form=form))
    return render_page(request, ROW, _row_context(request, order))


@page_view
@require_POST
def planned_order_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """``decision`` accept / reject, or change (quantity, release date, note). htmx gets the row back
    (the change form with its errors when refused); a plain post goes back to the list."""
    user: Any = request.user
    require(user, MODULE, "edit")
    order = selectors.planned_order_get(user=user, pk=pk, action="edit")
    decision = request.POST.get("decision", "")
    form = PlannedOrderChangeForm(request.POST) if decision == "change" else None
    error: list[str] = []
    if decision not in ("accept", "change", "reject"):
        error = [_("Choose accept, change or reject.")]
    elif form is not None and not form.is_valid():
        pass
    else:
        data: dict[str, Any] = dict(form.cleaned_data) if form is not None else {}
        try:
            order = supply_services.planned_order_decide(
                actor=user,
                order=order,
                decision=decision,
                quantity=data.get("quantity"),
                release_date=data.get("release_date"),
                note=data.get("note") or request.POST.get("note", ""),
            )
        except (ValidationError, Conflict) as exc:
            if form is not None:
                add_service_error(form, exc)
            else:
                error = _errors(exc)
    failed = bool(error) or (form is not None and bool(form.errors))
    if not getattr(request, "htmx", False):
        for message in error or ([str(e) for errs in form.errors.values() for e in errs] if form is not None else []):
            messages.error(request, message)
        if not failed:
            messages.success(request, _("The planned order is decided."))
        return done(request, _orders_url(order.plan_id))
    order = selectors.planned_order_get(user=user, pk=pk)
    if form is not None and form.errors:
        return render_page(request, EDIT_ROW, _row_context(request, order, form=form))
    return render_page(request, ROW, _row_context(request, order, errors=error))


@page_view
@require_POST
def planned_order_bulk_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the selected proposed orders of the plan (``ids``); the others are left as they are."""
    user: Any = request.user
    require(user, MODULE, "edit")
    plan = selectors.plan_get(user=user, pk=pk)
    ids = [i for i in (as_int(v, None) for v in request.POST.getlist("ids")) if i is not None]
    chosen = list(
        selectors.planned_orders(user=user, plan=plan, action="edit").filter(
            pk__in=ids, status=PlannedOrderStatus.PROPOSED
        )
    )
    accepted, refused = 0, []
    for order in chosen:  # each on its own: one refused (say, exported meanwhile) leaves the others accepted
        try:
            supply_services.planned_order_decide(actor=user, order=order, decision="accept")
        except (ValidationError, Conflict) as exc:
            refused.extend(_errors(exc))
        else:
            accepted += 1
    if accepted:
        messages.success(request, _("%(count)s planned orders accepted.") % {"count": accepted})
    elif not refused:
        messages.info(request, _("Select proposed planned orders to accept."))
    for message in refused:
        messages.error(request, message)
    return done(request, _orders_url(plan))


@page_view
@require_POST
def planned_order_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The plan's accepted planned orders as CSV or XLSX for the ERP (``fmt``); marks them exported."""
    user: Any = request.user
    require(user, MODULE, "export")
    plan = selectors.plan_get(user=user, pk=pk)
    fmt = request.POST.get("fmt") or request.GET.get("fmt") or "csv"
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    try:
        filename, content, content_type = supply_services.planned_orders_export(actor=user, plan=plan, fmt=fmt)
    except (ValidationError, Conflict) as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return done(request, _orders_url(plan))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- available-to-promise -------------------------------------------------------------------------------


@page_view
@require_GET
def atp_page(request: HttpRequest) -> HttpResponse:
    """Product search + date → available-to-promise of the matches; the detail of one product
    (``?product=``, or the only match)."""
    user: Any = request.user
    require(user, MODULE, "view")
    form = AtpForm(request.GET)
    on = form.day()
    q = form.value("q") or ""
    items = selectors.atp_products(user=user, q=q)
    chosen_id = form.value("product")
    if chosen_id is None and len(items) == 1:
        chosen_id = items[0].product_id
    chosen = None
    if chosen_id is not None:
        chosen = next((i for i in items if i.product_id == chosen_id), None)
        if chosen is None:
            chosen = selectors.atp_products_by_id(user=user, product_id=chosen_id)
    ids = [i.product_id for i in items] + ([chosen.product_id] if chosen else [])
    atp = selectors.atp_lookup(ids, on)
    rows = [{"item": i, "atp": atp.get(i.product_id)} for i in items]
    detail = selectors.atp_detail(chosen.product_id, on) if chosen else None
    return render_page(
        request,
        "supply/supply_atp.html",
        {
            "form": form,
            "on": on,
            "q": q,
            "rows": rows,
            "chosen": chosen,
            "chosen_atp": atp.get(chosen.product_id) if chosen else None,
            "detail": detail,
            "receipts": selectors.atp_receipts(user=user, product_id=chosen.product_id, on=on) if chosen else [],
        },
    )


# --- charts -----------------------------------------------------------------------------------------------


@page_view
@require_GET
def charts_page(request: HttpRequest) -> HttpResponse:
    """Demand vs supply vs projected inventory of one product and of one production line, for a plan
    version (default: the newest with a supply plan)."""
    user: Any = request.user
    require(user, MODULE, "view")
    plans = selectors.plan_choices(user=user)
    raw_plan = request.GET.get("plan", "")
    plan = selectors.plan_get(user=user, pk=raw_plan) if raw_plan else selectors.latest_supply_plan(user=user)
    if plan is not None and plan not in plans:
        plans.insert(0, plan)
    item_id, line_id = _int_param(request, "item"), _int_param(request, "line")
    q = request.GET.get("q", "").strip()[:100]
    items = selectors.chart_items(user=user, plan=plan, q=q, chosen=None if q else item_id)
    lines = selectors.production_lines(user=user)
    data = dict(request.GET.items())
    if plan is not None:
        data["plan"] = str(plan.pk)
    form = ChartForm(data, plans=plans, items=items, lines=lines)
    item = next((i for i in items if i.pk == item_id), None) or (items[0] if items else None)
    line = next((li for li in lines if li.pk == line_id), None)
    if line is None and item is not None and item.production_line_id:
        line = next((li for li in lines if li.pk == item.production_line_id), None)
    if item is not None:
        form.data = {**form.data, "item": str(item.pk)}
    if line is not None:
        form.data = {**form.data, "line": str(line.pk)}
    product_series = selectors.chart_series(user=user, plan=plan, item=item.pk) if plan and item else None
    line_series = selectors.chart_series(user=user, plan=plan, line=line.pk) if plan and line else None
    return render_page(
        request,
        "supply/supply_charts.html",
        {
            "form": form,
            "plan": plan,
            "item": item,
            "line": line,
            "product_series": product_series,
            "line_series": line_series,
            "labels": {
                "demand": _("Demand"),
                "supply": _("Supply (receipts + planned)"),
                "projected": _("Projected inventory"),
                "safety": _("Safety stock"),
            },
            "plans_url": _plans_url(),
        },
    )


urlpatterns: list[Any] = [
    path("sop/plans/<int:pk>/supply/", supply_review, name="supply_review"),
    path("sop/plans/<int:pk>/supply/compute/", supply_compute, name="supply_compute"),
    path("sop/plans/<int:pk>/planned-orders/", planned_order_list, name="planned_orders"),
    path("sop/plans/<int:pk>/planned-orders/accept/", planned_order_bulk_accept, name="planned_orders_accept"),
    path("sop/plans/<int:pk>/planned-orders/export/", planned_order_export, name="planned_orders_export"),
    path("sop/planned-orders/<int:pk>/", planned_order_row, name="planned_order_row"),
    path("sop/planned-orders/<int:pk>/decide/", planned_order_decide, name="planned_order_decide"),
    path("sop/atp/", atp_page, name="atp"),
    path("sop/charts/", charts_page, name="charts"),
]
