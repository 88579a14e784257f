"""Pages: the forecast of a team for a month or a quarter (``/pipeline/forecast/?team=&period=``),
and the manager's inline adjustment of a forecast line (``/pipeline/forecast/adjust/``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from xietong.core.forms import XtForm, posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.org.forms import team_label
from xietong.org.policies import require

from .. import forecast
from ..choices import ForecastCategory
from ..forecast import Period


def forecast_url(team: Any, period: Period | str) -> str:
    code = period.code if isinstance(period, Period) else period
    return f"{reverse('pipeline:forecast')}?{urlencode({'team': team.pk, 'period': code})}"


class AdjustmentForm(XtForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Adjusted amount"), min_value=Decimal("0"), max_digits=16, decimal_places=2
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=500)


@page_view
@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    wanted = request.GET.get("team", "")
    team = forecast.forecast_team_get(user=user, pk=wanted) if wanted else None  # 404 before 403
    require(user, "opportunities", "view")
    teams = list(forecast.forecast_teams(user))
    if team is None:
        team = forecast.default_team(user, teams)
    today = timezone.localdate()
    try:
        period = Period.parse(request.GET.get("period"), today=today)
    except ValidationError:
        messages.warning(request, _("Give a month as 2027-01 or a quarter as 2027-Q1."))
        period = Period.of_month(today)
    fc = forecast.forecast_get(user=user, team=team, period=period, today=today) if team is not None else None
    this_month = Period.of_month(today)
    periods = [this_month.shifted(n) for n in range(-3, 7)] + [this_month.quarter.shifted(n) for n in range(-2, 4)]
    if period.code not in {p.code for p in periods}:
        periods.insert(0, period)
    context = {
        "fc": fc,
        "team": team,
        "teams": [(t, team_label(t)) for t in teams],
        "period": period,
        "periods": [p for p in periods if not p.is_quarter],
        "quarters": [p for p in periods if p.is_quarter],
        "previous_period": period.shifted(-1),
        "next_period": period.shifted(1),
        "month_periods": [Period.of_month(m) for m in period.months] if period.is_quarter else [],
        "quarter_period": period.quarter,
    }
    return render_page(request, "pipeline/forecast.html", context, fragments={"forecast-body": "body"})


@page_view
@require_http_methods(["GET", "POST"])
def forecast_adjust(request: HttpRequest) -> HttpResponse:
    """The inline form of one line (team, month, category from the query string)."""
    user = request.user
    team = forecast.forecast_team_get(user=user, pk=request.GET.get("team", ""))  # 404 first
    if not forecast.may_adjust(user, team):
        raise PermissionDenied(_("Only a manager of the team, or of a team above it, may adjust its forecast."))
    try:
        month = forecast.parse_month(request.GET.get("month"))
    except ValidationError:
        month = Period.of_month(timezone.localdate()).start
    category = request.GET.get("category", "")
    if category not in forecast.LINES:
        category = ForecastCategory.COMMIT
    page_url = forecast_url(team, Period.of_month(month))
    current = forecast.forecast_adjustment(team=team, month=month, category=category)
    initial = {"amount": current.amount, "comment": current.comment} if current else {}
    form = AdjustmentForm(posted(request), initial=initial, prefix=category)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            forecast.forecast_adjust(
                actor=user,
                team=team,
                month=month,
                category=category,
                amount=form.cleaned_data["amount"],
                comment=form.cleaned_data["comment"],
            )
        if form.is_valid():
            messages.success(
                request,
                _("Forecast adjusted: %(line)s of %(team)s, %(month)s.")
                % {"line": forecast.LINE_LABELS[category], "team": team.name, "month": f"{month:%Y-%m}"},
            )
            return done(request, page_url)
    context = {
        "form": form,
        "team": team,
        "month": month,
        "category": category,
        "line_label": forecast.LINE_LABELS[category],
        "action_url": f"{reverse('pipeline:forecast_adjust')}?"
        + urlencode({"team": team.pk, "month": f"{month:%Y-%m}", "category": category}),
        "cancel_url": page_url,
    }
    if getattr(request, "htmx", False):
        return render(request, "pipeline/partials/forecast_adjust_form.html", context)
    return render_form(
        request,
        form,
        title=_("Adjust the forecast: %(line)s · %(team)s · %(month)s")
        % {"line": forecast.LINE_LABELS[category], "team": team.name, "month": f"{month:%Y-%m}"},
        cancel_url=page_url,
        submit_label=_("Save adjustment"),
        intro=_("Your number is kept apart from the reps' numbers; the comment says why."),
    )


urlpatterns: list[Any] = [
    path("pipeline/forecast/", forecast_page, name="forecast"),
    path("pipeline/forecast/adjust/", forecast_adjust, name="forecast_adjust"),
]
