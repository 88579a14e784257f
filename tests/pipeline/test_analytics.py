"""Pipeline analysis (pipeline/analytics.py, /pipeline/analytics/, /api/v1/pipeline-analytics):
stage conversion, time in stage, velocity and win-loss worked out by hand from a history written
through the services at frozen times; only the deals the viewer sees count; bounded queries.

The process ``项目型销售`` has no gates: 接洽 → 方案 → 谈判 → 赢单 / 输单. The cohort is March 2027
(Asia/Shanghai). Deals (owner, amount, created, history):

- A 王销售 100000.00, 03-01 09:00: 方案 03-03 09:00 (2 d in 接洽), 谈判 03-08 09:00 (5 d in 方案), won
  03-11 09:00 (3 d in 谈判); sales cycle 10 d. 李销售 is on its deal team.
- B 王销售 50000.00, 03-02 09:00: 方案 03-06 09:00 (4 d), lost 03-07 09:00 (1 d in 方案).
- C 王销售 30000.00, 03-01 00:00 (the first instant of the period): still in 接洽.
- D 王销售 80000.00, 03-10 09:00: 谈判 03-11 09:00 (1 d in 接洽, 方案 skipped), won 03-16 21:00 (5.5 d in
  谈判); sales cycle 6.5 d.
- E 李销售 20000.00, 03-04 09:00: 方案 03-12 09:00 (8 d), back to 接洽 03-13 09:00 (1 d in 方案), 方案 again
  03-15 09:00 (2 d in 接洽): open, in 方案.
- F 李销售 45000.00, 03-20 09:00: lost 03-21 21:00 (1.5 d in 接洽).
- outside the period: G 王销售 created 02-28 23:30 (won in March), H 王销售 created 04-01 00:00.

B and F were lost for the price, no competitor named. The win-loss tests add more lost deals
(``losses``, described there).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation
from freezegun import freeze_time

from tests.conftest import login
from tests.support.crm import owned
from tests.support.pipeline import standard_process
from tests.support.queries import assert_queries_constant
from xietong.core import navigation
from xietong.org.models import User
from xietong.pipeline import analytics, services
from xietong.pipeline.choices import MemberAccess, StageKind
from xietong.pipeline.models import DealTeamMember, Opportunity, SalesProcess, Stage

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
MARCH = {"date_from": dt.date(2027, 3, 1), "date_to": dt.date(2027, 3, 31)}


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def process(org: dict[str, Any]) -> SalesProcess:
    process = SalesProcess.objects.create(business_unit=org["bu1"], name="项目型销售", is_default=True)
    kinds = [("接洽", "open"), ("方案", "open"), ("谈判", "open"), ("赢单", "won"), ("输单", "lost")]
    for position, (name, kind) in enumerate(kinds, 1):
        Stage.objects.create(process=process, name=name, position=position, kind=kind, probability=10 * position)
    return process


def deal(
    process: SalesProcess,
    owner: Any,
    name: str,
    amount: str,
    created: dt.datetime,
    *steps: Any,
    reason: str = "price",
    lost_to: str = "",
) -> Opportunity:
    """An opportunity created and moved through the services at the given times; a step is
    ``(when, stage name)``, ``(when, "won")`` or ``(when, "lost")`` (lost for ``reason`` to ``lost_to``)."""
    with freeze_time(created):
        opp = services.opportunity_create(
            actor=owner, customer=owned(owner=owner).customer, name=name, process=process, amount=D(amount)
        )
    for when, step in steps:
        with freeze_time(when):
            if step == "won":
                services.opportunity_win(actor=owner, opportunity=opp.pk)
            elif step == "lost":
                services.opportunity_lose(actor=owner, opportunity=opp.pk, reason=reason, lost_to=lost_to)
            else:
                services.opportunity_move(actor=owner, opportunity=opp.pk, stage=process.stages.get(name=step))
    return opp


@pytest.fixture
def history(people: SimpleNamespace, process: SalesProcess) -> SimpleNamespace:
    rep, rep2 = people.rep, people.rep2
    d = SimpleNamespace()
    d.a = deal(process, rep, "A", "100000.00", at(3, 1), (at(3, 3), "方案"), (at(3, 8), "谈判"), (at(3, 11), "won"))
    DealTeamMember.objects.create(opportunity=d.a, user=rep2, access=MemberAccess.READ)
    d.b = deal(process, rep, "B", "50000.00", at(3, 2), (at(3, 6), "方案"), (at(3, 7), "lost"))
    d.c = deal(process, rep, "C", "30000.00", at(3, 1, 0))
    d.d = deal(process, rep, "D", "80000.00", at(3, 10), (at(3, 11), "谈判"), (at(3, 16, 21), "won"))
    d.e = deal(
        process,
        rep2,
        "E",
        "20000.00",
        at(3, 4),
        (at(3, 12), "方案"),
        (at(3, 13), "接洽"),
        (at(3, 15), "方案"),
    )
    d.f = deal(process, rep2, "F", "45000.00", at(3, 20), (at(3, 21, 21), "lost"))
    d.g = deal(process, rep, "G", "70000.00", at(2, 28, 23, 30), (at(3, 2), "won"))
    d.h = deal(process, rep, "H", "60000.00", at(4, 1, 0))
    return d


@pytest.fixture
def losses(people: SimpleNamespace, process: SalesProcess, history: SimpleNamespace) -> None:
    """Seven more deals created 03-22 and lost 03-23, on top of B and F (price, no competitor named):

    - L1 王销售 10000.00, L2 李销售 20000.00, L3 王销售 30000.00: to ABB, written "ABB", "abb" and
      "ABB" between a space and an ideographic space (U+3000, as an older record may hold it): one
      competitor, shown "ABB";
    - L4 王销售 5000.00 no budget; L5 李销售 7000.00 with no reason (as an older record may hold it);
    - L6 李销售 60000.00, the product did not fit, to 西门子; L7 王销售 25000.00 to 施耐德.
    """
    rep, rep2 = people.rep, people.rep2

    def lost(owner: Any, name: str, amount: str, reason: str = "competitor", lost_to: str = "") -> Opportunity:
        return deal(process, owner, name, amount, at(3, 22), (at(3, 23), "lost"), reason=reason, lost_to=lost_to)

    lost(rep, "L1", "10000.00", lost_to="ABB")
    lost(rep2, "L2", "20000.00", lost_to="abb")
    l3 = lost(rep, "L3", "30000.00", lost_to="ABB")
    lost(rep, "L4", "5000.00", reason="budget")
    l5 = lost(rep2, "L5", "7000.00", reason="other")
    lost(rep2, "L6", "60000.00", reason="product", lost_to="西门子")
    lost(rep, "L7", "25000.00", lost_to="施耐德")
    Opportunity.objects.filter(pk=l3.pk).update(lost_to=" ABB\u3000")
    Opportunity.objects.filter(pk=l5.pk).update(lost_reason="")


def funnel(result: analytics.Analysis) -> list[tuple[Any, ...]]:
    return [
        (row.stage.name, row.reached, row.reached_percent, row.moved_on, row.conversion, row.lost, row.still_open)
        for row in result.stages
    ]


def times(result: analytics.Analysis) -> list[tuple[str, int, D | None, D | None]]:
    return [(r.stage.name, r.time.stays, r.time.average_days, r.time.median_days) for r in result.stages]


def reasons(result: analytics.Analysis) -> list[tuple[str, str, int, D, D | None]]:
    return [(r.code, r.label, r.count, r.amount, r.share) for r in result.win_loss.reasons]


def competitors(result: analytics.Analysis) -> list[tuple[str, int, D]]:
    return [(r.name, r.count, r.amount) for r in result.win_loss.competitors.top]


def english(user: Any) -> Client:
    """A logged-in client whose pages and errors are in English, so messages compare exactly."""
    User.objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return login(user)


def analyse(user: Any, process: SalesProcess, **filters: Any) -> analytics.Analysis:
    return analytics.pipeline_analysis(user=user, process=process, **{**MARCH, **filters})


# --- the arithmetic ------------------------------------------------------------------------------------


def test_the_funnel_counts_each_deal_up_to_the_furthest_stage_it_reached(people, process, history):
    result = analyse(people.manager, process)
    assert (result.count, result.amount, result.won_amount) == (6, D("325000.00"), D("180000.00"))
    assert funnel(result) == [
        # stage, reached, % of the cohort, moved on, conversion %, lost there, still open there
        ("接洽", 6, D("100.0"), 4, D("66.7"), 1, 1),  # F lost, C open; D skipped 方案 but reached it
        ("方案", 4, D("66.7"), 2, D("50.0"), 1, 1),  # B lost, E open (it went back and came again)
        ("谈判", 2, D("33.3"), 2, D("100.0"), 0, 0),
        ("赢单", 2, D("33.3"), None, None, 0, 0),
    ]


def test_time_in_stage_counts_completed_stays_only(people, process, history):
    result = analyse(people.manager, process)
    assert times(result) == [
        # 接洽: A 2, B 4, D 1, E 8 and 2 (two stays), F 1.5 — C is still there: 18.5 / 6 = 3.083; median (2 + 2) / 2
        ("接洽", 6, D("3.1"), D("2.0")),
        # 方案: A 5, B 1, E 1 — E is there again now: 7 / 3 = 2.333; median 1
        ("方案", 3, D("2.3"), D("1.0")),
        # 谈判: A 3, D 5.5: 4.25 → 4.3 (half up), the median too
        ("谈判", 2, D("4.3"), D("4.3")),
        ("赢单", 0, None, None),
    ]


def test_velocity_is_the_classic_formula_from_exact_sums(people, process, history):
    velocity = analyse(people.manager, process).velocity
    assert velocity == analytics.Velocity(
        open_count=2,  # C, E
        won_count=2,  # A, D
        lost_count=2,  # B, F
        win_rate=D("50.0"),
        average_won_amount=D("90000.00"),  # (100000 + 80000) / 2
        average_cycle_days=D("8.3"),  # (10 + 6.5) / 2 = 8.25, half up
        per_day=D("10909.09"),  # 2 × 90000 × 50 % / 8.25 = 10909.0909…
    )


def test_no_deal_in_the_period_gives_zeros_and_no_ratios(people, process, history):
    result = analyse(people.manager, process, date_from=dt.date(2027, 5, 1), date_to=dt.date(2027, 5, 31))
    assert result.count == 0 and result.amount == D("0.00")
    assert funnel(result) == [
        ("接洽", 0, None, 0, None, 0, 0),
        ("方案", 0, None, 0, None, 0, 0),
        ("谈判", 0, None, 0, None, 0, 0),
        ("赢单", 0, None, None, None, 0, 0),
    ]
    assert result.velocity == analytics.Velocity(0, 0, 0, None, None, None, None)
    assert result.win_loss == analytics.WinLoss(
        0, D("0.00"), 0, D("0.00"), [], analytics.Competitors([], None, 0, D("0.00"))
    )
    assert (result.win_loss.win_rate, result.win_loss.win_rate_by_amount) == (None, None)


def test_the_period_is_whole_local_days_both_ends_included(people, process, history):
    def created(**period: dt.date) -> list[str]:
        ids = analytics.cohort_ids(user=people.manager, process=process, **period)
        return sorted(Opportunity.objects.filter(pk__in=ids).values_list("name", flat=True))

    assert created(**MARCH) == ["A", "B", "C", "D", "E", "F"]  # C at 03-01 00:00 in, G (02-28 23:30) and H out
    assert created(date_from=dt.date(2027, 2, 28), date_to=dt.date(2027, 3, 1)) == ["A", "C", "G"]
    assert created(date_from=dt.date(2027, 4, 1), date_to=dt.date(2027, 4, 1)) == ["H"]


def test_the_period_defaults_to_the_last_90_days_and_cannot_end_before_it_starts():
    assert analytics.analysis_period(today=dt.date(2027, 3, 31)) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert analytics.analysis_period(date_to=dt.date(2027, 1, 31)) == (dt.date(2026, 11, 3), dt.date(2027, 1, 31))
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        analytics.analysis_period(date_from=dt.date(2027, 4, 1), date_to=dt.date(2027, 3, 31))
    assert raised.value.message_dict == {"date_from": ["The period starts after it ends."]}


# --- win-loss -------------------------------------------------------------------------------------------


def test_lost_deals_count_per_reason_by_count_then_amount_with_their_share(people, process, losses):
    with translation.override("en"):
        result = analyse(people.manager, process)
    assert reasons(result) == [
        # of 9 lost deals; the three of one deal each in amount order, the one without a reason among them
        ("competitor", "Chose a competitor", 4, D("85000.00"), D("44.4")),  # L1, L2, L3, L7
        ("price", "Price", 2, D("95000.00"), D("22.2")),  # B, F
        ("product", "Product does not fit", 1, D("60000.00"), D("11.1")),
        ("", "No reason given", 1, D("7000.00"), D("11.1")),
        ("budget", "No budget", 1, D("5000.00"), D("11.1")),
    ]
    with translation.override("zh-hans"):
        assert reasons(analyse(people.manager, process))[0][1] == "选择了竞争对手"


def test_competitors_merge_spellings_and_rank_by_count_then_amount(people, process, losses):
    found = analyse(people.manager, process).win_loss.competitors
    assert [(r.name, r.count, r.amount) for r in found.top] == [
        ("ABB", 3, D("60000.00")),  # "ABB" twice (one with spaces around), "abb" once
        ("西门子", 1, D("60000.00")),  # lost for the product, still lost to 西门子
        ("施耐德", 1, D("25000.00")),
    ]
    assert found.other is None
    # B, F, L4, L5: 50000 + 45000 + 5000 + 7000
    assert (found.none_named_count, found.none_named_amount) == (4, D("107000.00"))


def test_won_and_lost_amounts_give_the_win_rate_by_amount(people, process, losses):
    win_loss = analyse(people.manager, process).win_loss
    assert (win_loss.won_count, win_loss.won_amount, win_loss.lost_count, win_loss.lost_amount) == (
        2,  # A, D
        D("180000.00"),
        9,
        D("252000.00"),  # 95000 + 85000 + 60000 + 7000 + 5000
    )
    assert win_loss.win_rate == D("18.2")  # 2 / 11 = 18.18…
    assert win_loss.win_rate_by_amount == D("41.7")  # 180000 / 432000 = 41.666…, half up


def test_past_the_tenth_competitor_the_rest_is_summed_in_one_row(people, process):
    for i in (1, 2):
        deal(
            process, people.rep, f"甲{i}", "100.00", at(3, 5), (at(3, 6), "lost"), reason="competitor", lost_to="甲公司"
        )
    for i in range(1, 13):
        name = f"竞品{i:02d}"
        deal(process, people.rep, name, f"{i}000.00", at(3, 5), (at(3, 6), "lost"), reason="competitor", lost_to=name)
    result = analyse(people.manager, process)
    assert competitors(result) == [
        ("甲公司", 2, D("200.00")),  # the most deals comes first, however small
        *[(f"竞品{i:02d}", 1, D(f"{i}000.00")) for i in range(12, 3, -1)],
    ]
    assert result.win_loss.competitors.other == analytics.OtherCompetitors(competitors=3, count=3, amount=D("6000.00"))
    page = english(people.manager).get(PAGE.format(pk=process.pk)).content.decode()
    assert '<th scope="row" class="xt-cell-title">Other competitors (3)</th>' in page
    assert "¥6,000.00" in page


# --- who sees what ------------------------------------------------------------------------------------


def test_a_rep_counts_only_the_deals_they_see(people, process, history):
    """王销售 sees his own A–D (G and H are outside the period), none of 李销售's."""
    result = analyse(people.rep, process)
    assert (result.count, result.amount) == (4, D("260000.00"))
    assert funnel(result) == [
        ("接洽", 4, D("100.0"), 3, D("75.0"), 0, 1),
        ("方案", 3, D("75.0"), 2, D("66.7"), 1, 0),
        ("谈判", 2, D("50.0"), 2, D("100.0"), 0, 0),
        ("赢单", 2, D("50.0"), None, None, 0, 0),
    ]
    assert times(result)[:2] == [("接洽", 3, D("2.3"), D("2.0")), ("方案", 2, D("3.0"), D("3.0"))]
    # 1 open × 180000 × 2 won ÷ (3 closed × 16.5 days) = 7272.7272…
    assert result.velocity == analytics.Velocity(1, 2, 1, D("66.7"), D("90000.00"), D("8.3"), D("7272.73"))


