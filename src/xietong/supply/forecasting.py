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
    e = np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float)
    total = float(np.sum(np.abs(actual)))
    mae = float(np.mean(np.abs(e))) if len(e) else float("nan")
    return {
        "wape": float(np.sum(np.abs(e))) / total if total else None,
        "mase": mae / scale if scale and math.isfinite(scale) and math.isfinite(mae) else None,
        "bias": float(np.sum(e)) / float(np.sum(actual)) if float(np.sum(actual)) else None,
    }


def _mean_or_none(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(kept)) if kept else None


# --- the engine ----------------------------------------------------------------------------------


def _series_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {uid: group["y"].to_numpy(dtype=float) for uid, group in frame.groupby("unique_id", sort=True)}


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
        for row, uid in enumerate(order):
            name = names[int(chosen[row])]
            scale = mase_scale(series[uid][:-window], season)
            held_a, held_f = actual[row, chose_on:], preds[name][row, chose_on:]
            if len(held_a) == 0:
                held_a, held_f = actual[row], preds[name][row]
            metrics[uid] = accuracy(held_a, held_f, scale)
            naive_mases.append(accuracy(held_a, preds[SEASONAL_NAIVE][row, -len(held_a) :], scale)["mase"])
            e = preds[name][row] - actual[row]
            residuals[uid] = actual[row] - preds[name][row]
            metrics[uid]["residual_sd"] = float(np.std(e, ddof=1)) if len(e) > 1 else None
            plans[uid]["model"] = name
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
