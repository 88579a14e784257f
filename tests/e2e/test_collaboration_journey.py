"""Two people in different departments coordinate on a team record: a mention arrives in the
other's bell without a reload, they open it, reply, and follow the record."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.conftest import log_in, open_page, shot
from xietong.collaboration.models import Comment, Follow, Notification, Task
from xietong.org.models import Team, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_mention_reaches_the_other_department_and_they_answer(live_server, browser, page):
    call_command("demo_data", "--no-logins", verbosity=0)
    base = live_server.url
    # 丁宇航 (sales director, 工业设备事业部) and 许刚 (supply planner of the same BU)
    sales = User.objects.get(username="ding.yuhang")
    planner = User.objects.get(username="xu.gang")
    team = Team.objects.get(pk=planner.primary_team_id)  # the supply planning team
    # the demo's own collaboration already told the planner things: start from a read inbox
    Notification.objects.filter(recipient=planner).update(read_at=timezone.now())

    log_in(page, base, "dong.jie", "demo12345")  # the BU head sees every team of the BU
    page.goto(f"{base}/org/teams/{team.pk}/")
    page.fill("textarea[name=body]", f"@{planner.username} 下月数控机床的需求会增加 **30%**，请评估产能。")
    page.locator("form:has(textarea[name=body]) button[type=submit]").first.click()
    page.locator(".xt-comment-body").first.wait_for()
    assert "下月数控机床的需求会增加" in page.locator(".xt-comment-body").first.inner_text()
    shot(page, "11-team-comment")

    other = open_page(browser)
    log_in(other, base, planner.username, "demo12345")
    other.locator("#xt-bell .xt-bell-count").wait_for()
    assert other.locator("#xt-bell .xt-bell-count").inner_text().strip() == "1"
    note = Notification.objects.get(recipient=planner, read_at__isnull=True)
    assert note.kind == "mentioned"
    other.goto(f"{base}/notifications/{note.pk}/open/")
    other.wait_for_url(re.compile(rf"/org/teams/{team.pk}/$"))
    other.locator("details.xt-comment-reply summary").first.click()
    other.locator("details.xt-comment-reply textarea").first.fill("收到，周五前给出产能评估。")
    other.locator("details.xt-comment-reply button[type=submit]").first.click()
    # the reply shows in the comments (and, once the timeline reloads itself, there too)
    other.locator("[id^=xt-comments-]").get_by_text("收到，周五前给出产能评估。").wait_for()
    other.locator("#xt-follow-panel button[type=submit]").click()
    other.locator("#xt-follow-panel").get_by_text("许刚").wait_for()
    shot(other, "12-team-reply-and-follow")
    assert Comment.objects.filter(parent__isnull=False, author=planner, object_id=str(team.pk)).count() == 1
    assert Follow.objects.filter(user=planner, object_id=str(team.pk)).count() == 1

    # the planner turns it into a task for the sales director, linked to the team record
    other.goto(f"{base}/tasks/new/?record=org.team:{team.pk}")
    other.fill("input[name=title]", "确认下月数控机床需求数量")
    other.select_option("select[name=assignee]", str(sales.pk))
    other.locator("main form button[type=submit]").last.click()
    other.wait_for_url(re.compile(r"/tasks/\d+/$"))
    task = Task.objects.get(title="确认下月数控机床需求数量")
    assert (task.assignee, task.creator, task.object_id) == (sales, planner, str(team.pk))

    director = open_page(browser)
    log_in(director, base, sales.username, "demo12345")
    # My day: the new task is there, next to the demo's overdue one and the project group's activity
    director.goto(f"{base}/")
    tasks_card = director.locator("#myday-tasks")
    tasks_card.get_by_text("确认 VMC-850 型号清单").wait_for()
    assert "确认下月数控机床需求数量" not in tasks_card.inner_text()  # no due date: not today's work
    director.locator("#myday-following").get_by_text("华东数控机床项目组").first.wait_for()
    shot(director, "13a-my-day")
    director.goto(f"{base}/tasks/")
    assert "确认下月数控机床需求数量" in director.locator("main").inner_text()
    director.goto(f"{base}/tasks/{task.pk}/")
    director.locator("button[name=status][value=done]").click()
    director.locator("#task-status").get_by_text("已完成").wait_for()
    shot(director, "13-task-done")
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None
