"""REST endpoints of the forecast: ``GET /api/v1/forecasts`` (a team's forecast for a month or a
quarter, rolled up, money as Decimal strings) and ``PUT /api/v1/forecasts/adjustments`` (a manager's
number for a forecast line, kept apart from the reps'). The counting rules are in ``forecast.py``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from xietong.core.api import ERROR_RESPONSES, Ref
from xietong.core.errors import NotFound

from . import forecast
from .forecast import Figures, Forecast, Period, Row

router = Router(tags=["pipeline"])


class FiguresOut(Schema):
    count: int
    amount: Decimal
    weighted: Decimal


class ForecastCategoryOut(FiguresOut):
    category: str
    change: Decimal | None = Field(None, description="Amount now minus at the last weekly snapshot.")


class ForecastLineOut(Schema):
    category: str = Field(..., description="commit (closed + commit), best_case (+ best case), pipeline (open)")
    amount: Decimal = Field(..., description="The reps' number.")
    weighted: Decimal
    adjusted: Decimal | None = Field(None, description="The manager's number (a quarter: adjusted months + the rest).")
    adjusted_months: int
    months: int
    comment: str = ""
    adjusted_by: Ref | None = None
    adjusted_at: datetime | None = None
    change: Decimal | None = None


class RowOut(Schema):
    kind: str = Field(..., description="team or rep")
    id: int
    name: str
    depth: int
    parent_team_id: int | None
    categories: list[ForecastCategoryOut]
    total: FiguresOut


class ForecastOut(Schema):
    team: Ref
    period: str
    start: date
    end: date
    months: list[str]
    complete: bool = Field(..., description="You see every deal of the team: adjustments and movement included.")
    may_adjust: bool
    snapshot_week: date | None
    categories: list[ForecastCategoryOut]
    total: FiguresOut
    lines: list[ForecastLineOut]
    rows: list[RowOut]


class AdjustmentIn(Schema):
    team_id: int
    month: str = Field(..., description="2027-01")
    category: str = Field(..., description="commit, best_case or pipeline")
    amount: Decimal = Field(..., ge=0, max_digits=16, decimal_places=2)
    comment: str = Field(..., max_length=500)


class AdjustmentOut(Schema):
    team: Ref
    month: str
    category: str
    amount: Decimal
    comment: str
    adjusted_by: Ref
    adjusted_at: datetime


def _figures(f: Figures) -> dict[str, Any]:
    return {"count": f.count, "amount": f.amount, "weighted": f.weighted}


def _categories(numbers: forecast.Numbers, changes: dict[str, Decimal] | None = None) -> list[dict[str, Any]]:
    return [
        {"category": code, **_figures(numbers.categories[code]), "change": (changes or {}).get(code)}
        for code in forecast.CATEGORIES
    ]


def _person(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _rows(root: Row) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(row: Row, parent: Row | None) -> None:
        if parent is not None:
            out.append(
                {
                    "kind": row.kind,
                    "id": row.pk,
                    "name": row.name,
                    "depth": row.depth,
                    "parent_team_id": parent.pk,
                    "categories": _categories(row.numbers),
                    "total": _figures(row.numbers.total),
                }
            )
        for child in row.children:
            walk(child, row)

    walk(root, None)
    return out


def forecast_out(fc: Forecast) -> dict[str, Any]:
    return {
        "team": {"id": fc.team.pk, "name": fc.team.name},
        "period": fc.period.code,
        "start": fc.period.start,
        "end": fc.period.end,
        "months": [f"{m:%Y-%m}" for m in fc.period.months],
        "complete": fc.covers,
        "may_adjust": fc.may_adjust,
        "snapshot_week": fc.snapshot_week,
        "categories": _categories(fc.numbers, fc.changes),
        "total": _figures(fc.numbers.total),
        "lines": [
            {
                "category": line.code,
                "amount": line.reps.amount,
                "weighted": line.reps.weighted,
                "adjusted": line.adjusted,
                "adjusted_months": line.adjusted_months,
                "months": line.months,
                "comment": line.adjustment.comment if line.adjustment else "",
                "adjusted_by": _person(line.adjustment.adjusted_by) if line.adjustment else None,
                "adjusted_at": line.adjustment.adjusted_at if line.adjustment else None,
                "change": line.change,
            }
            for line in fc.lines
        ],
        "rows": _rows(fc.root),
    }


@router.get("/forecasts", response={200: ForecastOut, **ERROR_RESPONSES})
def get_forecast(request: HttpRequest, team_id: int | None = None, period: str = "") -> Any:
    """A team's forecast (default: the team you manage, else your primary team) for ``period``: a
    month ``2027-01`` or a quarter ``2027-Q1`` (default: this month). 404: a team you do not see."""
    user = request.user
    if team_id is None:
        team = forecast.default_team(user, list(forecast.forecast_teams(user)))
        if team is None:
            raise NotFound()
    else:
        team = forecast.forecast_team_get(user=user, pk=team_id)
    parsed = Period.parse(period)
    return forecast_out(forecast.forecast_get(user=user, team=team, period=parsed))


@router.put("/forecasts/adjustments", response={200: AdjustmentOut, **ERROR_RESPONSES})
def put_adjustment(request: HttpRequest, payload: AdjustmentIn) -> Any:
    """Set the manager's number for a team's forecast line (commit, best_case or pipeline) of one
    month, with a required comment. The reps' numbers stay as they are. 403: not a manager of it."""
    adj = forecast.forecast_adjust(
        actor=request.user,
        team=payload.team_id,
        month=payload.month,
        category=payload.category,
        amount=payload.amount,
        comment=payload.comment,
    )
    return {
        "team": {"id": adj.team.pk, "name": adj.team.name},
        "month": f"{adj.month:%Y-%m}",
        "category": adj.category,
        "amount": adj.amount,
        "comment": adj.comment,
        "adjusted_by": _person(adj.adjusted_by),
        "adjusted_at": adj.adjusted_at,
    }
