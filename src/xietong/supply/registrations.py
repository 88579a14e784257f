"""What S&OP adds to the shared surfaces (imported from ``SupplyConfig.ready``, no I/O): the navigation
under 产销协同, the approval document type of the demand plan and the plan's collaboration surface
(``plan_registrations``), the notification kinds of the supply plan, and the at-risk panel on the
opportunity page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy

from xietong.core import components, navigation, scheduling
from xietong.core.navigation import NavItem

from . import line_badges, plan_registrations, supply_services, tasks  # noqa: F401  (plan_registrations registers at import)


def _can(module: str, action: str = "view") -> Any:
    return lambda user: bool(user.access.can(module, action))


for item in (
    NavItem(
        "supply", gettext_lazy("Demand plans"), "supply:plan_list", "calendar3-range", order=10, visible=_can("demand")
    ),
    NavItem(
        "supply",
        gettext_lazy("Statistical forecasts"),
        "supply:forecast_list",
        "graph-up-arrow",
        order=20,
        visible=_can("demand"),
    ),
    NavItem(
        "supply", gettext_lazy("Available to promise"), "supply:atp", "check2-square", order=30, visible=_can("supply")
    ),
    NavItem(
        "supply", gettext_lazy("Supply charts"), "supply:charts", "bar-chart-line", order=40, visible=_can("supply")
    ),
    NavItem("supply", gettext_lazy("Items and lead times"), "supply:items", "box", order=50, visible=_can("supply")),
    NavItem("supply", gettext_lazy("Inventory"), "supply:inventory", "boxes", order=60, visible=_can("supply")),
    NavItem("supply", gettext_lazy("Scheduled receipts"), "supply:receipts", "truck", order=70, visible=_can("supply")),
    NavItem(
        "supply",
        gettext_lazy("Contingency plans"),
        "supply:contingency_list",
        "shield-exclamation",
        order=80,
        visible=_can("supply"),
    ),
):
    navigation.register(item)

supply_services.register_kinds()
components.register_record_alert("supply/risk_panel.html")
components.register_line_annotator(line_badges.annotate, line_badges.TEMPLATE)

scheduling.register(
    "supply-promises",
    tasks.check_promises,
    every=timedelta(days=1),
    description="tell owners and planners once of committed deals and open orders beyond available-to-promise",
)
