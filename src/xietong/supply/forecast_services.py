"""Forecast runs: the statistical baseline per product × BU from the demand history.

``forecast_run`` gathers the history of the 48 months before the first forecast month
(``signals.demand_history``: imported ERP history + XieTong's orders), builds one series per
product × BU (from its first month with demand, missing months as 0, up to the month before the
first forecast month), lets the engine (``forecasting.run``) choose, fit and forecast, and writes
the run, one ``ForecastSeries`` per series and one ``Forecast`` per series × month. A failure
keeps the run row (status failed, the error text) and raises a ``ValidationError``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.org.policies import require

from . import forecasting
from .choices import ForecastStatus
from .models import Forecast, ForecastRun, ForecastSeries
from .signals import Key, add_months, demand_history_floats, month_start

HISTORY_MONTHS = 48
MAX_HORIZON = 36
BATCH = 2000
PARALLEL_FROM = 1000  # series; below it one process is faster than starting a pool


def history_frame(
    history: Mapping[Key, Decimal | float] | Iterable[tuple[int, int, date, Decimal | float]],
    *,
    first_month: date,
    months: int = HISTORY_MONTHS,
) -> pd.DataFrame:
    """The engine's frame (unique_id "product:bu", ds, y): each series from its first month with
    demand to the month before ``first_month``, missing months as 0. ``history``: quantities per
    ``(product, bu, month)``, as a mapping (``signals.demand_history``) or as rows that may repeat a
    month (``signals.demand_history_floats``: they are added up; the day of a month is ignored)."""
    start = add_months(first_month, -months)
    rows = [(*key, q) for key, q in history.items()] if isinstance(history, Mapping) else list(history)
    keys = sorted({(p, b) for p, b, _m, _q in rows})
    if not keys:
        return pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="datetime64[ns]"), "y": []})
    row_of = {key: n for n, key in enumerate(keys)}
    grid = np.zeros((len(keys), months), dtype=float)
    for p, b, m, quantity in rows:
        col = (m.year - start.year) * 12 + m.month - start.month
        if 0 <= col < months:
            grid[row_of[(p, b)], col] += float(quantity)
    nonzero = grid != 0
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), months)
    mask = np.arange(months)[None, :] >= first[:, None]
    cells, cols = np.nonzero(mask)
    ids = np.array([f"{p}:{b}" for p, b in keys], dtype=object)
    ds = pd.date_range(start, periods=months, freq="MS")
    return pd.DataFrame({"unique_id": ids[cells], "ds": ds[cols], "y": grid[cells, cols]})


def _jobs(series: int) -> int:
    return min(2, os.cpu_count() or 1) if series >= PARALLEL_FROM else 1


def _write(run: ForecastRun, result: forecasting.ForecastResult) -> None:
    def key(uid: str) -> tuple[int, int]:
        product, bu = uid.split(":")
        return int(product), int(bu)

    def num(value: Any) -> float | None:
        return None if value is None or pd.isna(value) else float(value)

    ForecastSeries.objects.bulk_create(
        [
            ForecastSeries(
                run=run,
                product_id=key(row.unique_id)[0],
                business_unit_id=key(row.unique_id)[1],
                model=row.model,
                intermittent=bool(row.intermittent),
                wape=num(row.wape),
                mase=num(row.mase),
                bias=num(row.bias),
                residual_sd=num(row.residual_sd),
            )
            for row in result.selection.itertuples(index=False)
        ],
        batch_size=BATCH,
    )
    _insert_forecasts(run, result.forecasts)


def _insert_forecasts(run: ForecastRun, f: pd.DataFrame) -> None:
    """The ``Forecast`` rows, one ``executemany`` per 2,000: at 10,000 series × 18 months
    ``bulk_create`` spent more time compiling its SQL than the database spent writing (30 s of
    the run's ~3 min on SQLite); the columns come from the model's ``_meta``. Each column is built
    whole (ids and months through their distinct values, quantities as ``Decimal`` of three places,
    negatives as 0) rather than cell by cell."""
    ops = connection.ops
    meta = Forecast._meta
    names = ("run", "product", "business_unit", "month", "quantity", "low", "high")
    column = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(ops.quote_name(column[n]) for n in names)
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 (names from _meta)
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    uid_codes, uids = pd.factorize(f["unique_id"])
    keys = [tuple(int(part) for part in str(uid).split(":")) for uid in uids]
    month_codes, months = pd.factorize(pd.to_datetime(f["ds"]))
    adapted = [ops.adapt_datefield_value(ts.date()) for ts in months]

    def quantities(name: str) -> list[Any]:
        values = np.maximum(f[name].to_numpy(dtype=float), 0.0).tolist()
        return [ops.adapt_decimalfield_value(Decimal(f"{x:.3f}"), 14, 3) for x in values]

    rows = list(
        zip(
            [run.pk] * len(f),
            [keys[c][0] for c in uid_codes.tolist()],
            [keys[c][1] for c in uid_codes.tolist()],
            [adapted[c] for c in month_codes.tolist()],
            quantities("mean"),
            quantities("low"),
            quantities("high"),
            strict=True,
        )
    )
    with connection.cursor() as cursor:
        for at in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[at : at + BATCH])


def forecast_run(*, actor: Any, first_month: date, horizon: int = 18, season_length: int = 12) -> ForecastRun:
    """Run the statistical baseline from ``first_month`` for ``horizon`` months (demand "create")."""
    require(actor, "demand", "create")
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValidationError({"horizon": _("The horizon must be 1 to %(max)s months.") % {"max": MAX_HORIZON}})
    if not 1 <= season_length <= 24:
        raise ValidationError({"season_length": _("The season length must be 1 to 24 months.")})
    first_month = month_start(first_month)
    started = time.perf_counter()
    run = ForecastRun.objects.create(
        status=ForecastStatus.RUNNING,
        horizon=horizon,
        season_length=season_length,
        first_month=first_month,
        created_by=actor,
    )
    try:
        history = demand_history_floats(start=add_months(first_month, -HISTORY_MONTHS), end=first_month)
        frame = history_frame(history, first_month=first_month)
        del history  # a tuple per series × month: left alive, every full GC of the fit walks them
        series = frame["unique_id"].nunique()
        result = forecasting.run(frame, horizon=horizon, season_length=season_length, n_jobs=_jobs(series))
        with transaction.atomic():
            _write(run, result)
            run.status = ForecastStatus.DONE
            run.series_count = result.series_count
            run.wape, run.mase, run.bias, run.naive_mase = result.wape, result.mase, result.bias, result.naive_mase
            run.models_chosen = result.models_chosen
            run.seconds = time.perf_counter() - started
            run.finished_at = timezone.now()
            run.save()
            audit.record_create(actor=actor, obj=run)
    except Exception as exc:
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            seconds=time.perf_counter() - started,
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
        raise ValidationError(
            _("The forecast run failed: %(error)s") % {"error": str(exc) or type(exc).__name__}
        ) from exc
    return run


def latest_run() -> ForecastRun | None:
    """The last forecast run that finished."""
    return ForecastRun.objects.filter(status=ForecastStatus.DONE).order_by("-created_at", "-pk").first()
