"""REST endpoint of the pipeline analysis: ``GET /api/v1/pipeline-analytics`` — stage conversion, time
in stage, pipeline velocity and win-loss of the deals of one process created in a period, as the
caller sees them (money as Decimal strings, percentages and days as Decimal strings with one
decimal). The counting rules are in ``analytics.py``; the page shows the same numbers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from xietong.core.api import ERROR_RESPONSES
from xietong.core.errors import NotFound
from xietong.org import selectors as org_selectors
from xietong.org.policies import require

from . import analytics, selectors
from .analytics import Analysis, WinLoss
from .models import SalesProcess

router = Router(tags=["pipeline"])

MODULE = "opportunities"


class AnalysedProcess(Schema):
    id: int
    name: str
    business_unit: str


class FunnelStage(Schema):
    id: int
    name: str
    kind: str = Field(..., description="open, or won for the last row.")


class FunnelRowOut(Schema):
    stage: FunnelStage
    reached: int = Field(..., description="Deals that entered the stage or a later one (a won deal reached them all).")
    reached_percent: Decimal | None = Field(..., description="Reached, in percent of the deals created in the period.")
    moved_on: int | None = Field(..., description="Deals that reached the next stage; null for the won row.")
    conversion: Decimal | None = Field(..., description="Moved on ÷ reached, in percent.")
    lost: int = Field(..., description="Lost deals whose furthest stage this is.")
    still_open: int = Field(..., description="Open deals whose furthest stage this is.")
    stays: int = Field(..., description="Completed stays in the stage (a deal still in it is not counted).")
    average_days: Decimal | None
    median_days: Decimal | None


class VelocityOut(Schema):
    open_count: int
    won_count: int
    lost_count: int
    win_rate: Decimal | None = Field(..., description="Won ÷ (won + lost), in percent.")
    average_won_amount: Decimal | None
    average_cycle_days: Decimal | None = Field(..., description="Days from created to won, of the won deals.")
    per_day: Decimal | None = Field(
        ..., description="Open × average won amount × win rate ÷ average sales cycle, from the exact sums."
    )


class LostReasonOut(Schema):
    code: str = Field(..., description="The lost reason's code; empty when no reason was given.")
    label: str = Field(..., description="The reason in your language.")
    count: int
    amount: Decimal
    share: Decimal | None = Field(..., description="Count, in percent of the lost deals.")


class CompetitorOut(Schema):
    name: str = Field(..., description="The competitor's most frequent spelling (on a tie, the first).")
    count: int
    amount: Decimal


class OtherCompetitorsOut(Schema):
    competitors: int = Field(..., description="How many competitors past the top 10 this row sums.")
    count: int
    amount: Decimal


class CompetitorsOut(Schema):
    top: list[CompetitorOut] = Field(
        ..., description="At most 10, by count then amount; names compared case-insensitively, trimmed."
    )
    other: OtherCompetitorsOut | None = Field(..., description="The rest summed; null when there is no rest.")
    none_named_count: int = Field(..., description="Deals lost without a competitor named.")
    none_named_amount: Decimal


class WinLossOut(Schema):
    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal
    win_rate: Decimal | None = Field(..., description="Won ÷ (won + lost) by count, in percent.")
    win_rate_by_amount: Decimal | None = Field(..., description="Won amount ÷ (won + lost amount), in percent.")
    reasons: list[LostReasonOut] = Field(..., description="The lost deals per reason, by count then amount.")
    competitors: CompetitorsOut = Field(..., description="The lost deals per competitor who won.")


class PipelineAnalysisOut(Schema):
    process: AnalysedProcess
    date_from: date
    date_to: date
    scope: str
    count: int = Field(..., description="Deals created in the period that you see.")
    amount: Decimal
    won_amount: Decimal
    stages: list[FunnelRowOut] = Field(..., description="The open stages in order, then the won stage.")
    velocity: VelocityOut
    win_loss: WinLossOut


def win_loss_out(win_loss: WinLoss) -> dict[str, Any]:
    return {
        **asdict(win_loss),  # the counts, amounts, reasons and competitors; the rates are properties
        "win_rate": win_loss.win_rate,
        "win_rate_by_amount": win_loss.win_rate_by_amount,
    }


def analysis_out(analysis: Analysis, scope: str) -> dict[str, Any]:
    process = analysis.process
    return {
        "process": {"id": process.pk, "name": process.name, "business_unit": process.business_unit.name},
        "date_from": analysis.date_from,
        "date_to": analysis.date_to,
        "scope": scope,
        "count": analysis.count,
        "amount": analysis.amount,
        "won_amount": analysis.won_amount,
        "stages": [
            {
                "stage": {"id": row.stage.pk, "name": row.stage.name, "kind": row.stage.kind},
                "reached": row.reached,
                "reached_percent": row.reached_percent,
                "moved_on": row.moved_on,
                "conversion": row.conversion,
                "lost": row.lost,
                "still_open": row.still_open,
                "stays": row.time.stays,
                "average_days": row.time.average_days,
                "median_days": row.time.median_days,
            }
            for row in analysis.stages
        ],
        "velocity": asdict(analysis.velocity),
        "win_loss": win_loss_out(analysis.win_loss),
    }


@router.get("/pipeline-analytics", response={200: PipelineAnalysisOut, **ERROR_RESPONSES})
def get_pipeline_analysis(
    request: HttpRequest,
    process_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    scope: str = "all",
    owner_id: int | None = None,
    team_id: int | None = None,
) -> Any:
    """Stage conversion, time in stage, pipeline velocity and win-loss of the deals of a process
    (default: the one your board opens with) created from ``date_from`` to ``date_to`` (default: the
    last 90 days up to today), with the board's ``scope`` (all, mine, team), ``owner_id`` and
    ``team_id``. 404: a process you do not see; 422: a period that
    ends before it starts, an unknown scope or team."""
    user: Any = request.user
    process: SalesProcess | None
    if process_id is not None:
        process = selectors.process_get(user=user, pk=process_id)
    else:
        process = selectors.default_process_for(user)
    require(user, MODULE, "view")
    if process is None:
        raise NotFound()
    if scope not in selectors.SCOPES:
        raise ValidationError({"scope": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(selectors.SCOPES)}})
    team = None
    if team_id is not None:
        team = org_selectors.team_choices(user=user).filter(pk=team_id).first()
        if team is None:
            raise ValidationError({"team_id": _("No such team.")})
    start, end = analytics.analysis_period(date_from=date_from, date_to=date_to)
    analysis = analytics.pipeline_analysis(
        user=user, process=process, date_from=start, date_to=end, scope=scope, owner=owner_id, team=team
    )
    return analysis_out(analysis, scope)
