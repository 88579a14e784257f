"""Fixtures of the leads tests: BU1 people with the built-in roles (two reps in 上海销售组, one in 浦东小组,
the manager of 上海销售组, the BU head), a BU2 rep, and BU1's default lead pool open to 华东销售部."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.crm import LeadPoolFactory
from tests.support.factories import UserFactory, grant, manage
from xietong.org.defaults import ensure_default_roles


@pytest.fixture
def roles(db: Any) -> dict[str, Any]:
    return ensure_default_roles()


def _person(username: str, name: str, team: Any, role: Any) -> Any:
    user = UserFactory(username=username, display_name=name, primary_team=team)
    grant(user, role)
    return user


@pytest.fixture
def rep(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    return _person("rep", "王销售", org["shanghai"], roles["sales_rep"])


@pytest.fixture
def rep2(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    return _person("rep2", "李销售", org["shanghai"], roles["sales_rep"])


@pytest.fixture
def rep3(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    return _person("rep3", "张销售", org["pudong"], roles["sales_rep"])


@pytest.fixture
def manager(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    user = _person("manager", "周经理", org["shanghai"], roles["sales_manager"])
    manage(user, org["shanghai"])
    return user


@pytest.fixture
def head(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    return _person("head", "赵总", org["east"], roles["bu_head"])


@pytest.fixture
def outsider(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """A sales rep of BU2."""
    return _person("outsider", "外人", org["north"], roles["sales_rep"])


@pytest.fixture
def pool(org: dict[str, Any]) -> Any:
    """BU1's default lead pool; members: the 华东销售部 team tree's own members (the team itself)."""
    found = LeadPoolFactory(business_unit=org["bu1"], name="华东线索池", is_default=True)
    found.member_teams.add(org["shanghai"])
    return found


LEAD = {"company": "上海测试机械有限公司", "contact_name": "陈先生", "mobile": "13800138000", "province": "上海市"}
