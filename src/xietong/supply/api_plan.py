"""REST endpoints of the monthly S&OP cycle:

- ``/api/v1/demand-plans`` (list, ``?cycle=YYYY-MM-01``; create a version), a plan by id, its
  ``/lines`` (paginated; ``?product=``, ``?business_unit=``, ``?month=``; only the BUs of the caller's
  demand scope), a line's ``/override`` ({quantity, reason}; quantity null clears it), ``/advance``
  (demand review → supply review → the approval engine), ``/approve`` and ``/compare?with=``;
- ``/api/v1/forecasts/runs`` (the statistical runs; ``GET /api/v1/forecasts`` is the pipeline's sales
  forecast), a run's ``/series`` (per product × BU: the model chosen, intermittent, WAPE, MASE, bias;
  ``?business_unit_id=``, ``?model=``, ``?q=``; only the BUs of the caller's demand scope) and
  ``POST /api/v1/forecasts/run``.

``approve`` is the executive step: it submits a plan in supply review to the approval engine (the
decision itself is taken by the approvers through ``/api/v1/approvals``); any other stage answers 409.
A frozen plan (executive review, approved, superseded) answers 409 on every change. A line outside
the caller's demand scope is a 404, like a missing one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref
from xietong.org.policies import require

from . import plan_selectors as selectors
from . import plan_services as services
from .models import ForecastRun

router = Router(tags=["demand"])

MODULE = "demand"


class PlanOut(Schema):
    id: int
    cycle: date
    version: int
    title: str
    stage: str
    is_frozen: bool
    first_month: date
    horizon: int
    forecast_run_id: int | None
    previous_id: int | None
    note: str
    created_by: Ref | None
    created_at: datetime
    approved_at: datetime | None

    @staticmethod
    def resolve_created_by(obj: Any) -> Any:
        return ref(obj.created_by)


class DemandPlanLineOut(Schema):
    id: int
    product: Ref
    business_unit: Ref
    month: date
    baseline: Decimal
    baseline_low: Decimal
    baseline_high: Decimal
    open_orders: Decimal
    pipeline: Decimal
    proposal: Decimal
    override: Decimal | None
    consensus: Decimal

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        return ref(obj.product)

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        return ref(obj.business_unit)


class PlanIn(Schema):
    cycle: date = Field(description="Any day of the cycle month.")
    horizon: int = 18
    forecast_run_id: int | None = Field(None, description="Default: the newest finished forecast run.")
    title: str = ""


class OverrideIn(Schema):
    quantity: Decimal | None = Field(description="null clears the override.")
    reason: str


class CompareRow(Schema):
    product_id: int
    month: date
    a: Decimal
    b: Decimal
    delta: Decimal


class ActualRow(Schema):
    product_id: int
    month: date
    consensus: Decimal
    actual: Decimal
    delta: Decimal


class CompareOut(Schema):
    plan_id: int
    with_id: int | None
    versions: list[CompareRow]
    actuals: list[ActualRow]


class RunIn(Schema):
    first_month: date
    horizon: int = 18


class RunOut(Schema):
    id: int
    status: str
    first_month: date
    horizon: int
    season_length: int
    series_count: int
    wape: float | None
    mase: float | None
    bias: float | None
    naive_mase: float | None
    models_chosen: dict[str, Any]
    seconds: float | None
    error: str
    created_at: datetime
    finished_at: datetime | None


class SeriesOut(Schema):
    id: int
    run_id: int
    product: Ref
    product_code: str
    business_unit: Ref
    model: str
    intermittent: bool
    wape: float | None
    mase: float | None
    bias: float | None
    residual_sd: float | None = Field(description="The forecast error (standard deviation of the backtest errors).")

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        return {"id": obj.product_id, "name": obj.product.name}

    @staticmethod
    def resolve_product_code(obj: Any) -> Any:
        return obj.product.code

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        return ref(obj.business_unit)


# --- plans --------------------------------------------------------------------------------------------------


@router.get("/demand-plans", response={200: list[PlanOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_plans(request: HttpRequest, cycle: str = "") -> Any:
    """``cycle``: YYYY-MM-DD (any day of the month)."""
    return selectors.plan_list(user=request.user, cycle=_date(cycle, "cycle"))


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: _("Enter a date (YYYY-MM-DD).")}) from None


@router.post("/demand-plans", response={201: PlanOut, **ERROR_RESPONSES})
def create_plan(request: HttpRequest, payload: PlanIn) -> Any:
    """A new version of the cycle (demand "create"): lines from the forecast run and the signals."""
    user: Any = request.user
    run = None
    if payload.forecast_run_id is not None:
        require(user, MODULE, "create")
        run = ForecastRun.objects.visible_to(user).filter(pk=payload.forecast_run_id).first()
        if run is None:
            raise ValidationError({"forecast_run_id": _("Choose a forecast run.")})
    try:
        plan = services.plan_create(
            actor=user, cycle=payload.cycle, horizon=payload.horizon, forecast_run=run, title=payload.title
        )
    except ValidationError as exc:
        raise _api_fields(exc) from None
    return Status(201, selectors.plan_get(user=user, pk=plan.pk))


def _api_fields(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {("forecast_run_id" if name == "forecast_run" else name): errors for name, errors in exc.message_dict.items()}
    )


@router.get("/demand-plans/{plan_id}", response={200: PlanOut, **ERROR_RESPONSES})
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    return selectors.plan_get(user=request.user, pk=plan_id)


@router.get("/demand-plans/{plan_id}/lines", response={200: list[DemandPlanLineOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_lines(
    request: HttpRequest,
    plan_id: int,
    product: int | None = None,
    business_unit: int | None = None,
    month: str = "",
) -> Any:
    """``month``: YYYY-MM-DD (any day of the month)."""
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    return selectors.line_list(
        user=request.user, plan=plan, product=product, business_unit=business_unit, month=_date(month, "month")
    )


@router.post("/demand-plans/{plan_id}/lines/{line_id}/override", response={200: DemandPlanLineOut, **ERROR_RESPONSES})
def override_line(request: HttpRequest, plan_id: int, line_id: int, payload: OverrideIn) -> Any:
    """The sales override of a line of the caller's BU (demand "edit"); 409 when the plan is frozen."""
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    line = selectors.line_get(user=request.user, plan=plan, pk=line_id, action="edit")  # 404 outside the edit scope
    services.line_override(actor=request.user, line=line, quantity=payload.quantity, reason=payload.reason)
    return selectors.line_get(user=request.user, plan=plan, pk=line_id)


