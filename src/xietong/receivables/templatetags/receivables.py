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
SHOWN = 50  # the open installments a customer's tab lists (its totals count them all)


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
        # money is recorded on a signed contract: a draft's forms would only end in a refusal
        "may_create": record.status in services.MONEY_STATUSES
        and user.access.can("receivables", "create")
        and services.money_in_scope(user, record, "create"),
        "plan_elsewhere": plan is None and PaymentPlan.objects.filter(contract_id=record.pk).exists(),
    }


@register.simple_tag(takes_context=True)
def customer_receivables(context: Any, customer: Any) -> dict[str, Any]:
    """The customer's open installments the viewer sees, and the credit limits per BU (with the
    form for finance)."""
    from django.db.models import Count, DecimalField, F, Q, Sum
    from django.db.models.functions import Coalesce

    from xietong.org.models import BusinessUnit

    user = context["request"].user
    today = timezone.localdate()
    open_rows = selectors.customer_open_installments(user=user, customer_id=customer.pk)
    rows: list[Installment] = list(open_rows[:SHOWN])
    money = DecimalField(max_digits=16, decimal_places=2)
    totals = open_rows.order_by().aggregate(  # every open installment, not only the rows shown
        count=Count("pk"),
        open=Coalesce(Sum(F("amount") - F("received"), output_field=money), selectors.ZERO, output_field=money),
        overdue=Coalesce(
            Sum(F("amount") - F("received"), filter=Q(due_date__lt=today), output_field=money),
            selectors.ZERO,
            output_field=money,
        ),
    )
    credits = {c.business_unit_id: c for c in CustomerCredit.objects.filter(customer_id=customer.pk)}
    finance_bus = [
        bu
        for bu in BusinessUnit.objects.order_by("name")
        if user.access.widest_scope("receivables", "administer", bu.pk) > 0
    ]
    return {
        "rows": rows,
        "count": totals["count"] or 0,
        "open_total": totals["open"],
        "overdue_total": totals["overdue"],
        "today": today,
        "credits": [
            c
            for c in credits.values()
            if c.business_unit_id in {b.pk for b in finance_bus} | set(user.access.business_unit_ids)
        ],
        "credit_forms": [{"bu": bu, "credit": credits.get(bu.pk)} for bu in finance_bus],
    }
