"""The statistical baseline engine: model choice by backtest, forecasts with intervals, accuracy.

Pure (no Django): a pandas frame ``(unique_id, ds, y)`` of monthly history in, a ``ForecastResult``
out. The fitting is statsforecast's (Nixtla); nothing here fits a model by hand.

How a series is treated
- **Too short** (fewer than ``min_history`` months, or never any demand): the library's
  ``HistoricAverage`` (the mean of what exists), no backtest, model recorded as such.
- **Intermittent** (ADI = months / months with demand > 1.32, the Syntetos–Boylan cut-off):
  candidates ``ADIDA`` (aggregate–disaggregate intermittent demand) and the seasonal naive.
- **Regular**: candidates seasonal naive, ``AutoETS`` (restricted to ``AAA``: additive error,
  additive trend damped or not, additive season — the full ``ZZZ`` search costs about 4× more;
  on the benchmark set ``AAA`` gave MASE 0.89× the seasonal naive's where ``ZNA`` gave 0.94×) and
  ``AutoTheta``.
- The season (12) is used when the training part of the backtest holds at least two seasons;
  otherwise season 1 (``Naive`` stands for the seasonal naive, ETS without season).

Backtest: one origin, the last ``w = min(season, months // 3)`` months held out. The model is chosen
on the **first half** of that window (lowest MAE; ties go to the simpler model, the naive first)
and the accuracy reported (per series and overall) is measured on the **second half**, which the
choice did not see — so "MASE vs seasonal naive" is not flattered by the choice itself.

Metrics (e = forecast − actual): WAPE = Σ|e| / Σ|y|; MASE = MAE / the in-sample (training part)
mean absolute seasonal-naive error (lag = season, lag 1 when the training part is shorter than two
seasons); bias = Σe / Σy. Overall WAPE and bias pool the errors of all series; overall MASE is the
mean of the series' MASEs (series with a zero scale left out), and ``naive_mase`` is the same mean
for the seasonal naive on the same windows. ``residual_sd`` is the standard deviation of the chosen
model's errors over the whole window (for safety stock).

Intervals (``level``, 80 by default): the library's own intervals for every model that has them
(ETS, Theta, the naives, the historic average); for ADIDA, which has none without conformal
calibration, the empirical quantiles of its backtest errors added to the forecast. Negative
forecasts and bounds are clipped at 0 and the interval always contains the forecast.
Deterministic: the same frame gives the same result.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SEASONAL_NAIVE = "SeasonalNaive"
NAIVE = "Naive"
ETS = "AutoETS"
THETA = "AutoTheta"
ADIDA = "ADIDA"
FALLBACK = "HistoricAverage"
NO_INTERVALS = frozenset({ADIDA})
ADI_CUTOFF = 1.32

REGULAR = (SEASONAL_NAIVE, ETS, THETA)  # order = preference on ties
INTERMITTENT = (SEASONAL_NAIVE, ADIDA)


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame  # unique_id, ds, mean, low, high, model
    selection: pd.DataFrame  # unique_id, model, intermittent, wape, mase, bias, residual_sd
    wape: float | None
    mase: float | None
    bias: float | None
    naive_mase: float | None
    models_chosen: dict[str, int] = field(default_factory=dict)

    @property
    def series_count(self) -> int:
        return len(self.selection)

    @property
    def mase_vs_naive(self) -> float | None:
        if self.mase is None or not self.naive_mase:
            return None
        return self.mase / self.naive_mase


def make_model(name: str, season: int) -> Any:
    """The statsforecast model called ``name`` (its alias is the name) for a season length."""
    from statsforecast import models as m

    if name == SEASONAL_NAIVE:
        return m.SeasonalNaive(season_length=season) if season > 1 else m.Naive(alias=SEASONAL_NAIVE)
    if name == ETS:
        return m.AutoETS(season_length=season, model="AAA" if season > 1 else "ZZN")
    if name == THETA:
        return m.AutoTheta(season_length=season)
    if name == ADIDA:
        return m.ADIDA()
    if name == FALLBACK:
        return m.HistoricAverage()
    raise ValueError(f"unknown model {name!r}")


def _fit_predict(
    frame: pd.DataFrame,
    names: tuple[str, ...],
    season: int,
    h: int,
    level: int | None,
    n_jobs: int,
    record: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    from statsforecast import StatsForecast

    if record is not None:  # the benchmark replays the bare library calls on the same frames
        record.append({"frame": frame, "names": names, "season": season, "h": h, "level": level, "n_jobs": n_jobs})
    sf = StatsForecast(models=[make_model(n, season) for n in names], freq="MS", n_jobs=n_jobs)
    out = sf.forecast(df=frame, h=h, level=[level] if level else None)
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


# --- metrics -------------------------------------------------------------------------------------


def mase_scale(insample: np.ndarray, season: int) -> float:
    """Mean absolute seasonal-naive error in sample (lag ``season``; lag 1 below two seasons)."""
    lag = season if len(insample) >= 2 * season else 1
    if len(insample) <= lag:
        return float("nan")
    return float(np.mean(np.abs(insample[lag:] - insample[:-lag])))


def accuracy(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float | None]:
    """WAPE, MASE, bias of one series' forecast against its actuals (e = forecast − actual)."""
    rows = accuracy_rows(
        np.asarray(actual, dtype=float)[None, :], np.asarray(forecast, dtype=float)[None, :], np.array([scale])
    )
    return {name: values[0] for name, values in rows.items()}


