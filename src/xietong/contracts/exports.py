"""The columns of the contract export (Excel: core/exports.py, formula-safe)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xietong.core.exports import Column

# a row is a contract with its customer, owner and BU (selectors.contract_list)
CONTRACT_COLUMNS = [
    Column(_("Contract number"), lambda c: c.number, width=22),
    Column(_("Title"), lambda c: c.title, width=30),
    Column(_("Customer"), lambda c: c.customer.name, width=30),
    Column(_("Business unit"), lambda c: c.business_unit.name, width=16),
    Column(_("Owner"), lambda c: str(c.owner), width=12),
    Column(_("Status"), lambda c: c.get_status_display(), width=10),
    Column(_("Amount without VAT"), lambda c: c.net_amount, width=16),
    Column(_("VAT"), lambda c: c.tax_amount, width=14),
    Column(_("Amount with VAT"), lambda c: c.amount, width=16),
    Column(_("Start date"), lambda c: c.start_date, width=12),
    Column(_("End date"), lambda c: c.end_date, width=12),
    Column(_("Signing date"), lambda c: c.signed_date, width=12),
    Column(_("Version"), lambda c: c.version, width=8),
    Column(_("Payment terms"), lambda c: c.payment_terms, width=30),
    Column(_("Created"), lambda c: c.created_at, width=18),
]
