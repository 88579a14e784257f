"""Fixtures of the imports tests: people of BU1 and BU2 with the default sales roles, the imports
storage in a temporary directory, and helpers that write test files."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.support.factories import UserFactory, grant
from xietong.org.defaults import ensure_default_roles


@pytest.fixture(autouse=True)
def imports_root(settings: Any, tmp_path: Any) -> Any:
    settings.IMPORTS_ROOT = tmp_path / "imports"
    return settings.IMPORTS_ROOT


@pytest.fixture
def roles(db: Any) -> dict[str, Any]:
    return ensure_default_roles()


@pytest.fixture
def rep(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """A sales rep of BU1 (scope: self)."""
    user = UserFactory(username="rep", display_name="王销售", primary_team=org["shanghai"])
    grant(user, roles["sales_rep"])
    return user


@pytest.fixture
def colleague(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """Another sales rep of BU1, in the same team."""
    user = UserFactory(username="colleague", display_name="李同事", primary_team=org["shanghai"])
    grant(user, roles["sales_rep"])
    return user


@pytest.fixture
def head(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """The head of BU1 (scope: the business unit)."""
    user = UserFactory(username="head", display_name="赵总", primary_team=org["east"])
    grant(user, roles["bu_head"])
    return user


@pytest.fixture
def outsider(org: dict[str, Any], roles: dict[str, Any]) -> Any:
    """A sales rep of BU2."""
    user = UserFactory(username="bu2rep", display_name="孙外部", primary_team=org["north"])
    grant(user, roles["sales_rep"])
    return user


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
