"""Demo collaboration in the demo group (org/demo.py runs this step after the people exist): the
industrial BU's head sets up a cross-department project group (sales, supply, production) where they
coordinate — comments with @mentions of a person and a team, a reply, tasks across departments (one
overdue, some due today), follows — so that My day, the feed, the bell and the record pages show
real work on first login.

Written through the services (audited, notifications delivered after the commit). Idempotent: when
the first demo comment exists, nothing is done.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from xietong.org import services as org_services
from xietong.org.choices import TeamType
from xietong.org.demo import register_demo_step
from xietong.org.models import Team, User

from . import comments, follows, registry, tasks_services

FIRST = "华东区下月预计新增 3 台数控机床订单"
PROJECT = "华东数控机床项目组"


def _today_at(hour: int, days: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def load(created: Counter[str]) -> None:
    people = {u.username: u for u in User.objects.filter(username__in=_NAMES)}
    if len(people) < len(_NAMES) or Team.objects.filter(name=PROJECT).exists():
        return  # not the demo group (e.g. a test's own data), or done already
    head = people["dong.jie"]
    director, planner, rep = people["ding.yuhang"], people["xu.gang"], people["sun.yan"]
    production, finance = people["sun.jing"], people["ye.peng"]
    project = org_services.team_create(
        actor=head, business_unit=head.business_unit, name=PROJECT, team_type=TeamType.SALES
    )
    created["teams"] += 1
    for member in (director, planner, rep, production):
        org_services.user_set_teams(actor=head, user=member, teams=[project])
        follows.follow(actor=member, record=project)
        created["memberships"] += 1
        created["follows"] += 1
    first = comments.comment_create(
        actor=director,
        record=project,
        body=f"{FIRST}，@xu.gang 请评估 **交期** 和主轴库存，周五前给个结论。",
    )
    comments.comment_create(
        actor=planner,
        record=project,
        parent=first,
        body="收到。主轴现货 2 套，补货周期 4 周；@ding.yuhang 请先确认型号清单，@sun.jing 看一下产线排期。",
    )
    comments.comment_create(
        actor=rep,
        record=project,
        body="客户希望 12 月中旬到货，@供应计划部 能否提前锁定两套主轴？\n\n- 型号：VMC-850\n- 数量：3 台",
    )
    created["comments"] += 3
    tasks: list[dict[str, Any]] = [
        {"actor": director, "assignee": planner, "title": "评估华东区下月数控机床备货", "due_at": _today_at(17)},
        {"actor": planner, "assignee": director, "title": "确认 VMC-850 型号清单", "due_at": _today_at(12, -1)},
        {"actor": planner, "assignee": production, "title": "核对 12 月产线排期", "due_at": _today_at(18, 2)},
        {"actor": rep, "assignee": rep, "title": "回访客户：确认到货时间", "due_at": _today_at(16)},
        {"actor": head, "assignee": finance, "title": "核对华东区本月回款计划", "due_at": _today_at(10, 3)},
    ]
    for spec in tasks:
        tasks_services.task_create(
            actor=spec["actor"],
            title=spec["title"],
            assignee=spec["assignee"],
            due_at=spec["due_at"],
            priority="high" if spec["assignee"] == director else "normal",
            record_key=registry.record_key(project) if spec["actor"] != head else "",
        )
    created["tasks"] += len(tasks)


_NAMES = ("ding.yuhang", "xu.gang", "sun.yan", "sun.jing", "ye.peng", "dong.jie")

register_demo_step(load)
