"""Property-based tests (Hypothesis) of the money rules: random payments, allocations and refunds
conserve money; the automatic allocation never overfills an installment; aging buckets add up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import money
from xietong.receivables import selectors, services
from xietong.receivables.choices import PaymentKind
from xietong.receivables.models import Installment, Payment

pytestmark = pytest.mark.django_db

CENTS = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ZERO = Decimal("0.00")


def _conserved(contract: Any) -> None:
    payments = Payment.objects.filter(contract=contract)
    receipts = payments.filter(kind=PaymentKind.RECEIPT)
    received = receipts.aggregate(s=Sum("amount"))["s"] or ZERO
    refunded = payments.filter(kind=PaymentKind.REFUND).aggregate(s=Sum("amount"))["s"] or ZERO
    installments = list(Installment.objects.filter(plan__contract=contract))
    on_installments = sum((i.received for i in installments), ZERO)
    unallocated = sum((services.unallocated_of(r) for r in receipts), ZERO)
    assert received - refunded == on_installments + unallocated
    for inst in installments:
        assert ZERO <= inst.received <= inst.amount
        assert inst.received == (inst.allocations.aggregate(s=Sum("amount"))["s"] or ZERO)
    for r in receipts:
        assert services.unallocated_of(r) >= 0


# an operation: ("pay", amount, manual share in percent or None) or ("refund", index, amount)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), CENTS, st.one_of(st.none(), st.integers(min_value=0, max_value=100))),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=9), CENTS),
    ),
    min_size=1,
    max_size=8,
)


@SETTINGS
@given(operations=OPERATIONS, split=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4))
def test_random_payments_allocations_and_refunds_conserve_money(people, operations, split):
    contract = money.contract(people.rep)
    today = timezone.localdate()
    weights = sum(split)
    amounts = [(contract.amount * w / weights).quantize(Decimal("0.01")) for w in split]
    amounts[-1] = contract.amount - sum(amounts[:-1], ZERO)
    if any(a <= 0 for a in amounts):
        return
    plan = money.payment_plan(contract, [(today + timedelta(days=30 * i - 45), str(a)) for i, a in enumerate(amounts)])
    receipts: list[Payment] = []
    for op in operations:
        try:
            if op[0] == "pay":
                _kind, amount, share = op
                allocations = None
                if share is not None:
                    first = plan.installments.order_by("position").first()
                    part = (amount * share / 100).quantize(Decimal("0.01"))
                    allocations = [{"installment": first.pk, "amount": part}] if part > 0 else []
                receipts.append(
                    services.payment_record(
                        actor=people.finance,
                        contract=contract,
                        received_on=today,
                        amount=amount,
                        allocations=allocations,
                    )
                )
            elif receipts:
                _kind, index, amount = op
                services.payment_refund(
                    actor=people.finance, payment=receipts[index % len(receipts)], amount=amount, refunded_on=today
                )
        except ValidationError:
            pass  # refused, and nothing half-written: the invariant below still holds
        _conserved(contract)


@SETTINGS
@given(
    open_amounts=st.lists(st.tuples(CENTS, CENTS), min_size=1, max_size=6),
    amount=CENTS,
)
def test_the_automatic_allocation_never_exceeds_what_an_installment_lacks(open_amounts, amount):
    today = timezone.localdate()
    rows = []
    for n, (a, b) in enumerate(open_amounts):
        total, received = max(a, b), min(a, b)
        rows.append(
            Installment(
                pk=n + 1, position=n + 1, due_date=today - timedelta(days=n * 7 % 30), amount=total, received=received
            )
        )
    parts = services.auto_allocation(rows, amount)
    assert sum((p for _i, p in parts), ZERO) == min(amount, sum((i.amount - i.received for i in rows), ZERO))
    for inst, part in parts:
        assert ZERO < part <= inst.amount - inst.received
    due = [i.due_date for i, _p in parts]
    assert due == sorted(due)  # oldest first


@SETTINGS
@given(
    plans=st.lists(st.lists(st.tuples(st.integers(-200, 120), CENTS), min_size=1, max_size=4), min_size=1, max_size=3)
)
def test_the_aging_buckets_add_up_to_the_open_total(people, plans):
    today = timezone.localdate()
    Installment.objects.all().delete()
    for rows in plans:
        contract = money.contract(people.rep)
        money.payment_plan(contract, [(today + timedelta(days=d), str(a)) for d, a in rows])
    result = selectors.aging(user=people.finance, group_by="customer", as_of=today)
    open_total = sum((Decimal(a) for rows in plans for _d, a in rows), ZERO)
    assert result.totals.total == open_total
    assert sum((r.total for r in result.rows), ZERO) == open_total
    for row in result.rows:
        assert row.total == row.not_due + row.d1_30 + row.d31_60 + row.d61_90 + row.d90_plus
