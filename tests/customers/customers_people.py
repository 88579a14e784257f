"""The people of the customer, contact and follow-up tests: reps and a manager in BU1, a rep in BU2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.factories import UserFactory, grant, manage
from xietong.org.defaults import ensure_default_roles


@dataclass
class People:
    org: dict[str, Any]
    rep: Any  # 张三, sales rep in 上海销售组 (BU1)
    rep2: Any  # 李雷, sales rep in 浦东小组 (BU1, below 上海)
    manager: Any  # 陈经理, sales manager of 华东销售部 (BU1)
    head: Any  # 钱总, BU head of BU1
    other_bu_rep: Any  # 周七, sales rep in 华北销售部 (BU2)
    roles: dict[str, Any]


def make_people(org: dict[str, Any]) -> People:
    roles = ensure_default_roles()
    rep = UserFactory(username="zhang.san", display_name="张三", primary_team=org["shanghai"])
    rep2 = UserFactory(username="li.lei", display_name="李雷", primary_team=org["pudong"])
    manager = UserFactory(username="chen.jl", display_name="陈经理", primary_team=org["east"])
    head = UserFactory(username="qian.zong", display_name="钱总", primary_team=org["east"])
    other = UserFactory(username="zhou.qi", display_name="周七", primary_team=org["north"])
    for user in (rep, rep2, other):
        grant(user, roles["sales_rep"])
    grant(manager, roles["sales_manager"])
    manage(manager, org["east"])
    grant(head, roles["bu_head"])
    return People(org=org, rep=rep, rep2=rep2, manager=manager, head=head, other_bu_rep=other, roles=roles)


def fresh(user: Any) -> Any:
    """The user with their access computed again (after a grant or a team change)."""
    user.__dict__.pop("access", None)
    return user
