"""The columns of the customer and contact exports (Excel and CSV: core/exports.py, formula-safe)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.exports import Column

# a row is a BU relationship with its customer (selectors.relationship_list)
CUSTOMER_COLUMNS = [
    Column(pgettext_lazy("customer", "Name"), lambda r: r.customer.name, width=30),
    Column(_("short name"), lambda r: r.customer.short_name, width=14),
    Column(_("unified social credit code"), lambda r: r.customer.credit_code, width=22),
    Column(_("Business unit"), lambda r: r.business_unit.name, width=16),
    Column(_("Owner"), lambda r: str(r.owner) if r.owner_id else "", width=12),
    Column(_("public pool"), lambda r: str(r.pool) if r.pool_id and not r.owner_id else "", width=12),
    Column(_("level"), lambda r: r.get_level_display(), width=12),
    Column(_("status"), lambda r: r.get_status_display(), width=10),
    Column(_("industry"), lambda r: r.customer.industry, width=12),
    Column(_("province"), lambda r: r.customer.province, width=10),
    Column(_("city"), lambda r: r.customer.city, width=10),
    Column(_("district"), lambda r: r.customer.district, width=10),
    Column(_("address"), lambda r: r.customer.address, width=30),
    Column(_("tags"), lambda r: "、".join(r.customer.tag_list), width=16),
    Column(_("last follow-up"), lambda r: r.last_follow_up_at, width=18),
    Column(_("next follow-up"), lambda r: r.next_follow_up_at, width=18),
    Column(_("created"), lambda r: r.created_at, width=18),
]

CONTACT_COLUMNS = [
    Column(pgettext_lazy("person", "Name"), lambda c: c.name, width=12),
    Column(_("customer"), lambda c: c.customer.name, width=30),
    Column(_("job title"), lambda c: c.title, width=14),
    Column(_("department"), lambda c: c.department, width=14),
    Column(_("role in the decision"), lambda c: c.get_decision_role_display(), width=12),
    Column(_("primary contact"), lambda c: c.is_primary, width=8),
    Column(_("mobile"), lambda c: c.mobile, width=14),
    Column(_("phone"), lambda c: c.phone, width=14),
    Column(_("email"), lambda c: c.email, width=24),
    Column(_("WeChat"), lambda c: c.wechat, width=14),
]
