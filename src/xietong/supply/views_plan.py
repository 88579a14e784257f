"""Pages of the monthly S&OP cycle under ``/sop/``: plan versions, a version's demand review (the
grid product × BU × month of the user's BUs, inline overrides, the stage bar, comments, meetings,
linked contingency plans), the comparison with another version and with actuals, forecast runs and
their accuracy (each run's series: filters, sort, pages, export), contingency plans. Thin: a form → a
service → back to the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.errors import Conflict, NotFound
from xietong.core.exports import Column, csv_response, xlsx_response
from xietong.core.forms import add_service_error, posted, service_errors
from xietong.core.htmx import back_to_page, done, page_view, render_form, render_page
from xietong.core.pagination import ordering, paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from . import plan_selectors as selectors
from . import plan_services as services
from .choices import PlanStage
from .models import ForecastRun
from .plan_forms import (
    ContingencyForm,
    ForecastRunForm,
    GridFilterForm,
    MeetingForm,
    OverrideForm,
    PlanCreateForm,
    SeriesFilterForm,
)

MODULE = "demand"
GRID_ID = "plan-grid"
STAGES = (PlanStage.DEMAND_REVIEW, PlanStage.SUPPLY_REVIEW, PlanStage.EXECUTIVE_REVIEW, PlanStage.APPROVED)
SERIES_ID = "forecast-series-results"


def _figure(value: float | None) -> float | None:
    """An accuracy figure as the pages show it (three decimals)."""
    return None if value is None else round(value, 3)


SERIES_COLUMNS = [
    Column(gettext_lazy("Product code"), lambda s: s.product.code, width=16),
    Column(gettext_lazy("Product"), lambda s: s.product.name, width=30),
    Column(gettext_lazy("Business unit"), lambda s: s.business_unit.name, width=16),
    Column(gettext_lazy("Model"), lambda s: s.model, width=16),
    Column(gettext_lazy("Intermittent"), lambda s: s.intermittent, width=10),
    Column("WAPE", lambda s: _figure(s.wape), width=10),
    Column("MASE", lambda s: _figure(s.mase), width=10),
    Column(gettext_lazy("Bias"), lambda s: _figure(s.bias), width=10),
    Column(gettext_lazy("Forecast error (standard deviation)"), lambda s: _figure(s.residual_sd), width=14),
]


def _detail_url(pk: int) -> str:
    return reverse("supply:plan_detail", args=[pk])


# --- versions ------------------------------------------------------------------------------------------


@page_view
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    ctx = paginate(request, selectors.plan_list(user=user), per_page=50)
    return render_page(request, "supply/plan_list.html", ctx)


@page_view
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "create")
    form = PlanCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        plan = None
        with service_errors(form):
            data = form.cleaned_data
            plan = services.plan_create(actor=user, cycle=data["cycle"], horizon=data["horizon"], title=data["title"])
        if plan is not None:
            messages.success(request, _("Version %(version)s is made.") % {"version": plan.version})
            return done(request, _detail_url(plan.pk))
    return render_form(
        request,
        form,
        title=_("New plan version"),
        cancel_url=reverse("supply:plan_list"),
        submit_label=_("Make the version"),
        intro=_("Lines come from the newest statistical forecast, the open orders and the weighted pipeline."),
    )


def _grid_context(request: HttpRequest, plan: Any) -> dict[str, Any]:
    user: Any = request.user
    form = GridFilterForm(
        request.GET or None,
        business_units=selectors.business_units(user=user, plan=plan),
        product_lines=selectors.product_lines(user=user, plan=plan),
    )
    filters = form.filters() if request.GET else {}
    months = services.plan_months(plan)
    lines = selectors.line_list(user=user, plan=plan, **{k: v for k, v in filters.items() if v not in (None, "")})
    may_override = user.access.can(MODULE, "edit") and not plan.is_frozen
    return {
        "form": form,
        "months": months,
        "rows": selectors.plan_grid(lines=lines, months=months),
        "may_override": may_override,
        "grid_id": GRID_ID,
    }


@page_view
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    ctx = {
        "plan": plan,
        "stages": [(s.value, s.label) for s in STAGES],
        "stage_index": [s.value for s in STAGES].index(plan.stage) if plan.stage in STAGES else None,
        "may_advance": user.access.can(MODULE, "create")
        and plan.stage in (PlanStage.DEMAND_REVIEW, PlanStage.SUPPLY_REVIEW),
        "totals": selectors.plan_totals(user=user, plan=plan),
        "meetings": selectors.meeting_list(plan=plan),
        "meeting_form": MeetingForm() if services.may_record_meeting(user) else None,
        "contingencies": selectors.contingency_list(user=user, plan=plan)
        if selectors.may_see_contingencies(user)
        else [],
        **_grid_context(request, plan),
    }
    return render_page(request, "supply/plan_detail.html", ctx, fragments={GRID_ID: "grid"})


@page_view
@require_http_methods(["GET", "POST"])
def line_override(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """The inline override form of one cell (htmx: the form in place of the cell; after a save, the
    cell again). A frozen plan answers 409 (htmx: the form with the reason)."""
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    line = selectors.line_get(user=user, plan=plan, pk=line_pk, action="edit")
    htmx = bool(getattr(request, "htmx", False))
    if request.method == "GET" and request.GET.get("cancel"):
        return render_page(request, "supply/plan_cell.html", {"plan": plan, "line": line, "may_override": True})
    form = OverrideForm(posted(request), initial={"quantity": line.override})
    status = 200
    if request.method == "POST" and form.is_valid():
        changed = None
        try:
            changed = services.line_override(
                actor=user, line=line, quantity=form.cleaned_data["quantity"], reason=form.cleaned_data["reason"]
            )
        except (ValidationError, Conflict) as exc:
            add_service_error(form, exc)
            status = 409 if isinstance(exc, Conflict) and not htmx else 200
        if changed is not None:
            if htmx:
                line = selectors.line_get(user=user, plan=plan, pk=line_pk)
                ctx = {
                    "plan": plan,
                    "line": line,
                    "may_override": True,
                    "row_total": selectors.row_total(user=user, line=line),
                    "totals": selectors.plan_totals(user=user, plan=plan),
                }
                return render_page(request, "supply/plan_cell_saved.html", ctx)
            messages.success(request, _("The override is saved."))
            return done(request, _detail_url(plan.pk))
    ctx = {"plan": plan, "line": line, "form": form, "overrides": selectors.override_list(user=user, line=line)[:5]}
    return render_page(request, "supply/plan_override.html", ctx, status=status)


@page_view
@require_POST
def plan_advance(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    try:
        moved = services.plan_advance(actor=user, plan=plan)
    except Conflict as exc:
        messages.error(request, str(exc))
        return done(request, _detail_url(pk))
    messages.success(request, _("The plan is now in %(stage)s.") % {"stage": moved.get_stage_display()})
    return done(request, _detail_url(pk))


@page_view
@require_POST
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    form = MeetingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            services.meeting_record(
                actor=user,
                plan=plan,
                stage=data["stage"],
                held_on=data["held_on"],
                attendees=data["attendees"],
                minutes=data["minutes"],
                decisions=data["decisions"],
            )
    if form.is_valid():
        messages.success(request, _("The meeting is recorded."))
    return back_to_page(request, _detail_url(pk), form=form)


@page_view
@require_GET
def plan_compare(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    wanted = request.GET.get("with", "")
    other_id = as_int(wanted, None if not wanted else -1)
    if other_id is None:
        other_id = plan.previous_id
    other = selectors.plan_get(user=user, pk=other_id) if other_id is not None else None
    rows = services.plan_compare(plan, other, user=user) if other is not None else []
    actuals = services.plan_vs_actuals(plan, user=user)
    from xietong.catalog.models import Product

    ids = {r["product_id"] for r in rows} | {r["product_id"] for r in actuals}
    names = {p.pk: str(p) for p in Product.objects.filter(pk__in=ids)}
    for r in [*rows, *actuals]:
        r["product"] = names.get(r["product_id"], "")
    ctx = {
        "plan": plan,
        "other": other,
        "rows": rows,
        "actuals": actuals,
        "versions": selectors.plan_list(user=user).exclude(pk=plan.pk)[:24],
    }
    return render_page(request, "supply/plan_compare.html", ctx)


# --- forecasts ------------------------------------------------------------------------------------------


@page_view
@require_GET
def forecast_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    runs = list(selectors.forecast_runs(user=user)[:50])
    latest = next((r for r in runs if r.status == "done"), None)
    by_bu = selectors.bias_by_business_unit(user=user, run=latest)
    by_rep = selectors.bias_by_rep(user=user)
    ctx = {
        "runs": runs,
        "latest": latest,
        "chart": selectors.accuracy_over_time(user=user),
        "by_bu": by_bu,
        "by_rep": by_rep,
        # the two bias bar charts (the tables beside them say the same for screen readers)
        "bias_chart": {
            "labels": {"wape": "WAPE", "bias": _("Bias")},
            "bu": [{"name": str(r["business_unit"]), "bias": round(r["bias"], 4)} for r in by_bu],
            "rep": [{"name": str(r["user"]), "bias": round(r["bias"], 4)} for r in by_rep if r["bias"] is not None],
        },
        "run_form": ForecastRunForm() if user.access.can(MODULE, "create") else None,
    }
    return render_page(request, "supply/plan_forecasts.html", ctx)


@page_view
@require_POST
def forecast_run(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, MODULE, "create")
    form = ForecastRunForm(request.POST)
    if form.is_valid():
        from . import forecast_services

        try:
            run: ForecastRun = forecast_services.forecast_run(
                actor=user, first_month=form.cleaned_data["first_month"], horizon=form.cleaned_data["horizon"]
            )
        except ValidationError as exc:  # the failed run is recorded (status failed, its error) and listed
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("The forecast ran: %(count)s series.") % {"count": run.series_count})
    return back_to_page(request, reverse("supply:forecast_list"), form=form)


def _series_filter_form(request: HttpRequest, run: ForecastRun) -> SeriesFilterForm:
    user: Any = request.user
    return SeriesFilterForm(
        request.GET,
        business_units=selectors.series_business_units(user=user, run=run),
        models=selectors.series_models(user=user, run=run),
    )


@page_view
@require_GET
def forecast_series(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's series (product × BU) of the user's demand BUs: model, intermittent, WAPE, MASE, bias;
    worst WAPE first; filters BU, model, product; htmx refreshes only the results."""
    user: Any = request.user
    run = selectors.forecast_run_get(user=user, pk=pk)
    form = _series_filter_form(request, run)
    sort = ordering(request, selectors.SERIES_SORTS, selectors.SERIES_DEFAULT_SORT)
    rows = selectors.series_list(user=user, run=run, sort=sort, **form.filters())
    return render_page(
        request,
        "supply/plan_forecast_series.html",
        {
            "run": run,
            "form": form,
            "filtered": form.is_filtered(),
            "results_id": SERIES_ID,
            **paginate(request, rows),
        },
        fragments={SERIES_ID: "results"},
    )