@router.post("/demand-plans/{plan_id}/advance", response={200: PlanOut, **ERROR_RESPONSES})
def advance_plan(request: HttpRequest, plan_id: int) -> Any:
    """demand_review → supply_review; supply_review → the approval engine (executive_review, or
    approved at once when no approval flow applies); 409 from any other stage."""
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    services.plan_advance(actor=request.user, plan=plan)
    return selectors.plan_get(user=request.user, pk=plan_id)


@router.post("/demand-plans/{plan_id}/approve", response={200: PlanOut, **ERROR_RESPONSES})
def approve_plan(request: HttpRequest, plan_id: int) -> Any:
    """Submit a plan in supply review to the executive review (the approval engine; approvers decide
    through ``/api/v1/approvals``). 409 in any other stage."""
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    services.plan_submit(actor=request.user, plan=plan)
    return selectors.plan_get(user=request.user, pk=plan_id)


@router.get("/demand-plans/{plan_id}/compare", response={200: CompareOut, **ERROR_RESPONSES})
def compare_plan(request: HttpRequest, plan_id: int, with_: int | None = Query(None, alias="with")) -> Any:
    """Consensus per product × month against another version (``?with=``, default: the previous one;
    ``delta`` = this − that) and against actual demand for the months already past."""
    user: Any = request.user
    plan = selectors.plan_get(user=user, pk=plan_id)
    other_id = with_ if with_ is not None else plan.previous_id
    other = selectors.plan_get(user=user, pk=other_id) if other_id is not None else None
    return {
        "plan_id": plan.pk,
        "with_id": other.pk if other else None,
        "versions": services.plan_compare(plan, other, user=user) if other else [],
        "actuals": services.plan_vs_actuals(plan, user=user),
    }


# --- forecasts ---------------------------------------------------------------------------------------------


@router.get("/forecasts/runs", response={200: list[RunOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_runs(request: HttpRequest) -> Any:
    return selectors.forecast_runs(user=request.user)


@router.get("/forecasts/runs/{run_id}/series", response={200: list[SeriesOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_series(
    request: HttpRequest, run_id: int, business_unit_id: int | None = None, model: str = "", q: str = ""
) -> Any:
    """The run's series of the caller's demand BUs; ``q``: product code or name."""
    run = selectors.forecast_run_get(user=request.user, pk=run_id)
    return selectors.series_list(
        user=request.user, run=run, business_unit=business_unit_id, model=model, q=q.strip(), sort=["pk"]
    )


@router.post("/forecasts/run", response={201: RunOut, **ERROR_RESPONSES})
def run_forecast(request: HttpRequest, payload: RunIn) -> Any:
    """Run the statistical baseline now (demand "create"): 48 months of history before ``first_month``."""
    from . import forecast_services

    require(request.user, MODULE, "create")
    if not 1 <= payload.horizon <= services.MAX_HORIZON:
        raise ValidationError(
            {"horizon": _("The horizon is between 1 and %(max)s months.") % {"max": services.MAX_HORIZON}}
        )
    run = forecast_services.forecast_run(
        actor=request.user, first_month=services.month_start(payload.first_month), horizon=payload.horizon
    )
    return Status(201, run)
