from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.support.factories import (
    DEFAULT_PASSWORD,
    BusinessUnitFactory,
    TeamFactory,
    UserFactory,
    admin_role,
    grant,
)


@pytest.fixture(autouse=True)
def _no_login_lockout_between_tests(settings: Any) -> None:
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _default_language_in_each_test() -> Iterator[None]:
    """Each test starts in the default language. A request through the test client runs in the
    test's thread, and the middleware leaves the language it activated (an English-speaking user's
    "en") active after the response; the next test in that process would read English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def org(db: Any) -> dict[str, Any]:
    """A small group: two BUs; in BU1 a tree 华东 → 上海 → 浦东 and a supply team; in BU2 one team."""
    bu1 = BusinessUnitFactory(code="ind", name="工业设备事业部")
    bu2 = BusinessUnitFactory(code="med", name="医疗器械事业部")
    east = TeamFactory(business_unit=bu1, name="华东销售部")
    shanghai = TeamFactory(parent=east, name="上海销售组")
    pudong = TeamFactory(parent=shanghai, name="浦东小组")
    supply = TeamFactory(business_unit=bu1, name="供应计划组", team_type="supply")
    north = TeamFactory(business_unit=bu2, name="华北销售部")
    return {
        "bu1": bu1,
        "bu2": bu2,
        "east": east,
        "shanghai": shanghai,
        "pudong": pudong,
        "supply": supply,
        "north": north,
    }


@pytest.fixture
def admin(org: dict[str, Any]) -> Any:
    user = UserFactory(username="admin", display_name="管理员", primary_team=None)
    grant(user, admin_role())
    return user


@pytest.fixture
def admin_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def attachment_storage(settings: Any, tmp_path: Any) -> Any:
    """Attachments stored in a temporary directory (the same backend as by default, another place)."""
    from xietong.collaboration.models import attachment_storage as storage

    location = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    storage.reset()
    yield location
    storage.reset()