def _mean_or_none(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(kept)) if kept else None


# --- the engine ----------------------------------------------------------------------------------


def _series_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each series' ``y`` in order, from a frame sorted by (unique_id, ds): one split, no groupby."""
    ids = frame["unique_id"].to_numpy()
    if len(ids) == 0:
        return {}
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    values = np.split(frame["y"].to_numpy(dtype=float), starts)
    return dict(zip(ids[np.r_[0, starts]].tolist(), values, strict=True))


def accuracy_rows(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, list[float | None]]:
    """WAPE, MASE and bias of many series at once (the engine's metrics, see the module doc): rows
    of ``actual`` and ``forecast`` (same shape), one MASE ``scale`` per row; None where undefined."""
    e = forecast - actual
    total = np.sum(np.abs(actual), axis=1)
    mae = np.mean(np.abs(e), axis=1) if e.shape[1] else np.full(len(e), np.nan)
    signed = np.sum(actual, axis=1)
    abs_e, sum_e = np.sum(np.abs(e), axis=1), np.sum(e, axis=1)
    good_scale = (scale != 0) & np.isfinite(scale) & np.isfinite(mae)
    with np.errstate(divide="ignore", invalid="ignore"):
        wape = np.where(total != 0, abs_e / total, np.nan)
        mase = np.where(good_scale, mae / np.where(good_scale, scale, 1.0), np.nan)
        bias = np.where(signed != 0, sum_e / signed, np.nan)

    def column(values: np.ndarray, keep: np.ndarray) -> list[float | None]:
        return [float(v) if k else None for v, k in zip(values.tolist(), keep.tolist(), strict=True)]

    return {
        "wape": column(wape, total != 0),
        "mase": column(mase, good_scale),
        "bias": column(bias, signed != 0),
    }


