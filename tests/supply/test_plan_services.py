"""The monthly S&OP cycle's services: a version's lines from the forecast and the signals (proposal
and consensus exact), version numbering, overrides (reason, BU scope, frozen), the stages, the
comparisons, contingency triggers and meetings.

The people and data fixtures here are shared by the other ``test_plan_*`` modules (imported)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.support.factories import UserFactory, grant, make_role
from tests.support.pipeline import ProductFactory
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound
from xietong.org.defaults import ensure_default_roles
from xietong.supply import plan_registrations  # noqa: F401  (the approval type, kinds)
from xietong.supply import plan_services as services
from xietong.supply.choices import ContingencyTrigger, ForecastStatus, PlanStage
from xietong.supply.models import (
    ContingencyPlan,
    DemandOverride,
    DemandPlan,
    DemandPlanLine,
    Forecast,
    ForecastRun,
    ReviewMeeting,
)

pytestmark = pytest.mark.django_db

D = Decimal
DEC = date(2026, 12, 1)
JAN = date(2027, 1, 1)
FEB = date(2027, 2, 1)
MAR = date(2027, 3, 1)


@pytest.fixture
def people(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()

    def person(username: str, name: str, team: Any, role: str, bu: Any = None) -> Any:
        user = UserFactory(username=username, display_name=name, primary_team=team)
        grant(user, roles[role], bu)
        return user

    # the group's demand planner (the default supply_planner's demand scope is its BU)
    roles["sop_planner"] = make_role(
        "sop_planner",
        {
            "demand": (DataScope.GROUP, {"view", "create", "export"}),
            "supply": (DataScope.GROUP, {"view", "edit", "export"}),
        },
    )
    return SimpleNamespace(
        org=org,
        planner=person("planner", "孙计划", org["supply"], "sop_planner"),
        mgr1=person("mgr1", "钱经理", org["east"], "sales_manager"),
        mgr2=person("mgr2", "赵经理", org["north"], "sales_manager"),
        rep1=person("rep1", "王销售", org["pudong"], "sales_rep"),
        boss=person("boss", "周总", org["east"], "bu_head", org["bu1"]),
    )


@pytest.fixture
def products(db: Any) -> SimpleNamespace:
    return SimpleNamespace(
        p1=ProductFactory(code="CNC-1", name="数控机床一型", product_line="数控机床"),
        p2=ProductFactory(code="MED-1", name="影像设备一型", product_line="医疗影像"),
    )


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch, org: dict[str, Any], products: SimpleNamespace) -> SimpleNamespace:
    """The demand signals stood in for (``xietong.supply.signals`` is tested on its own)."""
    bu1, bu2, p1, p2 = org["bu1"].pk, org["bu2"].pk, products.p1.pk, products.p2.pk
    data = SimpleNamespace(
        orders={(p1, bu1, DEC): D("4"), (p1, bu1, JAN): D("2")},
        pipeline={(p1, bu1, DEC): D("3"), (p1, bu1, JAN): D("6.5"), (p2, bu2, FEB): D("1.234"), (p2, bu2, MAR): D("9")},
        actuals={},
        asked=[],
    )

    def gather(*, first_month: date, horizon: int) -> Any:
        data.asked.append((first_month, horizon))
        return data.orders, data.pipeline

    monkeypatch.setattr(services, "gather_signals", gather)
    monkeypatch.setattr(services, "actual_demand", lambda *, start, end: dict(data.actuals))
    return data


@pytest.fixture
def run(org: dict[str, Any], products: SimpleNamespace) -> ForecastRun:
    r = ForecastRun.objects.create(status=ForecastStatus.DONE, first_month=DEC, horizon=3)
    for month, qty, low, high in ((DEC, "10", "8", "12"), (JAN, "5", "4", "6"), (MAR, "99", "90", "100")):
        Forecast.objects.create(
            run=r, product=products.p1, business_unit=org["bu1"], month=month, quantity=qty, low=low, high=high
        )
    return r


def line(plan: DemandPlan, product: Any, month: date) -> DemandPlanLine:
    return DemandPlanLine.objects.get(plan=plan, product=product, month=month)


def make_plan(people: SimpleNamespace, run: ForecastRun | None = None, cycle: date = DEC) -> DemandPlan:
    return services.plan_create(actor=people.planner, cycle=cycle, horizon=3, forecast_run=run)


# --- creating a version -------------------------------------------------------------------------------


def test_a_version_has_a_line_per_signal_with_the_proposal_the_larger_of_baseline_and_orders_plus_pipeline(
    people, products, signals, run
):
    plan = make_plan(people, run)
    rows = list(
        DemandPlanLine.objects.filter(plan=plan)
        .order_by("product__code", "month")
        .values_list(
            "product__code",
            "month",
            "baseline",
            "baseline_low",
            "baseline_high",
            "open_orders",
            "pipeline",
            "proposal",
            "override",
            "consensus",
        )
    )
    assert rows == [
        ("CNC-1", DEC, D("10.000"), D("8.000"), D("12.000"), D("4.000"), D("3.000"), D("10.000"), None, D("10.000")),
        ("CNC-1", JAN, D("5.000"), D("4.000"), D("6.000"), D("2.000"), D("6.500"), D("8.500"), None, D("8.500")),
        ("MED-1", FEB, D("0.000"), D("0.000"), D("0.000"), D("0.000"), D("1.234"), D("1.234"), None, D("1.234")),
    ]
    assert signals.asked == [(DEC, 3)]
    assert (plan.cycle, plan.first_month, plan.horizon, plan.version, plan.stage) == (
        DEC,
        DEC,
        3,
        1,
        PlanStage.DEMAND_REVIEW,
    )
    assert plan.forecast_run_id == run.pk
    assert services.consensus(plan) == {
        (products.p1.pk, DEC): D("10.000"),
        (products.p1.pk, JAN): D("8.500"),
        (products.p2.pk, FEB): D("1.234"),
    }


def test_the_title_defaults_to_the_cycle_month_in_the_users_language(people, signals):
    from django.utils import translation

    from tests.support.i18n import zh

    with translation.override("zh-hans"):
        plan = make_plan(people)
    assert plan.title == zh("%(month)s S&OP", month="2026年12月") == "2026年12月 产销计划"


def test_versions_of_a_cycle_count_up_and_link_the_previous_one(people, signals, run):
    first = make_plan(people, run)
    second = make_plan(people, run)
    assert (first.version, second.version) == (1, 2)
    assert first.previous_id is None
    assert second.previous_id == first.pk


def test_a_new_cycle_links_the_last_approved_plan(people, signals):
    old = make_plan(people, cycle=date(2026, 11, 1))
    DemandPlan.objects.filter(pk=old.pk).update(stage=PlanStage.APPROVED)
    make_plan(people, cycle=date(2026, 10, 1))  # older and not approved: not the previous one
    plan = make_plan(people, cycle=DEC)
    assert (plan.version, plan.previous_id) == (1, old.pk)


def test_the_newest_finished_run_is_the_default_baseline(people, signals, run):
    ForecastRun.objects.create(status=ForecastStatus.FAILED, first_month=DEC)
    plan = services.plan_create(actor=people.planner, cycle=date(2026, 12, 17), horizon=3)
    assert plan.forecast_run_id == run.pk
    assert plan.cycle == DEC


def test_only_demand_creators_make_versions(people, signals):
    with pytest.raises(PermissionDenied):
        make_plan(SimpleNamespace(planner=people.mgr1))
    assert DemandPlan.objects.count() == 0


def test_a_horizon_out_of_range_is_refused_naming_the_field(people, signals):
    with pytest.raises(ValidationError) as exc:
        services.plan_create(actor=people.planner, cycle=DEC, horizon=0)
    assert list(exc.value.message_dict) == ["horizon"]


def test_a_plan_whose_months_run_past_the_calendar_is_refused_naming_the_cycle(people, signals):
    """Found by a sweep of the forms: a cycle in December 9999 failed (500) building its months."""
    with pytest.raises(ValidationError) as exc:
        services.plan_create(actor=people.planner, cycle=date(9999, 12, 31), horizon=2)
    assert exc.value.message_dict == {"cycle": ["计划的月份须在 9999 年 12 月前结束。"]}
    last = services.plan_create(actor=people.planner, cycle=date(9999, 11, 1), horizon=2)  # November and December
    assert (last.first_month, last.horizon) == (date(9999, 11, 1), 2)


# --- overrides ------------------------------------------------------------------------------------------


def test_an_override_sets_the_consensus_and_keeps_who_when_why_and_the_value_before(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    services.line_override(actor=people.mgr1, line=dec, quantity="12.5", reason="大客户追加")
    services.line_override(actor=people.mgr1, line=dec, quantity=D("11"), reason="回调")
    dec.refresh_from_db()
    assert (dec.override, dec.consensus, dec.proposal) == (D("11.000"), D("11.000"), D("10.000"))
    history = list(
        DemandOverride.objects.filter(line=dec).order_by("pk").values_list("quantity", "previous", "reason", "user")
    )
    assert history == [
        (D("12.500"), None, "大客户追加", people.mgr1.pk),
        (D("11.000"), D("12.500"), "回调", people.mgr1.pk),
    ]


def test_clearing_an_override_gives_the_proposal_back(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    services.line_override(actor=people.mgr1, line=dec, quantity="3", reason="订单取消")
    services.line_override(actor=people.mgr1, line=dec.pk, quantity=None, reason="恢复")
    dec.refresh_from_db()
    assert (dec.override, dec.consensus) == (None, D("10.000"))


def test_an_override_without_a_reason_is_refused_naming_the_reason(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    with pytest.raises(ValidationError) as exc:
        services.line_override(actor=people.mgr1, line=dec, quantity="3", reason="  ")
    assert list(exc.value.message_dict) == ["reason"]
    assert DemandOverride.objects.count() == 0


def test_a_negative_override_is_refused_naming_the_quantity(people, products, signals, run):
    plan = make_plan(people, run)
    with pytest.raises(ValidationError) as exc:
        services.line_override(actor=people.mgr1, line=line(plan, products.p1, DEC), quantity="-1", reason="x")
    assert list(exc.value.message_dict) == ["quantity"]


def test_a_bu2_manager_cannot_override_a_bu1_line_it_is_not_found(people, products, signals, run):
    plan = make_plan(people, run)
    dec = line(plan, products.p1, DEC)
    with pytest.raises(NotFound):
        services.line_override(actor=people.mgr2, line=dec, quantity="1", reason="x")
    dec.refresh_from_db()
    assert (dec.override, dec.consensus) == (None, D("10.000"))


def test_a_sales_rep_only_reads_demand(people, products, signals, run):
    plan = make_plan(people, run)
    with pytest.raises(PermissionDenied):
        services.line_override(actor=people.rep1, line=line(plan, products.p1, DEC), quantity="1", reason="x")


@pytest.mark.parametrize("stage", [PlanStage.EXECUTIVE_REVIEW, PlanStage.APPROVED, PlanStage.SUPERSEDED])
def test_a_frozen_plan_refuses_overrides(people, products, signals, run, stage):
    plan = make_plan(people, run)
    DemandPlan.objects.filter(pk=plan.pk).update(stage=stage)
    with pytest.raises(Conflict):
        services.line_override(actor=people.mgr1, line=line(plan, products.p1, DEC), quantity="1", reason="x")
    assert DemandOverride.objects.count() == 0


# --- the cycle --------------------------------------------------------------------------------------------


def approval_flow(approver: Any) -> Any:
    from xietong.approvals.models import ApprovalFlow, ApprovalStep, StepKind

    flow = ApprovalFlow.objects.create(document_type="demand_plan", name="S&OP 高层评审")
    ApprovalStep.objects.create(flow=flow, position=1, name="总经理", kind=StepKind.USER, user=approver)
    return flow


def test_demand_review_moves_to_supply_review(people, signals, run):
    plan = make_plan(people, run)
    moved = services.plan_advance(actor=people.planner, plan=plan)
    assert moved.stage == PlanStage.SUPPLY_REVIEW


def test_the_executive_review_approves_through_the_engine_and_supersedes_the_older_approved_version(
    people, products, signals, run
):
    from xietong.approvals import services as approvals
    from xietong.approvals.models import ApprovalRequest

    approval_flow(people.boss)
    old = make_plan(people, run)
    DemandPlan.objects.filter(pk=old.pk).update(stage=PlanStage.APPROVED)
    plan = make_plan(people, run)
    services.plan_advance(actor=people.planner, plan=plan)
    in_review = services.plan_advance(actor=people.planner, plan=plan)
    assert in_review.stage == PlanStage.EXECUTIVE_REVIEW
    assert in_review.is_frozen
    request = ApprovalRequest.objects.get()
    assert (request.document_type, request.document_id) == ("demand_plan", plan.pk)
    with pytest.raises(Conflict):
        services.line_override(actor=people.mgr1, line=line(plan, products.p1, DEC), quantity="1", reason="x")
    approvals.approval_approve(request=request, actor=people.boss)
    plan.refresh_from_db()
    old.refresh_from_db()
    assert plan.stage == PlanStage.APPROVED
    assert plan.approved_at is not None
    assert old.stage == PlanStage.SUPERSEDED


def test_a_returned_plan_goes_back_to_supply_review(people, signals, run):
    from xietong.approvals import services as approvals
    from xietong.approvals.models import ApprovalRequest

    approval_flow(people.boss)
    plan = make_plan(people, run)
    services.plan_advance(actor=people.planner, plan=plan)
    services.plan_advance(actor=people.planner, plan=plan)
    approvals.approval_reject(request=ApprovalRequest.objects.get(), actor=people.boss, comment="重估北区")
    plan.refresh_from_db()
    assert plan.stage == PlanStage.SUPPLY_REVIEW
    assert plan.approved_at is None


def test_without_a_flow_the_engine_approves_at_once(people, signals, run):
    plan = make_plan(people, run)
    services.plan_advance(actor=people.planner, plan=plan)
    approved = services.plan_advance(actor=people.planner, plan=plan)
    assert approved.stage == PlanStage.APPROVED


def test_a_frozen_plan_does_not_advance(people, signals, run):
    plan = make_plan(people, run)
    DemandPlan.objects.filter(pk=plan.pk).update(stage=PlanStage.APPROVED)
    with pytest.raises(Conflict):
        services.plan_advance(actor=people.planner, plan=plan)


def test_sales_managers_do_not_advance_plans(people, signals, run):
    plan = make_plan(people, run)
    with pytest.raises(PermissionDenied):
        services.plan_advance(actor=people.mgr1, plan=plan)
    plan.refresh_from_db()
    assert plan.stage == PlanStage.DEMAND_REVIEW


# --- comparisons --------------------------------------------------------------------------------------------


def test_compare_two_versions_per_product_and_month(people, products, signals, run):
    first = make_plan(people, run)
    signals.pipeline[(products.p2.pk, people.org["bu2"].pk, FEB)] = D("2")
    second = make_plan(people, run)
    services.line_override(actor=people.mgr1, line=line(second, products.p1, JAN), quantity="7", reason="x")
    assert services.plan_compare(second, first) == [
        {"product_id": products.p1.pk, "month": DEC, "a": D("10.000"), "b": D("10.000"), "delta": D("0.000")},
        {"product_id": products.p1.pk, "month": JAN, "a": D("7.000"), "b": D("8.500"), "delta": D("-1.500")},
        {"product_id": products.p2.pk, "month": FEB, "a": D("2.000"), "b": D("1.234"), "delta": D("0.766")},
    ]
    # a BU1 manager sees BU1's lines only
    assert [r["product_id"] for r in services.plan_compare(second, first, user=people.mgr1)] == [products.p1.pk] * 2


def test_plan_against_actuals_for_past_months(people, products, signals, run):
    plan = make_plan(people, run)
    bu1, bu2 = people.org["bu1"].pk, people.org["bu2"].pk
    signals.actuals = {(products.p1.pk, bu1, DEC): D("12"), (products.p1.pk, bu2, DEC): D("1")}
    rows = services.plan_vs_actuals(plan, today=date(2027, 1, 15))
    assert rows == [
        {
            "product_id": products.p1.pk,
            "month": DEC,
            "consensus": D("10.000"),
            "actual": D("13.000"),
            "delta": D("-3.000"),
        }
    ]
    assert services.plan_vs_actuals(plan, user=people.mgr1, today=date(2027, 1, 15))[0]["actual"] == D("12.000")
    assert services.plan_vs_actuals(plan, today=date(2026, 12, 20)) == []


# --- contingency plans, meetings ----------------------------------------------------------------------------


def test_a_demand_up_contingency_triggers_against_the_previous_version(
    people, products, signals, run, django_capture_on_commit_callbacks
):
    from xietong.collaboration.models import Notification

    cnc = services.contingency_create(
        actor=people.planner,
        name="数控机床需求激增",
        trigger=ContingencyTrigger.DEMAND_UP,
        threshold_percent=D("30"),
        product_line="数控机床",
        actions="启用第二班次",
        owner=people.boss,
    )
    med = services.contingency_create(
        actor=people.planner,
        name="医疗影像需求激增",
        trigger=ContingencyTrigger.DEMAND_UP,
        threshold_percent=D("30"),
        product_line="医疗影像",
        actions="加急采购",
    )
    first = make_plan(people, run)
    second = make_plan(people, run)
    # 数控机床: 18.5 → 24.05 (+30.00%): triggered; 医疗影像 unchanged
    services.line_override(actor=people.mgr1, line=line(second, products.p1, DEC), quantity="15.55", reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        triggered = services.plan_advance(actor=people.planner, plan=second)
    assert triggered.stage == PlanStage.SUPPLY_REVIEW
    cnc.refresh_from_db()
    med.refresh_from_db()
    assert cnc.last_triggered_at is not None
    assert "+30.00" in cnc.last_trigger_note
    assert list(cnc.plans.all()) == [second]
    assert med.last_triggered_at is None
    assert second.previous_id == first.pk
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(people.boss.pk, "contingency_triggered")]


def test_contingency_plans_need_a_threshold_for_demand_triggers(people):
    with pytest.raises(ValidationError) as exc:
        services.contingency_create(actor=people.planner, name="x", trigger=ContingencyTrigger.DEMAND_DOWN, actions="y")
    assert list(exc.value.message_dict) == ["threshold_percent"]


def test_sales_do_not_keep_contingency_plans(people):
    with pytest.raises(PermissionDenied):
        services.contingency_create(actor=people.mgr1, name="x", trigger=ContingencyTrigger.OTHER, actions="y")
    assert ContingencyPlan.objects.count() == 0


def test_a_meeting_is_recorded_with_its_attendees(people, signals, run):
    plan = make_plan(people, run)
    meeting = services.meeting_record(
        actor=people.mgr1,
        plan=plan,
        stage=PlanStage.DEMAND_REVIEW,
        held_on=date(2026, 12, 5),
        attendees=[people.mgr1, people.planner.pk],
        minutes="华东区需求上调",
        decisions="下周复核",
    )
    assert ReviewMeeting.objects.get() == meeting
    assert sorted(meeting.attendees.values_list("pk", flat=True)) == sorted([people.mgr1.pk, people.planner.pk])
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(actor=people.mgr1, plan=plan, stage=PlanStage.DEMAND_REVIEW, held_on=DEC, minutes="")
    assert list(exc.value.message_dict) == ["minutes"]


def test_with_the_real_signals_history_counts_as_actuals(people, products, run):
    """No stand-in: ``xietong.supply.signals`` gathers (no orders, no pipeline here) and the ERP's
    history is the actual demand."""
    from xietong.supply.models import SalesHistory

    plan = make_plan(people, run)
    assert [(r.month, r.consensus) for r in DemandPlanLine.objects.filter(plan=plan).order_by("month")] == [
        (DEC, D("10.000")),
        (JAN, D("5.000")),
    ]
    SalesHistory.objects.create(product=products.p1, business_unit=people.org["bu1"], month=DEC, quantity="9")
    assert services.plan_vs_actuals(plan, today=date(2027, 2, 3)) == [
        {
            "product_id": products.p1.pk,
            "month": DEC,
            "consensus": D("10.000"),
            "actual": D("9.000"),
            "delta": D("1.000"),
        },
        {
            "product_id": products.p1.pk,
            "month": JAN,
            "consensus": D("5.000"),
            "actual": D("0.000"),
            "delta": D("5.000"),
        },
    ]


def test_bias_of_overrides_by_person_and_of_the_baseline_by_business_unit(people, products, signals, run):
    from xietong.supply import plan_selectors
    from xietong.supply.models import ForecastSeries

    plan = make_plan(people, run)
    bu1 = people.org["bu1"].pk
    services.line_override(actor=people.mgr1, line=line(plan, products.p1, DEC), quantity="20", reason="乐观")
    services.line_override(actor=people.mgr1, line=line(plan, products.p1, DEC), quantity="15", reason="回调")
    services.line_override(actor=people.mgr1, line=line(plan, products.p1, JAN), quantity="10", reason="x")
    signals.actuals = {(products.p1.pk, bu1, DEC): D("10"), (products.p1.pk, bu1, JAN): D("10")}
    rows = plan_selectors.bias_by_rep(user=people.planner, today=date(2027, 2, 1))
    # the latest override of each past line: (15 + 10 − 20) / 20
    assert [(r["user"], r["overrides"], r["override"], r["actual"], r["bias"]) for r in rows] == [
        (people.mgr1, 2, D("25.000"), D("20"), 0.25)
    ]
    assert plan_selectors.bias_by_rep(user=people.mgr2, today=date(2027, 2, 1)) == []  # BU2 sees no BU1 line
    for product, bu, bias in ((products.p1, "bu1", 0.2), (products.p2, "bu1", -0.1), (products.p1, "bu2", 0.5)):
        ForecastSeries.objects.create(
            run=run, product=product, business_unit=people.org[bu], model="AutoETS", wape=0.1, mase=0.9, bias=bias
        )
    by_bu = plan_selectors.bias_by_business_unit(user=people.mgr1, run=run)
    assert [(r["business_unit"], r["series"], round(r["bias"], 6)) for r in by_bu] == [("工业设备事业部", 2, 0.05)]
    assert len(plan_selectors.bias_by_business_unit(user=people.planner, run=run)) == 2
