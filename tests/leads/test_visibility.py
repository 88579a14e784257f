"""The same rule on every path: lists, the pool page, the API, the export, search and counts never show
a lead of another business unit, nor a colleague's lead to a rep."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import login
from tests.support.crm import LeadFactory, LeadPoolFactory
from xietong.core.visibility import explain
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db

PATHS = [
    "/leads/?view=all",
    "/leads/?view=team",
    "/leads/pool/",
    "/api/v1/leads",
    "/api/v1/leads?view=pool",
    "/api/v1/lead-pools",
    "/search/?q=秘密",
    "/",
]


def test_no_path_shows_a_lead_outside_the_scope(org, rep, manager, head, outsider, pool):
    north_pool = LeadPoolFactory(business_unit=org["bu2"], name="华北秘密线索池")
    north_pool.member_teams.add(org["north"])
    LeadFactory(owner=outsider, company="秘密外部公司")
    LeadFactory(pool=north_pool, company="秘密池中公司")
    for user in (rep, manager, head):
        client = login(user)
        for path in PATHS:
            body = client.get(path).content.decode()
            assert "秘密外部公司" not in body and "秘密池中公司" not in body and "华北秘密线索池" not in body, (
                f"{user}: {path}"
            )


def test_the_export_holds_only_what_the_user_may_export(org, manager, rep, outsider):
    LeadFactory(owner=rep, company="本组线索")
    LeadFactory(owner=outsider, company="外部线索")
    response = login(manager).get("/leads/export.xlsx?view=all")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["本组线索"]


def test_why_names_each_rule_that_grants_access(rep, pool):
    waiting = LeadFactory(pool=pool)
    mine = LeadFactory(owner=rep)
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("en"):
        assert explain(rep, waiting) == [gettext("Member of the lead pool")]
        assert len(explain(rep, mine)) == 1  # the role's scope "self"


def test_a_pool_administrator_may_change_the_leads_waiting_in_it_but_a_member_may_not(rep, rep2, pool):
    pool.admins.add(rep2)
    waiting = LeadFactory(pool=pool)
    assert not Lead.objects.visible_to(rep, "edit").filter(pk=waiting.pk).exists()
    assert Lead.objects.visible_to(rep2, "edit").filter(pk=waiting.pk).exists()
