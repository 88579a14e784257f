"""The forecast (pipeline/forecast.py): exact roll-up arithmetic on a three-level tree, periods and
quarters, the managers' adjustments kept apart from the reps' numbers, who may adjust, and the
weekly snapshots with "how it moved".

Every expected number below is worked out by hand from the deals of ``tree`` (Asia/Shanghai time).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.support.factories import UserFactory, grant, manage
from tests.support.pipeline import opportunity
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry
from xietong.org.defaults import ensure_default_roles
from xietong.org.models import TeamMembership
from xietong.pipeline import forecast
from xietong.pipeline.forecast import Period
from xietong.pipeline.models import ForecastAdjustment, ForecastSnapshot, Opportunity

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2027, 1, 1), dt.date(2027, 2, 1), dt.date(2027, 3, 1)
SH = dt.timezone(dt.timedelta(hours=8))


def won(owner: Any, amount: str, at: dt.datetime, **kw: Any) -> Opportunity:
    return opportunity(
        owner,
        amount=D(amount),
        status="won",
        probability=100,
        forecast_category="closed",
        closed_at=at,
        expected_close=kw.pop("expected_close", dt.date(2026, 6, 30)),  # the close date counts, not this
        **kw,
    )


def lost(owner: Any, amount: str, at: dt.datetime) -> Opportunity:
    return opportunity(owner, amount=D(amount), status="lost", probability=0, forecast_category="omitted", closed_at=at)


def deal(owner: Any, amount: str, probability: int, category: str, close: dt.date | None) -> Opportunity:
    return opportunity(
        owner, amount=D(amount), probability=probability, forecast_category=category, expected_close=close
    )


@pytest.fixture
def tree(people: SimpleNamespace, process: Any) -> SimpleNamespace:
    return build_tree(people)


def build_tree(people: SimpleNamespace) -> SimpleNamespace:
    """华东销售部 (manager, head, 孙销售 direct) → 上海销售组 (李销售 rep2, 吴销售 primary here and also in
    浦东) → 浦东小组 (王销售 rep, 陈销售), and their deals of 2026-12 … 2027-03."""
    org, roles = people.org, ensure_default_roles()
    rep3 = UserFactory(username="rep3", display_name="陈销售", primary_team=org["pudong"])
    rep4 = UserFactory(username="rep4", display_name="孙销售", primary_team=org["east"])
    rep5 = UserFactory(username="rep5", display_name="吴销售", primary_team=org["shanghai"])
    TeamMembership.objects.create(user=rep5, team=org["pudong"])  # counts once: in 上海 (primary)
    for user in (rep3, rep4, rep5):
        grant(user, roles["sales_rep"])
    rep, rep2 = people.rep, people.rep2
    d = SimpleNamespace(rep3=rep3, rep4=rep4, rep5=rep5)
    # 浦东: 王销售
    d.a = deal(rep, "100000.00", 75, "commit", dt.date(2027, 1, 15))  # w 75000.00
    d.b = deal(rep, "33333.33", 33, "best_case", dt.date(2027, 1, 31))  # w 10999.9989 → 11000.00
    d.c = deal(rep, "12345.67", 10, "pipeline", dt.date(2027, 2, 1))  # Feb; w 1234.567 → 1234.57
    # 浦东: 陈销售
    d.d = deal(rep3, "50000.05", 50, "best_case", dt.date(2027, 1, 10))  # w 25000.025 → 25000.03 (half up)
    d.e = won(rep3, "80000.00", dt.datetime(2027, 1, 20, 10, 0, tzinfo=SH))
    d.f = lost(rep3, "9999.99", dt.datetime(2027, 1, 5, 9, 0, tzinfo=SH))
    # 上海 direct: 李销售
    d.g = deal(rep2, "200000.00", 90, "commit", dt.date(2027, 1, 31))  # w 180000.00
    d.h = deal(rep2, "1000.01", 25, "pipeline", dt.date(2027, 1, 1))  # w 250.0025 → 250.00
    d.i = deal(rep2, "5000.00", 10, "omitted", dt.date(2027, 1, 10))  # open, omitted
    d.j = deal(rep2, "70000.00", 90, "commit", None)  # no close date: in no period
    d.k = deal(rep2, "60000.00", 90, "commit", dt.date(2026, 12, 31))  # December
    # 上海 direct: 吴销售 (also a member of 浦东)
    d.l = deal(rep5, "7000.00", 50, "commit", dt.date(2027, 3, 15))  # March; w 3500.00
    d.m = deal(rep5, "3000.00", 15, "pipeline", dt.date(2027, 1, 20))  # w 450.00
    # 华东 direct: 孙销售
    d.n = deal(rep4, "11111.11", 35, "commit", dt.date(2027, 1, 25))  # w 3888.8885 → 3888.89
    d.o = won(rep4, "20000.00", dt.datetime(2027, 2, 28, 23, 30, tzinfo=SH), expected_close=dt.date(2027, 1, 5))
    d.o2 = won(rep4, "5000.00", dt.datetime(2027, 1, 31, 16, 30, tzinfo=dt.UTC))  # 2027-02-01 00:30 local: Feb
    # elsewhere: BU2
    d.p = deal(people.outsider, "999999.00", 90, "commit", dt.date(2027, 1, 10))
    return d


def figures(numbers: forecast.Numbers) -> dict[str, tuple[int, D, D]]:
    return {code: (f.count, f.amount, f.weighted) for code, f in numbers.categories.items()}


def get(user: Any, team: Any, period: str, **kw: Any) -> forecast.Forecast:
    return forecast.forecast_get(user=user, team=team, period=Period.parse(period), **kw)


# --- the arithmetic ----------------------------------------------------------------------------------


def test_the_month_rolls_up_the_tree_exactly(people, tree):
    org = people.org
    fc = get(people.manager, org["east"], "2027-01")
    assert figures(fc.numbers) == {
        "closed": (1, D("80000.00"), D("80000.00")),
        "commit": (3, D("311111.11"), D("258888.89")),  # 100000 + 200000 + 11111.11; 75000 + 180000 + 3888.89
        "best_case": (2, D("83333.38"), D("36000.03")),  # 33333.33 + 50000.05; 11000.00 + 25000.03
        "pipeline": (2, D("4000.01"), D("700.00")),  # 1000.01 + 3000.00; 250.00 + 450.00
        "omitted": (2, D("14999.99"), D("0.00")),  # lost 9999.99 + open omitted 5000.00
    }
    total = fc.numbers.total
    assert (total.count, total.amount, total.weighted) == (8, D("478444.50"), D("375588.92"))
    assert {line.code: line.reps.amount for line in fc.lines} == {
        "commit": D("391111.11"),  # closed + commit
        "best_case": D("474444.49"),  # closed + commit + best case
        "pipeline": D("398444.50"),  # pipeline + best case + commit
    }
    rows = {(r.kind, r.name): r for r in fc.rows}
    assert [(r.kind, r.name, r.depth) for r in fc.rows] == [
        ("team", "上海销售组", 1),
        ("team", "浦东小组", 2),
        ("rep", "王销售", 3),
        ("rep", "陈销售", 3),
        ("rep", "吴销售", 2),
        ("rep", "李销售", 2),
        ("rep", "孙销售", 1),
        ("rep", "赵总", 1),
        ("rep", "钱经理", 1),
    ]
    assert figures(rows["team", "浦东小组"].numbers) == {
        "closed": (1, D("80000.00"), D("80000.00")),
        "commit": (1, D("100000.00"), D("75000.00")),
        "best_case": (2, D("83333.38"), D("36000.03")),
        "pipeline": (0, D("0.00"), D("0.00")),
        "omitted": (1, D("9999.99"), D("0.00")),
    }
    assert figures(rows["team", "上海销售组"].numbers) == {
        "closed": (1, D("80000.00"), D("80000.00")),
        "commit": (2, D("300000.00"), D("255000.00")),
        "best_case": (2, D("83333.38"), D("36000.03")),
        "pipeline": (2, D("4000.01"), D("700.00")),  # 吴销售's 3000.00 counts here, in his primary team
        "omitted": (2, D("14999.99"), D("0.00")),
    }
    assert figures(rows["rep", "陈销售"].numbers)["best_case"] == (1, D("50000.05"), D("25000.03"))


def test_every_parent_is_the_exact_sum_of_its_sub_teams_and_members(people, tree):
    fc = get(people.head, people.org["east"], "2027-Q1")
    for row in [fc.root, *fc.rows]:
        if row.kind == "team":
            assert figures(row.numbers) == figures(forecast.Numbers.summed(c.numbers for c in row.children))
            for month, numbers in row.months.items():
                assert figures(numbers) == figures(forecast.Numbers.summed(c.months[month] for c in row.children)), (
                    month
                )


def test_the_quarter_adds_its_months_and_counts_won_deals_on_their_local_closing_date(people, tree):
    fc = get(people.manager, people.org["east"], "2027-Q1")
    assert figures(fc.numbers) == {
        "closed": (3, D("105000.00"), D("105000.00")),  # Jan 80000 + Feb 20000 (23:30 local) + Feb 5000 (00:30 local)
        "commit": (4, D("318111.11"), D("262388.89")),  # + March 7000.00 (w 3500.00)
        "best_case": (2, D("83333.38"), D("36000.03")),
        "pipeline": (3, D("16345.68"), D("1934.57")),  # + Feb 12345.67 (w 1234.57)
        "omitted": (2, D("14999.99"), D("0.00")),
    }
    feb = get(people.manager, people.org["east"], "2027-02")
    assert figures(feb.numbers)["closed"] == (2, D("25000.00"), D("25000.00"))
    dec = get(people.manager, people.org["east"], "2026-12")
    assert figures(dec.numbers)["commit"] == (1, D("60000.00"), D("54000.00"))


def test_a_team_below_counts_every_member_of_its_own_subtree(people, tree):
    """吴销售 is in 上海 (primary) and 浦东: on 浦东's own page he counts in 浦东."""
    fc = get(people.manager, people.org["pudong"], "2027-01")
    assert [(r.kind, r.name) for r in fc.rows] == [("rep", "吴销售"), ("rep", "王销售"), ("rep", "陈销售")]
    assert figures(fc.numbers)["pipeline"] == (1, D("3000.00"), D("450.00"))


