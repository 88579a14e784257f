"""S&OP B7: the statistical baseline of N product series × 48 months, end to end, against the bare
library calls it makes.

Data: N synthetic series (smoke/demo 200, 100k 2,000, 1M 10,000; seeded, so every database gets the
same numbers) of ``SalesHistory`` — one BENCH-F product each, in one business unit, 48 months from
2016-01 to 2019-12: 90 % regular (level, yearly season with a random phase, a slight trend, noise),
10 % intermittent (demand in about a quarter of the months, lumpy sizes). The first forecast month
is 2020-01, long before the demo group's own orders, so the history is exactly this data.

Ours: ``supply.forecast_services.forecast_run`` (18 months): the SQL aggregation of the history,
the frame, model choice by backtest, the final fits, the metrics, and the ``ForecastRun`` /
``ForecastSeries`` / ``Forecast`` rows written. The previous bench runs are deleted before each
call (untimed).

Reference: the bare statsforecast calls the engine makes (the backtest fit of the candidates per
group, the final fit of the chosen model per group), replayed on the same prepared frames —
captured from one engine run in setup, before any timing. Goal: ours ≤ 1.15× the reference.

Checks: MASE of the chosen models ≤ 0.95 × the seasonal naive's on the same backtest (the accuracy
is measured on the half of the backtest window the choice did not see), series count, seconds
(≤ 300 s at the 1M scale: 10,000 series on 2 cores).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from bench.core import Check, Context, Measured, VerificationError, Workload
from bench.workloads import crm_support

SERIES = {"demo": 200, "smoke": 200, "100k": 2_000, "1M": 10_000}
MONTHS = 48
FIRST = date(2020, 1, 1)
HORIZON = 18
PREFIX = "BENCH-F-"
PLANNER = "bench-sop-planner"
SEED = 7


def _months() -> list[date]:
    from xietong.supply.signals import add_months

    return [add_months(FIRST, -MONTHS + n) for n in range(MONTHS)]


def synthetic(count: int, seed: int = SEED) -> np.ndarray:
    """(count, 48) integer quantities; every 10th series intermittent."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    out = np.zeros((count, MONTHS), dtype=np.int64)
    for n in range(count):
        if n % 10 == 9:
            sizes = rng.integers(1, 40, MONTHS)
            out[n] = np.where(rng.random(MONTHS) < 0.25, sizes, 0)
            continue
        level = rng.uniform(20, 500)
        season = rng.uniform(0.1, 0.6) * np.sin(2 * np.pi * (t + rng.integers(0, 12)) / 12)
        trend = rng.uniform(-0.004, 0.008) * t
        noise = rng.normal(0, rng.uniform(0.05, 0.25), MONTHS)
        out[n] = np.maximum(0, np.round(level * (1 + season + trend + noise)))
    return out


def load(count: int) -> list[int]:
    """The products and their history (idempotent: made once per count); their ids."""
    from xietong.catalog.models import Product
    from xietong.org.models import BusinessUnit
    from xietong.supply.models import SalesHistory

    codes = [f"{PREFIX}{n:05d}" for n in range(count)]
    have = set(Product.objects.filter(code__startswith=PREFIX).values_list("code", flat=True))
    Product.objects.bulk_create(
        [
            Product(code=c, name=f"预测基准产品{c[-5:]}", unit="件", list_price=Decimal("100.00"), product_line="基准")
            for c in codes
            if c not in have
        ],
        batch_size=2000,
    )
    ids = dict(Product.objects.filter(code__startswith=PREFIX).values_list("code", "pk"))
    products = [ids[c] for c in codes]
    bu = BusinessUnit.objects.order_by("pk").first() or BusinessUnit.objects.create(
        code="bench-f", name="预测基准事业部"
    )
    months = _months()
    if (
        SalesHistory.objects.filter(product_id__in=products[-1:], month__gte=months[0], month__lt=FIRST).count()
        != MONTHS
    ):
        SalesHistory.objects.filter(product__code__startswith=PREFIX).delete()
        values = synthetic(count)
        SalesHistory.objects.bulk_create(
            [
                SalesHistory(product_id=p, business_unit=bu, month=m, quantity=Decimal(int(values[i, j])))
                for i, p in enumerate(products)
                for j, m in enumerate(months)
            ],
            batch_size=5000,
        )
    return products


