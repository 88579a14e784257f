"""Context for the money panel on the contract page and the customer page's "Receivables" tab.
Each runs its own selectors with the viewer's visibility (a fixed number of queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from .. import selectors, services
from ..models import CustomerCredit, Installment, Invoice, Payment, PaymentPlan

register = template.Library()

RECENT = 5


@register.simple_tag(takes_context=True)
def contract_money(context: Any, record: Any) -> dict[str, Any] | None:
    """The panel's context for a contract the viewer sees, None for any other record or a viewer
    without the receivables module."""
    from xietong.contracts.models import Contract

    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(record, Contract) or user is None or not user.is_authenticated:
        return None
    if not user.access.can("receivables", "view"):
        return None
    plan = selectors.plan_of_contract(user=user, contract_id=record.pk)
    return {
        "contract": record,
        "summary": selectors.contract_money(contract=record),
        "plan": plan,
        "installments": list(plan.installments.all()) if plan else [],
        "payments": list(
            Payment.objects.visible_to(user).filter(contract_id=record.pk).order_by("-received_on", "-pk")[:RECENT]
        ),
        "invoices": list(Invoice.objects.visible_to(user).filter(contract_id=record.pk).order_by("-pk")[:RECENT]),
        "may_create": user.access.can("receivables", "create") and services.money_in_scope(user, record, "create"),
        "plan_elsewhere": plan is None and PaymentPlan.objects.filter(contract_id=record.pk).exists(),
    }


@register.simple_tag(takes_context=True)
def customer_receivables(context: Any, customer: Any) -> dict[str, Any]:
    """The customer's open installments the viewer sees, and the credit limits per BU (with the
    form for finance)."""
    from xietong.org.models import BusinessUnit

    user = context["request"].user
    rows: list[Installment] = list(selectors.customer_open_installments(user=user, customer_id=customer.pk)[:50])
    credits = {c.business_unit_id: c for c in CustomerCredit.objects.filter(customer_id=customer.pk)}
    finance_bus = [
        bu
        for bu in BusinessUnit.objects.order_by("name")
        if user.access.widest_scope("receivables", "administer", bu.pk) > 0
    ]
    today = timezone.localdate()
    return {
        "rows": rows,
        "open_total": sum((r.amount - r.received for r in rows), selectors.ZERO),
        "overdue_total": sum((r.amount - r.received for r in rows if r.due_date < today), selectors.ZERO),
        "today": today,
        "credits": [
            c
            for c in credits.values()
            if c.business_unit_id in {b.pk for b in finance_bus} | set(user.access.business_unit_ids)
        ],
        "credit_forms": [{"bu": bu, "credit": credits.get(bu.pk)} for bu in finance_bus],
    }