def test_a_rep_sees_only_the_deals_they_see_and_no_team_figures(people, tree):
    fc = get(people.rep, people.org["pudong"], "2027-01")
    assert fc.covers is False
    assert [(r.kind, r.name) for r in fc.rows] == [("rep", "王销售")]  # colleagues without visible deals: hidden
    assert figures(fc.numbers)["commit"] == (1, D("100000.00"), D("75000.00"))
    assert fc.numbers.total.amount == D("133333.33")
    assert (fc.may_adjust, fc.snapshot_week, fc.history) == (False, None, [])
    assert [line.adjusted for line in fc.lines] == [None, None, None]


def test_the_forecast_needs_the_opportunities_module(people, tree):
    with pytest.raises(PermissionDenied):
        get(people.supply, people.org["east"], "2027-01")


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("2027-01", "2027-01", JAN, dt.date(2027, 1, 31)),
        ("2028-02", "2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ("2027-q1", "2027-Q1", JAN, dt.date(2027, 3, 31)),
        ("2027-Q4", "2027-Q4", dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
    ],
)
def test_periods_parse_months_and_quarters(text, code, start, end):
    period = Period.parse(text)
    assert (period.code, period.start, period.end) == (code, start, end)


@pytest.mark.parametrize("text", ["2027-13", "2027-Q5", "27-01", "2027/01", "x"])
def test_a_bad_period_is_a_field_error(text):
    with pytest.raises(ValidationError) as exc:
        Period.parse(text)
    assert list(exc.value.message_dict) == ["period"]


