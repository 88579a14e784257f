"""The forecast page (/pipeline/forecast/), its inline adjustment, /api/v1/forecasts and
/api/v1/forecasts/adjustments: the same numbers as forecast.py, the same errors, bounded queries,
and a team outside the caller's sight answering 404 for every role."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from typing import Any

import pytest

from tests.conftest import login
from tests.pipeline import matrix_forecast
from tests.pipeline.test_forecast import build_tree, deal
from tests.support.factories import TeamFactory, UserFactory, grant
from tests.support.matrix import assert_invisible
from tests.support.queries import assert_queries_constant
from tests.test_permission_matrix import role_holders
from xietong.core import navigation
from xietong.org.defaults import ensure_default_roles
from xietong.pipeline import forecast
from xietong.pipeline.models import ForecastAdjustment

pytestmark = pytest.mark.django_db

ADJUST = "/pipeline/forecast/adjust/?team={team}&month=2027-01&category=commit"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def tree(people: Any, process: Any) -> Any:
    return build_tree(people)


def put(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")


# --- the page -----------------------------------------------------------------------------------


def test_the_page_opens_on_the_managed_team_with_the_rolled_up_numbers(people, tree):
    response = login(people.manager).get("/pipeline/forecast/?period=2027-01")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{people.org["east"].pk}" selected>华东销售部</option>' in page
    for shown in ("¥391,111.11", "¥474,444.49", "¥398,444.50", "¥478,444.50", "¥375,588.92", "¥105,000.03"):
        assert shown in page, shown
    assert f'data-row="team-{people.org["pudong"].pk}"' in page
    assert f"/pipeline/forecast/adjust/?team={people.org['east'].pk}&amp;month=2027-01&amp;category=commit" in page


def test_a_rep_sees_their_own_deals_and_no_adjust_button(people, tree):
    page = login(people.rep).get("/pipeline/forecast/?period=2027-01").content.decode()
    assert f'<option value="{people.org["pudong"].pk}" selected>' in page  # their primary team
    assert "¥133,333.33" in page
    assert "陈销售" not in page
    assert "/pipeline/forecast/adjust/" not in page
    assert "alert-info" in page


def test_changing_the_team_or_period_swaps_only_the_body(people, tree):
    url = f"/pipeline/forecast/?team={people.org['shanghai'].pk}&period=2027-Q1"
    response = login(people.manager).get(url, headers={**HTMX, "HX-Target": "forecast-body"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "forecast-team" not in body
    assert "上海销售组 · 2027-Q1" in body
    assert "HX-Request" in response["Vary"]


def test_the_page_needs_the_opportunities_module_and_a_visible_team(people, tree):
    assert login(people.supply).get("/pipeline/forecast/").status_code == 403
    assert login(people.outsider).get(f"/pipeline/forecast/?team={people.org['east'].pk}").status_code == 404
    assert login(people.rep).get("/pipeline/forecast/?team=abc").status_code == 404
    response = login(people.manager).get("/pipeline/forecast/?period=2027-13")
    assert response.status_code == 200  # a bad period falls back to this month, with a warning


def test_the_navigation_shows_the_forecast_to_who_sees_opportunities(people):
    def labels(user: Any) -> list[str]:
        return [str(i["label"]) for g in navigation.menu_for(user, "/") for i in g["items"]]

    assert any(i["url"] == "/pipeline/forecast/" for g in navigation.menu_for(people.rep, "/") for i in g["items"])
    assert not any(
        i["url"] == "/pipeline/forecast/" for g in navigation.menu_for(people.supply, "/") for i in g["items"]
    )
    assert labels(people.rep)  # the menu itself renders


def test_the_page_costs_the_same_queries_with_more_teams_reps_and_deals(people, tree):
    client = login(people.manager)
    east = people.org["east"]
    forecast.forecast_snapshot_take()
    forecast.forecast_adjust(
        actor=people.manager, team=east, month=dt.date.today(), category="commit", amount="1", comment="x"
    )
    roles = ensure_default_roles()

    def more() -> None:
        team = TeamFactory(parent=people.org["shanghai"], name="新区小组")
        for n in range(3):
            user = UserFactory(username=f"more{n}", display_name=f"新人{n}", primary_team=team)
            grant(user, roles["sales_rep"])
            for _ in range(2):
                deal(user, "1000.00", 50, "commit", dt.date.today())

    assert_queries_constant(lambda: client.get("/pipeline/forecast/"), more, max_queries=20)


# --- the inline adjustment -------------------------------------------------------------------------


def test_a_manager_adjusts_inline_and_the_page_reloads(people, tree):
    client = login(people.manager)
    url = ADJUST.format(team=people.org["east"].pk)
    form = client.get(url, headers=HTMX)
    assert form.status_code == 200
    assert 'id="forecast-adjust-commit"' in form.content.decode()
    refused = client.post(url, {"commit-amount": "400000", "commit-comment": ""}, headers=HTMX)
    assert refused.status_code == 200
    assert "invalid-feedback" in refused.content.decode()
    assert ForecastAdjustment.objects.count() == 0
    saved = client.post(url, {"commit-amount": "400000", "commit-comment": "大单提前"}, headers=HTMX)
    assert saved.status_code == 200
    assert (
        json.loads(saved["HX-Location"])["path"] == f"/pipeline/forecast/?team={people.org['east'].pk}&period=2027-01"
    )
    adj = ForecastAdjustment.objects.get()
    assert (adj.team, adj.month, adj.category, adj.amount, adj.comment) == (
        people.org["east"],
        dt.date(2027, 1, 1),
        "commit",
        D("400000.00"),
        "大单提前",
    )
    page = client.get("/pipeline/forecast/?period=2027-01").content.decode()
    assert "¥400,000.00" in page and "大单提前" in page and "¥391,111.11" in page


def test_the_adjustment_form_works_without_htmx(people, tree):
    client = login(people.head)
    url = ADJUST.format(team=people.org["shanghai"].pk)
    assert client.get(url).status_code == 200
    response = client.post(url, {"commit-amount": "1.50", "commit-comment": "ok"})
    assert response.status_code == 303
    assert ForecastAdjustment.objects.get().amount == D("1.50")


def test_a_rep_may_not_adjust(people, tree):
    client = login(people.rep)
    url = ADJUST.format(team=people.org["pudong"].pk)
    assert client.get(url, headers=HTMX).status_code == 403
    assert client.post(url, {"commit-amount": "1", "commit-comment": "x"}).status_code == 403
    assert ForecastAdjustment.objects.count() == 0


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_answers_the_same_numbers_as_decimal_strings(people, tree):
    response = login(people.manager).get(f"/api/v1/forecasts?team_id={people.org['east'].pk}&period=2027-01")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["team"]["name"], body["period"], body["start"], body["end"], body["months"]) == (
        "华东销售部",
        "2027-01",
        "2027-01-01",
        "2027-01-31",
        ["2027-01"],
    )
    assert (body["complete"], body["may_adjust"], body["snapshot_week"]) == (True, True, None)
    assert {c["category"]: (c["count"], c["amount"], c["weighted"]) for c in body["categories"]} == {
        "closed": (1, "80000.00", "80000.00"),
        "commit": (3, "311111.11", "258888.89"),
        "best_case": (2, "83333.38", "36000.03"),
        "pipeline": (2, "4000.01", "700.00"),
        "omitted": (2, "14999.99", "0.00"),
    }
    assert body["total"] == {"count": 8, "amount": "478444.50", "weighted": "375588.92"}
    assert [(line["category"], line["amount"], line["adjusted"]) for line in body["lines"]] == [
        ("commit", "391111.11", None),
        ("best_case", "474444.49", None),
        ("pipeline", "398444.50", None),
    ]
    rows = {(r["kind"], r["name"]): r for r in body["rows"]}
    assert rows["team", "浦东小组"]["total"] == {"count": 4, "amount": "263333.38", "weighted": "191000.03"}
    assert rows["team", "浦东小组"]["parent_team_id"] == people.org["shanghai"].pk
    assert rows["rep", "陈销售"]["parent_team_id"] == people.org["pudong"].pk


def test_the_api_quarter_shows_adjusted_and_reps_numbers_apart(people, tree):
    client = login(people.manager)
    east = people.org["east"].pk
    body = {"team_id": east, "month": "2027-01", "category": "commit", "amount": "400000", "comment": "大单提前"}
    saved = put(client, "/api/v1/forecasts/adjustments", body)
    assert saved.status_code == 200, saved.content
    assert {k: saved.json()[k] for k in ("month", "category", "amount", "comment")} == {
        "month": "2027-01",
        "category": "commit",
        "amount": "400000.00",
        "comment": "大单提前",
    }
    assert saved.json()["adjusted_by"] == {"id": people.manager.pk, "name": "钱经理"}
    quarter = client.get(f"/api/v1/forecasts?team_id={east}&period=2027-Q1").json()
    commit = quarter["lines"][0]
    assert (commit["amount"], commit["adjusted"], commit["adjusted_months"], commit["months"]) == (
        "423111.11",
        "432000.00",
        1,
        3,
    )


def test_the_api_errors(people, tree):
    east = people.org["east"].pk
    hidden = login(people.outsider).get(f"/api/v1/forecasts?team_id={east}")
    assert (hidden.status_code, sorted(hidden.json())) == (404, ["detail", "errors"])
    bad = login(people.manager).get(f"/api/v1/forecasts?team_id={east}&period=2027-13")
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["period"])
    assert login(people.supply).get("/api/v1/forecasts").status_code == 404  # no sales team of theirs
    body = {"team_id": people.org["pudong"].pk, "month": "2027-01", "category": "commit", "amount": "1", "comment": "x"}
    assert put(login(people.rep), "/api/v1/forecasts/adjustments", body).status_code == 403
    assert put(login(people.outsider), "/api/v1/forecasts/adjustments", body).status_code == 404
    invalid = put(
        login(people.manager),
        "/api/v1/forecasts/adjustments",
        {**body, "month": "2027-1x", "category": "closed", "comment": " "},
    )
    assert invalid.status_code == 422
    assert sorted(e["field"] for e in invalid.json()["errors"]) == ["category", "comment", "month"]
    negative = put(login(people.manager), "/api/v1/forecasts/adjustments", {**body, "amount": "-1"})
    assert (negative.status_code, [e["field"] for e in negative.json()["errors"]]) == (422, ["amount"])
    assert ForecastAdjustment.objects.count() == 0


def test_the_api_costs_the_same_queries_with_more_deals(people, tree):
    client = login(people.manager)
    url = f"/api/v1/forecasts?team_id={people.org['east'].pk}&period=2027-01"
    assert_queries_constant(
        lambda: client.get(url),
        lambda: [deal(tree.rep3, "10.00", 10, "pipeline", dt.date(2027, 1, 9)) for _ in range(3)],
    )


# --- the permission matrix ---------------------------------------------------------------------------


def test_every_role_gets_404_for_a_team_of_another_business_unit(org, people, process):
    records = matrix_forecast.foreign(org, people.outsider)
    for code, user in role_holders(org):
        assert_invisible(login(user), matrix_forecast.ROUTES, records, who=code)
