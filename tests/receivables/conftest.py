"""People of the money tests, with the built-in roles: a rep of BU1 (owner of the contracts), a
second rep, their manager, finance of BU1 and a rep of BU2; and a signed contract of ¥113,000.00."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import money
from tests.support.factories import UserFactory, grant, manage
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
        finance=person("finance", "孙财务", "east", "finance", org["bu1"]),
        outsider=person("outsider", "周外部", "north", "sales_rep"),
    )


@pytest.fixture
def contract(people: SimpleNamespace) -> Any:
    """A signed contract of ``rep``: 2 × 50,000.00 + 13 % VAT = 113,000.00."""
    return money.contract(people.rep)
