"""The forecast engine on synthetic series: choice, classification, intervals, exact metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xietong.supply import forecasting


def _series(uid: str, values: list[float] | np.ndarray, start: str = "2021-01-01") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq="MS"), "y": values})


def _seasonal(n: int = 48, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 80 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, n)


def _intermittent(n: int = 48) -> np.ndarray:
    y = np.zeros(n)
    y[::5] = 10.0  # demand every 5th month: the lag-12 naive misses it, the level is 2 a month
    return y


def test_metrics_exact_on_a_hand_computed_case() -> None:
    actual = np.array([10.0, 0.0, 20.0])
    forecast = np.array([12.0, 1.0, 15.0])  # e = 2, 1, -5
    scale = forecasting.mase_scale(np.array([1.0, 3.0, 2.0, 6.0]), season=12)  # lag 1: |2|,|1|,|4| → 7/3
    assert scale == pytest.approx(7 / 3)
    got = forecasting.accuracy(actual, forecast, scale)
    assert got["wape"] == pytest.approx(8 / 30)  # Σ|e| / Σ|y|
    assert got["mase"] == pytest.approx((8 / 3) / (7 / 3))
    assert got["bias"] == pytest.approx(-2 / 30)  # Σe / Σy


def test_metrics_of_many_series_at_once_row_by_row_with_none_where_undefined() -> None:
    actual = np.array([[10.0, 0.0, 20.0], [0.0, 0.0, 0.0], [1.0, -1.0, 2.0]])
    forecast = np.array([[12.0, 1.0, 15.0], [1.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    scale = np.array([7 / 3, 0.0, float("nan")])
    got = forecasting.accuracy_rows(actual, forecast, scale)
    assert got["wape"] == [pytest.approx(8 / 30), None, pytest.approx(3 / 4)]
    assert got["mase"] == [pytest.approx((8 / 3) / (7 / 3)), None, None]  # no scale: no MASE
    assert got["bias"] == [pytest.approx(-2 / 30), None, pytest.approx(1 / 2)]
    for row in range(3):  # the one-series form is the same computation
        one = forecasting.accuracy(actual[row], forecast[row], float(scale[row]))
        assert one == {name: values[row] for name, values in got.items()}


def test_mase_scale_uses_the_season_with_two_seasons_of_history() -> None:
    y = np.array([float(v) for v in range(24)])  # lag 12 differences are all 12
    assert forecasting.mase_scale(y, season=12) == 12.0
    assert forecasting.mase_scale(y[:23], season=12) == 1.0  # shorter: lag 1


@pytest.mark.slow  # the first ETS fit of a session compiles statsforecast's numba kernels (~3 s)
def test_a_seasonal_series_picks_a_seasonal_model_and_beats_the_naive() -> None:
    result = forecasting.run(_series("seasonal", _seasonal()), horizon=12)
    row = result.selection.iloc[0]
    assert row["model"] in (forecasting.ETS, forecasting.THETA, forecasting.SEASONAL_NAIVE)
    assert not row["intermittent"]
    assert result.mase is not None and result.naive_mase is not None
    assert result.mase < result.naive_mase
    f = result.forecasts
    assert len(f) == 12
    assert list(f["ds"].dt.strftime("%Y-%m"))[:2] == ["2025-01", "2025-02"]
    # the forecast keeps the season: peak around April (sin max at t=3), trough around October
    by_month = dict(zip(f["ds"].dt.month, f["mean"], strict=True))
    assert by_month[4] > by_month[10] + 100


def test_an_intermittent_series_is_classified_and_forecast_by_the_intermittent_method() -> None:
    result = forecasting.run(_series("lumpy", _intermittent()), horizon=6)
    row = result.selection.iloc[0]
    assert bool(row["intermittent"]) is True
    assert row["model"] == forecasting.ADIDA
    assert result.models_chosen == {forecasting.ADIDA: 1}
    assert set(result.forecasts["model"]) == {forecasting.ADIDA}


def test_intervals_contain_the_mean_and_nothing_is_negative() -> None:
    frame = pd.concat([_series("a", _seasonal()), _series("b", _intermittent()), _series("c", [5.0, 0.0, 7.0])])
    f = forecasting.run(frame, horizon=6).forecasts
    assert len(f) == 18
    assert (f["low"] <= f["mean"]).all() and (f["mean"] <= f["high"]).all()
    assert (f["low"] >= 0).all()
    assert (f.groupby("unique_id")["high"].max() > f.groupby("unique_id")["low"].min()).all()


def test_a_short_series_falls_back_to_the_historic_average() -> None:
    result = forecasting.run(_series("short", [4.0, 0.0, 8.0]), horizon=3)
    assert result.models_chosen == {forecasting.FALLBACK: 1}
    assert list(result.forecasts["mean"]) == pytest.approx([4.0, 4.0, 4.0])
    assert result.selection.iloc[0]["mase"] is None
    assert result.wape is None  # no backtest at all


def test_deterministic() -> None:
    frame = pd.concat([_series("a", _seasonal()), _series("b", _intermittent())])
    one, two = forecasting.run(frame, horizon=6), forecasting.run(frame, horizon=6)
    pd.testing.assert_frame_equal(one.forecasts, two.forecasts)
    assert (one.wape, one.mase, one.bias) == (two.wape, two.mase, two.bias)
