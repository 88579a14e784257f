"""Tasks: who sees them (people on the task, the record's viewers, role scopes), assignment across
departments, status transitions, all-or-nothing bulk changes, the overdue list, notifications,
fixed query counts and escaped user text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role, manage
from tests.support.queries import assert_queries_constant
from xietong.collaboration import tasks_services as svc
from xietong.collaboration.models import Notification, Task
from xietong.collaboration.registry import record_key
from xietong.core.audit import history
from xietong.core.choices import DataScope
from xietong.core.errors import NotFound

pytestmark = pytest.mark.django_db

TASK_SELF = {"tasks": (DataScope.SELF, {"view", "create", "edit"})}


@pytest.fixture
def people(org):
    """王芳 (sales, Shanghai, sees the group's people) assigns to 李雷 (supply); 张经理 manages Shanghai
    with a team-tree tasks scope; 赵六 in Pudong; 外人 in BU2 sees only their own."""
    sales = make_role("sales-people", {"org": (DataScope.GROUP, {"view"}), **TASK_SELF})
    own = make_role("own", {"org": (DataScope.SELF, {"view"}), **TASK_SELF})
    mgr_role = make_role(
        "task-mgr", {"org": (DataScope.TEAM_TREE, {"view"}), "tasks": (DataScope.TEAM_TREE, {"view", "edit"})}
    )
    wang = UserFactory(username="wang", display_name="王芳", primary_team=org["shanghai"])
    grant(wang, sales)
    li = UserFactory(username="lilei", display_name="李雷", primary_team=org["supply"])
    grant(li, own)
    zhao = UserFactory(username="zhao", display_name="赵六", primary_team=org["pudong"])
    grant(zhao, own)
    boss = UserFactory(username="boss", display_name="张经理", primary_team=org["shanghai"])
    grant(boss, mgr_role)
    manage(boss, org["shanghai"])
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    return {"wang": wang, "li": li, "zhao": zhao, "boss": boss, "outsider": outsider}


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def visible(user):
    return set(Task.objects.visible_to(user).values_list("title", flat=True))


def test_a_task_is_seen_by_assignee_creator_collaborator_manager_and_record_viewers_only(people, org):
    p = people
    svc.task_create(actor=p["wang"], title="备货", assignee=p["li"], collaborators=[p["zhao"]])
    svc.task_create(actor=p["wang"], title="赵的", assignee=p["zhao"])  # Pudong: under the manager's tree
    svc.task_create(actor=p["outsider"], title="外部", record_key=record_key(org["north"]))
    assert visible(p["wang"]) == {"备货", "赵的", "外部"}  # creator; 外部: she sees the BU2 team it is on
    assert visible(p["li"]) == {"备货"}  # assignee
    assert visible(p["zhao"]) == {"备货", "赵的"}  # collaborator and assignee
    assert visible(p["boss"]) == {"赵的"}  # role scope: tasks assigned in the Shanghai tree
    assert visible(p["outsider"]) == {"外部"}
    # whoever sees the linked record sees the task: 王芳 sees every team
    team_task = svc.task_create(actor=p["li"], title="团队的", record_key=record_key(org["supply"]))
    assert "团队的" in visible(p["wang"])
    assert "团队的" not in visible(p["outsider"])
    for url in (f"/tasks/{team_task.pk}/", f"/api/v1/tasks/{team_task.pk}"):
        assert login(p["outsider"]).get(url).status_code == 404
        assert login(p["wang"]).get(url).status_code == 200


def test_a_stranger_gets_404_on_the_page_and_every_endpoint(people):
    task = svc.task_create(actor=people["wang"], title="保密", assignee=people["li"])
    client = login(people["outsider"])
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert client.patch(f"/api/v1/tasks/{task.pk}", data="{}", content_type="application/json").status_code == 404
    assert post(client, f"/api/v1/tasks/{task.pk}/status", {"status": "done"}).status_code == 404
    assert client.post(f"/tasks/{task.pk}/status/", {"status": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_tasks_are_assigned_across_departments_but_only_to_people_the_creator_sees(people):
    task = svc.task_create(actor=people["wang"], title="跨部门", assignee=people["li"])  # sales → supply
    assert task.assignee == people["li"]
    with pytest.raises(ValidationError) as exc:
        svc.task_create(actor=people["li"], title="给外人", assignee=people["outsider"])
    assert exc.value.message_dict == {"assignee": ["请选择你可见的人员。"]}
    assert svc.task_create(actor=people["outsider"], title="自己的").assignee == people["outsider"]
    response = post(login(people["li"]), "/api/v1/tasks", {"title": "x", "assignee_id": people["outsider"].pk})
    assert response.status_code == 422


def test_status_transitions_set_and_clear_completed_at_and_are_audited(people):
    task = svc.task_create(actor=people["wang"], title="做", assignee=people["li"], collaborators=[people["zhao"]])
    task = svc.task_set_status(actor=people["zhao"], task=task, status="in_progress")
    assert (task.status, task.completed_at) == ("in_progress", None)
    task = svc.task_set_status(actor=people["li"], task=task, status="done")
    assert task.status == "done" and task.completed_at is not None
    task = svc.task_set_status(actor=people["wang"], task=task, status="open")
    assert (task.status, task.completed_at) == ("open", None)
    statuses = [e.changes.get("status") for e in history(task)]
    assert statuses[:3] == [["已完成", "待处理"], ["进行中", "已完成"], ["待处理", "进行中"]]
    with pytest.raises(NotFound):
        svc.task_set_status(actor=people["outsider"], task=task, status="done")


def test_only_creator_assignee_or_a_role_edit_scope_changes_a_task(people):
    task = svc.task_create(actor=people["wang"], title="原", assignee=people["zhao"], collaborators=[people["li"]])
    with pytest.raises(PermissionDenied):
        svc.task_update(actor=people["li"], task=task, title="改")  # a collaborator sets status only
    svc.task_update(actor=people["boss"], task=task, title="经理改")  # team-tree edit scope over 赵六
    svc.task_update(actor=people["zhao"], task=task, assignee=people["zhao"], priority="urgent")
    task.refresh_from_db()
    assert (task.title, task.priority) == ("经理改", "urgent")


def test_bulk_update_is_all_or_nothing(people):
    mine = [svc.task_create(actor=people["wang"], title=f"t{i}", assignee=people["li"]) for i in range(2)]
    hidden = svc.task_create(actor=people["outsider"], title="外")
    seen_not_editable = svc.task_create(actor=people["boss"], title="协作", collaborators=[people["wang"]])
    ids = [t.pk for t in mine]
    with pytest.raises(NotFound):
        svc.task_bulk_update(actor=people["wang"], task_ids=[*ids, hidden.pk], status="done")
    with pytest.raises(PermissionDenied):
        svc.task_bulk_update(actor=people["wang"], task_ids=[*ids, seen_not_editable.pk], status="done")
    assert set(Task.objects.values_list("status", flat=True)) == {"open"}
    client = login(people["wang"])
    response = post(client, "/api/v1/tasks/bulk", {"ids": [*ids, hidden.pk], "status": "done"})
    assert response.status_code == 404
    assert set(Task.objects.values_list("status", flat=True)) == {"open"}
    response = post(client, "/api/v1/tasks/bulk", {"ids": ids, "status": "done", "assignee_id": people["zhao"].pk})
    assert response.status_code == 200
    assert sorted((t["status"], t["assignee_id"]) for t in response.json()) == [("done", people["zhao"].pk)] * 2
    page = client.post("/tasks/bulk/", {"ids": [mine[0].pk], "status": "open"})
    assert page.status_code == 303
    assert Task.objects.get(pk=mine[0].pk).status == "open"
    assert client.post("/tasks/bulk/", {"ids": [hidden.pk], "status": "done"}).status_code == 404


def test_the_overdue_list_holds_exactly_the_open_tasks_past_due(people):
    now = timezone.now()
    me = people["li"]
    late = svc.task_create(actor=me, title="逾期", due_at=now - timedelta(hours=1))
    started = svc.task_create(actor=me, title="进行中逾期", due_at=now - timedelta(days=2))
    svc.task_set_status(actor=me, task=started, status="in_progress")
    finished = svc.task_create(actor=me, title="已完成", due_at=now - timedelta(days=1))
    svc.task_set_status(actor=me, task=finished, status="done")
    svc.task_create(actor=me, title="未到期", due_at=now + timedelta(hours=1))
    svc.task_create(actor=me, title="无期限")
    assert [t.title for t in svc.task_list(user=me, view="overdue")] == ["进行中逾期", "逾期"]
    html = login(me).get("/tasks/?view=overdue").content.decode()
    assert "逾期" in html and 'class="text-danger"' in html
    assert late.is_overdue


def test_views_assigned_created_and_team(people):
    p = people
    svc.task_create(actor=p["wang"], title="给赵", assignee=p["zhao"])
    svc.task_create(actor=p["zhao"], title="赵自己")
    svc.task_create(actor=p["wang"], title="给李", assignee=p["li"])
    titles = lambda user, view: sorted(t.title for t in svc.task_list(user=user, view=view))  # noqa: E731
    assert titles(p["zhao"], "assigned") == ["给赵", "赵自己"]
    assert titles(p["wang"], "created") == ["给李", "给赵"]
    assert titles(p["boss"], "team") == ["给赵", "赵自己"]  # manager of Shanghai: Pudong's member too


def test_assignment_and_completion_notify(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task = svc.task_create(actor=people["wang"], title="请备货", assignee=people["li"])
    n = Notification.objects.get(recipient=people["li"])
    assert (n.kind, n.params) == ("task_assigned", {"actor": "王芳", "title": "请备货"})
    with django_capture_on_commit_callbacks(execute=True):
        svc.task_set_status(actor=people["li"], task=task, status="done")
    done = Notification.objects.get(recipient=people["wang"])
    assert (done.kind, done.params) == ("task_done", {"actor": "李雷", "title": "请备货"})
    with django_capture_on_commit_callbacks(execute=True):
        svc.task_create(actor=people["li"], title="自己的")
    assert Notification.objects.count() == 2


def test_the_list_page_and_endpoint_use_a_fixed_number_of_queries(people, org):
    me = people["wang"]
    client = login(me)

    def add():
        for i in range(3):
            t = svc.task_create(
                actor=me,
                title=f"x{i}",
                assignee=people["li"],
                collaborators=[people["zhao"]],
                record_key=record_key(org["supply"]),
            )
            t.due_at = timezone.now() - timedelta(days=1)
            t.save()

    add()
    assert_queries_constant(lambda: client.get("/tasks/?view=created"), add)
    assert_queries_constant(lambda: client.get("/api/v1/tasks?view=created"), add)
    assert_queries_constant(lambda: client.get(f"/org/teams/{org['supply'].pk}/"), add)


def test_user_text_renders_escaped(people):
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> [a](javascript:alert(3))"
    task = svc.task_create(actor=people["wang"], title=payload, description=payload + "\n第二行")
    client = login(people["wang"])
    for url in ("/tasks/?view=created", f"/tasks/{task.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    detail = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "<br>第二行" in detail


def test_pages_create_and_change_a_task_from_a_record(people, org):
    client = login(people["wang"])
    key = record_key(org["supply"])
    form = client.get(f"/tasks/new/?record={key}")
    assert form.status_code == 200 and f'value="{key}"' in form.content.decode()
    response = client.post(
        "/tasks/new/", {"title": "从记录", "assignee": people["li"].pk, "priority": "high", "record": key}
    )
    task = Task.objects.get(title="从记录")
    assert response.status_code == 303 and response["Location"] == f"/tasks/{task.pk}/"
    assert "从记录" in client.get(f"/org/teams/{org['supply'].pk}/").content.decode()
    htmx = client.post(f"/tasks/{task.pk}/status/", {"status": "done"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="task-status"' in htmx.content.decode()
    task.refresh_from_db()
    assert task.status == "done"
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 200
    assert login(people["outsider"]).get(f"/tasks/new/?record={key}").status_code == 200
    bad = login(people["outsider"]).post(
        "/tasks/new/", {"title": "x", "assignee": people["outsider"].pk, "priority": "normal", "record": key}
    )
    assert bad.status_code == 404


def test_nobody_pushes_a_task_out_of_their_own_sight(org):
    """Found in review: an assignee reassigning a task away would lose it, and the write must be refused."""
    from django.core.exceptions import PermissionDenied as Denied

    from xietong.collaboration import tasks_services as tsvc
    from xietong.collaboration.models import Task

    creator = UserFactory(username="creator_x", primary_team=org["east"])
    worker = UserFactory(username="worker_x", primary_team=org["east"])
    other = UserFactory(username="other_x", primary_team=org["east"])
    task = tsvc.task_create(actor=creator, title="盘点库存", assignee=worker)
    with pytest.raises(Denied):
        tsvc.task_update(actor=worker, task=task, assignee=other)
    assert Task.objects.get(pk=task.pk).assignee == worker
    with pytest.raises(Denied):
        tsvc.task_bulk_update(actor=worker, task_ids=[task.pk], assignee=other)
    assert Task.objects.get(pk=task.pk).assignee == worker
    tsvc.task_update(actor=creator, task=task, assignee=other)  # the creator keeps sight: allowed


def test_the_api_names_a_linked_record_only_to_those_who_see_it(org, admin):
    from xietong.collaboration import tasks_services as tsvc

    outsider = UserFactory(username="outsider_x", primary_team=org["north"])
    task = tsvc.task_create(actor=admin, title="华东任务", assignee=outsider, record_key=f"org.team:{org['east'].pk}")
    assert login(outsider).get(f"/api/v1/tasks/{task.pk}").json()["record"] is None
    assert login(admin).get(f"/api/v1/tasks/{task.pk}").json()["record"] == f"org.team:{org['east'].pk}"
    listed = login(outsider).get("/api/v1/tasks").json()["results"]
    assert [(t["id"], t["record"]) for t in listed] == [(task.pk, None)]


def test_task_pages_refuse_a_time_outside_the_years_and_a_status_that_is_not_one(people):
    """Found by a sweep of the forms: both answered 500."""
    from django.contrib.messages import get_messages

    client = login(people["wang"])
    for name in ("due_at", "remind_at"):
        bad = client.post(
            "/tasks/new/",
            {"title": "远古", "assignee": people["wang"].pk, "priority": "normal", name: "0001-01-01T00:00"},
        )
        assert bad.status_code == 200
        assert bad.context["form"].errors == {name: ["请输入公元 1 年至 9999 年之间的日期和时间。"]}
    assert not Task.objects.filter(title="远古").exists()

    task = svc.task_create(actor=people["wang"], title="盘点", assignee=people["wang"])
    response = client.post(f"/tasks/{task.pk}/status/", {"status": "nonsense"})
    assert (response.status_code, response["Location"]) == (303, f"/tasks/{task.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["请选择状态。"]
    task.refresh_from_db()
    assert task.status == "open"
