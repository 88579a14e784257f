"""The money of the demo's order history (``orders/demo_history.py``; ``supply/demo.py`` calls both).

For each framework contract of the history: an active payment plan of one installment per call-off
order (「<yyyy>年<mm>月货款」, the order's amount, due 30 days after its shipment, as the contract's
payment terms say), the customer's payment of each installment on or a few days before its due date
(never after today: an installment not due yet was paid early), allocated to it in full, and one VAT
invoice per order, issued by the BU's finance on the day it shipped. The history is settled: it adds
no open or overdue receivables, so credit checks and the aging of the live demo stay as they were.

Written in bulk, as history (no approvals, audit entries or reminders), but by the rules: the
installments add up to the contract amount exactly (its orders do), what an installment received is
the sum of its allocations, every invoice is an order's amount (so never more than the contract),
payment numbers continue each month's ``HK-<yyyymm>-<nnnnn>`` sequence.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xietong.core.numbering import highest
from xietong.org.demo import first_holder

from .choices import InvoiceKind, InvoiceStatus, PaymentKind, PaymentMethod, PlanStatus
from .models import Allocation, Installment, Invoice, Payment, PaymentPlan

DUE_DAYS = 30  # the framework contracts' payment terms (``orders.demo_history.PAYMENT_TERMS``)
BANKS = ("中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行")


def _at(day: date, hour: int = 11) -> Any:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class _Numbers:
    """Payment numbers: each month's sequence continued from what is there."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, on: date) -> str:
        stem = f"HK-{on:%Y%m}-"
        if stem not in self.last:
            self.last[stem] = highest(Payment.objects.all(), prefix=stem)
        self.last[stem] += 1
        return f"{stem}{self.last[stem]:05d}"


@transaction.atomic
def write(contracts: Iterable[Any], *, today: date, rng: random.Random, created: Counter[str]) -> None:
    """Plans, payments and invoices of ``contracts`` (framework contracts whose orders are shipped)."""
    numbers = _Numbers()
    finance_of: dict[int, Any] = {}
    # written in the order the money came and the invoices went out, as finance would have entered them
    # (the lists show the newest entered first)
    received: list[tuple[Any, Any]] = []  # (payment, its installment)
    invoices: list[Any] = []
    for contract in contracts:
        bu_id = contract.business_unit_id
        if bu_id not in finance_of:
            finance_of[bu_id] = first_holder("finance", bu_id)
        finance = finance_of[bu_id]
        customer, owner = contract.customer, contract.owner
        plan = PaymentPlan.objects.create(
            contract=contract,
            customer=customer,
            business_unit_id=bu_id,
            owner=owner,
            status=PlanStatus.ACTIVE,
            approved_at=timezone.make_aware(datetime.combine(contract.signed_date or timezone.localdate(), time(10))),
            updated_by=owner,
        )
        orders = list(contract.orders.prefetch_related("shipments").order_by("created_at", "pk"))
        installments = []
        for position, order in enumerate(orders, start=1):
            shipped_on = min(s.shipped_on for s in order.shipments.all())
            due = shipped_on + timedelta(days=DUE_DAYS)
            placed = timezone.localtime(order.created_at).date()
            installments.append(
                Installment(
                    plan=plan,
                    position=position,
                    name=f"{placed:%Y}年{placed:%m}月货款",
                    due_date=due,
                    amount=order.amount,
                    received=order.amount,
                )
            )
            received_on = min(due - timedelta(days=rng.randint(0, 6)), today)
            payment = Payment(
                kind=PaymentKind.RECEIPT,
                contract=contract,
                customer=customer,
                business_unit_id=bu_id,
                owner=owner,
                received_on=received_on,
                amount=order.amount,
                method=rng.choice((PaymentMethod.TRANSFER,) * 4 + (PaymentMethod.ACCEPTANCE,)),
                payer=customer.name,
                reference=f"{rng.randint(10**11, 10**12 - 1)}",
                created_by=finance,
            )
            received.append((payment, installments[-1]))
            if finance is not None:
                bank = rng.choice(BANKS)
                invoices.append(
                    Invoice(
                        contract=contract,
                        customer=customer,
                        business_unit_id=bu_id,
                        owner=owner,
                        kind=InvoiceKind.SPECIAL if customer.credit_code else InvoiceKind.ORDINARY,
                        status=InvoiceStatus.ISSUED,
                        amount=order.amount,
                        title=customer.name,
                        tax_number=customer.credit_code,
                        address_phone=f"{getattr(customer, 'address', '') or '上海市浦东新区'} "
                        f"021-{rng.randint(5 * 10**7, 7 * 10**7)}",
                        bank_name=f"{bank}{getattr(customer, 'city', '') or '上海'}分行",
                        bank_account=f"{rng.randint(10**18, 10**19 - 1)}",
                        note=f"订单 {order.number}",
                        issued_number=f"{rng.randint(10**7, 10**8 - 1)}",
                        issued_on=shipped_on,
                        issued_by=finance,
                    )
                )
        Installment.objects.bulk_create(installments)
        created["order history: payment plans"] += 1
    received.sort(key=lambda pair: (pair[0].received_on, pair[0].contract.pk))
    payments = [payment for payment, _installment in received]
    for payment in payments:
        payment.number = numbers.next(payment.received_on)
    Payment.objects.bulk_create(payments)
    for payment in payments:  # recorded the day the money came, not today
        payment.created_at = _at(payment.received_on)
    Payment.objects.bulk_update(payments, ["created_at"])
    Allocation.objects.bulk_create(
        [
            Allocation(payment=payment, installment=installment, amount=payment.amount)
            for payment, installment in received
        ]
    )
    invoices.sort(key=lambda invoice: (invoice.issued_on, invoice.contract.pk))
    Invoice.objects.bulk_create(invoices)
    for invoice in invoices:  # recorded the day it was issued
        invoice.created_at = _at(invoice.issued_on, 9)
    Invoice.objects.bulk_update(invoices, ["created_at"])
    created["order history: payments"] += len(payments)
    created["order history: invoices"] += len(invoices)
