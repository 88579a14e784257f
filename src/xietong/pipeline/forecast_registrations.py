"""What this part of the pipeline app adds to the shared surfaces (imported from ``PipelineConfig.ready``, no I/O):
the forecast's navigation entry, the weekly snapshot job and how adjustments read in the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy

from xietong.core import audit, navigation, scheduling
from xietong.core.choices import DataScope
from xietong.core.navigation import NavItem

from . import tasks


def _may_view(user: Any) -> bool:
    return bool(user.access.can("opportunities", "view"))


navigation.register(
    NavItem("pipeline", gettext_lazy("Forecast"), "pipeline:forecast", "graph-up-arrow", order=30, visible=_may_view)
)

# Daily: the task itself takes the snapshot on Mondays (or catches up a week the scheduler missed),
# so the weekly rows always belong to the Monday they are named for.
scheduling.register(
    "forecast-snapshots",
    tasks.take_forecast_snapshots,
    every=timedelta(days=1),
    description="store the weekly forecast snapshot of every sales team (on Mondays) to show how it moved",
)

audit.register_verb("forecast_adjust", gettext_lazy("adjusted the forecast"))
# the audit page shows adjustments only to whoever sees every team's forecast (the forecast page
# shows each team's adjustment history to those who see that team's totals)
audit.register_access(
    "pipeline.forecastadjustment",
    lambda user: user.access.widest_scope("opportunities", "view") >= DataScope.GROUP,
)
