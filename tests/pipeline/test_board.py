"""The board: columns with count and sums under the scope filters, cards, "load more", moving a card
(success, gate refusal with the reason on the card, the lost column, without JavaScript), quick edit,
and the query count."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.pipeline import opportunity, stage
from tests.support.queries import assert_queries_constant
from xietong.pipeline.models import Opportunity, StageMove

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def column(response, name):
    return next(c for c in response.context["columns"] if c.stage.name == name)


def facts(response, name):
    c = column(response, name)
    return c.count, c.amount, c.weighted, [o.name for o in c.cards]


@pytest.fixture
def deals(people, process):
    return {
        "a": opportunity(people.rep, name="浦东大单", amount=Decimal("100000.00")),
        "b": opportunity(people.rep, name="浦东小单", amount=Decimal("50000.00"), stage_name="需求确认"),
        "c": opportunity(people.rep2, name="上海中单", amount=Decimal("30000.00")),
    }


def test_the_board_counts_and_sums_each_column_under_the_scope(people, deals):
    manager = login(people.manager).get("/pipeline/")
    assert manager.status_code == 200
    assert [c.stage.name for c in manager.context["columns"]] == [
        "初步接洽",
        "需求确认",
        "方案报价",
        "商务谈判",
        "合同签订",
        "赢单",
        "输单",
    ]
    assert facts(manager, "初步接洽") == (2, Decimal("130000.00"), Decimal("13000.00"), ["浦东大单", "上海中单"])
    assert facts(manager, "需求确认") == (1, Decimal("50000.00"), Decimal("12500.00"), ["浦东小单"])
    page = manager.content.decode()
    assert "¥130,000.00" in page and "¥13,000.00" in page

    mine = login(people.manager).get("/pipeline/?scope=mine")
    assert facts(mine, "初步接洽") == (0, Decimal("0.00"), Decimal("0.00"), [])

    rep = login(people.rep).get("/pipeline/")  # a rep sees their own only
    assert facts(rep, "初步接洽") == (1, Decimal("100000.00"), Decimal("10000.00"), ["浦东大单"])
    assert "上海中单" not in rep.content.decode()

    team = login(people.manager).get("/pipeline/?scope=team")
    assert facts(team, "初步接洽")[0] == 2


def test_the_board_filters_by_amount_search_and_owner(people, deals):
    client = login(people.manager)
    assert facts(client.get("/pipeline/?amount_min=40000"), "初步接洽")[3] == ["浦东大单"]
    assert facts(client.get("/pipeline/?q=上海"), "初步接洽")[3] == ["上海中单"]
    assert facts(client.get(f"/pipeline/?owner={people.rep2.pk}"), "初步接洽")[3] == ["上海中单"]
    fragment = client.get("/pipeline/?q=上海", HTTP_HX_TARGET="pipeline-board", **HTMX).content.decode()
    assert "<html" not in fragment and 'id="col-' in fragment


def test_a_card_shows_close_date_red_when_past_owner_and_health(people, process):
    old = timezone.now() - timedelta(days=40)
    opportunity(
        people.rep,
        name="逾期单",
        expected_close=timezone.localdate() - timedelta(days=1),
        last_activity_at=old,
        stage_entered_at=old,
    )
    page = login(people.rep).get("/pipeline/").content.decode()
    card = re.search(r'<article class="xt-board-card[^"]*" id="opp-\d+".*?</article>', page, re.S).group(0)
    assert "逾期单" in card and "xt-negative" in card and "王销售" in card
    assert [gettext("Stale"), gettext("Overdue"), gettext("Long in stage")] == [
        t for t in (gettext("Stale"), gettext("Overdue"), gettext("Long in stage")) if t in card
    ]


def test_load_more_continues_a_column_after_its_last_card(people, process):
    for n in range(22):
        opportunity(people.rep, name=f"单{n:02d}", amount=Decimal(1000 + n))
    client = login(people.rep)
    board = client.get("/pipeline/")
    first = column(board, "初步接洽")
    assert (first.count, len(first.cards), first.more) == (22, 20, 2)
    last = first.cards[-1]
    more = client.get(
        f"/pipeline/board/column/?stage={first.stage.pk}&after={last.amount}_{last.pk}", **HTMX
    ).content.decode()
    assert re.findall(r'id="opp-(\d+)-name"', more) == [
        str(o.pk) for o in Opportunity.objects.filter(name__in=["单01", "单00"]).order_by("-amount")
    ]
    assert 'id="more-' in more and "hx-swap-oob" in more


def test_load_more_of_a_process_the_user_does_not_see_is_404(people, process, org):
    from tests.support.pipeline import standard_process

    other = standard_process(org["bu2"], name="医疗流程")
    response = login(people.rep).get(f"/pipeline/board/column/?stage={other.stages.first().pk}")
    assert response.status_code == 404


# --- moving a card -------------------------------------------------------------------------------


def test_dropping_a_card_moves_it_and_both_columns_follow(people, deals):
    opp = deals["b"]  # 需求确认 → 初步接洽: backward, no gate
    target = stage(opp.process, "初步接洽")
    response = login(people.rep).post(f"/pipeline/board/{opp.pk}/move/?scope=all", {"stage": target.pk}, **HTMX)
    assert response.status_code == 200
    opp.refresh_from_db()
    assert opp.stage.name == "初步接洽"
    body = response.content.decode()
    assert body.count('hx-swap-oob="true"') == 2
    cols = {c.stage.name: (c.count, c.amount, [o.name for o in c.cards]) for c in response.context["columns"]}
    assert cols == {
        "初步接洽": (2, Decimal("150000.00"), ["浦东大单", "浦东小单"]),
        "需求确认": (0, Decimal("0.00"), []),
    }
    assert 'role="alert"' not in body


def test_a_gate_refusal_puts_the_card_back_with_the_reason_on_it(people, deals):
    opp = deals["a"]  # 初步接洽 → 需求确认 needs a contact
    target = stage(opp.process, "需求确认")
    response = login(people.rep).post(f"/pipeline/board/{opp.pk}/move/", {"stage": target.pk}, **HTMX)
    assert response.status_code == 409
    opp.refresh_from_db()
    assert opp.stage.name == "初步接洽"
    assert StageMove.objects.filter(opportunity=opp).count() == 1
    body = response.content.decode()
    card = re.search(
        rf'<article class="xt-board-card xt-board-card-refused" id="opp-{opp.pk}".*?</article>', body, re.S
    )
    message = gettext("To move to “%(stage)s” the opportunity needs: %(missing)s.") % {
        "stage": "需求确认",
        "missing": gettext("a contact of the customer"),
    }
    assert card is not None and 'role="alert"' in card.group(0) and message in card.group(0)
    home = column(response, "初步接洽")
    assert (home.count, [o.name for o in home.cards]) == (1, ["浦东大单"])


def test_dropping_on_the_lost_column_asks_for_the_lose_dialog(people, deals):
    opp = deals["a"]
    response = login(people.rep).post(
        f"/pipeline/board/{opp.pk}/move/", {"stage": stage(opp.process, "输单").pk}, **HTMX
    )
    assert response.status_code == 409
    assert gettext("To mark the opportunity lost, say why: use “Mark as lost”.") in response.content.decode()
    opp.refresh_from_db()
    assert (opp.status, opp.stage.name) == ("open", "初步接洽")


def test_without_javascript_the_move_form_goes_back_to_the_board(people, deals):
    opp = deals["b"]
    client = login(people.rep)
    response = client.post(
        f"/pipeline/board/{opp.pk}/move/?scope=mine&stage=x", {"stage": stage(opp.process, "初步接洽").pk}
    )
    assert response.status_code == 303
    assert response["Location"] == f"/pipeline/?scope=mine&process={opp.process_id}"
    refused = client.post(f"/pipeline/board/{opp.pk}/move/", {"stage": stage(opp.process, "方案报价").pk})
    assert refused.status_code == 303
    page = client.get(refused["Location"]).content.decode()
    assert gettext("an expected close date") in page


def test_a_stage_of_another_process_or_no_stage_is_refused(people, deals, org):
    from tests.support.pipeline import standard_process

    other = standard_process(org["bu2"], name="医疗流程")
    opp = deals["a"]
    client = login(people.rep)
    assert client.post(f"/pipeline/board/{opp.pk}/move/", {"stage": other.stages.first().pk}, **HTMX).status_code == 422
    assert client.post(f"/pipeline/board/{opp.pk}/move/", {"stage": ""}, **HTMX).status_code == 422


def test_someone_who_only_sees_the_deal_cannot_move_it(people, deals):
    opp = deals["a"]
    response = login(people.supply).post(
        f"/pipeline/board/{opp.pk}/move/", {"stage": stage(opp.process, "需求确认").pk}, **HTMX
    )
    assert response.status_code == 404  # the supply planner does not see the rep's deal


def test_my_pipeline_counts_each_deal_once_whatever_its_team(people, deals):
    from xietong.pipeline.choices import MemberAccess, TeamRole
    from xietong.pipeline.models import DealTeamMember

    for user in (people.rep2, people.supply):  # the rep's big deal has a team of three
        DealTeamMember.objects.create(
            opportunity=deals["a"], user=user, role=TeamRole.SUPPLY, access=MemberAccess.READ, split=Decimal("0")
        )
    response = login(people.rep).get("/pipeline/?scope=mine")
    assert facts(response, "初步接洽") == (1, Decimal("100000.00"), Decimal("10000.00"), ["浦东大单"])
    assert facts(response, "需求确认") == (1, Decimal("50000.00"), Decimal("12500.00"), ["浦东小单"])
    mine = login(people.rep2).get("/pipeline/?scope=mine")  # a member's own deal and the one they are on
    assert facts(mine, "初步接洽") == (2, Decimal("130000.00"), Decimal("13000.00"), ["浦东大单", "上海中单"])


def test_a_read_only_member_sees_the_card_but_cannot_drag_or_move_it(people, deals):
    from xietong.pipeline.choices import MemberAccess, TeamRole
    from xietong.pipeline.models import DealTeamMember

    opp = deals["a"]
    DealTeamMember.objects.create(
        opportunity=opp, user=people.rep2, role=TeamRole.PRESALES, access=MemberAccess.READ, split=Decimal("0")
    )
    client = login(people.rep2)
    html = client.get("/pipeline/").content.decode()
    read_only = re.search(rf'<article[^>]*id="opp-{opp.pk}"[^>]*>', html).group(0)
    own = re.search(rf'<article[^>]*id="opp-{deals["c"].pk}"[^>]*>', html).group(0)
    assert "data-xt-editable" not in read_only
    assert "data-xt-editable" in own
    assert f"/pipeline/board/{opp.pk}/move/" in read_only  # the card is there, without its controls:
    assert f'id="move-{opp.pk}"' not in html
    assert f'id="move-{deals["c"].pk}"' in html
    response = client.post(f"/pipeline/board/{opp.pk}/move/", {"stage": stage(opp.process, "需求确认").pk}, **HTMX)
    assert response.status_code == 403
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "初步接洽"


# --- quick edit ---------------------------------------------------------------------------------------


def test_quick_edit_saves_amount_and_close_date_and_updates_the_column(people, deals):
    opp = deals["a"]
    opp.expected_close = timezone.localdate().replace(year=2029, month=6, day=30)
    opp.save()
    client = login(people.rep)
    form = client.get(f"/pipeline/opportunities/{opp.pk}/quick/", **HTMX).content.decode()
    assert 'name="amount"' in form and 'value="2029-06-30"' in form  # what a date input can show
    response = client.post(
        f"/pipeline/opportunities/{opp.pk}/quick/", {"amount": "12345.67", "expected_close": "2030-01-31"}, **HTMX
    )
    assert response.status_code == 200
    opp.refresh_from_db()
    assert (opp.amount, str(opp.expected_close)) == (Decimal("12345.67"), "2030-01-31")
    body = response.content.decode()
    assert "¥12,345.67" in body and "2030-01-31" in body
    assert f'id="col-head-{opp.stage_id}" hx-swap-oob="true"' in body
    assert column(response, "初步接洽").amount == Decimal("12345.67")


def test_quick_edit_errors_show_next_to_the_field_and_change_nothing(people, deals):
    opp = deals["a"]
    response = login(people.rep).post(
        f"/pipeline/opportunities/{opp.pk}/quick/", {"amount": "-5", "expected_close": "not a date"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_amount_error"' in body and 'id="id_expected_close_error"' in body
    assert 'value="-5"' in body  # what was typed stays
    opp.refresh_from_db()
    assert opp.amount == Decimal("100000.00")


def test_quick_edit_without_javascript_is_a_small_form_page(people, deals):
    opp = deals["a"]
    client = login(people.rep)
    assert client.get(f"/pipeline/opportunities/{opp.pk}/quick/?scope=mine").status_code == 200
    response = client.post(f"/pipeline/opportunities/{opp.pk}/quick/?scope=mine", {"amount": "9", "expected_close": ""})
    assert (response.status_code, response["Location"]) == (303, f"/pipeline/?scope=mine&process={opp.process_id}")


# --- query count --------------------------------------------------------------------------------------


def test_the_board_costs_the_same_number_of_queries_however_many_cards(people, process, django_assert_max_num_queries):
    client = login(people.manager)
    # a card in every column first: the tops are read per non-empty column (on SQLite one query each)
    for name in ["初步接洽", "需求确认", "方案报价", "商务谈判", "合同签订"]:
        opportunity(people.rep, name=f"第一单{name}", stage_name=name)

    def add_rows():
        for n, name in enumerate(["初步接洽", "需求确认", "方案报价", "商务谈判", "合同签订"] * 3):
            opportunity(people.rep if n % 2 else people.rep2, name=f"加{n}", stage_name=name)

    assert_queries_constant(lambda: client.get("/pipeline/"), add_rows, max_queries=25)
