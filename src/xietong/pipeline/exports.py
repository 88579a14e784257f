"""The columns of the opportunity export (Excel and CSV: core/exports.py, formula-safe)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.exports import Column

# a row is an opportunity with its customer, owner, stage and BU (selectors.opportunity_list)
OPPORTUNITY_COLUMNS = [
    Column(pgettext_lazy("opportunity", "Name"), lambda o: o.name, width=30),
    Column(_("Customer"), lambda o: o.customer.name, width=30),
    Column(_("Business unit"), lambda o: o.business_unit.name, width=16),
    Column(_("Owner"), lambda o: str(o.owner), width=12),
    Column(_("Stage"), lambda o: o.stage.name, width=12),
    Column(_("Status"), lambda o: o.get_status_display(), width=8),
    Column(_("Amount"), lambda o: o.amount, width=16),
    Column(_("Probability (%)"), lambda o: o.probability, width=10),
    Column(_("Weighted amount"), lambda o: o.weighted_amount, width=16),
    Column(_("Forecast category"), lambda o: o.get_forecast_category_display(), width=12),
    Column(_("Expected close date"), lambda o: o.expected_close, width=14),
    Column(_("In this stage since"), lambda o: o.stage_entered_at, width=18),
    Column(_("Last activity"), lambda o: o.last_activity_at, width=18),
    Column(_("Next step"), lambda o: o.next_step, width=24),
    Column(_("Competitors"), lambda o: o.competitors, width=16),
    Column(pgettext_lazy("opportunity", "Closed on"), lambda o: o.closed_at, width=18),
    Column(_("Reason lost"), lambda o: o.get_lost_reason_display(), width=14),
    Column(_("Created"), lambda o: o.created_at, width=18),
]