@page_view
@require_GET
def forecast_series_export(request: HttpRequest, pk: int) -> FileResponse:
    """The run's series with the page's filters and sort as Excel (or ``?format=csv``): every series
    of the user's demand BUs (demand export)."""
    user: Any = request.user
    run = selectors.forecast_run_get(user=user, pk=pk)
    require(user, MODULE, "export")
    filters = _series_filter_form(request, run).filters()
    sort = ordering(request, selectors.SERIES_SORTS, selectors.SERIES_DEFAULT_SORT)
    rows = selectors.series_list(user=user, run=run, sort=sort, action="export", **filters)
    name = f"{_('Forecast series')}-{run.pk}-{run.first_month:%Y%m}"
    logged = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    logged["sort"] = sort[0]
    if request.GET.get("format") == "csv":
        return csv_response(filename=name, columns=SERIES_COLUMNS, rows=rows, actor=user, filters=logged)
    return xlsx_response(
        filename=name, sheet_title=_("Forecast series"), columns=SERIES_COLUMNS, rows=rows, actor=user, filters=logged
    )


# --- contingency plans -------------------------------------------------------------------------------------


@page_view
@require_GET
def contingency_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not selectors.may_see_contingencies(user):
        raise NotFound()
    ctx = {"rows": selectors.contingency_list(user=user), "may_manage": services.may_manage_contingencies(user)}
    return render_page(request, "supply/plan_contingency_list.html", ctx)


