"""Columns of the money exports (Excel, formula-safe via core/exports.py) and the aging's labels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from xietong.core.exports import Column

PAYMENT_COLUMNS = [
    Column(_("Payment number"), lambda p: p.number, width=18),
    Column(_("Kind"), lambda p: p.get_kind_display(), width=10),
    Column(_("Date"), lambda p: p.received_on, width=12),
    Column(_("Amount"), lambda p: -p.amount if p.kind == "refund" else p.amount, width=16),
    Column(_("Allocated"), lambda p: p.allocated, width=16),
    Column(_("Contract"), lambda p: p.contract.number, width=18),
    Column(_("Customer"), lambda p: p.customer.name, width=30),
    Column(_("Payment method"), lambda p: p.get_method_display(), width=12),
    Column(_("Payer"), lambda p: p.payer, width=24),
    Column(_("Bank reference"), lambda p: p.reference, width=20),
    Column(_("Owner"), lambda p: str(p.owner), width=12),
    Column(_("Business unit"), lambda p: p.business_unit.name, width=16),
    Column(_("Note"), lambda p: p.note, width=24),
]

INVOICE_COLUMNS = [
    Column(_("Invoice number"), lambda i: i.issued_number, width=18),
    Column(_("Status"), lambda i: i.get_status_display(), width=10),
    Column(_("Invoice type"), lambda i: i.get_kind_display(), width=14),
    Column(_("Amount with VAT"), lambda i: i.amount, width=16),
    Column(_("VAT rate (%)"), lambda i: i.tax_rate, width=8),
    Column(_("Invoice title"), lambda i: i.title, width=30),
    Column(_("Taxpayer number"), lambda i: i.tax_number, width=22),
    Column(_("Contract"), lambda i: i.contract.number, width=18),
    Column(_("Customer"), lambda i: i.customer.name, width=30),
    Column(_("Issued on"), lambda i: i.issued_on, width=12),
    Column(_("Requested"), lambda i: i.created_at, width=18),
]

# "1–30 days" means 1 to 30 days past due; not yet due (0 days included) is its own column
BUCKET_LABELS = [
    ("not_due", _("Not yet due")),
    ("d1_30", _("1–30 days")),
    ("d31_60", _("31–60 days")),
    ("d61_90", _("61–90 days")),
    ("d90_plus", _("Over 90 days")),
]
GROUP_LABELS = [("customer", _("Customer")), ("owner", _("Owner")), ("business_unit", _("Business unit"))]


def _bucket(key: str) -> Any:
    return lambda r: getattr(r, key)


def aging_columns(group_by: str) -> list[Column]:
    label = dict(GROUP_LABELS)[group_by]
    return [
        Column(label, lambda r: r.name, width=30),
        *[Column(lbl, _bucket(key), width=16) for key, lbl in BUCKET_LABELS],
        Column(_("Overdue"), lambda r: r.overdue, width=16),
        Column(_("Total open"), lambda r: r.total, width=16),
    ]


def total_row(totals: Any) -> Any:
    totals.name = str(_("Total"))
    return totals