def _planner() -> Any:
    from xietong.org.defaults import ensure_default_roles
    from xietong.org.models import User, UserRole

    user, _ = User.objects.get_or_create(username=PLANNER, defaults={"display_name": "基准计划员"})
    UserRole.objects.get_or_create(user=user, role=ensure_default_roles()["supply_planner"], business_unit=None)
    user.__dict__.pop("access", None)
    return user


def _clear() -> None:
    from xietong.supply.models import ForecastRun

    ForecastRun.objects.filter(first_month=FIRST).delete()


def _setup(ctx: Context) -> dict[str, Any]:
    crm_support.require("xietong.supply.forecast_services", "forecast_run")
    from xietong.supply import forecast_services, forecasting
    from xietong.supply.signals import add_months, demand_history_floats

    count = SERIES[ctx.scale]
    load(count)
    planner = _planner()
    history = demand_history_floats(start=add_months(FIRST, -forecast_services.HISTORY_MONTHS), end=FIRST)
    frame = forecast_services.history_frame(history, first_month=FIRST)
    calls: list[dict[str, Any]] = []
    series = frame["unique_id"].nunique()
    engine = forecasting.run(frame, horizon=HORIZON, n_jobs=forecast_services._jobs(series), record=calls)
    return {"planner": planner, "calls": calls, "count": count, "engine": engine, "runs": []}


def _prepare(ctx: Context, name: str) -> None:
    if name == "ours":
        _clear()


def ours(ctx: Context) -> Measured:
    from xietong.supply import forecast_services

    seconds, run = crm_support.timed(
        lambda: forecast_services.forecast_run(actor=ctx.state["planner"], first_month=FIRST, horizon=HORIZON)
    )
    info = {
        "seconds": seconds,
        "mase": run.mase,
        "naive_mase": run.naive_mase,
        "wape": run.wape,
        "bias": run.bias,
        "models": run.models_chosen,
    }
    ctx.state["runs"].append(info)
    return Measured(run.series_count, seconds, info)


def reference(ctx: Context) -> Measured:
    """The engine's library calls, bare, on the frames prepared in setup."""
    from statsforecast import StatsForecast

    from xietong.supply.forecasting import make_model

    def replay() -> int:
        series: set[str] = set()
        for call in ctx.state["calls"]:
            sf = StatsForecast(
                models=[make_model(n, call["season"]) for n in call["names"]], freq="MS", n_jobs=call["n_jobs"]
            )
            out = sf.forecast(df=call["frame"], h=call["h"], level=[call["level"]] if call["level"] else None)
            if call["h"] == HORIZON:  # a final fit (the backtests use shorter windows)
                series.update(out["unique_id"].astype(str).unique())
        return len(series)

    seconds, answer = crm_support.timed(replay)
    return Measured(answer, seconds)


def _verify(answers: dict[str, Any]) -> None:
    if answers["ours"] != answers["reference"]:
        raise VerificationError(
            f"sop_b7_forecast: ours forecast {answers['ours']} series, the reference {answers['reference']}"
        )


def _checks(ctx: Context, infos: dict[str, list[dict[str, Any]]]) -> list[Check]:
    runs = infos.get("ours") or ctx.state["runs"]
    last = runs[-1]
    ratio = last["mase"] / last["naive_mase"] if last["mase"] is not None and last["naive_mase"] else float("nan")
    seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
    checks = [
        Check(
            "series forecast",
            str(ctx.state["engine"].series_count),
            str(ctx.state["count"]),
            ctx.state["engine"].series_count == ctx.state["count"],
        ),
        Check("MASE ÷ seasonal naive's MASE", f"{ratio:.3f}", "≤ 0.95", ratio <= 0.95),
        Check(
            "MASE / naive MASE / WAPE / bias",
            f"{last['mase']:.3f} / {last['naive_mase']:.3f} / {last['wape']:.3f} / {last['bias']:+.3f}",
            "for information",
            True,
        ),
        Check("models chosen", ", ".join(f"{k} {v}" for k, v in last["models"].items()), "for information", True),
    ]
    judged = ctx.scale == "1M"
    checks.append(
        Check(
            "seconds (median)",
            f"{seconds:.1f}",
            "≤ 300 at 1M" if judged else "for information",
            not judged or seconds <= 300,
        )
    )
    return checks


WORKLOAD = Workload(
    name="sop_b7_forecast",
    description="forecast_run end to end (SQL → choice and fit → rows) vs the bare statsforecast calls, same frames",
    goal_ratio=1.15,
    setup=_setup,
    contestants={"ours": ours, "reference": reference},
    verify=_verify,
    prepare=_prepare,
    checks=_checks,
)
