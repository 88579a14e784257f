"""Exploratory findings on the approval pages as an administrator and approvers use them (zh UI)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import login
from tests.support.factories import grant, make_role
from xietong.core.choices import DataScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_admin(org: dict[str, Any], people: dict[str, Any]) -> Any:
    user = people["director"]
    grant(user, make_role("approval_admin", {"approvals": (DataScope.BUSINESS_UNIT, {"view", "administer"})}))
    return user


def _fieldset(html: str, n: int) -> str:
    """The HTML of the flow form's n-th step row (1-based)."""
    parts = html.split('<fieldset class="border rounded p-2 mb-2 flow-step')
    return parts[n] if len(parts) > n else ""


# --- the flow form ------------------------------------------------------------------------------------------


def test_operators_read_in_chinese(org: dict[str, Any], people: dict[str, Any], flow_admin: Any) -> None:
    """The operator select offered "contains" and "in" in English in the zh UI."""
    html = login(flow_admin).get("/approvals/flows/new/sample_deal/").content.decode()
    labels = set(re.findall(r'<option value="(?:contains|in)"[^>]*>([^<]*)</option>', html))
    assert labels, "the operator select offers contains and in"
    assert not labels & {"contains", "in"}


# --- deciding ------------------------------------------------------------------------------------------------
