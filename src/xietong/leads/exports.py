"""The lead list as Excel (core/exports.py): the columns, formula-safe, visibility applied by the caller."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.exports import Column

LEAD_COLUMNS = [
    Column(_("Company"), lambda lead: lead.company, width=28),
    Column(pgettext_lazy("person", "Name"), lambda lead: lead.contact_name, width=12),
    Column(_("Job title"), lambda lead: lead.contact_title, width=12),
    Column(_("Mobile"), lambda lead: lead.mobile, width=14),
    Column(_("Phone"), lambda lead: lead.phone, width=14),
    Column(_("Email"), lambda lead: lead.email, width=22),
    Column(_("WeChat"), lambda lead: lead.wechat, width=14),
    Column(_("Province"), lambda lead: lead.province, width=10),
    Column(_("City"), lambda lead: lead.city, width=10),
    Column(_("Industry"), lambda lead: lead.industry, width=12),
    Column(_("Source"), lambda lead: lead.get_source_display(), width=12),
    Column(_("Campaign"), lambda lead: lead.campaign, width=14),
    Column(_("Product interest"), lambda lead: lead.product_interest, width=16),
    Column(_("Estimated budget"), lambda lead: lead.budget, width=14),
    Column(_("Status"), lambda lead: lead.get_status_display(), width=10),
    Column(_("Owner"), lambda lead: str(lead.owner) if lead.owner_id else "", width=12),
    Column(_("Lead pool"), lambda lead: lead.pool.name if lead.pool_id else "", width=14),
    Column(_("Business unit"), lambda lead: lead.business_unit.name, width=16),
    Column(_("Tags"), lambda lead: ", ".join(lead.tag_list), width=16),
    Column(_("Last follow-up"), lambda lead: lead.last_follow_up_at, width=18),
    Column(_("Created"), lambda lead: lead.created_at, width=18),
]
