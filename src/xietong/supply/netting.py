"""Supply netting: projected inventory and planned orders, per item and month (pure, no database).

Every quantity is an ``int64`` count of thousandths of a unit ("milli-units"), so the arithmetic is
exact; the caller converts ``Decimal`` quantities with three places (``to_milli`` / ``from_milli``).
Arrays are vectorised across items; only the periods (months) are looped over.

Inputs per item ``i``: the starting available stock ``start`` (on hand − allocated + in transit,
summed over warehouses), the safety stock ``safety`` (per item, or per item × period), the minimum
order quantity ``moq``, the lot size ``lot`` (0: any quantity), the lead time in whole months
``lead`` (``lead_months(days)`` = ⌈days / 30⌉). Per item × period ``t`` (0 = the plan's first month):
consensus ``demand[i, t]`` and scheduled ``receipts[i, t]`` (open purchase and production orders due
in that month, plus planned orders planners already decided on).

The rule, per period t = 0, 1, …, T − 1 (``projected[i, −1]`` = ``start[i]``)::

    before[t]    = projected[t − 1] + receipts[t] − demand[t]        (projected before planning)
    shortage[t]  = max(0, safety − before[t])                       (shortage before planning)
    need[t]      = safety − before[t]          when before[t] < safety, else no planned order
    planned[t]   = ⌈max(need[t], moq) / lot⌉ × lot   (lot 0: max(need[t], moq) as it is)
    projected[t] = before[t] + planned[t]
    release[t]   = t − lead                     the period the planned order must be released in
    late[t]      = planned[t] > 0 and t − lead < 0   → released in period 0, flagged "late"

So ``projected[t] = projected[t − 1] + receipts[t] + planned[t] − demand[t]`` always, and
``projected[t] ≥ safety`` in every period. A late order cannot arrive in time: it is still planned
(released at once, to arrive as early as possible), but the shortage it was meant to cover stands.
``uncovered[t]`` says how much: the stock that would be missing in period t without the late
orders, ``max(0, Σ_{s ≤ t} planned[s] · late[s] − projected[t])`` — more than zero means customers'
demand cannot be served in t (what marks opportunities "at risk").

Capacity (``capacity_check``): per production line ``l`` and period ``t``, the load is the sum of
the production quantities (planned and scheduled receipts of its make items, counted in the month
they are due) and ``overloaded[l, t] = load[l, t] > capacity[l, t]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

MILLI = 1000
DAYS_PER_MONTH = 30

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def to_milli(value: Decimal | int | None) -> int:
    """A quantity as whole thousandths, rounded up (a safety stock of 0.0004 units is 1 milli-unit)."""
    if value is None:
        return 0
    return int((Decimal(value) * MILLI).to_integral_value(rounding=ROUND_CEILING))


def from_milli(value: int | np.integer[Any]) -> Decimal:
    """Thousandths back to a quantity with three places."""
    return (Decimal(int(value)) / MILLI).quantize(Decimal("0.001"))


def lead_months(days: int) -> int:
    """Lead time in whole planning months: ⌈days / 30⌉ (0 days: 0 months)."""
    return math.ceil(max(0, int(days)) / DAYS_PER_MONTH)


@dataclass(frozen=True)
class NettingResult:
    """Arrays of shape (items, periods); ``release`` holds period indexes (clipped at 0)."""

    projected: IntArray
    planned: IntArray
    shortage: IntArray
    late: BoolArray
    release: IntArray
    uncovered: IntArray


def _int_array(value: Any, shape: tuple[int, ...], name: str) -> IntArray:
    array = np.asarray(value, dtype=np.int64)
    if array.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {array.shape}")
    return array


def net(
    *,
    start: Any,
    safety: Any,
    moq: Any,
    lot: Any,
    lead: Any,
    demand: Any,
    receipts: Any,
) -> NettingResult:
    """Net ``demand`` against stock and receipts for every item at once (see the module's rule).

    ``start``, ``moq``, ``lot``, ``lead``: shape (n,); ``safety``: (n,) or (n, T); ``demand`` and
    ``receipts``: (n, T). All in milli-units (``lead`` in months)."""
    demand_a = np.asarray(demand, dtype=np.int64)
    if demand_a.ndim != 2:
        raise ValueError("demand: expected a 2-d array (items × periods)")
    n, periods = demand_a.shape
    receipts_a = _int_array(receipts, (n, periods), "receipts")
    start_a = _int_array(start, (n,), "start")
    moq_a = _int_array(moq, (n,), "moq")
    lot_a = _int_array(lot, (n,), "lot")
    lead_a = _int_array(lead, (n,), "lead")
    safety_a = np.asarray(safety, dtype=np.int64)
    per_period = safety_a.ndim == 2
    if safety_a.shape != ((n, periods) if per_period else (n,)):
        raise ValueError(f"safety: expected shape ({n},) or ({n}, {periods}), got {safety_a.shape}")
    if (lot_a < 0).any() or (moq_a < 0).any() or (lead_a < 0).any():
        raise ValueError("moq, lot and lead must not be negative")

    lot_unit = np.where(lot_a > 0, lot_a, 1)  # a lot of 1 milli-unit: any quantity
    # months × items inside the loop: each month's row is contiguous in memory
    net_flow = np.ascontiguousarray((receipts_a - demand_a).T)
    safety_t = np.ascontiguousarray(safety_a.T) if per_period else safety_a
    projected_t = np.empty((periods, n), dtype=np.int64)
    planned_t = np.empty((periods, n), dtype=np.int64)
    shortage_t = np.empty((periods, n), dtype=np.int64)
    level = start_a.copy()
    need = np.empty(n, dtype=np.int64)
    quantity = np.empty(n, dtype=np.int64)
    for t in range(periods):
        level += net_flow[t]
        np.subtract(safety_t[t] if per_period else safety_t, level, out=need)
        np.maximum(need, 0, out=shortage_t[t])
        np.maximum(need, moq_a, out=quantity)
        np.negative(quantity, out=quantity)
        np.floor_divide(quantity, lot_unit, out=quantity)
        np.multiply(quantity, lot_unit, out=quantity)
        np.negative(quantity, out=quantity)  # ⌈max(need, moq) / lot⌉ × lot
        np.multiply(quantity, need > 0, out=planned_t[t])
        level += planned_t[t]
        projected_t[t] = level
    offsets = np.arange(periods, dtype=np.int64)[:, None] - lead_a[None, :]
    late_t = (planned_t > 0) & (offsets < 0)
    release_t = np.maximum(offsets, 0)
    uncovered_t = np.cumsum(planned_t * late_t, axis=0)
    uncovered_t -= projected_t
    np.maximum(uncovered_t, 0, out=uncovered_t)
    projected, planned, shortage = projected_t.T, planned_t.T, shortage_t.T
    late, release, uncovered = late_t.T, release_t.T, uncovered_t.T
    return NettingResult(
        projected=projected, planned=planned, shortage=shortage, late=late, release=release, uncovered=uncovered
    )


@dataclass(frozen=True)
class CapacityResult:
    load: IntArray  # (lines, periods)
    overloaded: BoolArray


def capacity_check(*, line_index: Any, production: Any, capacity: Any) -> CapacityResult:
    """Load per production line and period against its capacity.

    ``line_index``: (n,) the line of each item (−1: none, e.g. a bought item); ``production``:
    (n, T) the production quantities of each item per period (planned + scheduled production
    receipts); ``capacity``: (lines, T). All in milli-units."""
    capacity_a = np.asarray(capacity, dtype=np.int64)
    if capacity_a.ndim != 2:
        raise ValueError("capacity: expected a 2-d array (lines × periods)")
    lines, periods = capacity_a.shape
    production_a = np.asarray(production, dtype=np.int64)
    index = np.asarray(line_index, dtype=np.int64)
    if production_a.shape != (index.shape[0], periods):
        raise ValueError(f"production: expected shape ({index.shape[0]}, {periods}), got {production_a.shape}")
    if (index >= lines).any():
        raise ValueError("line_index: a line outside the capacity array")
    load = np.zeros((lines, periods), dtype=np.int64)
    made = index >= 0
    np.add.at(load, index[made], production_a[made])
    return CapacityResult(load=load, overloaded=load > capacity_a)
