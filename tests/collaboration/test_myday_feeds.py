"""My day (the home page) and the activity feeds: what shows, for whom, with fixed query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.sampleapp.services import deal_create, deal_update
from tests.support.clock import midday
from tests.support.factories import UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.collaboration import comments, feeds, follows, myday, tasks_services
from xietong.collaboration import services as collab
from xietong.collaboration.models import Task
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commit_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def team(org):
    """王芳 and 李雷 in 上海销售组 (BU1 deals), 赵敏 in supply (no deals), 外人 in BU2 with a deal of her own."""
    seller = make_role(
        "seller", {"sample": (DataScope.TEAM, {"view", "create", "edit"}), "org": (DataScope.GROUP, {"view"})}
    )
    plain = make_role("plain", {"org": (DataScope.GROUP, {"view"})})
    wang = UserFactory(username="wang", display_name="王芳", primary_team=org["shanghai"])
    li = UserFactory(username="lilei", display_name="李雷", primary_team=org["shanghai"])
    zhao = UserFactory(username="zhaomin", display_name="赵敏", primary_team=org["supply"])
    out = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    for u in (wang, li, out):
        grant(u, seller)
    grant(zhao, plain)
    deal = deal_create(actor=wang, name="浦东项目", owner=wang, business_unit=org["bu1"])
    secret = deal_create(actor=out, name="北方机密", owner=out, business_unit=org["bu2"])
    return {"wang": wang, "li": li, "zhao": zhao, "out": out, "deal": deal, "secret": secret}


def _task(actor, title, due=None, assignee=None, **kw):
    return tasks_services.task_create(actor=actor, title=title, assignee=assignee or actor, due_at=due, **kw)


def test_my_day_shows_my_tasks_due_today_and_overdue_soonest_first(team):
    wang, li = team["wang"], team["li"]
    with midday():
        _my_day_tasks(wang, li)


def _my_day_tasks(wang, li):
    now = timezone.now()
    late = _task(li, "逾期：回访客户", now - timedelta(days=2), assignee=wang)
    soon = _task(wang, "今天：准备报价", now + timedelta(minutes=5))
    _task(wang, "明天：发合同", now + timedelta(days=2))  # not today
    _task(wang, "无期限")  # no due date
    _task(li, "别人的任务", now - timedelta(hours=1))  # someone else's
    done = _task(wang, "已完成", now - timedelta(hours=3))
    tasks_services.task_set_status(actor=wang, task=done, status=Task.Status.DONE)
    response = login(wang).get("/")
    assert response.status_code == 200
    section = next(s for s in response.context["sections"] if s["section"].code == "tasks")
    assert [t.title for t in section["overdue"]] == [late.title]
    assert [t.title for t in section["today"]] == [soon.title]
    html = response.content.decode()
    assert "逾期：回访客户" in html and "今天：准备报价" in html and "明天：发合同" not in html


def test_my_day_shows_unread_mentions_apart_from_other_notifications(team):
    wang, li = team["wang"], team["li"]
    comments.comment_create(actor=li, record=team["deal"], body="@wang 客户回电了")
    collab.notifications_deliver(
        event_key="t:1",
        kind="task_done",
        recipient_ids=[wang.pk],
        actor_id=li.pk,
        params={"actor": "李雷", "title": "x"},
    )
    sections = {s["section"].code: s for s in myday.build(wang)}
    assert [n.kind for n in sections["mentions"]["items"]] == ["mentioned"]
    # the mention is not also told as a comment on a record 王芳 follows
    assert [n.kind for n in sections["notifications"]["items"]] == ["task_done"]
    assert sections["mentions"]["items"][0].url == f"/sample/deals/{team['deal'].pk}/"


def test_my_day_shows_what_others_did_on_the_records_i_follow(team):
    wang, li, deal = team["wang"], team["li"], team["deal"]
    deal_update(actor=wang, deal=deal, stage="方案报价")  # my own change: not news to me
    deal_update(actor=li, deal=deal, amount=Decimal("88000"))
    comments.comment_create(actor=li, record=deal, body="已约下周拜访")
    items = {s["section"].code: s for s in myday.build(wang)}["following"]["items"]
    assert [(i.entry.kind, str(i.record)) for i in items] == [("comment", "浦东项目"), ("change", "浦东项目")]
    assert items[0].url == f"/sample/deals/{deal.pk}/"


def test_my_day_query_count_does_not_grow_with_what_it_shows(team):
    wang, li, deal = team["wang"], team["li"], team["deal"]
    client = login(wang)

    def more():
        for i in range(3):
            _task(li, f"任务{i}", timezone.now() - timedelta(hours=i + 1), assignee=wang)
            comments.comment_create(actor=li, record=deal, body=f"@wang 第{i}条")
            deal_update(actor=li, deal=deal, stage=f"阶段{i}")

    more()
    assert_queries_constant(lambda: client.get("/"), more)


def test_the_feeds_show_mine_and_my_teams_and_never_what_i_cannot_see(team):
    wang, li, zhao, out = team["wang"], team["li"], team["zhao"], team["out"]
    deal, secret = team["deal"], team["secret"]
    comments.comment_create(actor=out, record=secret, body="只有外人能看")
    deal_update(actor=out, deal=secret, stage="赢单")
    comments.comment_create(actor=li, record=deal, body="李雷的评论")
    mine = feeds.feed_page(user=wang, scope="mine").items
    assert [(i.entry.kind, i.entry.actor.username) for i in mine] == [
        ("comment", "lilei"),
        ("change", "wang"),  # creating the deal
    ]
    team_feed = feeds.feed_page(user=wang, scope="team").items
    assert {str(i.record) for i in team_feed} == {"浦东项目"}
    # 赵敏 follows nothing and sees no deal: her feeds are empty, even of her team's (nobody did anything)
    assert feeds.feed_page(user=zhao, scope="mine").items == []
    follows.follow(actor=zhao, record=deal)  # she cannot see it: nothing leaks through a stale follow
    assert feeds.feed_page(user=zhao, scope="mine").items == []


def test_the_feed_pages_with_a_cursor_and_the_page_and_api_agree(team):
    wang, deal = team["wang"], team["deal"]
    for i in range(25):
        comments.comment_create(actor=wang, record=deal, body=f"第{i}条")
    first = feeds.feed_page(user=wang, scope="mine")
    second = feeds.feed_page(user=wang, scope="mine", before=first.next)
    assert len(first.items) == 20 and len(second.items) == 6 and second.next is None
    client = login(wang)
    api = client.get("/api/v1/feed?scope=mine").json()
    assert [r["id"] for r in api["results"]] == [i.entry.id for i in first.items]
    assert api["results"][0]["record"] == f"sampleapp.deal:{deal.pk}"
    assert api["results"][0]["text"] == "第24条"
    assert client.get(api["next"]).json()["next"] is None
    page = client.get("/feed/?scope=mine")
    assert page.status_code == 200 and "第24条" in page.content.decode()
    more = client.get(f"/feed/?scope=mine&before={first.next.encode()}", headers={"HX-Request": "true"})
    assert (
        "第4条" in more.content.decode()
        and "第5条" not in more.content.decode()
        and "<html" not in more.content.decode()
    )
    assert client.get("/feed/?scope=everyone").status_code == 404
    assert client.get("/api/v1/feed?scope=everyone").status_code == 422
    assert client.get("/feed/?before=garbage").status_code == 404


def test_feed_query_count_is_constant(team):
    wang, li, deal = team["wang"], team["li"], team["deal"]
    client = login(wang)

    def more():
        for i in range(3):
            comments.comment_create(actor=li, record=deal, body=f"评论{i}")
            deal_update(actor=li, deal=deal, stage=f"阶段{i}")

    more()
    assert_queries_constant(lambda: client.get("/feed/?scope=team"), more)
    assert_queries_constant(lambda: client.get("/api/v1/feed?scope=mine"), more)


def test_the_share_api(team):
    wang, zhao, deal = team["wang"], team["zhao"], team["deal"]
    client = login(wang)
    key = f"sampleapp.deal:{deal.pk}"
    created = client.post(
        "/api/v1/shares", {"record": key, "user_id": zhao.pk, "access": "read"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["name"] == "赵敏" and created.json()["access"] == "read"
    assert [s["user_id"] for s in client.get(f"/api/v1/shares?record={key}").json()] == [zhao.pk]
    bad = client.post(
        "/api/v1/shares", {"record": key, "user_id": zhao.pk, "access": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "access"
    assert login(zhao).delete(f"/api/v1/shares/{created.json()['id']}").status_code == 403  # she may only read
    assert client.delete(f"/api/v1/shares/{created.json()['id']}").status_code == 204
    assert login(zhao).get(f"/api/v1/shares?record={key}").status_code == 404


def test_the_comment_api_says_who_cannot_see_the_record(team):
    wang, zhao, deal = team["wang"], team["zhao"], team["deal"]
    response = login(wang).post(
        "/api/v1/comments",
        {"record": f"sampleapp.deal:{deal.pk}", "body": "@zhaomin @lilei 请看"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (response.json()["unseen_mentions"], response.json()["can_share"]) == ([zhao.pk], True)
