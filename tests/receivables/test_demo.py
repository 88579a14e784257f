"""The demo step: signed contracts get plans, payments, invoices and credit limits — some money
overdue — through the services; a second load adds nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support import money
from xietong.receivables import demo
from xietong.receivables.models import CustomerCredit, Installment, Payment, PaymentPlan
from xietong.receivables.services import unallocated_of

pytestmark = pytest.mark.django_db


def test_the_demo_step_fills_the_money_of_signed_contracts_once(people):
    for _n in range(8):
        money.contract(people.rep)
    money.contract(people.rep, status="draft")
    created: Counter[str] = Counter()
    demo.load(created)
    assert PaymentPlan.objects.count() == 8 == created["payment plans"]
    assert Payment.objects.count() == created["payments"] > 0
    assert CustomerCredit.objects.count() == created["credit limits"] == 8
    assert Installment.objects.filter(received__lt=1, name="预付款").exists()  # something overdue
    assert all(unallocated_of(p) == 0 for p in Payment.objects.all())
    again: Counter[str] = Counter()
    demo.load(again)
    assert again == Counter()