def test_a_rep_counts_only_the_lost_deals_they_see(people, process, losses):
    """王销售 sees B, L1, L3, L4 and L7 of the lost deals; F, L2, L5 and L6 are 李销售's."""
    with translation.override("en"):
        result = analyse(people.rep, process)
    assert reasons(result) == [
        ("competitor", "Chose a competitor", 3, D("65000.00"), D("60.0")),
        ("price", "Price", 1, D("50000.00"), D("20.0")),
        ("budget", "No budget", 1, D("5000.00"), D("20.0")),
    ]
    assert competitors(result) == [("ABB", 2, D("40000.00")), ("施耐德", 1, D("25000.00"))]
    win_loss = result.win_loss
    assert (win_loss.competitors.none_named_count, win_loss.competitors.none_named_amount) == (2, D("55000.00"))
    assert (win_loss.lost_count, win_loss.lost_amount, win_loss.won_amount) == (5, D("120000.00"), D("180000.00"))
    assert (win_loss.win_rate, win_loss.win_rate_by_amount) == (D("28.6"), D("60.0"))  # 2 / 7; 180 / 300


def test_deal_team_members_count_the_deal_once_and_scopes_narrow_like_the_board(people, process, history):
    # 李销售 sees A as a member of its deal team; "mine" is owned or on the deal team
    assert analyse(people.rep2, process).count == 3
    assert analyse(people.rep2, process, scope="mine").count == 3
    # A has two members (王销售 owns it): the scope's join must not count it twice
    assert analyse(people.rep, process, scope="mine").count == 4
    assert analyse(people.manager, process, scope="mine").count == 0  # owns nothing, on no deal team
    assert analyse(people.manager, process, scope="team").count == 6
    assert analyse(people.manager, process, owner=people.rep2).count == 2
    assert analyse(people.manager, process, team=people.org["pudong"]).count == 4
    assert analyse(people.outsider, process).count == 0  # BU2: sees none of BU1's deals