def _contingency_values(form: ContingencyForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        k: data[k] for k in ("name", "trigger", "threshold_percent", "product_line", "actions", "owner", "is_active")
    }


@page_view
@require_http_methods(["GET", "POST"])
def contingency_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.may_manage_contingencies(user):
        raise NotFound()
    form = ContingencyForm(posted(request), initial={"owner": user.pk, "is_active": True})
    if request.method == "POST" and form.is_valid():
        made = None
        with service_errors(form):
            made = services.contingency_create(actor=user, **_contingency_values(form))
        if made is not None:
            return done(request, reverse("supply:contingency_list"))
    return render_form(request, form, title=_("New contingency plan"), cancel_url=reverse("supply:contingency_list"))


@page_view
@require_http_methods(["GET", "POST"])
def contingency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    found = selectors.contingency_get(user=user, pk=pk)
    if not services.may_manage_contingencies(user):
        raise NotFound()
    initial = {
        "name": found.name,
        "trigger": found.trigger,
        "threshold_percent": found.threshold_percent,
        "product_line": found.product_line,
        "actions": found.actions,
        "owner": found.owner_id,
        "is_active": found.is_active,
    }
    form = ContingencyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = None
        with service_errors(form):
            changed = services.contingency_update(actor=user, contingency=found, **_contingency_values(form))
        if changed is not None:
            return done(request, reverse("supply:contingency_list"))
    return render_form(
        request,
        form,
        title=found.name,
        cancel_url=reverse("supply:contingency_list"),
        context={"contingency": found, "header_actions": "supply/partials/contingency_delete.html"},
    )


