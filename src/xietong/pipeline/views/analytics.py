"""Page: the pipeline analysis of one sales process (``/pipeline/analytics/?process=&date_from=&date_to=``
with the board's scope, team and owner): stage conversion, time in stage, pipeline velocity and
win-loss of the deals created in the period (the rules are in ``analytics.py``). Changing a filter
swaps the body."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.core.htmx import page_view, render_page
from xietong.core.params import as_int
from xietong.org.policies import require

from .. import analytics, selectors
from ..filters import AnalysisFilterForm
from ..models import SalesProcess

MODULE = "opportunities"
BODY_ID = "analytics-body"


def _process(request: HttpRequest) -> SalesProcess | None:
    """``?process=`` (404 when the user does not see it), else the one the board opens with."""
    pk = as_int(request.GET.get("process"), None)
    if pk is not None:
        return selectors.process_get(user=request.user, pk=pk)
    return selectors.default_process_for(request.user)


@page_view
@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    """The analysis of one process (``?process=``, default: the board's) for the period and filters;
    htmx targeting the body gets the body alone."""
    user = request.user
    process = _process(request)  # 404 before 403
    require(user, MODULE, "view")
    form = AnalysisFilterForm(request.GET, user=user)
    today = timezone.localdate()
    date_from, date_to = form.period()
    try:
        date_from, date_to = analytics.analysis_period(date_from=date_from, date_to=date_to, today=today)
    except ValidationError:
        messages.warning(
            request,
            _("The period starts after it ends: showing the last %(days)s days.") % {"days": analytics.DEFAULT_DAYS},
        )
        date_from, date_to = analytics.analysis_period(today=today)
    analysis = None
    if process is not None:
        analysis = analytics.pipeline_analysis(
            user=user, process=process, date_from=date_from, date_to=date_to, **form.filters()
        )
    context: dict[str, Any] = {
        "form": form,
        "process": process,
        "processes": list(selectors.visible_processes(user)),
        "analysis": analysis,
        "date_from": date_from,
        "date_to": date_to,
        "scopes": form.fields["scope"].choices,  # type: ignore[attr-defined]
        "scope": form.scope_value,
        "body_id": BODY_ID,
    }
    return render_page(request, "pipeline/analytics.html", context, fragments={BODY_ID: "body"})


urlpatterns: list[Any] = [
    path("pipeline/analytics/", analytics_page, name="analytics"),
]
