"""Notifications by e-mail: at once in the recipient's language, once however often the task runs,
never to "off", to people without an address or deactivated; the daily digest groups by kind, marks
what it sent and goes out once a day; the e-mail of a hidden mention names nothing of the record."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from xietong.collaboration import comments, emails
from xietong.collaboration import services as collab
from xietong.collaboration.models import Notification
from xietong.collaboration.tasks import email_notifications, send_email_digests
from xietong.core import scheduling
from xietong.core.choices import DataScope
from xietong.org import services as org_services

pytestmark = pytest.mark.django_db

BASE = "https://xietong.example.com"


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def admin_actor(org):
    return UserFactory(username="boss", display_name="管理员", primary_team=org["east"])


def person(org, username, *, language="zh-hans", preference="immediate", email=None, **kwargs):
    user = UserFactory(username=username, primary_team=org["shanghai"], language=language, **kwargs)
    user.email_notifications = preference
    if email is not None:
        user.email = email
    user.save()
    return user


def deliver(recipients, actor, key="audit:1", kind="made_manager", **params):
    return collab.notifications_deliver(
        event_key=key,
        kind=kind,
        recipient_ids=[u.pk for u in recipients],
        actor_id=actor.pk,
        record=("org.team", actor.primary_team_id),
        params={"actor": str(actor), "team": "华东销售部", **params},
    )


# --- at once ----------------------------------------------------------------------------------------


def test_an_immediate_notification_is_one_email_in_the_recipients_language(
    org, admin_actor, django_capture_on_commit_callbacks
):
    zh = person(org, "rep", display_name="王芳")
    en = person(org, "eve", language="en", display_name="Eve")
    with django_capture_on_commit_callbacks(execute=True):
        deliver([zh, en], admin_actor)
    assert sorted(m.to[0] for m in mail.outbox) == ["eve@example.com", "rep@example.com"]
    by_to = {m.to[0]: m for m in mail.outbox}
    note_zh = Notification.objects.get(recipient=zh)
    message = by_to["rep@example.com"]
    assert message.subject == "[协同] 管理员将你设为“华东销售部”的负责人。"
    assert message.from_email == "XieTong <noreply@localhost>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "管理员将你设为“华东销售部”的负责人。" in message.body
    assert f"{BASE}/notifications/{note_zh.pk}/open/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{BASE}/notifications/{note_zh.pk}/open/"' in html
    assert '<html lang="zh-hans">' in html
    english = by_to["eve@example.com"]
    assert english.subject == "[XieTong] 管理员 made you a manager of “华东销售部”."
    assert '<html lang="en">' in english.alternatives[0][0]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_the_email_task_run_twice_sends_once(org, admin_actor):
    rep = person(org, "rep")
    deliver([rep], admin_actor)  # inside the test's transaction: the e-mail waits for a commit that never comes
    assert mail.outbox == []
    assert email_notifications.enqueue(event_key="audit:1").return_value == 1
    assert email_notifications.enqueue(event_key="audit:1").return_value == 0
    assert len(mail.outbox) == 1
    assert emails.emails_send_for_event(event_key="audit:1") == 0
    assert len(mail.outbox) == 1


def test_off_daily_no_address_inactive_and_read_get_no_immediate_email(
    org, admin_actor, django_capture_on_commit_callbacks
):
    wants = person(org, "wants")
    off = person(org, "off", preference="off")
    daily = person(org, "daily", preference="daily")
    nomail = person(org, "nomail", email="")
    gone = person(org, "gone", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver([wants, off, daily, nomail, gone], admin_actor)
    assert [m.to for m in mail.outbox] == [["wants@example.com"]]
    assert list(
        Notification.objects.filter(emailed_at__isnull=False).values_list("recipient__username", flat=True)
    ) == ["wants"]
    read = person(org, "reader")
    deliver([read], admin_actor, key="audit:2")
    collab.notifications_mark_read(actor=read)
    assert emails.emails_send_for_event(event_key="audit:2") == 0


def test_a_refusing_mail_server_gives_the_claim_back_so_a_rerun_sends(org, admin_actor, monkeypatch):
    rep = person(org, "rep")
    deliver([rep], admin_actor)

    def refuse(self, messages):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as m:
        m.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(ConnectionRefusedError):
            emails.emails_send_for_event(event_key="audit:1")
    assert Notification.objects.get(recipient=rep).emailed_at is None
    assert emails.emails_send_for_event(event_key="audit:1") == 1
    assert len(mail.outbox) == 1


def test_task_reminders_are_emailed_like_any_notification(org, django_capture_on_commit_callbacks):
    from xietong.collaboration import reminders, tasks_services

    rep = person(org, "rep", language="en")
    grant(rep, make_role("own", {"tasks": (DataScope.SELF, {"view", "edit"})}))
    task = tasks_services.task_create(
        actor=rep, title="备货", due_at=local(2026, 11, 20, 18, 0), remind_at=local(2026, 11, 20, 17, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders.reminders_send()
    (message,) = mail.outbox
    assert message.subject == "[XieTong] Reminder: “备货” is due 2026-11-20 18:00"
    note = Notification.objects.get(kind="task_reminder")
    assert note.object_id == str(task.pk)


# --- hidden records ---------------------------------------------------------------------------------


@pytest.fixture
def mentions(org):
    viewer = make_role("viewer", {"org": (DataScope.GROUP, {"view"})})
    own = make_role("own-teams", {"org": (DataScope.SELF, {"view"})})
    author = UserFactory(username="wang", display_name="王芳", primary_team=org["supply"])
    grant(author, viewer)
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    member = UserFactory(username="north1", display_name="北方", primary_team=org["north"])
    grant(member, own)
    return {"author": author, "outsider": outsider, "member": member, "record": org["supply"]}


def test_the_email_of_a_hidden_mention_names_nothing_of_the_record(mentions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_create(
            actor=mentions["author"], record=mentions["record"], body="@outsider @华北销售部 价格底线是 8 折"
        )
    by_to = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_to) == ["north1@example.com", "outsider@example.com"]
    hidden = by_to["outsider@example.com"]
    assert hidden.subject == "[协同] 王芳在一条你看不到的记录上提到了你，请让对方共享给你。"
    team = by_to["north1@example.com"]
    assert team.subject == "[协同] 王芳在评论中提到了你的团队“华北销售部”。"
    for message in (hidden, team):
        everything = message.subject + message.body + message.alternatives[0][0]
        assert "供应计划组" not in everything and "8 折" not in everything


def test_a_stored_mention_reads_hidden_in_the_email_once_the_reader_lost_sight(org, admin_actor):
    reader = person(org, "reader_x")  # no role: cannot see BU1's teams
    collab.notifications_deliver(
        event_key="comment:1:v1",
        kind="mentioned",
        recipient_ids=[reader.pk],
        record=("org.team", org["east"].pk),
        params={"actor": "某人", "record": "华东销售部", "excerpt": "机密报价"},
    )
    assert emails.emails_send_for_event(event_key="comment:1:v1") == 1
    (message,) = mail.outbox
    everything = message.subject + message.body + message.alternatives[0][0]
    assert "华东销售部" not in everything and "机密报价" not in everything
    assert "某人在一条你看不到的记录上提到了你" in message.subject


# --- the daily digest -------------------------------------------------------------------------------


def test_the_digest_job_runs_hourly():
    job = scheduling.get("send-email-digests")
    assert (job.task, job.every) == (send_email_digests, timedelta(hours=1))


def _note(user, actor, key, created_at, kind="made_manager", **params):
    deliver([user], actor, key=key, kind=kind, **params)
    note = Notification.objects.get(recipient=user, event_key=key)
    Notification.objects.filter(pk=note.pk).update(created_at=created_at)
    return note


@pytest.fixture
def daily(org, admin_actor):
    """A "daily" reader and what happened around the digest of 28 November 2026, 08:00 (Shanghai)."""
    user = person(org, "dd", preference="daily", display_name="每日")
    notes = {
        "old": _note(user, admin_actor, "a:old", local(2026, 11, 27, 7, 59)),  # before the window
        "moved": _note(user, admin_actor, "a:1", local(2026, 11, 27, 8, 0), kind="user_moved"),
        "manager": _note(user, admin_actor, "a:2", local(2026, 11, 27, 20, 0)),
        "task": _note(user, admin_actor, "a:3", local(2026, 11, 28, 7, 59), kind="task_assigned", title="备货"),
        "read": _note(user, admin_actor, "a:4", local(2026, 11, 28, 1, 0)),
        "after": _note(user, admin_actor, "a:5", local(2026, 11, 28, 8, 0)),  # in tomorrow's digest
    }
    Notification.objects.filter(pk=notes["read"].pk).update(read_at=timezone.now())
    return user, notes


def test_the_digest_groups_by_kind_and_marks_what_it_sent(daily):
    _user, notes = daily
    assert mail.outbox == []  # "daily" gets nothing at once
    assert emails.digests_send(now=local(2026, 11, 28, 8, 10)) == 1
    (message,) = mail.outbox
    assert message.to == ["dd@example.com"]
    assert message.subject == "[协同] 每日摘要：3 条新通知"
    body = message.body
    assert body.index("任务\n") < body.index("我的账号\n")  # the group with the latest news first
    assert "- 管理员给你分配了任务“备货”" in body
    assert "- 管理员将你设为“华东销售部”的负责人。" in body
    assert "- 管理员将你调动到团队“华东销售部”。" in body
    for key in ("moved", "manager", "task"):
        assert f"{BASE}/notifications/{notes[key].pk}/open/" in body
    html = message.alternatives[0][0]
    assert "任务 <span" in html and "我的账号 <span" in html
    emailed = set(Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True))
    assert emailed == {notes["moved"].pk, notes["manager"].pk, notes["task"].pk}


def test_the_digest_goes_out_once_a_day_and_not_before_the_hour(daily, admin_actor):
    user, notes = daily
    # before today's hour it is yesterday's digest that is due (missed: it holds the day before it)
    assert emails.digests_send(now=local(2026, 11, 28, 7, 59)) == 1
    assert mail.outbox[0].subject == "[协同] 每日摘要：1 条新通知"
    assert f"/notifications/{notes['old'].pk}/open/" in mail.outbox[0].body
    assert emails.digests_send(now=local(2026, 11, 28, 7, 59)) == 0
    assert emails.digests_send(now=local(2026, 11, 28, 8, 0)) == 1  # today's, at the hour
    assert mail.outbox[1].subject == "[协同] 每日摘要：3 条新通知"
    assert emails.digests_send(now=local(2026, 11, 28, 9, 0)) == 0
    _note(user, admin_actor, "a:6", local(2026, 11, 28, 8, 30))
    assert emails.digests_send(now=local(2026, 11, 28, 23, 0)) == 0  # not twice a day, even with news
    assert len(mail.outbox) == 2
    assert emails.digests_send(now=local(2026, 11, 29, 8, 5)) == 1
    assert mail.outbox[2].subject == "[协同] 每日摘要：2 条新通知"
    assert list(Notification.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True)) == [notes["read"].pk]


def test_no_digest_when_there_is_nothing_new(org, admin_actor):
    person(org, "quiet", preference="daily")
    off = person(org, "off", preference="off")
    _note(off, admin_actor, "b:1", local(2026, 11, 27, 12, 0))
    assert emails.digests_send(now=local(2026, 11, 28, 8, 30)) == 0
    assert mail.outbox == []


def test_the_digest_hour_is_a_setting(daily, settings):
    settings.XIETONG_DIGEST_HOUR = 18
    assert emails.digest_slot(local(2026, 11, 28, 8, 10)) == local(2026, 11, 27, 18, 0)
    assert emails.digest_slot(local(2026, 11, 28, 18, 0)) == local(2026, 11, 28, 18, 0)


# --- the preference ---------------------------------------------------------------------------------


def test_the_profile_page_sets_the_preference_through_the_audited_service(org):
    rep = person(org, "rep", language="en")
    client = login(rep)
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="email_notifications"' in page and '<option value="daily">Daily digest</option>' in page
    response = client.post(
        "/accounts/profile/",
        {"display_name": "王芳", "email": "rep@example.com", "language": "en", "email_notifications": "daily"},
    )
    assert response.status_code == 303
    rep.refresh_from_db()
    assert rep.email_notifications == "daily"
    from xietong.core.audit import history

    assert history(rep)[0].changes["email_notifications"] == ["立即", "每日摘要"]
    # left out of a post: unchanged
    client.post("/accounts/profile/", {"display_name": "王芳", "email": "rep@example.com", "language": "en"})
    rep.refresh_from_db()
    assert rep.email_notifications == "daily"
    assert login(rep).get("/api/v1/me").json()["email_notifications"] == "daily"


def test_only_the_user_chooses_their_emails(org, admin):
    rep = person(org, "rep")
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        org_services.user_update(actor=admin, user=rep, email_notifications="off")
    with pytest.raises(ValidationError):
        org_services.user_update(actor=rep, user=rep, email_notifications="hourly")