def test_the_analysis_needs_the_opportunities_module(people, process):
    with pytest.raises(PermissionDenied):
        analyse(people.supply, process)


# --- the page ----------------------------------------------------------------------------------------

PAGE = "/pipeline/analytics/?process={pk}&date_from=2027-03-01&date_to=2027-03-31"
API = "/api/v1/pipeline-analytics?process_id={pk}&date_from=2027-03-01&date_to=2027-03-31"
HTMX = {"HX-Request": "true", "HX-Target": "analytics-body"}


def test_the_page_shows_the_funnel_the_times_and_the_velocity(people, process, history):
    response = login(people.manager).get(PAGE.format(pk=process.pk))
    assert response.status_code == 200
    page = response.content.decode()
    for stage in process.stages.exclude(kind=StageKind.LOST):
        assert f'<th scope="row" class="xt-cell-title">{stage.name}</th>' in page, stage.name
    assert '<th scope="row" class="xt-cell-title">输单</th>' not in page  # the lost stage is no step of the funnel
    assert '<p class="xt-stat-num mb-0" data-figure="count">6</p>' in page
    assert '<p class="xt-stat-num mb-0" data-figure="win-rate">50.0%</p>' in page
    assert '<p class="xt-stat-num mb-0" data-figure="velocity">¥10,909.09</p>' in page
    assert 'data-xt-progress="66.7"' in page  # the bar of 方案: 4 of 6
    assert 'value="2027-03-01"' in page and 'value="2027-03-31"' in page
    assert "2 × ¥90,000.00 × 50.0% ÷ " in page