def test_periods_step_by_their_own_kind():
    assert Period.parse("2027-01").shifted(-1).code == "2026-12"
    assert Period.parse("2027-Q1").shifted(-1).code == "2026-Q4"
    assert Period.parse("2027-11").quarter.code == "2027-Q4"


# --- adjustments ---------------------------------------------------------------------------------------


def test_an_adjustment_is_kept_apart_from_the_reps_numbers(people, tree):
    east = people.org["east"]
    adj = forecast.forecast_adjust(
        actor=people.manager, team=east, month="2027-01", category="commit", amount="400000", comment="大单提前"
    )
    assert (adj.month, adj.amount, adj.adjusted_by) == (JAN, D("400000.00"), people.manager)
    fc = get(people.manager, east, "2027-01")
    commit = fc.lines[0]
    assert (commit.code, commit.reps.amount, commit.adjusted, commit.adjustment.comment) == (
        "commit",
        D("391111.11"),
        D("400000.00"),
        "大单提前",
    )
    assert [line.adjusted for line in fc.lines[1:]] == [None, None]
    assert figures(fc.numbers)["commit"] == (3, D("311111.11"), D("258888.89"))  # untouched
    # the sub-team has no adjustment of its own
    assert [line.adjusted for line in get(people.manager, people.org["shanghai"], "2027-01").lines] == [None] * 3


