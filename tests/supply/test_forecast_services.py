"""forecast_run: permission, the rows written, a failure recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.support.factories import UserFactory, grant
from tests.support.pipeline import ProductFactory
from xietong.org.defaults import ensure_default_roles
from xietong.supply import forecast_services, forecasting
from xietong.supply.choices import ForecastStatus
from xietong.supply.models import Forecast, ForecastRun, ForecastSeries, SalesHistory
from xietong.supply.signals import add_months

pytestmark = pytest.mark.django_db

FIRST = date(2026, 1, 1)


@pytest.fixture
def planner(org: dict[str, Any]) -> Any:
    user = UserFactory(primary_team=org["supply"])
    grant(user, ensure_default_roles()["supply_planner"])
    return user


@pytest.fixture
def history(org: dict[str, Any]) -> dict[str, Any]:
    """Three series: p×BU1 seasonal for 36 months, p×BU2 lumpy for 24, q×BU1 only 3 months (with a gap)."""
    p, q = ProductFactory(), ProductFactory()
    rows = []
    for n in range(36):
        month = add_months(FIRST, -36 + n)
        rows.append(
            SalesHistory(
                product=p,
                business_unit=org["bu1"],
                month=month,
                quantity=Decimal(100 + 40 * (month.month in (11, 12)) + n % 3),
            )
        )
    for n in range(24):
        if n % 4 == 0:
            rows.append(
                SalesHistory(
                    product=p, business_unit=org["bu2"], month=add_months(FIRST, -24 + n), quantity=Decimal("12.500")
                )
            )
    rows.append(SalesHistory(product=q, business_unit=org["bu1"], month=add_months(FIRST, -3), quantity=Decimal("6")))
    rows.append(SalesHistory(product=q, business_unit=org["bu1"], month=add_months(FIRST, -1), quantity=Decimal("3")))
    SalesHistory.objects.bulk_create(rows)
    return {"p": p, "q": q}


@pytest.mark.slow  # the first ETS fit of a session compiles statsforecast's numba kernels (~3 s)
def test_forecast_run_writes_the_run_series_and_forecasts(org: dict[str, Any], planner: Any, history: Any) -> None:
    run = forecast_services.forecast_run(actor=planner, first_month=date(2026, 1, 20), horizon=6)

    run.refresh_from_db()
    assert run.status == ForecastStatus.DONE
    assert run.first_month == FIRST
    assert run.series_count == 3
    assert sum(run.models_chosen.values()) == 3
    assert run.models_chosen[forecasting.FALLBACK] == 1  # q: 3 months
    assert run.wape is not None and run.mase is not None and run.naive_mase is not None
    assert run.seconds is not None and run.finished_at is not None
    assert ForecastSeries.objects.filter(run=run).count() == 3
    assert Forecast.objects.filter(run=run).count() == 18
    months = sorted(set(Forecast.objects.filter(run=run).values_list("month", flat=True)))
    assert months == [add_months(FIRST, n) for n in range(6)]
    lumpy = ForecastSeries.objects.get(run=run, product=history["p"], business_unit=org["bu2"])
    assert lumpy.intermittent is True
    short = ForecastSeries.objects.get(run=run, product=history["q"])
    assert (short.model, short.mase) == (forecasting.FALLBACK, None)
    # q: 6, 0, 3 from its first month → mean 3
    assert set(Forecast.objects.filter(run=run, product=history["q"]).values_list("quantity", flat=True)) == {
        Decimal("3.000")
    }
    for f in Forecast.objects.filter(run=run):
        assert f.low <= f.quantity <= f.high
    assert forecast_services.latest_run() == run


def test_history_frame_fills_gaps_from_the_first_month_with_demand() -> None:
    frame = forecast_services.history_frame(
        {(7, 1, date(2025, 10, 1)): Decimal("2"), (7, 1, date(2025, 12, 1)): Decimal("1.5")}, first_month=FIRST
    )
    assert list(frame["unique_id"]) == ["7:1", "7:1", "7:1"]
    assert list(frame["ds"].dt.strftime("%Y-%m")) == ["2025-10", "2025-11", "2025-12"]
    assert list(frame["y"]) == [2.0, 0.0, 1.5]
    # rows (``signals.demand_history_floats``) may repeat a month, on any day of it: added up
    rows = [(7, 1, date(2025, 10, 1), 1.25), (7, 1, date(2025, 10, 15), 0.75), (7, 1, date(2025, 12, 1), 1.5)]
    same = forecast_services.history_frame(rows, first_month=FIRST)
    assert same.equals(frame)


def test_a_user_without_demand_create_is_refused(org: dict[str, Any], history: Any) -> None:
    rep = UserFactory(primary_team=org["east"])
    grant(rep, ensure_default_roles()["sales_rep"])
    with pytest.raises(PermissionDenied):
        forecast_services.forecast_run(actor=rep, first_month=FIRST)
    assert ForecastRun.objects.count() == 0


def test_a_bad_horizon_names_the_field(planner: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        forecast_services.forecast_run(actor=planner, first_month=FIRST, horizon=0)
    assert set(caught.value.message_dict) == {"horizon"}


def test_a_failure_keeps_the_run_as_failed(planner: Any, history: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(forecasting, "run", broken)
    with pytest.raises(ValidationError):
        forecast_services.forecast_run(actor=planner, first_month=FIRST)
    run = ForecastRun.objects.get()
    assert run.status == ForecastStatus.FAILED
    assert "engine exploded" in run.error
    assert Forecast.objects.count() == 0
    assert forecast_services.latest_run() is None


def test_no_history_is_a_done_run_without_series(planner: Any) -> None:
    run = forecast_services.forecast_run(actor=planner, first_month=FIRST, horizon=3)
    assert (run.status, run.series_count, run.models_chosen, run.mase) == (ForecastStatus.DONE, 0, {}, None)
    assert Forecast.objects.filter(run=run).count() == 0