def test_the_page_shows_the_win_loss_below_the_stage_conversion(people, process, losses):
    client = english(people.manager)
    page = client.get(PAGE.format(pk=process.pk)).content.decode()
    assert (
        page.index("analytics-funnel-title")
        < page.index("analytics-win-loss-title")
        < page.index("analytics-velocity-title")
    )
    assert '<h2 class="xt-card-title" id="analytics-win-loss-title">Win-loss</h2>' in page
    assert '<dd class="col-sm-8" data-figure="won-amount"><span class="xt-num">2</span> · ¥180,000.00</dd>' in page
    assert '<dd class="col-sm-8" data-figure="lost-amount"><span class="xt-num">9</span> · ¥252,000.00</dd>' in page
    assert '<dd class="col-sm-8" data-figure="win-rate-by-amount"><span class="xt-num">41.7%</span>' in page
    for label in (
        "Chose a competitor",
        "Price",
        "Product does not fit",
        "No reason given",
        "No budget",
        "ABB",
        "西门子",
    ):
        assert f'<th scope="row" class="xt-cell-title">{label}</th>' in page, label
    assert page.index(">Product does not fit<") < page.index(">No reason given<") < page.index(">No budget<")
    assert 'data-xt-progress="44.4"' in page and 'data-xt-progress="22.2"' in page  # the share's bars
    assert '<th scope="row" class="xt-cell-title xt-muted">No competitor named</th>' in page
    assert "¥107,000.00" in page
    assert "Other competitors" not in page  # three competitors only
    # 03-10 – 03-15: D alone, won
    quiet = client.get(PAGE.format(pk=process.pk).replace("2027-03-01", "2027-03-10").replace("03-31", "03-15"))
    assert "None of the opportunities created in the period was lost." in quiet.content.decode()


