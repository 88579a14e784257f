"""Notifications: delivered after commit, once per occurrence, visible to their recipient alone."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role
from tests.support.queries import assert_queries_constant
from xietong.collaboration import services as collab
from xietong.collaboration.models import Notification
from xietong.core.choices import DataScope
from xietong.org import services
from xietong.org.defaults import ensure_default_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(org):
    return UserFactory(username="rep", display_name="王芳", primary_team=org["shanghai"])


def test_a_role_assignment_notifies_the_user_after_commit(admin, rep, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.role_assign(actor=admin, user=rep, role=ensure_default_roles()["sales_rep"], business_unit=org["bu1"])
        assert Notification.objects.count() == 0  # nothing before the commit
    names = [c.func.__name__ for c in callbacks]
    # the delivery, then (after it committed) the e-mail of what it delivered; other apps may listen too
    assert names.count("_notify_the_user") == 1
    assert names.count("_email_later") == 1
    assert names.index("_notify_the_user") < names.index("_email_later")
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.actor) == (rep, "role_assigned", admin)
    assert notification.params == {"actor": "管理员", "role": "销售代表", "business_unit": "工业设备事业部"}


def test_nothing_is_notified_when_the_change_is_rolled_back(admin, rep, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.user_reset_password(actor=admin, user=rep)
                raise RuntimeError("the outer work failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_delivering_the_same_occurrence_twice_creates_it_once(rep, admin):
    kwargs = {
        "event_key": "audit:42",
        "kind": "password_reset",
        "recipient_ids": [rep.pk],
        "actor_id": admin.pk,
        "record": ("org.user", rep.pk),
        "params": {"actor": "管理员"},
    }
    assert collab.notifications_deliver(**kwargs) == 1
    assert collab.notifications_deliver(**kwargs) == 0
    assert Notification.objects.count() == 1


def test_the_delivery_task_is_retry_safe(rep, admin):
    from xietong.collaboration.tasks import deliver_notifications

    kwargs = {
        "event_key": "audit:7",
        "kind": "user_moved",
        "recipient_ids": [rep.pk],
        "actor_id": admin.pk,
        "record": ["org.user", rep.pk],
        "params": {"actor": "管理员", "team": "浦东小组"},
    }
    deliver_notifications.enqueue(**kwargs)
    deliver_notifications.enqueue(**kwargs)
    assert Notification.objects.filter(recipient=rep).count() == 1


def test_many_recipients_are_one_bulk_insert(admin, org, django_assert_max_num_queries):
    people = [UserFactory(username=f"p{i}", primary_team=org["east"]) for i in range(200)]
    with django_assert_max_num_queries(6):
        created = collab.notifications_deliver(
            event_key="audit:1",
            kind="made_manager",
            recipient_ids=[p.pk for p in people],
            actor_id=admin.pk,
            params={"actor": "管理员", "team": "华东销售部"},
        )
    assert created == 200


def test_the_actor_is_not_notified_of_their_own_act(admin):
    assert (
        collab.notifications_deliver(
            event_key="audit:9",
            kind="password_reset",
            recipient_ids=[admin.pk],
            actor_id=admin.pk,
            params={"actor": "管理员"},
        )
        == 0
    )


def _notify(user, actor, key="audit:1"):
    collab.notifications_deliver(
        event_key=key,
        kind="user_moved",
        recipient_ids=[user.pk],
        actor_id=actor.pk,
        record=("org.user", user.pk),
        params={"actor": str(actor), "team": "浦东小组"},
    )
    return Notification.objects.get(recipient=user, event_key=key)


def test_the_page_shows_the_text_in_the_readers_language_and_links_to_the_record(admin, rep):
    grant(rep, make_role("self", {"org": (DataScope.SELF, {"view"})}))
    note = _notify(rep, admin)
    client = login(rep)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "管理员将你调动到团队“浦东小组”。" in page.content.decode()
    opened = client.get(f"/notifications/{note.pk}/open/")
    assert (opened.status_code, opened["Location"]) == (302, f"/org/users/{rep.pk}/")
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_record_out_of_sight_is_not_linked(admin, rep):
    note = _notify(rep, admin)  # rep holds no role: cannot see even their own user record
    opened = login(rep).get(f"/notifications/{note.pk}/open/")
    assert opened["Location"] == "/notifications/"


def test_the_bell_counts_unread_and_mark_all_read_clears_it(admin, rep):
    _notify(rep, admin, "audit:1")
    _notify(rep, admin, "audit:2")
    client = login(rep)
    assert ">2<" in client.get("/notifications/bell/").content.decode()
    assert client.post("/notifications/read-all/").status_code == 303
    assert "xt-bell-count" not in client.get("/notifications/bell/").content.decode()


def test_someone_elses_notification_is_404_everywhere(admin, rep, org):
    other = UserFactory(username="other", primary_team=org["east"])
    note = _notify(other, admin)
    client = login(rep)
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404
    assert client.get(f"/api/v1/notifications/{note.pk}").status_code == 404
    assert client.post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
    marked = client.post(
        "/api/v1/notifications/read", data=json.dumps({"ids": [note.pk]}), content_type="application/json"
    )
    assert marked.json() == {"marked": 0}
    note.refresh_from_db()
    assert note.read_at is None


def test_the_api_lists_marks_and_counts(admin, rep):
    grant(rep, make_role("self", {"org": (DataScope.SELF, {"view"})}))
    first = _notify(rep, admin, "audit:1")
    _notify(rep, admin, "audit:2")
    client = login(rep)
    body = client.get("/api/v1/notifications").json()
    assert [n["kind"] for n in body["results"]] == ["user_moved", "user_moved"]
    assert body["results"][1]["url"] == f"/org/users/{rep.pk}/"
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    assert client.post(f"/api/v1/notifications/{first.pk}/read").json()["read_at"] is not None
    assert client.get("/api/v1/notifications?unread=true").json()["results"][0]["id"] != first.pk


def test_the_list_page_and_endpoint_do_not_grow_in_queries(admin, rep):
    grant(rep, make_role("self", {"org": (DataScope.SELF, {"view"})}))
    client = login(rep)
    counter = iter(range(100, 200))

    def add_rows():
        for _ in range(5):
            _notify(rep, admin, f"audit:{next(counter)}")

    _notify(rep, admin, "audit:1")
    assert_queries_constant(lambda: client.get("/notifications/"), add_rows, max_queries=12)
    assert_queries_constant(lambda: client.get("/api/v1/notifications"), add_rows, max_queries=10)
