"""People of the pipeline tests, with the built-in roles: two reps of BU1's sales tree, their
manager, the BU head, a supply planner of BU1, a rep of BU2; and BU1's standard process."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.crm import owned
from tests.support.factories import UserFactory, grant, manage
from tests.support.pipeline import standard_process
from xietong.org.defaults import ensure_default_roles


@pytest.fixture
def people(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()

    def person(username: str, name: str, team: str, role: str, bu: Any = None) -> Any:
        user = UserFactory(username=username, display_name=name, primary_team=org[team])
        grant(user, roles[role], bu)
        return user

    manager = person("manager", "钱经理", "east", "sales_manager")
    manage(manager, org["east"])
    return SimpleNamespace(
        org=org,
        rep=person("rep", "王销售", "pudong", "sales_rep"),
        rep2=person("rep2", "李销售", "shanghai", "sales_rep"),
        manager=manager,
        head=person("head", "赵总", "east", "bu_head", org["bu1"]),
        supply=person("supply", "孙计划", "supply", "supply_planner"),
        outsider=person("outsider", "周外部", "north", "sales_rep"),
    )


@pytest.fixture
def process(org: dict[str, Any]) -> Any:
    return standard_process(org["bu1"])


@pytest.fixture
def customer_of(people: SimpleNamespace) -> Any:
    """``customer_of(user)`` → a customer ``user`` owns in their BU."""
    return lambda user: owned(owner=user).customer
