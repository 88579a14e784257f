"""S&OP supply netting: 10k products × 18 months within 1.5× a vectorised reference computation.

Data: prepared in memory (no database), seeded: N products (smoke and demo: 1,000; the larger
scales: 10,000; ``XIETONG_BENCH_SOP_PRODUCTS`` overrides) × 18 months, in thousandths of a unit as
the engine takes them — starting stock, safety stock, MOQ, lot size (a fifth with none), lead time
0–4 months, monthly demand with thousandths, sparse scheduled receipts.

Ours: ``xietong.supply.netting.net`` on those arrays (projection, planned orders, shortage, late
flags, release periods and the uncovered shortage).

Reference: a straightforward vectorised numpy implementation of the same rule written here (loop
over months, whole-array operations across products, the lot rounding through float ``ceil``), with
the same outputs but the uncovered shortage.

The answers compared: the totals of planned receipts, projected stock and shortage, and the number
of late planned orders. Goal: ≤ 1.5×.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from bench.core import Context, VerificationError, Workload

MONTHS = 18
PRODUCTS = {"demo": 1_000, "smoke": 1_000, "100k": 10_000, "1M": 10_000}
SEED = 20261129


def _products(ctx: Context) -> int:
    override = os.environ.get("XIETONG_BENCH_SOP_PRODUCTS", "").strip()
    return int(override) if override else PRODUCTS.get(ctx.scale, 1_000)


def _setup(ctx: Context) -> dict[str, Any]:
    n = _products(ctx)
    rng = np.random.default_rng(SEED)
    k = 1000
    lot = rng.choice(np.array([0, 1, 5, 10, 50], dtype=np.int64), size=n) * k
    receipts = rng.integers(0, 200, size=(n, MONTHS), dtype=np.int64) * k
    receipts[rng.random((n, MONTHS)) < 0.85] = 0
    return {
        "n": n,
        "start": rng.integers(0, 500, size=n, dtype=np.int64) * k,
        "safety": rng.integers(0, 100, size=n, dtype=np.int64) * k,
        "moq": rng.choice(np.array([0, 10, 25, 100], dtype=np.int64), size=n) * k,
        "lot": lot,
        "lead": rng.integers(0, 5, size=n, dtype=np.int64),
        "demand": rng.integers(0, 120_000, size=(n, MONTHS), dtype=np.int64),
        "receipts": receipts,
    }


def _answer(planned: np.ndarray, projected: np.ndarray, shortage: np.ndarray, late: np.ndarray) -> tuple[int, ...]:
    return int(planned.sum()), int(projected.sum()), int(shortage.sum()), int(late.sum())


def ours(ctx: Context) -> tuple[int, ...]:
    from xietong.supply import netting

    s = ctx.state
    r = netting.net(
        start=s["start"],
        safety=s["safety"],
        moq=s["moq"],
        lot=s["lot"],
        lead=s["lead"],
        demand=s["demand"],
        receipts=s["receipts"],
    )
    return _answer(r.planned, r.projected, r.shortage, r.late)


def reference(ctx: Context) -> tuple[int, ...]:
    """The rule written plainly with whole-array numpy operations, one month at a time."""
    s = ctx.state
    start, safety, moq, lot, lead = s["start"], s["safety"], s["moq"], s["lot"], s["lead"]
    demand, receipts = s["demand"], s["receipts"]
    n, months = demand.shape
    projected = np.zeros((n, months), dtype=np.int64)
    planned = np.zeros((n, months), dtype=np.int64)
    shortage = np.zeros((n, months), dtype=np.int64)
    late = np.zeros((n, months), dtype=bool)
    release = np.zeros((n, months), dtype=np.int64)
    level = start.copy()
    for t in range(months):
        before = level + receipts[:, t] - demand[:, t]
        need = safety - before
        shortage[:, t] = np.where(need > 0, need, 0)
        quantity = np.maximum(need, moq)
        lots = np.where(lot > 0, lot, 1)
        quantity = np.where(lot > 0, (np.ceil(quantity / lots) * lots).astype(np.int64), quantity)
        quantity = np.where(need > 0, quantity, 0)
        planned[:, t] = quantity
        level = before + quantity
        projected[:, t] = level
        late[:, t] = (quantity > 0) & (t - lead < 0)
        release[:, t] = np.maximum(t - lead, 0)
    return _answer(planned, projected, shortage, late)


def _verify(answers: dict[str, Any]) -> None:
    if answers["ours"] != answers["reference"]:
        raise VerificationError(f"sop_netting: ours {answers['ours']} vs the reference {answers['reference']}")


WORKLOAD = Workload(
    name="sop_netting",
    description="netting.net over N products × 18 months vs a straightforward vectorised numpy reference",
    goal_ratio=1.5,
    setup=_setup,
    contestants={"ours": ours, "reference": reference},
    verify=_verify,
)
