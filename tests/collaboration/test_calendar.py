"""The calendar: the month and week grids (Monday first, days of the neighbouring months, today), the
scopes of the task list, only visible tasks, finished ones struck through, htmx navigation, "new task"
from a day, a fixed number of queries, and the iCalendar export (page and API) parsed back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role, manage
from tests.support.queries import assert_queries_constant
from xietong.collaboration import calendar
from xietong.collaboration import tasks_services as svc
from xietong.collaboration.models import Task
from xietong.core.choices import DataScope
from xietong.core.dates import day_start
from xietong.org import services as org_services

pytestmark = pytest.mark.django_db

TASK_SELF = {"tasks": (DataScope.SELF, {"view", "create", "edit"})}
TASK_TEAM = {"tasks": (DataScope.TEAM, {"view", "create", "edit"})}
HTMX = {"HX-Request": "true", "HX-Target": "xt-calendar"}


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def people(org):
    """王芳 (Shanghai, sees the group's people and the tasks of her own teams) plans; 李雷 (supply) and 赵六
    (Pudong, below Shanghai) work with her; 张经理 manages Shanghai; 外人 in BU2 has a private task nobody
    in BU1 may see."""
    sales = make_role("sales-people", {"org": (DataScope.GROUP, {"view"}), **TASK_TEAM})
    own = make_role("own", {"org": (DataScope.SELF, {"view"}), **TASK_SELF})
    wang = UserFactory(username="wang", display_name="王芳", primary_team=org["shanghai"])
    grant(wang, sales)
    li = UserFactory(username="lilei", display_name="李雷", primary_team=org["supply"])
    grant(li, own)
    zhao = UserFactory(username="zhao", display_name="赵六", primary_team=org["pudong"])
    grant(zhao, own)
    boss = UserFactory(username="boss", display_name="张经理", primary_team=org["shanghai"])
    grant(boss, sales)
    manage(boss, org["shanghai"])
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    return {"wang": wang, "li": li, "zhao": zhao, "boss": boss, "outsider": outsider}


def titles(response) -> list[str]:
    return [e.title for week in response.context["weeks"] for cell in week for e in cell.entries]


# --- the grid ---------------------------------------------------------------------------------------


def test_the_month_grid_starts_on_monday_and_fills_with_the_neighbouring_months():
    weeks = calendar.month_days(date(2026, 11, 15))  # 1 November 2026 is a Sunday
    assert [(w[0], w[-1]) for w in weeks] == [
        (date(2026, 10, 26), date(2026, 11, 1)),
        (date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2026, 12, 6)),
    ]
    assert all(w[0].weekday() == 0 for w in weeks)
    february = calendar.month_days(date(2026, 2, 1))
    assert (february[0][0], february[-1][-1], len(february)) == (date(2026, 1, 26), date(2026, 3, 1), 5)


def test_the_week_runs_from_monday_to_sunday():
    assert calendar.week_days(date(2026, 11, 28)) == [date(2026, 11, 23) + timedelta(days=i) for i in range(7)]
    assert calendar.week_days(date(2026, 11, 23))[0] == date(2026, 11, 23)
    assert calendar.week_days(date(2026, 11, 29))[-1] == date(2026, 11, 29)


def test_the_month_page_shows_the_grid_in_chinese_with_the_tasks_due_that_month(people):
    wang = people["wang"]
    svc.task_create(actor=wang, title="十月底", due_at=local(2026, 10, 26, 9, 0))  # first cell of the grid
    svc.task_create(actor=wang, title="月中", due_at=local(2026, 11, 15, 14, 30))
    svc.task_create(actor=wang, title="十二月", due_at=local(2026, 12, 6, 23, 59))  # last cell
    svc.task_create(actor=wang, title="太早", due_at=local(2026, 10, 25, 23, 59))
    svc.task_create(actor=wang, title="太晚", due_at=local(2026, 12, 7, 0, 0))
    svc.task_create(actor=wang, title="没有截止")
    response = login(wang).get("/tasks/calendar/?view=month&date=2026-11-15")
    assert response.status_code == 200
    ctx = response.context
    assert (ctx["first"], ctx["last"], len(ctx["weeks"])) == (date(2026, 10, 26), date(2026, 12, 6), 6)
    assert [str(d) for d in ctx["weekdays"]] == ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
    cells = [c for w in ctx["weeks"] for c in w]
    assert [c.date for c in cells if not c.in_month] == [date(2026, 10, 26) + timedelta(days=i) for i in range(6)] + [
        date(2026, 12, 1) + timedelta(days=i) for i in range(6)
    ]
    assert titles(response) == ["十月底", "月中", "十二月"]
    by_day = {c.date: [e.title for e in c.entries] for c in cells if c.entries}
    assert by_day == {date(2026, 10, 26): ["十月底"], date(2026, 11, 15): ["月中"], date(2026, 12, 6): ["十二月"]}
    html = response.content.decode()
    assert "2026年11月" in html
    assert '<time class="xt-cal-time" datetime="2026-11-15T14:30:00+08:00">14:30</time>' in html


def test_today_is_highlighted_once(people):
    html = login(people["wang"]).get("/tasks/calendar/").content.decode()
    assert html.count('aria-current="date"') == 1
    today = timezone.localdate()
    assert f'href="/tasks/new/?due={today:%Y-%m-%d}"' in html


def test_the_week_page_places_tasks_by_day_with_their_time(people):
    wang = people["wang"]
    svc.task_create(actor=wang, title="周一早会", due_at=local(2026, 11, 23, 9, 0))
    svc.task_create(actor=wang, title="周六交付", due_at=local(2026, 11, 28, 17, 45))
    svc.task_create(actor=wang, title="周六上午", due_at=local(2026, 11, 28, 10, 0))
    svc.task_create(actor=wang, title="下周一", due_at=local(2026, 11, 30, 0, 0))
    response = login(wang).get("/tasks/calendar/?view=week&date=2026-11-28")
    ctx = response.context
    assert (ctx["first"], ctx["last"], len(ctx["weeks"])) == (date(2026, 11, 23), date(2026, 11, 29), 1)
    days = {
        c.date: [(timezone.localtime(e.start).strftime("%H:%M"), e.title) for e in c.entries] for c in ctx["weeks"][0]
    }
    assert days[date(2026, 11, 23)] == [("09:00", "周一早会")]
    assert days[date(2026, 11, 28)] == [("10:00", "周六上午"), ("17:45", "周六交付")]
    assert sum(len(v) for v in days.values()) == 3
    assert ctx["prev_url"] == "/tasks/calendar/?view=week&date=2026-11-21&scope=mine"
    assert ctx["next_url"] == "/tasks/calendar/?view=week&date=2026-12-05&scope=mine"


def test_month_navigation_goes_to_the_first_of_the_neighbouring_months(people):
    ctx = login(people["wang"]).get("/tasks/calendar/?view=month&date=2026-01-31").context
    assert ctx["prev_url"] == "/tasks/calendar/?view=month&date=2025-12-01&scope=mine"
    assert ctx["next_url"] == "/tasks/calendar/?view=month&date=2026-02-01&scope=mine"


def test_a_full_day_shows_four_and_links_the_rest_to_its_week(people):
    for i in range(6):
        svc.task_create(actor=people["wang"], title=f"第{i}件", due_at=local(2026, 11, 10, 9, i))
    response = login(people["wang"]).get("/tasks/calendar/?date=2026-11-10")
    cell = next(c for w in response.context["weeks"] for c in w if c.date == date(2026, 11, 10))
    assert ([e.title for e in cell.shown], cell.more) == (["第0件", "第1件", "第2件", "第3件"], 2)
    assert 'href="/tasks/calendar/?view=week&amp;date=2026-11-10&amp;scope=mine"' in response.content.decode()


# --- who sees what ----------------------------------------------------------------------------------


def test_scopes_follow_the_task_list_and_only_visible_tasks_ever_appear(people):
    p = people
    due = local(2026, 11, 20, 10, 0)
    svc.task_create(actor=p["li"], title="给王芳的", assignee=p["wang"], due_at=due)  # assigned to her
    svc.task_create(actor=p["li"], title="她协作的", assignee=p["li"], collaborators=[p["wang"]], due_at=due)
    svc.task_create(actor=p["wang"], title="她派出的", assignee=p["zhao"], due_at=due)  # created by her
    svc.task_create(actor=p["boss"], title="经理给赵六的", assignee=p["zhao"], due_at=due)  # Pudong: not her team
    svc.task_create(actor=p["boss"], title="经理自己的", due_at=due)  # 张经理 is in her team (Shanghai)
    svc.task_create(actor=p["outsider"], title="外部机密", due_at=due)  # BU2, private
    client = login(p["wang"])

    def scope(code):
        return sorted(titles(client.get(f"/tasks/calendar/?date=2026-11-20&scope={code}")))

    assert scope("mine") == ["她协作的", "给王芳的"]
    assert scope("created") == ["她派出的"]
    assert scope("team") == ["经理自己的", "给王芳的"]  # assignees in Shanghai, where she is a member
    assert scope("all") == ["她协作的", "她派出的", "经理自己的", "给王芳的"]  # Task.objects.visible_to(her)
    assert scope("nonsense") == scope("mine")
    assert sorted(Task.objects.visible_to(p["wang"]).values_list("title", flat=True)) == scope("all")
    boss = login(p["boss"])
    assert "外部机密" not in boss.get("/tasks/calendar/?date=2026-11-20&scope=all").content.decode()
    for user in ("wang", "boss", "li", "zhao"):
        for url in (
            "/tasks/calendar/?date=2026-11-20&scope=all",
            "/tasks/calendar/?date=2026-11-20&view=week&scope=team",
            "/tasks/calendar.ics?scope=all&start=2026-11-01&end=2026-11-30",
            "/api/v1/calendar.ics?scope=all&start=2026-11-01&end=2026-11-30",
        ):
            assert "外部机密" not in login(p[user]).get(url).content.decode(), (user, url)


def test_done_and_cancelled_tasks_are_struck_through_and_overdue_ones_marked(people):
    wang = people["wang"]
    done = svc.task_create(actor=wang, title="已办完", due_at=local(2026, 11, 3, 9, 0))
    svc.task_set_status(actor=wang, task=done, status="done")
    cancelled = svc.task_create(actor=wang, title="不做了", due_at=local(2026, 11, 4, 9, 0))
    svc.task_set_status(actor=wang, task=cancelled, status="cancelled")
    svc.task_create(actor=wang, title="还开着", due_at=local(2026, 11, 5, 9, 0))
    html = login(wang).get("/tasks/calendar/?date=2026-11-05").content.decode()
    assert f'class="xt-cal-entry xt-cal-task xt-cal-priority-normal xt-cal-finished" href="/tasks/{done.pk}/"' in html
    assert (
        f'class="xt-cal-entry xt-cal-task xt-cal-priority-normal xt-cal-finished" href="/tasks/{cancelled.pk}/"' in html
    )
    assert 'xt-cal-overdue" href="/tasks/' in html  # 2026-11-05 is before now (these tests run later)
    assert '<span class="visually-hidden"> (已完成)</span>' in html
    assert '<span class="visually-hidden"> (已取消)</span>' in html


# --- htmx, new task from a day ---------------------------------------------------------------------


def test_navigation_with_htmx_answers_only_the_calendar(people):
    svc.task_create(actor=people["wang"], title="十二月的", due_at=local(2026, 12, 2, 9, 0))
    response = login(people["wang"]).get("/tasks/calendar/?view=month&date=2026-12-01", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "xt-cal-toolbar" in html and "十二月的" in html
    assert "2026年12月" in html
    assert "HX-Request" in response["Vary"]
    full = login(people["wang"]).get("/tasks/calendar/?view=month&date=2026-12-01").content.decode()
    assert 'id="xt-calendar" hx-target="#xt-calendar" hx-push-url="true"' in full


def test_an_empty_day_offers_a_new_task_due_that_day(people):
    client = login(people["wang"])
    html = client.get("/tasks/calendar/?date=2026-11-15").content.decode()
    assert 'href="/tasks/new/?due=2026-11-18"' in html
    form = client.get("/tasks/new/?due=2026-11-18").content.decode()
    assert 'name="due_at" value="2026-11-18T18:00"' in form
    form = client.get("/tasks/new/?due=2026-11-18T09:30").content.decode()
    assert 'name="due_at" value="2026-11-18T09:30"' in form
    assert 'name="due_at" value=' not in client.get("/tasks/new/?due=nonsense").content.decode()


def test_the_task_list_links_to_the_calendar(people):
    html = login(people["wang"]).get("/tasks/").content.decode()
    assert 'href="/tasks/calendar/"' in html


def test_the_calendar_takes_a_fixed_number_of_queries(people):
    wang = people["wang"]
    svc.task_create(actor=wang, title="一", assignee=people["li"], due_at=local(2026, 11, 2, 9, 0))
    client = login(wang)
    counter = iter(range(100))

    def add():
        for day in (3, 9, 16, 30):
            svc.task_create(
                actor=people["li"],
                title=f"加{next(counter)}",
                assignee=wang,
                collaborators=[people["zhao"]],
                due_at=local(2026, 11, day, 10, 0),
            )

    # 5 today: session, user, roles, teams, tasks (one query for every task of the grid)
    for url in ("/tasks/calendar/?date=2026-11-15&scope=all", "/tasks/calendar/?view=week&date=2026-11-16"):
        assert_queries_constant(lambda url=url: client.get(url), add, max_queries=8)
    assert_queries_constant(
        lambda: client.get("/tasks/calendar.ics?scope=all&start=2026-11-01&end=2026-11-30"), add, max_queries=6
    )


# --- iCalendar ----------------------------------------------------------------------------------


def parse(response) -> dict[str, dict[str, object]]:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    return {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}


def test_the_ics_export_parses_back_with_stable_uids_utc_times_and_escaped_text(people):
    wang = people["wang"]
    tricky = svc.task_create(
        actor=wang,
        title="备货, 发货; 第一行\r\n第二行",
        description="数量: 10; 价格, 含税\n见附件",
        due_at=local(2026, 11, 20, 14, 30),
        priority="urgent",
    )
    done = svc.task_create(actor=wang, title="已完成的", due_at=local(2026, 11, 21, 9, 0))
    svc.task_set_status(actor=wang, task=done, status="done")
    cancelled = svc.task_create(actor=wang, title="取消的", due_at=local(2026, 11, 22, 9, 0))
    svc.task_set_status(actor=wang, task=cancelled, status="cancelled")
    response = login(wang).get("/tasks/calendar.ics?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    raw = response.content.decode()
    assert "SUMMARY:备货\\, 发货\\; 第一行\\n第二行\r\n" in raw  # escaped by the library: no injected line
    assert "\r\n第二行" not in raw
    events = parse(response)
    assert sorted(events) == sorted(f"task-{t.pk}@xietong.example.com" for t in (tricky, done, cancelled))
    ev = events[f"task-{tricky.pk}@xietong.example.com"]
    assert str(ev["SUMMARY"]) == "备货, 发货; 第一行\n第二行"
    assert ev["DTSTART"].dt == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    assert "DTSTART:20261120T063000Z" in raw
    assert str(ev["DESCRIPTION"]) == "数量: 10; 价格, 含税\n见附件\n\n负责人: 王芳 · 状态: 待处理"
    assert str(ev["URL"]) == f"https://xietong.example.com/tasks/{tricky.pk}/"
    assert str(ev["STATUS"]) == "CONFIRMED"
    tricky.refresh_from_db()
    assert ev["DTSTAMP"].dt == tricky.updated_at.replace(microsecond=0)  # last revised (RFC 5545, no METHOD)
    assert str(events[f"task-{done.pk}@xietong.example.com"]["SUMMARY"]) == "✓ 已完成的"
    assert str(events[f"task-{cancelled.pk}@xietong.example.com"]["STATUS"]) == "CANCELLED"
    again = parse(login(wang).get("/tasks/calendar.ics?start=2026-11-01&end=2026-11-30"))
    assert sorted(again) == sorted(events)  # the same UIDs on every export


def test_the_default_export_range_is_30_days_back_and_180_ahead(people):
    wang = people["wang"]
    today = timezone.localdate()

    def due(days):
        return svc.task_create(actor=wang, title=f"d{days}", due_at=day_start(today + timedelta(days=days)))

    inside = [due(-30), due(0), due(180)]
    outside = [due(-31), due(181)]
    events = parse(login(wang).get("/tasks/calendar.ics"))
    assert sorted(events) == sorted(f"task-{t.pk}@xietong.example.com" for t in inside)
    assert all(f"task-{t.pk}@xietong.example.com" not in events for t in outside)


def test_the_api_export_takes_a_token_and_answers_bad_input_with_422(people):
    wang = people["wang"]
    task = svc.task_create(actor=wang, title="接口导出", due_at=local(2026, 11, 20, 9, 0))
    _token, raw = org_services.token_create(actor=wang, name="日历")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    events = parse(client.get("/api/v1/calendar.ics?start=2026-11-01&end=2026-11-30"))
    assert list(events) == [f"task-{task.pk}@xietong.example.com"]
    assert str(events[f"task-{task.pk}@xietong.example.com"]["DESCRIPTION"]) == "负责人: 王芳 · 状态: 待处理"
    wang.language = "en"
    wang.save()
    events = parse(client.get("/api/v1/calendar.ics?start=2026-11-01&end=2026-11-30"))
    assert str(events[f"task-{task.pk}@xietong.example.com"]["DESCRIPTION"]) == "Assignee: 王芳 · Status: Open"
    assert Client().get("/api/v1/calendar.ics").status_code == 401
    bad = client.get("/api/v1/calendar.ics?start=2026-13-01")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "start"
    assert client.get("/api/v1/calendar.ics?start=2026-11-30&end=2026-11-01").status_code == 422
    assert client.get("/api/v1/calendar.ics?start=2020-01-01&end=2026-11-01").status_code == 422
    assert login(wang).get("/tasks/calendar.ics?start=nope").status_code == 400
    assert Client().get("/tasks/calendar.ics").status_code == 302  # the page export needs a login