def test_the_quarter_adds_adjusted_months_and_the_reps_numbers_of_the_others(people, tree):
    east = people.org["east"]
    forecast.forecast_adjust(
        actor=people.manager, team=east, month="2027-01", category="commit", amount="400000.00", comment="x"
    )
    commit = get(people.manager, east, "2027-Q1").lines[0]
    # reps: Jan 391111.11 + Feb 25000.00 + Mar 7000.00; adjusted: 400000.00 + 25000.00 + 7000.00
    assert (commit.reps.amount, commit.adjusted, commit.adjusted_months, commit.partly_adjusted) == (
        D("423111.11"),
        D("432000.00"),
        1,
        True,
    )
    assert commit.adjustment is None


def test_changing_an_adjustment_keeps_the_earlier_one_in_the_audit_trail(people, tree):
    east = people.org["east"]
    first = forecast.forecast_adjust(
        actor=people.manager, team=east, month="2027-01-01", category="best_case", amount="450000", comment="初判"
    )
    second = forecast.forecast_adjust(
        actor=people.head, team=east.pk, month="2027-01", category="best_case", amount="480000.50", comment="复核"
    )
    assert second.pk == first.pk
    assert ForecastAdjustment.objects.count() == 1
    entries = list(
        AuditEntry.objects.for_object(second).order_by("pk").values_list("kind", "actor__username", "changes")
    )
    assert entries == [
        ("create", "manager", {"amount": [None, "450000.00"], "comment": [None, "初判"]}),
        ("update", "head", {"amount": ["450000.00", "480000.50"], "comment": ["初判", "复核"]}),
    ]
    history = get(people.manager, east, "2027-01").history
    assert [(h.entry.kind, h.month) for h in history] == [("update", JAN), ("create", JAN)]


def test_an_adjustment_needs_a_comment_a_line_a_month_and_a_fair_amount(people, tree):
    with pytest.raises(ValidationError) as exc:
        forecast.forecast_adjust(
            actor=people.manager, team=people.org["east"], month="2027-13", category="closed", amount="-1", comment=" "
        )
    assert sorted(exc.value.message_dict) == ["amount", "category", "comment", "month"]
    with pytest.raises(ValidationError) as exc:
        forecast.forecast_adjust(
            actor=people.manager,
            team=people.org["east"],
            month="2027-01",
            category="commit",
            amount="1.005",
            comment="x",
        )
    assert list(exc.value.message_dict) == ["amount"]
    assert ForecastAdjustment.objects.count() == 0


def test_only_managers_of_the_team_or_above_and_bu_heads_may_adjust(people, tree):
    org, roles = people.org, ensure_default_roles()
    sub = UserFactory(username="sub", display_name="浦东组长", primary_team=org["shanghai"])
    grant(sub, roles["sales_manager"])
    manage(sub, org["pudong"])  # manages 浦东, only a member of 上海
    assert forecast.may_adjust(people.manager, org["pudong"]) is True  # manages 华东, above
    assert forecast.may_adjust(people.head, org["pudong"]) is True  # BU head
    assert forecast.may_adjust(sub, org["pudong"]) is True
    assert forecast.may_adjust(sub, org["shanghai"]) is False  # sees it, does not manage it
    with pytest.raises(PermissionDenied):
        forecast.forecast_adjust(
            actor=sub, team=org["shanghai"], month="2027-01", category="commit", amount="1", comment="x"
        )
    with pytest.raises(PermissionDenied):  # a rep sees their team but adjusts nothing
        forecast.forecast_adjust(
            actor=people.rep, team=org["pudong"], month="2027-01", category="commit", amount="1", comment="x"
        )
    with pytest.raises(NotFound):  # a team out of sight is not there at all
        forecast.forecast_adjust(
            actor=people.outsider, team=org["east"], month="2027-01", category="commit", amount="1", comment="x"
        )
    assert ForecastAdjustment.objects.count() == 0


# --- snapshots -----------------------------------------------------------------------------------------


def snapshot_rows() -> list[tuple[Any, ...]]:
    return list(
        ForecastSnapshot.objects.order_by("week", "team__path", "month", "category").values_list(
            "week", "team__name", "month", "category", "count", "amount", "weighted", "adjusted"
        )
    )


