"""People of the order tests: a sales rep of BU1 (owner of the contracts), their manager, an
operations clerk in BU1's operations team (its manager too), an operations clerk of BU2's operations
team, a finance user of BU1 and a rep of BU2."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.factories import TeamFactory, UserFactory, grant, manage
from xietong.org.defaults import ensure_default_roles


@pytest.fixture
def people(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()
    ops_team = TeamFactory(business_unit=org["bu1"], name="华东运营部", team_type="operations")
    ops_team2 = TeamFactory(business_unit=org["bu2"], name="医疗运营部", team_type="operations")

    def person(username: str, name: str, team: Any, role: str, bu: Any = None) -> Any:
        user = UserFactory(username=username, display_name=name, primary_team=team)
        grant(user, roles[role], bu)
        return user

    manager = person("manager", "钱经理", org["east"], "sales_manager")
    manage(manager, org["east"])
    ops_lead = person("opslead", "吴主管", ops_team, "operations", org["bu1"])
    manage(ops_lead, ops_team)
    return SimpleNamespace(
        org=org,
        ops_team=ops_team,
        ops_team2=ops_team2,
        rep=person("rep", "王销售", org["pudong"], "sales_rep"),
        rep2=person("rep2", "李销售", org["shanghai"], "sales_rep"),
        manager=manager,
        ops=person("ops", "郑运营", ops_team, "operations", org["bu1"]),
        ops_lead=ops_lead,
        ops2=person("ops2", "冯运营", ops_team2, "operations", org["bu2"]),
        finance=person("finance", "陈财务", org["east"], "finance", org["bu1"]),
        outsider=person("outsider", "周外部", org["north"], "sales_rep"),
    )


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The approval engine stood in for: submitting records the order and leaves it in review."""
    from xietong.orders import services

    submitted: list[Any] = []
    monkeypatch.setattr(services, "submit_for_credit_review", lambda *, order, actor: submitted.append(order.pk))
    return submitted