@page_view
@require_POST
def contingency_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a contingency plan (the edit page's button, with a confirmation); like its edit page, a
    user who may not keep contingency plans gets 404."""
    user: Any = request.user
    found = selectors.contingency_get(user=user, pk=pk)
    if not services.may_manage_contingencies(user):
        raise NotFound()
    services.contingency_delete(actor=user, contingency=found)
    messages.success(request, _("Contingency plan “%(name)s” deleted.") % {"name": found.name})
    return done(request, reverse("supply:contingency_list"))


urlpatterns = [
    path("sop/plans/", plan_list, name="plan_list"),
    path("sop/plans/new/", plan_create, name="plan_create"),
    path("sop/plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("sop/plans/<int:pk>/lines/<int:line_pk>/override/", line_override, name="plan_line_override"),
    path("sop/plans/<int:pk>/advance/", plan_advance, name="plan_advance"),
    path("sop/plans/<int:pk>/meetings/", meeting_create, name="plan_meeting"),
    path("sop/plans/<int:pk>/compare/", plan_compare, name="plan_compare"),
    path("sop/forecasts/", forecast_list, name="forecast_list"),
    path("sop/forecasts/run/", forecast_run, name="forecast_run"),
    path("sop/forecasts/runs/<int:pk>/", forecast_series, name="forecast_series"),
    path("sop/forecasts/runs/<int:pk>/export/", forecast_series_export, name="forecast_series_export"),
    path("sop/contingency/", contingency_list, name="contingency_list"),
    path("sop/contingency/new/", contingency_create, name="contingency_create"),
    path("sop/contingency/<int:pk>/edit/", contingency_edit, name="contingency_edit"),
    path("sop/contingency/<int:pk>/delete/", contingency_delete, name="contingency_delete"),
]
