"""A new model gets the whole collaboration surface by declaring it (tests/sampleapp: one model, one
``registry.register`` line): owners follow their records, followers hear of the changes that matter
and of comments, a mention of someone who cannot see the record offers to share it, and sharing
works on every path."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import login
from tests.sampleapp.models import Deal
from tests.sampleapp.services import deal_create, deal_update
from tests.support.factories import UserFactory, grant, make_role
from xietong.collaboration import comments, follows, registry, tasks_services
from xietong.collaboration.models import Follow, Notification
from xietong.core import shares
from xietong.core.choices import DataScope
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry, RecordShare

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _commit_at_once(monkeypatch):
    """Each service call here stands for a committed request: events fire at once (their
    after-commit timing is tested in test_notifications.py)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def cast(org):
    """Sales rep 王芳 owns a deal in BU1 (her own deals only); 李雷, her manager-like colleague, sees
    the whole BU1's deals; 赵敏 of supply (BU1) sees no deals; 外人 works in BU2."""
    own = make_role(
        "deal-own", {"sample": (DataScope.SELF, {"view", "create", "edit"}), "org": (DataScope.TEAM, {"view"})}
    )
    bu = make_role(
        "deal-bu", {"sample": (DataScope.BUSINESS_UNIT, {"view", "edit"}), "org": (DataScope.GROUP, {"view"})}
    )
    people = make_role("people", {"org": (DataScope.GROUP, {"view"})})
    rep = UserFactory(username="wang", display_name="王芳", primary_team=org["shanghai"])
    grant(rep, own)
    lead = UserFactory(username="lilei", display_name="李雷", primary_team=org["east"])
    grant(lead, bu)
    supply = UserFactory(username="zhaomin", display_name="赵敏", primary_team=org["supply"])
    grant(supply, people)
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, people)
    deal = deal_create(actor=lead, name="华东机床改造", owner=rep, business_unit=org["bu1"], amount=Decimal("120000"))
    return {"rep": rep, "lead": lead, "supply": supply, "outsider": outsider, "deal": deal}


