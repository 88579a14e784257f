"""Opportunity services: create, gates on every move, win / lose / reopen, lines, contacts, team."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext

from tests.support.crm import ContactFactory
from tests.support.pipeline import ProductFactory, opportunity, stage
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.pipeline import services
from xietong.pipeline.models import ChecklistItem, DealTeamMember, Opportunity, StageMove

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


def test_create_starts_at_the_first_stage_with_the_owner_on_the_team(people, process, customer_of):
    customer = customer_of(people.rep)
    opp = services.opportunity_create(actor=people.rep, customer=customer, name="华东厂房改造", amount="250000")
    assert (opp.stage.name, opp.probability, opp.forecast_category, opp.amount) == (
        "初步接洽",
        10,
        "pipeline",
        Decimal("250000.00"),
    )
    assert list(DealTeamMember.objects.filter(opportunity=opp).values_list("user__username", "split", "access")) == [
        ("rep", Decimal("100.00"), "edit")
    ]
    assert list(StageMove.objects.filter(opportunity=opp).values_list("from_stage", "to_stage__name")) == [
        (None, "初步接洽")
    ]
    assert AuditEntry.objects.for_object(opp).get().kind == "create"


def test_create_refuses_a_customer_the_actor_cannot_see(people, process, customer_of):
    foreign = customer_of(people.outsider)
    with pytest.raises(ValidationError) as exc:
        services.opportunity_create(actor=people.rep, customer=foreign, name="x")
    assert messages(exc.value) == {"customer": [gettext("No such customer.")]}
    assert Opportunity.objects.count() == 0


def test_a_gate_names_what_is_missing_and_moves_nothing(people, process, customer_of):
    opp = services.opportunity_create(actor=people.rep, customer=customer_of(people.rep), name="x")
    target = stage(process, "方案报价")  # skips 需求确认 (needs a contact); needs lines and a close date
    with pytest.raises(Conflict) as exc:
        services.opportunity_move(actor=people.rep, opportunity=opp, stage=target)
    assert str(exc.value.detail if hasattr(exc.value, "detail") else exc.value) == gettext(
        "To move to “%(stage)s” the opportunity needs: %(missing)s."
    ) % {
        "stage": "方案报价",
        "missing": gettext("; ").join(
            [
                gettext("a contact of the customer"),
                gettext("at least one product line"),
                gettext("an expected close date"),
            ]
        ),
    }
    opp.refresh_from_db()
    assert opp.stage.name == "初步接洽"
    assert StageMove.objects.filter(opportunity=opp).count() == 1


def test_meeting_the_gate_moves_and_records_the_time_in_stage(people, process, customer_of):
    customer = customer_of(people.rep)
    contact = ContactFactory(customer=customer)
    product = ProductFactory(list_price=Decimal("1200.50"))
    opp = services.opportunity_create(actor=people.rep, customer=customer, name="x")
    services.contacts_set(actor=people.rep, opportunity=opp, contacts=[{"contact": contact, "role": "influencer"}])
    services.lines_set(
        actor=people.rep,
        opportunity=opp,
        lines=[
            {"product": product, "quantity": "3", "discount": "10"},
            {"product": product, "quantity": "0.5", "unit_price": "99.99"},
        ],
    )
    services.opportunity_update(actor=people.rep, opportunity=opp, expected_close="2027-03-31")
    moved = services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "方案报价"))
    # 3 × 1200.50 × 0.9 = 3241.35; 0.5 × 99.99 = 49.995 → 50.00 (half up)
    assert (moved.stage.name, moved.amount, moved.probability, moved.forecast_category) == (
        "方案报价",
        Decimal("3291.35"),
        50,
        "best_case",
    )
    last = StageMove.objects.filter(opportunity=opp).order_by("-pk").first()
    assert (last.from_stage.name, last.to_stage.name, last.seconds_in_from is not None) == (
        "初步接洽",
        "方案报价",
        True,
    )


def test_moving_back_needs_no_gate_and_a_required_checklist_item_holds_the_way_forward(people, process):
    opp = opportunity(people.rep, process=process, stage_name="需求确认")
    opp.contact_roles.create(contact=ContactFactory(customer=opp.customer), role="user")
    item = ChecklistItem.objects.create(stage=stage(process, "需求确认"), text="确认预算", required=True)
    services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "初步接洽"))
    services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "需求确认"))
    with pytest.raises(Conflict) as exc:
        services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "方案报价"))
    assert "“确认预算”" in str(exc.value)
    services.checklist_tick(actor=people.rep, opportunity=opp, item=item, done=True)
    opp.lines.create(product=ProductFactory(), quantity=1, unit_price=Decimal("10"))
    services.opportunity_update(actor=people.rep, opportunity=opp, expected_close="2027-01-31")
    assert (
        services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "方案报价")).stage.name
        == "方案报价"
    )


def test_win_applies_every_gate_before_it_then_lose_and_reopen(people, process, customer_of):
    opp = opportunity(people.rep, process=process, stage_name="合同签订", next_step="签约", next_step_date="2027-01-10")
    won = services.opportunity_win(actor=people.rep, opportunity=opp, note="客户签字")
    assert (won.status, won.stage.name, won.probability, won.forecast_category, won.closed_at is not None) == (
        "won",
        "赢单",
        100,
        "closed",
        True,
    )
    with pytest.raises(Conflict):
        services.opportunity_win(actor=people.rep, opportunity=opp)
    reopened = services.opportunity_reopen(actor=people.rep, opportunity=opp)
    assert (reopened.status, reopened.stage.name, reopened.closed_at) == ("open", "合同签订", None)
    with pytest.raises(ValidationError) as exc:
        services.opportunity_lose(actor=people.rep, opportunity=opp, reason="competitor")
    assert list(messages(exc.value)) == ["lost_to"]
    lost = services.opportunity_lose(actor=people.rep, opportunity=opp, reason="competitor", lost_to="某机床厂")
    assert (lost.status, lost.stage.name, lost.probability, lost.forecast_category, lost.lost_to) == (
        "lost",
        "输单",
        0,
        "omitted",
        "某机床厂",
    )


def test_bad_lines_are_refused_with_the_line_named_and_nothing_changes(people, process):
    opp = opportunity(people.rep, process=process)
    product = ProductFactory()
    cases = [
        ({"product": product, "quantity": "-1"}, "lines[1].quantity"),
        ({"product": product, "quantity": "1", "discount": "120"}, "lines[1].discount"),
        ({"product": product, "quantity": "1", "unit_price": "-5"}, "lines[1].unit_price"),
        ({"product": 999999, "quantity": "1"}, "lines[1].product"),
    ]
    for line, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.lines_set(actor=people.rep, opportunity=opp, lines=[line])
        assert list(messages(exc.value)) == [field]
    opp.refresh_from_db()
    assert (opp.lines.count(), opp.amount) == (0, Decimal("100000.00"))


def test_the_amount_of_an_opportunity_with_lines_is_their_sum(people, process):
    opp = opportunity(people.rep, process=process)
    services.lines_set(actor=people.rep, opportunity=opp, lines=[{"product": ProductFactory(), "quantity": "2"}])
    with pytest.raises(ValidationError) as exc:
        services.opportunity_update(actor=people.rep, opportunity=opp, amount="1")
    assert list(messages(exc.value)) == ["amount"]


def test_team_splits_must_sum_to_100_and_members_from_other_departments_see_the_deal(people, process):
    opp = opportunity(people.rep, process=process)
    assert not Opportunity.objects.visible_to(people.supply).filter(pk=opp.pk).exists()
    with pytest.raises(ValidationError) as exc:
        services.team_set(
            actor=people.rep,
            opportunity=opp,
            members=[
                {"user": people.rep, "role": "sales", "split": "70"},
                {"user": people.supply, "role": "supply", "split": "20.5"},
            ],
        )
    assert messages(exc.value) == {
        "members": [
            gettext("The revenue credit splits sum to %(total)s%%; they must sum to 100%%.") % {"total": "90.5"}
        ]
    }
    services.team_set(
        actor=people.rep,
        opportunity=opp,
        members=[
            {"user": people.rep, "role": "sales", "split": "70"},
            {"user": people.supply, "role": "supply", "access": "read", "split": "30"},
        ],
    )
    assert Opportunity.objects.visible_to(people.supply).filter(pk=opp.pk).exists()
    assert not Opportunity.objects.visible_to(people.supply, "edit").filter(pk=opp.pk).exists()
    with pytest.raises(PermissionDenied):
        services.opportunity_update(actor=people.supply, opportunity=opp, next_step="备货")


def test_the_owner_stays_on_the_team(people, process):
    opp = opportunity(people.rep, process=process)
    with pytest.raises(ValidationError) as exc:
        services.team_set(actor=people.rep, opportunity=opp, members=[{"user": people.rep2, "split": "100"}])
    assert list(messages(exc.value)) == ["members"]


def test_an_opportunity_outside_the_scope_is_not_found(people, process):
    opp = opportunity(people.rep2, process=process)
    with pytest.raises(NotFound):
        services.opportunity_move(actor=people.rep, opportunity=opp, stage=stage(process, "需求确认"))
    assert services.opportunity_update(actor=people.manager, opportunity=opp, next_step="拜访").next_step == "拜访"


def test_the_board_sums_each_stage_and_keeps_the_top_cards(people, process):
    from xietong.pipeline import selectors

    for amount in ("10", "30", "20"):
        opportunity(people.rep, process=process, amount=Decimal(amount))
    opportunity(people.rep, process=process, stage_name="需求确认", amount=Decimal("5"), probability=40)
    opportunity(people.outsider, business_unit=people.org["bu1"], process=process, amount=Decimal("999"))
    columns = selectors.board(user=people.rep, process=process, per_column=2)
    first, second = columns[0], columns[1]
    assert (first.count, first.amount, [c.amount for c in first.cards], first.more) == (
        3,
        Decimal("60.00"),
        [Decimal("30.00"), Decimal("20.00")],
        1,
    )
    assert (second.count, second.amount, second.weighted) == (1, Decimal("5.00"), Decimal("2.00"))
    manager_view = selectors.board(user=people.manager, process=process)
    assert manager_view[0].count == 3  # the outsider's card is outside the sales tree


def test_the_relationship_keeps_the_pipeline_facts_the_recycle_rules_read(people, process, customer_of):
    from xietong.customers.models import Relationship

    customer = customer_of(people.rep)
    opp = services.opportunity_create(
        actor=people.rep, customer=customer, name="x", next_step="签约", next_step_date="2027-01-01"
    )
    rel = Relationship.objects.get(customer=customer)
    assert (rel.has_open_business, rel.last_opportunity_at is not None, rel.last_won_at) == (True, True, None)
    opp.contact_roles.create(contact=ContactFactory(customer=customer), role="decision_maker")
    services.lines_set(actor=people.rep, opportunity=opp, lines=[{"product": ProductFactory(), "quantity": "1"}])
    services.opportunity_update(actor=people.rep, opportunity=opp, expected_close="2027-01-31")
    won = services.opportunity_win(actor=people.rep, opportunity=opp)
    rel.refresh_from_db()
    assert (rel.has_open_business, rel.last_won_at) == (False, won.closed_at)
    services.opportunity_reopen(actor=people.rep, opportunity=opp)
    rel.refresh_from_db()
    assert rel.has_open_business is True


def test_a_follow_up_on_a_deal_is_activity_and_a_follow_up_of_the_customer(people, process):
    from tests.support.crm import owned
    from xietong.customers.followups import followup_create
    from xietong.customers.models import Relationship

    rel = owned(owner=people.rep)
    opp = opportunity(people.rep, process=process, customer=rel.customer, last_activity_at=None)
    fu = followup_create(actor=people.rep, record=opp, kind="visit", content="现场演示")
    opp.refresh_from_db()
    rel = Relationship.objects.get(pk=rel.pk)
    assert (opp.last_activity_at, rel.last_follow_up_at) == (fu.occurred_at, fu.occurred_at)


def test_creating_at_a_later_stage_needs_what_the_earlier_stages_need(people, process, customer_of):
    customer = customer_of(people.rep)
    ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="确认预算", required=True)
    contact = ContactFactory(customer=customer)
    with pytest.raises(Conflict) as exc:
        services.opportunity_create(
            actor=people.rep,
            customer=customer,
            name="x",
            stage=stage(process, "需求确认"),
            contacts=[{"contact": contact, "role": "user"}],
        )
    assert "“确认预算”" in str(exc.value)
    assert Opportunity.objects.count() == 0


def test_a_line_or_lines_worth_more_than_the_columns_hold_are_refused_and_the_deal_still_reads(people, process):
    """A line of 99,999,999,999 × ¥999,999,999,999 was saved; reading the deal back then failed on
    every page that shows it (the amount no longer fit its column)."""
    opp = opportunity(people.rep, process=process)
    product = ProductFactory()
    cases = [
        (
            [{"product": product, "quantity": "99999999999", "unit_price": "999999999999"}],
            "Line 1: the amount is too large.",
        ),
        ([{"product": product, "quantity": "100000000000"}], "Line 1: the quantity is too large."),
        (
            [{"product": product, "quantity": "9", "unit_price": "999999999999.99"}] * 2,
            "Line 2: the total would be too large.",
        ),
    ]
    for lines, message in cases:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.lines_set(actor=people.rep, opportunity=opp, lines=lines)
        field = f"lines[{len(lines)}].quantity"
        assert messages(exc.value) == {field: [message]}
    reread = Opportunity.objects.get(pk=opp.pk)
    assert (reread.lines.count(), reread.amount) == (0, Decimal("100000.00"))


def test_closing_notes_and_the_competitor_too_long_are_refused_not_cut(people, process):
    """They were cut to 500 and 100 characters without a word: what the rep wrote was lost."""
    opp = opportunity(people.rep, process=process)
    limit = gettext("At most %(n)d characters.")
    cases = [
        (services.opportunity_win, {"note": "说" * 501}, {"note": [limit % {"n": 500}]}),
        (
            services.opportunity_lose,
            {"reason": "competitor", "lost_to": "厂" * 101},
            {"lost_to": [limit % {"n": 100}]},
        ),
        (services.opportunity_lose, {"reason": "price", "note": "说" * 501}, {"note": [limit % {"n": 500}]}),
    ]
    for close, kwargs, errors in cases:
        with pytest.raises(ValidationError) as exc:
            close(actor=people.rep, opportunity=opp, **kwargs)
        assert messages(exc.value) == errors
    assert Opportunity.objects.get(pk=opp.pk).status == "open"
    lost = services.opportunity_lose(actor=people.rep, opportunity=opp, reason="competitor", lost_to="厂" * 100)
    assert lost.lost_to == "厂" * 100


def test_a_checklist_item_too_long_is_refused_not_cut(people, process):
    from xietong.pipeline import configuration

    target = stage(process, "方案报价")
    with pytest.raises(ValidationError) as exc:
        configuration.checklist_item_create(actor=people.head, stage=target, text="查" * 201)
    assert messages(exc.value) == {"text": [gettext("At most %(n)d characters.") % {"n": 200}]}
    assert not ChecklistItem.objects.filter(stage=target).exists()
