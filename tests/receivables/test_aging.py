"""The receivables aging on a hand-checked case, its visibility, and the collection rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support import money
from xietong.receivables import selectors, services

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 30)
D = Decimal


def test_the_aging_of_a_hand_checked_case(people):
    """Due 2026-11-30 (0 days: not due), 11-29 (1 day), 10-31 (30 days), 10-30 (31 days),
    09-01 (90 days), 08-31 (91 days); the first installment is partly paid."""
    c = money.contract(people.rep)
    money.payment_plan(
        c,
        [
            (date(2026, 8, 31), "10000.00"),
            (date(2026, 9, 1), "20000.00"),
            (date(2026, 10, 30), "30000.00"),
            (date(2026, 10, 31), "40000.00"),
            (date(2026, 11, 29), "5000.00"),
            (date(2026, 11, 30), "8000.00"),
        ],
    )
    services.payment_record(actor=people.finance, contract=c, received_on=date(2026, 11, 1), amount="4000.00")
    result = selectors.aging(user=people.finance, group_by="customer", as_of=AS_OF)
    (row,) = result.rows
    assert (row.name, row.not_due, row.d1_30, row.d31_60, row.d61_90, row.d90_plus) == (
        c.customer.name,
        D("8000.00"),
        D("45000.00"),
        D("30000.00"),
        D("20000.00"),
        D("6000.00"),
    )
    assert (row.overdue, row.total) == (D("101000.00"), D("109000.00"))
    assert result.totals.total == D("109000.00")


def test_the_aging_shows_only_what_the_user_sees_and_groups_by_owner(people):
    mine = money.contract(people.rep)
    theirs = money.contract(people.outsider)
    money.payment_plan(mine, [(AS_OF, "113000.00")])
    money.payment_plan(theirs, [(AS_OF, "113000.00")])
    rep_view = selectors.aging(user=people.rep, group_by="owner", as_of=AS_OF)
    assert [(r.key, r.name, r.total) for r in rep_view.rows] == [(people.rep.pk, "王销售", D("113000.00"))]
    assert selectors.aging(user=people.rep2, group_by="business_unit", as_of=AS_OF).rows == []


def test_the_collection_rate_is_received_over_due_in_the_period(people):
    c = money.contract(people.rep)
    money.payment_plan(
        c, [(date(2026, 10, 1), "50000.00"), (date(2026, 11, 1), "50000.00"), (date(2027, 3, 1), "13000.00")]
    )
    services.payment_record(actor=people.finance, contract=c, received_on=date(2026, 11, 2), amount="75000.00")
    result = selectors.aging(
        user=people.finance, as_of=AS_OF, period_from=date(2026, 10, 1), period_to=date(2026, 11, 30)
    )
    assert (result.due_in_period, result.received_in_period, result.collection_rate) == (
        D("100000.00"),
        D("75000.00"),
        D("75.0"),
    )