def kinds_of(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_declaring_the_model_is_all_it_takes(cast):
    deal = cast["deal"]
    assert registry.surface_of("sampleapp.deal").owner_field == "owner"
    assert registry.resolve(cast["rep"], registry.record_key(deal)) == deal
    with pytest.raises(NotFound):
        registry.resolve(cast["supply"], registry.record_key(deal))
    page = login(cast["rep"]).get(f"/sample/deals/{deal.pk}/").content.decode()
    # the panels of the surface, on the domain app's own page: followers, tasks, timeline, comments
    for marker in ("xt-follow-panel", "xt-tasks-panel", "xt-timeline", "xt-comments"):
        assert marker in page, marker
    comments.comment_create(actor=cast["rep"], record=deal, body="客户要求下月交付")
    tasks_services.task_create(
        actor=cast["rep"], title="确认交期", assignee=cast["lead"], record_key=registry.record_key(deal)
    )
    assert login(cast["supply"]).get(f"/sample/deals/{deal.pk}/").status_code == 404


def test_the_owner_follows_the_record_and_a_new_owner_is_told(cast):
    deal, rep, lead = cast["deal"], cast["rep"], cast["lead"]
    assert follows.is_following(user=rep, record=deal)  # created by 李雷 with 王芳 as owner
    assert kinds_of(rep) == ["record_owner"]
    assert Notification.objects.get(recipient=rep).params == {"actor": "李雷", "record": "华东机床改造"}
    deal_update(actor=lead, deal=deal, owner=lead)  # 李雷 takes it over himself: nobody to tell
    assert follows.is_following(user=lead, record=deal)
    assert kinds_of(lead) == []
    assert Follow.objects.filter(object_id=str(deal.pk)).count() == 2  # the old owner keeps following


def test_followers_hear_of_changes_that_matter_but_not_the_actor_or_who_lost_sight(cast, org):
    deal, rep, lead, supply = cast["deal"], cast["rep"], cast["lead"], cast["supply"]
    follows.follow(actor=lead, record=deal)
    # 赵敏 followed it while it was shared with her; the share ended: she hears nothing more
    RecordShare.objects.create(content_type_id=_ct(deal), object_id=deal.pk, user=supply, granted_by=rep)
    follows.follow(actor=supply, record=deal)
    RecordShare.objects.all().delete()
    Notification.objects.all().delete()
    deal_update(actor=rep, deal=deal, stage="商务谈判", amount=Decimal("150000"))
    assert kinds_of(rep) == [] and kinds_of(supply) == []
    note = Notification.objects.get(recipient=lead)
    assert (note.kind, note.params["fields"]) == ("record_changed", ["amount", "stage"])
    assert note.params["record"] == "华东机床改造"
    from django.utils import translation

    from xietong.collaboration import kinds

    with translation.override("zh-hans"):
        assert kinds.text_of(note.kind, note.params) == "王芳修改了“华东机床改造”的金额、阶段。"
    with translation.override("en"):
        assert kinds.text_of(note.kind, note.params) == "王芳 changed 金额、阶段 of “华东机床改造”."


def test_followers_hear_of_comments_once_and_the_mentioned_only_through_the_mention(cast):
    deal, rep, lead = cast["deal"], cast["rep"], cast["lead"]
    follows.follow(actor=lead, record=deal)
    Notification.objects.all().delete()
    comments.comment_create(actor=lead, record=deal, body="价格还能再谈")
    assert [(n.kind, n.params["excerpt"]) for n in Notification.objects.filter(recipient=rep)] == [
        ("followed_comment", "价格还能再谈")
    ]
    Notification.objects.all().delete()
    comments.comment_create(actor=lead, record=deal, body="@wang 请跟进")
    assert kinds_of(rep) == ["mentioned"]  # not also "followed_comment"


def _ct(obj):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


# --- mentioning someone who cannot see the record: told nothing, offered a share ---------------


def test_a_mention_of_someone_who_cannot_see_the_record_offers_the_author_to_share(cast):
    deal, rep, supply = cast["deal"], cast["rep"], cast["supply"]
    client = login(rep)
    html = client.post(
        "/collaboration/comments/new/",
        {"record": registry.record_key(deal), "body": "@zhaomin 库存够吗？"},
        headers=HTMX,
    ).content.decode()
    assert "赵敏看不到这条记录，只收到了“你提到了他们”的通知。要与他们共享吗？" in html
    assert f'name="user" value="{supply.pk}"' in html
    note = Notification.objects.get(recipient=supply)
    assert note.kind == "mentioned_hidden" and "华东机床改造" not in json.dumps(note.params, ensure_ascii=False)
    answer = client.post(
        "/collaboration/share/", {"record": registry.record_key(deal), "user": supply.pk}, headers=HTMX
    )
    assert answer.status_code == 200
    assert registry.resolve(supply, registry.record_key(deal)) == deal  # she sees it now
    assert kinds_of(supply) == ["mentioned_hidden", "record_shared"]
    entry = AuditEntry.objects.filter(object_id=str(deal.pk), verb="share").get()
    assert entry.changes == {"shared_with": [None, "赵敏 (只读)"]}


def test_an_author_who_may_not_edit_is_told_to_ask_instead(cast):
    deal, supply = cast["deal"], cast["supply"]
    reader = make_role(
        "deal-reader", {"sample": (DataScope.BUSINESS_UNIT, {"view"}), "org": (DataScope.GROUP, {"view"})}
    )
    viewer = UserFactory(username="reader", display_name="只读者", primary_team=cast["lead"].primary_team)
    grant(viewer, reader)
    comment = comments.comment_create(actor=viewer, record=deal, body="@zhaomin 请看")
    offer = comments.share_offer(actor=viewer, comment=comment)
    assert [u.pk for u in offer["people"]] == [supply.pk] and offer["can_share"] is False
    html = login(viewer).post(
        "/collaboration/comments/new/", {"record": registry.record_key(deal), "body": "@zhaomin 再看"}, headers=HTMX
    )
    assert 'action="/collaboration/share/"' not in html.content.decode()
    response = login(viewer).post("/collaboration/share/", {"record": registry.record_key(deal), "user": supply.pk})
    assert response.status_code == 403
    assert not RecordShare.objects.exists()


def test_everyone_mentioned_sees_the_record_no_offer(cast):
    comment = comments.comment_create(actor=cast["rep"], record=cast["deal"], body="@lilei 看一下")
    assert comments.share_offer(actor=cast["rep"], comment=comment) is None


def test_share_rules(cast):
    deal, rep, supply, outsider = cast["deal"], cast["rep"], cast["supply"], cast["outsider"]
    with pytest.raises(NotFound):  # 赵敏 does not see the deal: the same answer as a missing one
        shares.share_record(actor=supply, record=deal, user=outsider)
    with pytest.raises(ValidationError) as exc:
        shares.share_record(actor=rep, record=deal, user=supply, access="owner")
    assert list(exc.value.message_dict) == ["access"]
    from datetime import date

    with pytest.raises(ValidationError) as exc:
        shares.share_record(actor=rep, record=deal, user=supply, until=date(2000, 1, 1))
    assert list(exc.value.message_dict) == ["until"]
    share = shares.share_record(actor=rep, record=deal, user=supply)
    again = shares.share_record(actor=rep, record=deal, user=supply, access="edit")
    assert share.pk == again.pk and RecordShare.objects.get().access == "edit"
    assert Deal.objects.visible_to(supply, "edit").filter(pk=deal.pk).exists()
    with pytest.raises(PermissionDenied):
        shares.share_revoke(actor=outsider, share=again, record=deal)
    shares.share_revoke(actor=rep, share=again, record=deal)
    assert not Deal.objects.visible_to(supply).filter(pk=deal.pk).exists()
    assert list(
        AuditEntry.objects.filter(object_id=str(deal.pk), verb__in=["share", "unshare"])
        .order_by("pk")
        .values_list("verb", flat=True)
    ) == ["share", "share", "unshare"]


def test_teams_cannot_be_shared(cast, org):
    assert shares.shareable(type(org["supply"])) is False
    assert shares.shareable(Deal) is True


def test_the_timeline_shows_the_records_tasks_changes_and_comments(cast):
    from xietong.collaboration import timeline

    deal, rep, lead = cast["deal"], cast["rep"], cast["lead"]
    task = tasks_services.task_create(actor=rep, title="寄送样机", assignee=lead, record_key=registry.record_key(deal))
    comments.comment_create(actor=lead, record=deal, body="样机已寄出")
    page = timeline.timeline_page(user=rep, record=deal)
    assert [(e.kind, e.text) for e in page.entries] == [
        ("comment", "样机已寄出"),
        ("task", "任务“寄送样机”，负责人：李雷 · 待处理"),
        ("change", page.entries[2].text),
    ]
    assert page.entries[1].id == task.pk
    only_tasks = timeline.timeline_page(user=rep, record=deal, kinds={"task"})
    assert [e.id for e in only_tasks.entries] == [task.pk]
    html = login(rep).get(f"/collaboration/timeline/?record={registry.record_key(deal)}&kinds=task").content.decode()
    assert f'href="/tasks/{task.pk}/"' in html and "寄送样机" in html


def test_a_comment_posted_with_htmx_tells_the_timeline_to_reload(cast):
    deal = cast["deal"]
    client = login(cast["rep"])
    key = registry.record_key(deal)
    ok = client.post("/collaboration/comments/new/", {"record": key, "body": "新进展"}, headers=HTMX)
    assert ok["HX-Trigger"] == '{"xt-record-changed": {}}'
    refused = client.post("/collaboration/comments/new/", {"record": key, "body": "  "}, headers=HTMX)
    assert "HX-Trigger" not in refused
    page = client.get(f"/sample/deals/{deal.pk}/").content.decode()
    assert 'hx-trigger="xt-record-changed from:body"' in page
