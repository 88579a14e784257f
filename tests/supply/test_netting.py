"""The netting engine (supply/netting.py): hand-checked cases and properties, in milli-units."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xietong.supply import netting

K = 1000  # one unit in milli-units


def _net(start, safety, moq, lot, lead, demand, receipts=None):
    demand = np.array(demand, dtype=np.int64) * K
    receipts = np.zeros_like(demand) if receipts is None else np.array(receipts, dtype=np.int64) * K
    return netting.net(
        start=np.array(start) * K,
        safety=np.array(safety) * K,
        moq=np.array(moq) * K,
        lot=np.array(lot) * K,
        lead=np.array(lead),
        demand=demand,
        receipts=receipts,
    )


def test_no_planned_order_when_stock_covers_demand_and_safety():
    r = _net([100], [10], [0], [0], [0], [[30, 30, 30]])
    assert (r.projected // K).tolist() == [[70, 40, 10]]
    assert r.planned.tolist() == [[0, 0, 0]]
    assert r.shortage.tolist() == [[0, 0, 0]]


def test_hand_checked_case_with_receipts_moq_and_lot_size():
    # start 50, safety 20, MOQ 25, lot 10; demand 40, 30, 5, 60; a receipt of 15 in month 2
    # t0: 50 − 40 = 10 < 20 → need 10 → max(10, 25) = 25 → lot 10 → 30 → 40
    # t1: 40 − 30 = 10 → need 10 → 30 → 40
    # t2: 40 + 15 − 5 = 50 → nothing
    # t3: 50 − 60 = −10 → need 30 → 30 → 20
    r = _net([50], [20], [25], [10], [0], [[40, 30, 5, 60]], [[0, 0, 15, 0]])
    assert (r.planned // K).tolist() == [[30, 30, 0, 30]]
    assert (r.projected // K).tolist() == [[40, 40, 50, 20]]
    assert (r.shortage // K).tolist() == [[10, 10, 0, 30]]
    assert r.late.tolist() == [[False, False, False, False]]


def test_lot_size_zero_orders_exactly_the_need_in_thousandths():
    r = netting.net(start=[0], safety=[1500], moq=[0], lot=[0], lead=[0], demand=[[250, 0]], receipts=[[0, 0]])
    assert r.planned.tolist() == [[1750, 0]]
    assert r.projected.tolist() == [[1500, 1500]]


def test_release_by_lead_time_and_late_flag_before_period_zero():
    # lead 2 months: needs in months 0 and 1 cannot be released in time
    r = _net([10], [0], [0], [0], [2], [[20, 5, 0, 30]])
    assert (r.planned // K).tolist() == [[10, 5, 0, 30]]
    assert r.late.tolist() == [[True, True, False, False]]
    assert r.release.tolist() == [[0, 0, 0, 1]]
    # without the late orders: month 0 is short by 10, month 1 by 15; month 3's order arrives in time
    assert (r.uncovered // K).tolist() == [[10, 15, 15, 15]]


def test_items_are_independent_and_safety_may_vary_by_period():
    r = netting.net(
        start=[0, 5 * K],
        safety=[[0, 10 * K], [0, 0]],
        moq=[0, 0],
        lot=[0, 0],
        lead=[0, 0],
        demand=[[0, 0], [K, K]],
        receipts=[[0, 0], [0, 0]],
    )
    assert r.planned.tolist() == [[0, 10 * K], [0, 0]]
    assert r.projected.tolist() == [[0, 10 * K], [4 * K, 3 * K]]


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="receipts"):
        netting.net(start=[0], safety=[0], moq=[0], lot=[0], lead=[0], demand=[[1, 2]], receipts=[[1]])


def test_capacity_overload_flagged_per_line_and_period():
    r = netting.capacity_check(
        line_index=[0, 0, 1, -1],
        production=[[5, 10], [6, 0], [3, 3], [100, 100]],
        capacity=[[10, 10], [3, 2]],
    )
    assert r.load.tolist() == [[11, 10], [3, 3]]
    assert r.overloaded.tolist() == [[True, False], [False, True]]


def test_conversions():
    assert netting.to_milli(Decimal("1.2341")) == 1235
    assert netting.to_milli(Decimal("2.500")) == 2500
    assert netting.from_milli(np.int64(2500)) == Decimal("2.500")
    assert [netting.lead_months(d) for d in (0, 1, 30, 31, 60, 61)] == [0, 1, 1, 2, 2, 3]


# --- properties ---------------------------------------------------------------------------------------

item = st.tuples(
    st.integers(0, 200),  # start
    st.integers(0, 50),  # safety
    st.integers(0, 40),  # moq
    st.sampled_from([0, 1, 5, 12]),  # lot
    st.integers(0, 3),  # lead
    st.lists(st.integers(0, 80), min_size=6, max_size=6),  # demand
    st.lists(st.sampled_from([0, 0, 0, 25, 60]), min_size=6, max_size=6),  # receipts
)


@settings(max_examples=150, deadline=None)
@given(st.lists(item, min_size=1, max_size=6))
def test_properties_of_the_projection_and_the_planned_orders(items):
    start, safety, moq, lot, lead, demand, receipts = (np.array(x, dtype=np.int64) for x in zip(*items, strict=True))
    r = netting.net(start=start, safety=safety, moq=moq, lot=lot, lead=lead, demand=demand, receipts=receipts)
    previous = np.concatenate([start[:, None], r.projected[:, :-1]], axis=1)
    # the identity: projected[t] = projected[t − 1] + receipts[t] + planned[t] − demand[t]
    assert (r.projected == previous + receipts + r.planned - demand).all()
    # every planned quantity is at least the MOQ and a multiple of the lot size
    placed = r.planned > 0
    assert (r.planned[placed] >= np.broadcast_to(moq[:, None], r.planned.shape)[placed]).all()
    lots = np.broadcast_to(lot[:, None], r.planned.shape)
    assert (r.planned[placed & (lots > 0)] % lots[placed & (lots > 0)] == 0).all()
    # planned orders cover every shortage: never below safety after planning
    assert (r.projected >= safety[:, None]).all()
    # no planned order when not needed: an order only where the projection before planning is short
    before = previous + receipts - demand
    assert ((r.planned > 0) == (before < safety[:, None])).all()
    assert (r.shortage == np.maximum(safety[:, None] - before, 0)).all()
    # a planned order is the smallest allowed quantity: one lot less would not cover the need or the MOQ
    step = np.where(lots > 0, lots, 1)
    smaller = r.planned - step
    need = safety[:, None] - before
    assert ((smaller < need) | (smaller < moq[:, None]))[placed].all()
    # late exactly where an order is needed before its lead time allows
    periods = np.arange(demand.shape[1])[None, :]
    assert (r.late == (placed & (periods < lead[:, None]))).all()
    assert (r.uncovered >= 0).all()
    assert (r.uncovered[:, :][~np.cumsum(r.late, axis=1).astype(bool)] == 0).all()
