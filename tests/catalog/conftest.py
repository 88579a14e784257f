"""Fixtures of the catalogue tests: BU1 people with the built-in roles (a BU head, a sales manager, a
sales rep), a catalogue administrator of the whole group, a BU2 rep, a small category tree and a
product in each place (BU1, BU2, the whole group)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.factories import UserFactory, grant, make_role
from tests.support.pipeline import ProductFactory
from xietong.catalog import services
from xietong.core.choices import DataScope
from xietong.org.defaults import ensure_default_roles

ALL = {"view", "create", "edit", "delete", "export", "administer"}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    """Uploaded product images go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def roles(db: Any) -> dict[str, Any]:
    return ensure_default_roles()


def _person(username: str, name: str, team: Any, role: Any) -> Any:
    user = UserFactory(username=username, display_name=name, primary_team=team)
    grant(user, role)
    return user


@pytest.fixture
def head(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """BU1's head: the catalogue of BU1 (view, create, edit, delete, export)."""
    return _person("head", "赵总", org["east"], roles["bu_head"])


@pytest.fixture
def manager(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """Reads and exports BU1's catalogue and the whole group's products."""
    return _person("manager", "周经理", org["shanghai"], roles["sales_manager"])


@pytest.fixture
def rep(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """Reads BU1's catalogue and the whole group's products."""
    return _person("rep", "王销售", org["shanghai"], roles["sales_rep"])


@pytest.fixture
def reader(org: dict[str, Any]) -> Any:
    """Reads and exports every BU's products (a custom role with the group scope, no changes)."""
    role = make_role("catalog-reader", {"catalog": (DataScope.GROUP, {"view", "export"})}, name="产品目录查看")
    return _person("reader", "吴查看", org["shanghai"], role)


@pytest.fixture
def outsider_head(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """BU2's head."""
    return _person("north_head", "钱总", org["north"], roles["bu_head"])


@pytest.fixture
def curator(org: dict[str, Any]) -> Any:
    """The whole group's catalogue administrator (every action, group scope)."""
    role = make_role("catalog-admin", {"catalog": (DataScope.GROUP, ALL)}, name="产品目录管理员")
    return _person("curator", "孙目录", org["supply"], role)


@pytest.fixture
def tree(curator: Any) -> dict[str, Any]:
    """机床 → 数控机床 → 五轴; 机床 → 普通机床; 耗材."""
    machines = services.category_create(actor=curator, name="机床")
    cnc = services.category_create(actor=curator, name="数控机床", parent=machines)
    five = services.category_create(actor=curator, name="五轴", parent=cnc)
    plain = services.category_create(actor=curator, name="普通机床", parent=machines, position=1)
    supplies = services.category_create(actor=curator, name="耗材")
    return {"machines": machines, "cnc": cnc, "five": five, "plain": plain, "supplies": supplies}


@pytest.fixture
def products(org: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "bu1": ProductFactory(
            code="IND-001",
            name="五轴加工中心",
            specification="VMC-850",
            list_price=Decimal("1280000.00"),
            cost=Decimal("900000.00"),
            product_line="加工中心",
            category=tree["five"],
            business_unit=org["bu1"],
        ),
        "bu2": ProductFactory(
            code="MED-001",
            name="监护仪",
            specification="M-12",
            list_price=Decimal("36000.00"),
            cost=Decimal("20000.00"),
            product_line="监护",
            business_unit=org["bu2"],
        ),
        "group": ProductFactory(
            code="GRP-001",
            name="切削液",
            specification="20L",
            unit="桶",
            list_price=Decimal("680.50"),
            cost=Decimal("300.00"),
            product_line="耗材",
            category=tree["supplies"],
            business_unit=None,
        ),
    }