def run(
    history: pd.DataFrame,
    *,
    horizon: int = 18,
    season_length: int = 12,
    level: int = 80,
    min_history: int = 6,
    n_jobs: int = 1,
    record: list[dict[str, Any]] | None = None,
) -> ForecastResult:
    """Choose, fit and forecast every series of ``history`` (unique_id, ds month start, y).

    ``record``: when a list, every library call (its frame and arguments) is appended to it."""
    frame = history[["unique_id", "ds", "y"]].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    series = _series_arrays(frame)

    # classify and group by (kind, season, backtest window)
    plans: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[bool, int, int], list[str]] = {}
    for uid, y in series.items():
        n, demand = len(y), int(np.count_nonzero(y))
        intermittent = demand > 0 and n / demand > ADI_CUTOFF
        if n < min_history or demand == 0:
            plans[uid] = {"model": FALLBACK, "intermittent": intermittent, "season": 1, "window": 0}
            continue
        window = max(2, min(season_length, n // 3))
        season = season_length if season_length > 1 and n - window >= 2 * season_length else 1
        plans[uid] = {"intermittent": intermittent, "season": season, "window": window}
        groups.setdefault((intermittent, season, window), []).append(uid)

    metrics: dict[str, dict[str, Any]] = {}
    residuals: dict[str, np.ndarray] = {}
    pooled = {"abs": 0.0, "err": 0.0, "y": 0.0, "absy": 0.0}
    naive_mases: list[float | None] = []
    for (intermittent, season, window), uids in sorted(groups.items()):
        names = INTERMITTENT if intermittent else REGULAR
        keep = set(uids)
        part = frame[frame["unique_id"].isin(keep)]
        from_end = part.groupby("unique_id", sort=False).cumcount(ascending=False)
        train = part[from_end.to_numpy() >= window]
        predicted = _fit_predict(train, names, season, window, None, n_jobs, record)
        order = sorted(uids)
        actual = np.stack([series[u][-window:] for u in order])
        preds = {
            name: np.clip(predicted[name].to_numpy(dtype=float).reshape(len(order), window), 0, None) for name in names
        }
        chose_on = max(1, window // 2)
        mae = np.stack([np.mean(np.abs(preds[name][:, :chose_on] - actual[:, :chose_on]), axis=1) for name in names])
        mae = np.where(np.isfinite(mae), mae, np.inf)
        chosen = np.argmin(mae, axis=0)  # first minimum: the preference order on ties
        rows = np.arange(len(order))
        chosen_preds = np.stack([preds[name] for name in names])[chosen, rows]  # (series, window)
        scale = np.array([mase_scale(series[uid][:-window], season) for uid in order])
        held = slice(chose_on, None) if window - chose_on > 0 else slice(None)
        held_a, held_f = actual[:, held], chosen_preds[:, held]
        ours = accuracy_rows(held_a, held_f, scale)
        naive_mases.extend(accuracy_rows(held_a, preds[SEASONAL_NAIVE][:, held], scale)["mase"])
        e = chosen_preds - actual
        residual_sd = np.std(e, axis=1, ddof=1) if window > 1 else np.full(len(order), np.nan)
        for row, uid in enumerate(order):
            metrics[uid] = {
                "wape": ours["wape"][row],
                "mase": ours["mase"][row],
                "bias": ours["bias"][row],
                "residual_sd": float(residual_sd[row]) if window > 1 else None,
            }
            residuals[uid] = -e[row]
            plans[uid]["model"] = names[int(chosen[row])]
        pooled["abs"] += float(np.sum(np.abs(held_f - held_a)))
        pooled["err"] += float(np.sum(held_f - held_a))
        pooled["y"] += float(np.sum(held_a))
        pooled["absy"] += float(np.sum(np.abs(held_a)))

    # final fits: one call per (model, season)
    final_groups: dict[tuple[str, int], list[str]] = {}
    for uid, plan in plans.items():
        final_groups.setdefault((plan["model"], plan["season"]), []).append(uid)
    pieces = []
    for (name, season), uids in sorted(final_groups.items()):
        part = frame[frame["unique_id"].isin(set(uids))]
        with_level = name not in NO_INTERVALS
        out = _fit_predict(part, (name,), season, horizon, level if with_level else None, n_jobs, record)
        mean = out[name].to_numpy(dtype=float)
        if with_level:
            low = out[f"{name}-lo-{level}"].to_numpy(dtype=float)
            high = out[f"{name}-hi-{level}"].to_numpy(dtype=float)
        else:
            q_low, q_high = (100 - level) / 200, 1 - (100 - level) / 200
            lows, highs = [], []
            for uid in out["unique_id"].drop_duplicates():  # sorted like ``out``
                r = residuals.get(uid, np.zeros(1))
                lows.append(np.quantile(r, q_low))
                highs.append(np.quantile(r, q_high))
            low = mean + np.repeat(lows, horizon)
            high = mean + np.repeat(highs, horizon)
        low = np.where(np.isfinite(low), low, mean)
        high = np.where(np.isfinite(high), high, mean)
        mean = np.clip(np.nan_to_num(mean), 0, None)
        low = np.clip(np.minimum(low, mean), 0, None)
        high = np.maximum(high, mean)
        pieces.append(
            pd.DataFrame(
                {
                    "unique_id": out["unique_id"].astype(str),
                    "ds": out["ds"],
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "model": name,
                }
            )
        )
    columns = ["unique_id", "ds", "mean", "low", "high", "model"]
    forecasts = (
        pd.concat(pieces, ignore_index=True).sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        if pieces
        else pd.DataFrame(columns=columns)
    )
    selection = pd.DataFrame(
        [
            {
                "unique_id": uid,
                "model": plans[uid]["model"],
                "intermittent": bool(plans[uid]["intermittent"]),
                "wape": metrics.get(uid, {}).get("wape"),
                "mase": metrics.get(uid, {}).get("mase"),
                "bias": metrics.get(uid, {}).get("bias"),
                "residual_sd": metrics.get(uid, {}).get("residual_sd"),
            }
            for uid in sorted(plans)
        ],
        columns=["unique_id", "model", "intermittent", "wape", "mase", "bias", "residual_sd"],
    )
    return ForecastResult(
        forecasts=forecasts,
        selection=selection,
        wape=pooled["abs"] / pooled["absy"] if pooled["absy"] else None,
        mase=_mean_or_none([m.get("mase") for m in metrics.values()]),
        bias=pooled["err"] / pooled["y"] if pooled["y"] else None,
        naive_mase=_mean_or_none(naive_mases),
        models_chosen=dict(sorted(Counter(p["model"] for p in plans.values()).items())),
    )
