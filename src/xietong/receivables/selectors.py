"""Reads of money in, visibility applied where a user asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from .models import CustomerCredit, Installment

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CreditState:
    """A customer's standing with one business unit, for credit control of orders."""

    limit: Decimal | None  # None: no limit set
    open_receivables: Decimal  # installments not yet paid (due or not)
    overdue: Decimal  # of which past their due date

    def exceeded_by(self, new_amount: Decimal) -> bool:
        """Whether an order of ``new_amount`` takes the customer over the limit."""
        return self.limit is not None and self.open_receivables + new_amount > self.limit


def customer_credit(*, customer_id: int, business_unit_id: int, today: date | None = None) -> CreditState:
    """The credit limit, open and overdue receivables of a customer with a BU (no visibility: a
    system check the order services make)."""
    today = today or timezone.localdate()
    limit = (
        CustomerCredit.objects.filter(customer_id=customer_id, business_unit_id=business_unit_id)
        .values_list("credit_limit", flat=True)
        .first()
    )
    open_rows = Installment.objects.filter(
        plan__customer_id=customer_id, plan__business_unit_id=business_unit_id, received__lt=F("amount")
    )
    open_total = open_rows.aggregate(s=Sum(F("amount") - F("received")))["s"] or ZERO
    overdue = open_rows.filter(due_date__lt=today).aggregate(s=Sum(F("amount") - F("received")))["s"] or ZERO
    return CreditState(limit=limit, open_receivables=open_total, overdue=overdue)