def test_a_rep_sees_their_numbers_and_changing_a_filter_swaps_only_the_body(people, process, history):
    url = PAGE.format(pk=process.pk) + "&scope=mine"
    response = login(people.rep).get(url, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "analytics-process" not in body
    assert '<p class="xt-stat-num mb-0" data-figure="count">4</p>' in body
    assert '<p class="xt-stat-num mb-0" data-figure="velocity">¥7,272.73</p>' in body
    assert "HX-Request" in response["Vary"]


def test_the_page_opens_on_the_default_process_and_the_last_90_days(people, process, history):
    with freeze_time(at(4, 10)):
        page = login(people.manager).get("/pipeline/analytics/").content.decode()
    assert f'<option value="{process.pk}" selected>项目型销售 · 工业设备事业部</option>' in page
    assert 'value="2027-01-11"' in page and 'value="2027-04-10"' in page
    assert '<p class="xt-stat-num mb-0" data-figure="count">8</p>' in page  # G and H too


def test_a_period_that_ends_before_it_starts_falls_back_to_the_default(people, process):
    with freeze_time(at(4, 10)):
        response = english(people.manager).get("/pipeline/analytics/?date_from=2027-04-01&date_to=2027-03-01")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The period starts after it ends: showing the last 90 days." in page
    assert 'value="2027-01-11"' in page
    assert "No opportunities were created in this period." in page


def test_the_page_needs_the_module_and_a_visible_process(people, process):
    foreign = standard_process(people.org["bu2"])
    assert login(people.supply).get("/pipeline/analytics/").status_code == 403
    assert login(people.rep).get(f"/pipeline/analytics/?process={foreign.pk}").status_code == 404
    assert login(people.outsider).get(f"/pipeline/analytics/?process={process.pk}").status_code == 404


def test_the_navigation_shows_the_analysis_after_the_forecast_to_who_sees_opportunities(people):
    def labels(user: Any) -> list[str]:
        return [str(i["label"]) for g in navigation.menu_for(user, "/") for i in g["items"] if g["code"] == "pipeline"]

    with translation.override("en"):
        assert labels(people.rep) == ["Board", "Opportunities", "Forecast", "Pipeline analysis", "Products"]
        assert labels(people.supply) == ["Products"]


# --- the API --------------------------------------------------------------------------------------------


def test_the_api_answers_the_same_numbers_as_decimal_strings(people, process, history):
    response = login(people.manager).get(API.format(pk=process.pk))
    assert response.status_code == 200
    body = response.json()
    stage_ids = {s.name: s.pk for s in process.stages.all()}

    def row(name: str, kind: str, *figures: Any) -> dict[str, Any]:
        keys = ("reached", "reached_percent", "moved_on", "conversion", "lost", "still_open")
        times = ("stays", "average_days", "median_days")
        return {
            "stage": {"id": stage_ids[name], "name": name, "kind": kind},
            **dict(zip(keys + times, figures, strict=True)),
        }

    assert body == {
        "process": {"id": process.pk, "name": "项目型销售", "business_unit": "工业设备事业部"},
        "date_from": "2027-03-01",
        "date_to": "2027-03-31",
        "scope": "all",
        "count": 6,
        "amount": "325000.00",
        "won_amount": "180000.00",
        "stages": [
            row("接洽", "open", 6, "100.0", 4, "66.7", 1, 1, 6, "3.1", "2.0"),
            row("方案", "open", 4, "66.7", 2, "50.0", 1, 1, 3, "2.3", "1.0"),
            row("谈判", "open", 2, "33.3", 2, "100.0", 0, 0, 2, "4.3", "4.3"),
            row("赢单", "won", 2, "33.3", None, None, 0, 0, 0, None, None),
        ],
        "velocity": {
            "open_count": 2,
            "won_count": 2,
            "lost_count": 2,
            "win_rate": "50.0",
            "average_won_amount": "90000.00",
            "average_cycle_days": "8.3",
            "per_day": "10909.09",
        },
        "win_loss": {
            "won_count": 2,
            "won_amount": "180000.00",
            "lost_count": 2,
            "lost_amount": "95000.00",
            "win_rate": "50.0",
            "win_rate_by_amount": "65.5",  # 180000 / 275000 = 65.45…
            "reasons": [{"code": "price", "label": "价格", "count": 2, "amount": "95000.00", "share": "100.0"}],
            "competitors": {"top": [], "other": None, "none_named_count": 2, "none_named_amount": "95000.00"},
        },
    }


def test_the_api_answers_the_win_loss_with_codes_and_labels_in_your_language(people, process, losses):
    body = english(people.manager).get(API.format(pk=process.pk)).json()
    assert body["win_loss"] == {
        "won_count": 2,
        "won_amount": "180000.00",
        "lost_count": 9,
        "lost_amount": "252000.00",
        "win_rate": "18.2",
        "win_rate_by_amount": "41.7",
        "reasons": [
            {"code": "competitor", "label": "Chose a competitor", "count": 4, "amount": "85000.00", "share": "44.4"},
            {"code": "price", "label": "Price", "count": 2, "amount": "95000.00", "share": "22.2"},
            {"code": "product", "label": "Product does not fit", "count": 1, "amount": "60000.00", "share": "11.1"},
            {"code": "", "label": "No reason given", "count": 1, "amount": "7000.00", "share": "11.1"},
            {"code": "budget", "label": "No budget", "count": 1, "amount": "5000.00", "share": "11.1"},
        ],
        "competitors": {
            "top": [
                {"name": "ABB", "count": 3, "amount": "60000.00"},
                {"name": "西门子", "count": 1, "amount": "60000.00"},
                {"name": "施耐德", "count": 1, "amount": "25000.00"},
            ],
            "other": None,
            "none_named_count": 4,
            "none_named_amount": "107000.00",
        },
    }


def test_the_api_narrows_by_scope_owner_and_team_and_refuses_bad_input(people, process, history):
    client = english(people.manager)
    url = API.format(pk=process.pk)
    assert client.get(url + "&scope=mine").json()["count"] == 0
    assert client.get(url + f"&owner_id={people.rep2.pk}").json()["count"] == 2
    assert client.get(url + f"&team_id={people.org['pudong'].pk}").json()["count"] == 4
    assert login(people.rep).get(url).json()["count"] == 4
    bad = client.get(f"/api/v1/pipeline-analytics?process_id={process.pk}&date_from=2027-04-01&date_to=2027-03-01")
    assert (bad.status_code, bad.json()["errors"]) == (
        422,
        [{"field": "date_from", "message": "The period starts after it ends."}],
    )
    assert client.get(url + "&scope=everyone").json()["errors"][0]["field"] == "scope"
    north = people.org["north"].pk
    assert client.get(url + f"&team_id={north}").json()["errors"] == [{"field": "team_id", "message": "No such team."}]


def test_periods_at_the_ends_of_the_calendar_are_answered_not_failed(people, process, history):
    """``0001-01-01`` and ``9999-12-31`` typed into the period: no deal in it, no overflow."""
    client = english(people.manager)
    for dates in ("date_to=0001-01-01", "date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31"):
        answer = client.get(f"/api/v1/pipeline-analytics?process_id={process.pk}&{dates}")
        assert answer.status_code == 200
    assert answer.json()["count"] == 8  # all eight deals, February's and April's too
    assert analyse(people.manager, process, date_to=dt.date(1, 1, 1)).count == 0


def test_the_api_needs_the_module_and_a_visible_process(people, process):
    foreign = standard_process(people.org["bu2"])
    assert login(people.supply).get("/api/v1/pipeline-analytics").status_code == 403
    response = login(people.rep).get(f"/api/v1/pipeline-analytics?process_id={foreign.pk}")
    assert (response.status_code, response.json()["errors"]) == (404, [])


# --- queries ---------------------------------------------------------------------------------------------


def test_the_page_and_the_api_cost_the_same_queries_however_many_deals(people, process, history):
    """Session, user, roles, then the process, the stages, the team's people, the funnel, the stays,
    the lost reasons and the competitors (these two for the win-loss: 2 more than before it); the page
    adds the processes, teams and owners of its filters. Each round loses a deal to a new competitor."""
    client = login(people.manager)
    n = iter(range(100))

    def add_deals() -> None:
        for owner in (people.rep, people.rep2):
            i = next(n)
            deal(process, owner, f"加{i}", "1000.00", at(3, 5), (at(3, 6), "方案"), (at(3, 9), "won"))
            deal(
                process,
                owner,
                f"失{i}",
                "2000.00",
                at(3, 5),
                (at(3, 7), "lost"),
                reason="competitor",
                lost_to=f"竞品{i}",
            )

    page, api = PAGE.format(pk=process.pk) + "&scope=team", API.format(pk=process.pk) + "&scope=team"
    assert assert_queries_constant(lambda: client.get(page), add_deals, max_queries=13) == 13
    assert assert_queries_constant(lambda: client.get(api), add_deals, max_queries=10) == 10


def test_the_analysis_is_six_queries_with_the_team_scope(people, process, history, django_assert_max_num_queries):
    """Four for the funnel, the times and the velocity; two for the win-loss (reasons, competitors)."""
    manager = people.manager
    manager.access  # noqa: B018 — the roles are read once per request, not by the analysis
    with django_assert_max_num_queries(6):
        analyse(manager, process, scope="team")
