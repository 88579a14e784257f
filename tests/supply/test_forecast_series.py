# ruff: noqa: F811  (the fixtures shared from test_plan_services are imported by name)
"""A forecast run's series (per product × BU: model, intermittent, WAPE, MASE, bias) on their page
(filters, sort, pages, export) and through ``GET /api/v1/forecasts/runs/{id}/series``: only the BUs
of the user's demand scope; a run the user cannot see answers 404; the query count stays flat."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from tests.conftest import login
from tests.supply.test_plan_services import people, products, run  # noqa: F401
from tests.support.factories import UserFactory, grant
from tests.support.i18n import zh
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.org.defaults import ensure_default_roles
from xietong.supply.models import ForecastRun, ForecastSeries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "forecast-series-results"}


@pytest.fixture
def series(people: SimpleNamespace, products: SimpleNamespace, run: ForecastRun) -> SimpleNamespace:
    """Four series of ``run``: three in BU1 (one too short for a backtest: no figures), one in BU2;
    and a BU1 and a BU2 supply planner (the default role: demand within their BU)."""
    org = people.org
    roles = ensure_default_roles()
    p3 = ProductFactory(code="CNC-9", name="数控配件九型")
    made = SimpleNamespace(
        cnc=ForecastSeries.objects.create(
            run=run,
            product=products.p1,
            business_unit=org["bu1"],
            model="AutoETS",
            intermittent=False,
            wape=0.2154,
            mase=0.8126,
            bias=0.0456,
            residual_sd=3.25,
        ),
        med1=ForecastSeries.objects.create(
            run=run,
            product=products.p2,
            business_unit=org["bu1"],
            model="ADIDA",
            intermittent=True,
            wape=0.61,
            mase=1.2,
            bias=-0.25,
            residual_sd=1.5,
        ),
        short=ForecastSeries.objects.create(
            run=run, product=p3, business_unit=org["bu1"], model="HistoricAverage", intermittent=False
        ),
        med2=ForecastSeries.objects.create(
            run=run,
            product=products.p2,
            business_unit=org["bu2"],
            model="SeasonalNaive",
            intermittent=False,
            wape=0.4,
            mase=0.9,
            bias=0.1,
            residual_sd=2.0,
        ),
    )
    made.bu1_planner = UserFactory(username="bu1_planner", primary_team=org["supply"])
    grant(made.bu1_planner, roles["supply_planner"])
    made.bu2_planner = UserFactory(username="bu2_planner", primary_team=org["north"])
    grant(made.bu2_planner, roles["supply_planner"])
    return made


def _shown(html: str) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'data-series="(\d+)"', html)]


# --- the page --------------------------------------------------------------------------------------------


def test_the_page_shows_each_series_figures_worst_wape_first(people, series, run):
    response = login(series.bu1_planner).get(f"/sop/forecasts/runs/{run.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    # worst WAPE first; the series without figures last
    assert _shown(html) == [series.med1.pk, series.cnc.pk, series.short.pk]
    row = html[html.index(f'data-series="{series.cnc.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="fw-medium">CNC-1</span> 数控机床一型' in row
    assert f'<td data-label="{zh("Business unit")}">工业设备事业部</td>' in row
    assert ">AutoETS</td>" in row
    assert "data-wape>0.215</td>" in row
    assert "data-mase>0.813</td>" in row
    assert "data-bias>0.046</td>" in row
    intermittent = html[html.index(f'data-series="{series.med1.pk}"') :]
    assert f'<td data-label="{zh("Intermittent")}">{zh("yes")}</td>' in intermittent[: intermittent.index("</tr>")]
    short = html[html.index(f'data-series="{series.short.pk}"') :]
    short = short[: short.index("</tr>")]
    assert "data-wape>—</td>" in short and "data-mase>—</td>" in short and "data-bias>—</td>" in short
    assert 'id="forecast-series-count">3</span>' in html
    assert f'href="/sop/forecasts/runs/{run.pk}/export/' in html  # a supply planner holds demand export


def test_a_planner_of_another_bu_sees_none_of_bu1s_series(series, run):
    html = login(series.bu2_planner).get(f"/sop/forecasts/runs/{run.pk}/").content.decode()
    assert _shown(html) == [series.med2.pk]
    assert "工业设备事业部" not in html  # nor BU1 in the filter's choices
    # the run's figures above the list are the whole run's, and the page says so
    caption = zh("The whole run, every business unit (the list below shows the series of your business units):")
    assert f'id="forecast-series-run-caption">{caption}</p>' in html
    # asking for BU1 by id is not a choice of theirs: the filter is ignored, BU1 stays hidden
    asked = login(series.bu2_planner).get(f"/sop/forecasts/runs/{run.pk}/?business_unit={series.cnc.business_unit_id}")
    assert _shown(asked.content.decode()) == [series.med2.pk]


def test_a_group_planner_sees_every_bu(people, series, run):
    html = login(people.planner).get(f"/sop/forecasts/runs/{run.pk}/").content.decode()
    assert _shown(html) == [series.med1.pk, series.med2.pk, series.cnc.pk, series.short.pk]


def test_a_run_the_user_cannot_see_is_404(people, series, run):
    roles = ensure_default_roles()
    finance = UserFactory(username="finance", primary_team=people.org["east"])
    grant(finance, roles["finance"])  # supply view, no demand at all
    assert login(finance).get(f"/sop/forecasts/runs/{run.pk}/").status_code == 404
    assert login(finance).get(f"/sop/forecasts/runs/{run.pk}/export/").status_code == 404
    assert login(series.bu1_planner).get("/sop/forecasts/runs/999999/").status_code == 404


def test_the_filters_narrow_the_list_as_an_htmx_fragment(people, series, run):
    client = login(people.planner)
    url = f"/sop/forecasts/runs/{run.pk}/"
    by_bu = client.get(f"{url}?business_unit={people.org['bu2'].pk}", headers=HTMX)
    assert by_bu.status_code == 200
    assert "<html" not in by_bu.content.decode()
    assert _shown(by_bu.content.decode()) == [series.med2.pk]
    assert 'id="forecast-series-count" hx-swap-oob="true">1</span>' in by_bu.content.decode()
    assert _shown(client.get(f"{url}?model=ADIDA").content.decode()) == [series.med1.pk]
    assert _shown(client.get(f"{url}?q=cnc").content.decode()) == [series.cnc.pk, series.short.pk]  # code
    assert _shown(client.get(f"{url}?q=影像").content.decode()) == [series.med1.pk, series.med2.pk]  # name
    none = client.get(f"{url}?q=nothing-like-it").content.decode()
    assert _shown(none) == []
    assert zh("No series match these filters.") in none


def test_the_sort_orders(people, series, run):
    client = login(people.planner)
    url = f"/sop/forecasts/runs/{run.pk}/?sort="
    assert _shown(client.get(url + "wape").content.decode()) == [
        series.cnc.pk,
        series.med2.pk,
        series.med1.pk,
        series.short.pk,
    ]
    assert _shown(client.get(url + "-mase").content.decode()) == [
        series.med1.pk,
        series.med2.pk,
        series.cnc.pk,
        series.short.pk,
    ]
    assert _shown(client.get(url + "bias").content.decode()) == [
        series.med1.pk,
        series.cnc.pk,
        series.med2.pk,
        series.short.pk,
    ]
    assert _shown(client.get(url + "product").content.decode()) == [
        series.cnc.pk,
        series.short.pk,
        series.med1.pk,
        series.med2.pk,
    ]
    assert _shown(client.get(url + "nonsense").content.decode())[0] == series.med1.pk  # back to worst WAPE


def test_the_list_is_paginated_with_a_count(people, series, run, org):
    for n in range(60):
        ForecastSeries.objects.create(
            run=run, product=ProductFactory(code=f"BULK-{n:02d}"), business_unit=org["bu2"], model="AutoETS", wape=0.1
        )
    client = login(people.planner)
    first = client.get(f"/sop/forecasts/runs/{run.pk}/").content.decode()
    assert len(_shown(first)) == 50
    assert 'id="forecast-series-count">64</span>' in first
    second = client.get(f"/sop/forecasts/runs/{run.pk}/?page=2").content.decode()
    assert len(_shown(second)) == 14
    assert _shown(second)[-1] == series.short.pk


def test_the_forecasts_page_links_each_run_to_its_series(people, series, run):
    ForecastRun.objects.filter(pk=run.pk).update(series_count=4)
    html = login(people.planner).get("/sop/forecasts/").content.decode()
    assert f'<a href="/sop/forecasts/runs/{run.pk}/" data-series-link>4</a>' in html


def test_the_page_query_count_does_not_grow_with_series(people, series, run, org):
    client = login(people.planner)

    def add_rows() -> None:
        for n in range(5):
            ForecastSeries.objects.create(
                run=run, product=ProductFactory(code=f"MORE-{n}"), business_unit=org["bu2"], model=f"M{n}", wape=0.3
            )

    assert_queries_constant(lambda: client.get(f"/sop/forecasts/runs/{run.pk}/"), add_rows, max_queries=8)


# --- the export ------------------------------------------------------------------------------------------


def test_the_export_has_the_pages_rows_and_filters_as_excel_and_csv(series, run):
    client = login(series.bu1_planner)
    response = client.get(f"/sop/forecasts/runs/{run.pk}/export/?sort=-wape")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        zh("Product code"),
        zh("Product"),
        zh("Business unit"),
        zh("Model"),
        zh("Intermittent"),
        "WAPE",
        "MASE",
        zh("Bias"),
        zh("Forecast error (standard deviation)"),
    ]
    assert rows[1:] == [
        ["MED-1", "影像设备一型", "工业设备事业部", "ADIDA", zh("yes"), 0.61, 1.2, -0.25, 1.5],
        ["CNC-1", "数控机床一型", "工业设备事业部", "AutoETS", zh("no"), 0.215, 0.813, 0.046, 3.25],
        ["CNC-9", "数控配件九型", "工业设备事业部", "HistoricAverage", zh("no"), None, None, None, None],
    ]
    as_csv = client.get(f"/sop/forecasts/runs/{run.pk}/export/?format=csv&model=AutoETS")
    assert as_csv.status_code == 200
    text = b"".join(as_csv.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[1:] == [
        ["CNC-1", "数控机床一型", "工业设备事业部", "AutoETS", zh("no"), "0.215", "0.813", "0.046", "3.25"]
    ]


def test_the_export_needs_demand_export(people, series, run):
    # a sales manager reads demand but does not export it
    response = login(people.mgr1).get(f"/sop/forecasts/runs/{run.pk}/export/")
    assert response.status_code == 403
    assert (
        'id="forecast-series-export"' not in login(people.mgr1).get(f"/sop/forecasts/runs/{run.pk}/").content.decode()
    )


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_lists_the_series_of_the_callers_bus(people, series, run):
    body = login(series.bu1_planner).get(f"/api/v1/forecasts/runs/{run.pk}/series").json()
    assert body["results"] == [
        {
            "id": series.cnc.pk,
            "run_id": run.pk,
            "product": {"id": series.cnc.product_id, "name": "数控机床一型"},
            "product_code": "CNC-1",
            "business_unit": {"id": people.org["bu1"].pk, "name": "工业设备事业部"},
            "model": "AutoETS",
            "intermittent": False,
            "wape": 0.2154,
            "mase": 0.8126,
            "bias": 0.0456,
            "residual_sd": 3.25,
        },
        {
            "id": series.med1.pk,
            "run_id": run.pk,
            "product": {"id": series.med1.product_id, "name": "影像设备一型"},
            "product_code": "MED-1",
            "business_unit": {"id": people.org["bu1"].pk, "name": "工业设备事业部"},
            "model": "ADIDA",
            "intermittent": True,
            "wape": 0.61,
            "mase": 1.2,
            "bias": -0.25,
            "residual_sd": 1.5,
        },
        {
            "id": series.short.pk,
            "run_id": run.pk,
            "product": {"id": series.short.product_id, "name": "数控配件九型"},
            "product_code": "CNC-9",
            "business_unit": {"id": people.org["bu1"].pk, "name": "工业设备事业部"},
            "model": "HistoricAverage",
            "intermittent": False,
            "wape": None,
            "mase": None,
            "bias": None,
            "residual_sd": None,
        },
    ]
    theirs = login(series.bu2_planner).get(f"/api/v1/forecasts/runs/{run.pk}/series").json()["results"]
    assert [r["id"] for r in theirs] == [series.med2.pk]


def test_the_api_filters(people, series, run):
    client = login(people.planner)
    url = f"/api/v1/forecasts/runs/{run.pk}/series"

    def ids(query: str) -> list[int]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(f"business_unit_id={people.org['bu2'].pk}") == [series.med2.pk]
    assert ids("model=ADIDA") == [series.med1.pk]
    assert ids("q=CNC") == [series.cnc.pk, series.short.pk]
    assert ids("q=影像设备") == [series.med1.pk, series.med2.pk]
    assert ids(f"business_unit_id={people.org['bu1'].pk}&model=SeasonalNaive") == []
    # a BU outside the caller's scope lists nothing, as a missing one does
    outside = login(series.bu2_planner).get(f"{url}?business_unit_id={people.org['bu1'].pk}")
    assert (outside.status_code, outside.json()["results"]) == (200, [])


def test_the_api_answers_404_for_a_run_the_caller_cannot_see(people, series, run):
    roles = ensure_default_roles()
    finance = UserFactory(username="finance", primary_team=people.org["east"])
    grant(finance, roles["finance"])
    response = login(finance).get(f"/api/v1/forecasts/runs/{run.pk}/series")
    assert response.status_code == 404
    assert response.json() == {"detail": zh("Not found."), "errors": []}
    assert login(series.bu1_planner).get("/api/v1/forecasts/runs/999999/series").status_code == 404


def test_the_api_query_count_does_not_grow_with_series(people, series, run, org):
    client = login(people.planner)

    def add_rows() -> None:
        for n in range(5):
            ForecastSeries.objects.create(
                run=run, product=ProductFactory(code=f"API-{n}"), business_unit=org["bu2"], model="AutoETS", wape=0.3
            )

    assert_queries_constant(lambda: client.get(f"/api/v1/forecasts/runs/{run.pk}/series"), add_rows, max_queries=5)
