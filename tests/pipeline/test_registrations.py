"""What the board and list add to the shared surfaces: navigation, search, My day's pipeline health,
the customer tab, follow-up visibility, the deal-team notification, audit labels; and the board's
part of the permission matrix."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.conftest import login
from tests.pipeline import matrix_board
from tests.support.factories import grant
from tests.support.matrix import assert_invisible
from tests.support.pipeline import opportunity
from xietong.collaboration import myday
from xietong.collaboration.models import Notification
from xietong.core import audit, navigation
from xietong.customers.registrations import customer_tabs
from xietong.org.defaults import ensure_default_roles
from xietong.pipeline import registrations, services

pytestmark = pytest.mark.django_db


def test_the_navigation_has_the_board_and_the_list_for_people_who_see_opportunities(people):
    def items(user):
        return [(i.url_name, i.icon, i.order) for i in navigation._items if i.area == "pipeline" and i.visible(user)]

    assert [x for x in items(people.rep) if x[0] in ("pipeline:board", "pipeline:list")] == [
        ("pipeline:board", "kanban", 10),
        ("pipeline:list", "briefcase", 20),
    ]
    assert [x for x in items(people.supply) if x[0] in ("pipeline:board", "pipeline:list")] == []


def test_search_finds_visible_opportunities_by_name_or_customer(people, process):
    mine = opportunity(people.rep, name="华东厂房改造")
    opportunity(people.rep2, name="华东仓库")
    hits = registrations.search_opportunities(people.rep, "华东", 10)
    assert [h.title for h in hits] == ["华东厂房改造"]
    assert [h.title for h in registrations.search_opportunities(people.rep, mine.customer.name, 10)] == ["华东厂房改造"]
    assert registrations.search_opportunities(people.supply, "华东", 10) == []


def test_my_day_lists_my_unhealthy_deals_and_for_managers_the_teams(people, process):
    old = timezone.now() - timedelta(days=30)
    opportunity(people.rep, name="停滞单", last_activity_at=old)
    opportunity(people.rep, name="健康单")
    opportunity(people.rep2, name="同事逾期单", expected_close=timezone.localdate() - timedelta(days=3))
    rep = registrations.pipeline_health_section(people.rep)
    assert [o.name for o in rep["items"]] == ["停滞单"] and rep["team_items"] == []
    assert rep["items"][0].health == ["stale"]
    manager = registrations.pipeline_health_section(people.manager)
    assert manager["items"] == []
    assert [o.name for o in manager["team_items"]] == ["停滞单", "同事逾期单"]  # oldest activity first
    assert registrations.pipeline_health_section(people.supply) is None
    page = login(people.rep).get("/").content.decode()
    assert "停滞单" in page and "健康单" not in page
    assert "pipeline_health" in [s.code for s in myday.sections()]


def test_the_customer_page_has_an_opportunities_tab(people, process, customer_of):
    opp = opportunity(people.rep, name="客户页商机", customer=customer_of(people.rep))
    assert "opportunities" in [t.code for t in customer_tabs(people.rep, opp.customer)]
    assert "opportunities" not in [t.code for t in customer_tabs(people.supply, opp.customer)]
    page = login(people.rep).get(f"/customers/{opp.customer.pk}/").content.decode()
    assert (
        'id="customer-opportunities"' in page and f"/pipeline/list/?customer={opp.customer.pk}&amp;status=all" in page
    )


def test_follow_ups_on_an_opportunity_are_seen_by_whoever_sees_it(people, process):
    from xietong.customers.models import FollowUp

    opp = opportunity(people.rep, name="跟进商机")
    ct = ContentType.objects.get_for_model(opp)
    fu = FollowUp.objects.create(
        content_type=ct,
        object_id=opp.pk,
        owner=people.rep,
        business_unit=opp.business_unit,
        content="拜访",
        occurred_at=timezone.now(),
    )
    assert FollowUp.objects.visible_to(people.manager).filter(pk=fu.pk).exists()
    assert not FollowUp.objects.visible_to(people.outsider).filter(pk=fu.pk).exists()


def test_new_deal_team_members_are_told(people, process, django_capture_on_commit_callbacks):
    opp = opportunity(people.rep, name="团队商机")
    with django_capture_on_commit_callbacks(execute=True):
        services.team_set(
            actor=people.rep,
            opportunity=opp,
            members=[
                {"user": people.rep, "role": "sales", "access": "edit", "split": Decimal("60")},
                {"user": people.rep2, "role": "presales", "access": "read", "split": Decimal("40")},
            ],
        )
    told = Notification.objects.filter(kind="opportunity_team_joined")
    assert [(n.recipient_id, n.actor_id) for n in told] == [(people.rep2.pk, people.rep.pk)]


def test_the_audit_verbs_of_opportunities_have_labels():
    assert {v for v in ("stage_move", "won", "lost", "reopened", "lines", "contacts", "team", "checklist")} <= set(
        audit.VERB_LABELS
    )


def test_the_boards_routes_answer_404_on_a_foreign_opportunity_and_change_nothing(people, org):
    records = matrix_board.foreign(org, people.outsider)
    roles = ensure_default_roles()
    for code in ("sales_rep", "sales_manager", "bu_head", "presales"):
        from tests.support.factories import UserFactory

        user = UserFactory(username=f"m_{code}", primary_team=org["pudong"])
        grant(user, roles[code], org["bu1"] if code == "bu_head" else None)
        assert_invisible(login(user), matrix_board.ROUTES, records, who=code)