def test_the_snapshot_covers_every_sales_team_and_the_quarter_and_is_idempotent(people, tree):
    wednesday = dt.date(2027, 1, 6)
    assert forecast.snapshot_months(wednesday) == (JAN, FEB, MAR)
    assert forecast.snapshot_months(dt.date(2027, 3, 3)) == (JAN, FEB, MAR, dt.date(2027, 4, 1), dt.date(2027, 5, 1))
    forecast.forecast_adjust(
        actor=people.manager, team=people.org["east"], month="2027-01", category="commit", amount="400000", comment="x"
    )
    written = forecast.forecast_snapshot_take(today=wednesday)
    assert written == 4 * 3 * 5  # 华东, 上海, 浦东, 华北 (not the supply team) × Jan–Mar × 5 categories
    first = snapshot_rows()
    assert len(first) == 60
    assert {r[0] for r in first} == {dt.date(2027, 1, 4)}  # the Monday of the week
    east_jan = {r[3]: r[4:] for r in first if r[1] == "华东销售部" and r[2] == JAN}
    assert east_jan == {
        "closed": (1, D("80000.00"), D("80000.00"), None),
        "commit": (3, D("311111.11"), D("258888.89"), D("400000.00")),
        "best_case": (2, D("83333.38"), D("36000.03"), None),
        "pipeline": (2, D("4000.01"), D("700.00"), None),
        "omitted": (2, D("14999.99"), D("0.00"), None),
    }
    assert forecast.forecast_snapshot_take(today=wednesday) == 60
    assert snapshot_rows() == first  # the same rows, not new ones
    Opportunity.objects.filter(pk=tree.g.pk).update(amount=D("250000.00"))
    forecast.forecast_snapshot_take(today=dt.date(2027, 1, 8))  # later that week: the week's rows updated
    assert ForecastSnapshot.objects.count() == 60
    row = ForecastSnapshot.objects.get(team=people.org["east"], month=JAN, category="commit")
    assert (row.amount, row.weighted) == (D("361111.11"), D("303888.89"))


def test_the_page_shows_how_the_forecast_moved_since_the_last_snapshot(people, tree):
    east = people.org["east"]
    forecast.forecast_snapshot_take(today=dt.date(2027, 1, 4))
    Opportunity.objects.filter(pk=tree.g.pk).update(amount=D("250000.00"))  # commit +50000.00
    Opportunity.objects.filter(pk=tree.b.pk).update(forecast_category="commit")  # best case → commit 33333.33
    fc = get(people.manager, east, "2027-01", today=dt.date(2027, 1, 6))
    assert fc.snapshot_week == dt.date(2027, 1, 4)
    assert fc.changes == {
        "closed": D("0.00"),
        "commit": D("83333.33"),
        "best_case": D("-33333.33"),
        "pipeline": D("0.00"),
        "omitted": D("0.00"),
    }
    assert {line.code: line.change for line in fc.lines} == {
        "commit": D("83333.33"),
        "best_case": D("50000.00"),
        "pipeline": D("50000.00"),
    }
    # a quarter compares only with a snapshot that holds all its months
    assert get(people.manager, east, "2027-Q1", today=dt.date(2027, 1, 6)).snapshot_week == dt.date(2027, 1, 4)
    assert get(people.manager, east, "2027-Q2", today=dt.date(2027, 1, 6)).snapshot_week is None
    # a snapshot of a later week is not "last week" yet
    assert get(people.manager, east, "2027-01", today=dt.date(2027, 1, 3)).snapshot_week is None


def test_the_snapshot_job_runs_on_mondays_and_catches_up_a_missed_week(people, tree):
    monday, wednesday = dt.date(2027, 1, 4), dt.date(2027, 1, 6)
    assert forecast.snapshot_due(wednesday) is True  # nothing this week yet
    forecast.forecast_snapshot_take(today=monday)
    assert forecast.snapshot_due(wednesday) is False
    assert forecast.snapshot_due(dt.date(2027, 1, 11)) is True


def test_the_snapshot_task_is_registered_and_takes_the_snapshot(people, tree, monkeypatch):
    from xietong.core import scheduling
    from xietong.pipeline import tasks

    job = scheduling.get("forecast-snapshots")
    assert (job.task, job.every) == (tasks.take_forecast_snapshots, dt.timedelta(days=1))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2027, 1, 4))
    result = tasks.take_forecast_snapshots.enqueue()
    assert result.return_value == 60
    assert ForecastSnapshot.objects.filter(week=dt.date(2027, 1, 4)).count() == 60
