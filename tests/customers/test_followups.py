"""Follow-ups and visit check-ins: the service, who sees them (per business unit), the panel, the
timeline source, the calendar, My day and the check-in page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import login
from tests.customers.customers_people import make_people
from tests.support.crm import ContactFactory, CustomerPoolFactory, RelationshipFactory, owned
from tests.support.queries import assert_queries_constant
from xietong.collaboration import calendar, myday, timeline
from xietong.core.errors import NotFound
from xietong.customers import followups, selectors
from xietong.customers.models import FollowUp, PoolMember, Relationship, VisitCheckIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return make_people(org)


def test_a_follow_up_moves_the_relationship_dates_and_closes_the_previous_next(people):
    rel = owned(owner=people.rep)
    earlier = timezone.now() - timedelta(days=3)
    first = followups.followup_create(
        actor=people.rep,
        record=rel.customer,
        kind="call",
        content="初次电话",
        occurred_at=earlier,
        next_at=earlier + timedelta(days=2),
    )
    contact = ContactFactory(customer=rel.customer)
    second = followups.followup_create(
        actor=people.rep,
        record=contact,
        kind="wechat",
        content="微信沟通报价",
        outcome="有意向",
        next_at=timezone.now() + timedelta(days=7),
    )
    rel.refresh_from_db()
    first.refresh_from_db()
    assert (rel.last_follow_up_at, rel.next_follow_up_at) == (second.occurred_at, second.next_at)
    assert first.next_done is True
    assert (second.customer_id, second.business_unit_id, second.object_id) == (
        rel.customer_id,
        rel.business_unit_id,
        contact.pk,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "fax"}, "kind"),
        ({"content": "  "}, "content"),
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "occurred_at"),
        ({"next_at": timezone.now() - timedelta(days=1)}, "next_at"),
        ({"kind": "call", "check_in": {"latitude": 31.2, "longitude": 121.5}}, "kind"),
        ({"kind": "visit", "check_in": {"latitude": 91, "longitude": 121.5}}, "check_in.latitude"),
        ({"kind": "visit", "check_in": {"longitude": 121.5}}, "check_in.latitude"),
    ],
)
def test_bad_follow_ups_are_refused_naming_the_field(people, kwargs, field):
    rel = owned(owner=people.rep)
    args = {"kind": "call", "content": "内容", **kwargs}
    with pytest.raises(ValidationError) as exc:
        followups.followup_create(actor=people.rep, record=rel.customer, **args)
    assert field in exc.value.message_dict
    assert FollowUp.objects.count() == 0


def test_a_visit_check_in_keeps_the_place_and_the_server_time(people):
    rel = owned(owner=people.rep)
    before = timezone.now()
    fu = followups.followup_create(
        actor=people.rep,
        record=rel.customer,
        kind="visit",
        content="现场拜访",
        check_in={"latitude": "31.230416", "longitude": "121.473701", "accuracy": 12.4, "address": "人民广场"},
    )
    visit = VisitCheckIn.objects.get(follow_up=fu)
    assert (visit.latitude, visit.longitude, visit.accuracy_m, visit.address) == (
        Decimal("31.230416"),
        Decimal("121.473701"),
        12,
        "人民广场",
    )
    assert visit.checked_in_at >= before


def test_follow_ups_of_one_bu_are_not_seen_by_the_other_bu(people, org):
    """One customer, two BUs: each BU's rep sees its own follow-ups only; the BU1 manager sees BU1's."""
    rel1 = owned(owner=people.rep)
    rel2 = RelationshipFactory(customer=rel1.customer, owner=people.other_bu_rep)
    mine = followups.followup_create(actor=people.rep, record=rel1.customer, kind="call", content="工业部跟进")
    theirs = followups.followup_create(
        actor=people.other_bu_rep, record=rel2.customer, kind="call", content="医疗部跟进"
    )
    assert theirs.business_unit_id == org["bu2"].pk
    assert list(selectors.followup_list(user=people.rep, record=rel1.customer)) == [mine]
    assert list(selectors.followup_list(user=people.other_bu_rep, record=rel1.customer)) == [theirs]
    assert list(selectors.followup_list(user=people.manager, record=rel1.customer)) == [mine]
    assert list(selectors.followup_list(user=people.rep2, record=rel1.customer)) == []


def test_a_pool_member_cannot_log_follow_ups_before_claiming(people, org):
    pool = CustomerPoolFactory(business_unit=org["bu1"])
    PoolMember.objects.create(pool=pool, user=people.rep)
    rel = RelationshipFactory(pool=pool)
    with pytest.raises(NotFound):  # a pool member sees the limited card, not the record
        followups.followup_create(actor=people.rep, record=rel.customer, kind="call", content="想跟进")


def test_follow_ups_on_invisible_customers_are_not_found(people):
    rel = owned(owner=people.other_bu_rep)
    with pytest.raises(NotFound):
        followups.followup_create(actor=people.rep, record=rel.customer, kind="call", content="越权")


def test_next_done_by_the_author_clears_the_relationship_next_date(people):
    rel = owned(owner=people.rep)
    fu = followups.followup_create(
        actor=people.rep, record=rel.customer, kind="call", content="电话", next_at=timezone.now() + timedelta(hours=2)
    )
    followups.followup_next_done(actor=people.rep, follow_up=fu)
    fu.refresh_from_db()
    rel.refresh_from_db()
    assert (fu.next_done, rel.next_follow_up_at) == (True, None)
    with pytest.raises(NotFound):
        followups.followup_next_done(actor=people.other_bu_rep, follow_up=fu)


def test_the_timeline_shows_follow_ups_to_those_who_see_them(people):
    rel = owned(owner=people.rep)
    RelationshipFactory(customer=rel.customer, owner=people.other_bu_rep)
    followups.followup_create(actor=people.rep, record=rel.customer, kind="meeting", content="方案评审会")
    page = timeline.timeline_page(user=people.rep, record=rel.customer, kinds={"follow_up"})
    assert [e.kind for e in page.entries] == ["follow_up"]
    assert "方案评审会" in page.entries[0].text
    other = timeline.timeline_page(user=people.other_bu_rep, record=rel.customer, kinds={"follow_up"})
    assert other.entries == []


def test_due_follow_ups_show_in_my_day_and_the_calendar(people):
    rel = owned(owner=people.rep)
    due = timezone.now() + timedelta(minutes=30)
    if timezone.localtime(due).date() != timezone.localdate():
        due = timezone.now() - timedelta(minutes=30)
    followups.followup_create(
        actor=people.rep,
        record=rel.customer,
        kind="call",
        content="约下次",
        occurred_at=due - timedelta(hours=2),
        next_at=due,
    )
    section = {s["section"].code: s for s in myday.build(people.rep)}["followups"]
    assert [(fu.record_name, fu.content) for fu in section["items"]] == [(rel.customer.name, "约下次")]
    found = calendar.entries(user=people.rep, start=due - timedelta(days=1), end=due + timedelta(days=1))
    assert [e.key for e in found if e.kind == "followup"] == [f"followup-{FollowUp.objects.get().pk}"]
    assert [
        e
        for e in calendar.entries(user=people.rep2, start=due - timedelta(days=1), end=due + timedelta(days=1))
        if e.kind == "followup"
    ] == []


def test_the_panel_logs_a_follow_up_through_htmx(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    url = f"/customers/follow-ups/new/?record=customers.customer:{rel.customer_id}"
    response = client.post(
        url,
        {"fu-kind": "call", "fu-content": "电话沟通需求", "fu-outcome": "安排演示"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "电话沟通需求" in response.content.decode()
    assert "xt-record-changed" in response["HX-Trigger"]
    bad = client.post(url, {"fu-kind": "call", "fu-content": ""}, headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert 'id="xt-followups-panel"' in bad.content.decode()
    assert FollowUp.objects.count() == 1


def test_a_follow_up_time_outside_the_years_is_refused_on_its_field(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    url = f"/customers/follow-ups/new/?record=customers.customer:{rel.customer_id}"
    for name in ("occurred_at", "next_at"):
        bad = client.post(
            url,
            {"fu-kind": "call", "fu-content": "电话", f"fu-{name}": "0001-01-01T00:00"},
            headers={"HX-Request": "true"},
        )
        assert bad.status_code == 200
        assert "请输入公元 1 年至 9999 年之间的日期和时间。" in bad.content.decode()
    assert FollowUp.objects.count() == 0


def test_the_check_in_page_records_a_visit(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    url = f"/customers/follow-ups/check-in/?record=customers.customer:{rel.customer_id}"
    assert client.get(url).status_code == 200
    missing = client.post(url, {"content": "到访"})
    assert missing.status_code == 200
    assert FollowUp.objects.count() == 0
    response = client.post(url, {"content": "到访", "latitude": "31.2304", "longitude": "121.4737", "accuracy": "8"})
    assert response.status_code == 303
    assert response["Location"] == f"/customers/{rel.customer_id}/"
    fu = FollowUp.objects.get()
    assert (fu.kind, fu.check_in.accuracy_m) == ("visit", 8)
    page = client.get(f"/customers/{rel.customer_id}/").content.decode()
    # the browser's WGS-84 position, which AMap converts to its own datum when told
    assert 'href="https://uri.amap.com/marker?position=121.473700,31.230400&amp;coordinate=wgs84"' in page


def test_follow_ups_on_a_customer_of_another_bu_answer_404(people):
    rel = owned(owner=people.other_bu_rep)
    client = login(people.rep)
    response = client.post(
        f"/customers/follow-ups/new/?record=customers.customer:{rel.customer_id}",
        {"fu-kind": "call", "fu-content": "x"},
    )
    assert response.status_code == 404


def test_my_day_follow_ups_done_in_one_click(people):
    rel = owned(owner=people.rep)
    fu = followups.followup_create(
        actor=people.rep,
        record=rel.customer,
        kind="call",
        content="电话",
        next_at=timezone.now() + timedelta(minutes=5),
    )
    response = login(people.rep).post(f"/customers/follow-ups/{fu.pk}/done/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fu.refresh_from_db()
    assert fu.next_done is True


def test_the_follow_up_panel_costs_the_same_however_many_follow_ups(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)

    def add() -> None:
        for i in range(3):
            followups.followup_create(actor=people.rep, record=rel.customer, kind="call", content=f"第{i}次")

    followups.followup_create(
        actor=people.rep, record=rel.customer, kind="visit", content="首次", check_in={"latitude": 1, "longitude": 2}
    )
    assert_queries_constant(
        lambda: client.get(f"/customers/follow-ups/panel/?record=customers.customer:{rel.customer_id}"), add
    )
    assert Relationship.objects.get().last_follow_up_at is not None
