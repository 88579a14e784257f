"""The lead pages: lists (tabs, filters, sort, bulk, export), the form with the duplicate warning, the
lead page and its actions; settings pages; My day, search and follow-up visibility on leads."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from tests.conftest import login
from tests.leads.conftest import LEAD
from tests.support.crm import LeadFactory
from tests.support.queries import assert_queries_constant
from xietong.leads.choices import AssignmentMethod, LeadStatus
from xietong.leads.models import AssignmentRule, Lead, LeadPool

pytestmark = pytest.mark.django_db


# --- lists ------------------------------------------------------------------------------------


def test_my_leads_list_shows_mine_and_the_team_tab_shows_the_teams(rep, rep2, manager):
    mine = LeadFactory(owner=rep, company="我的线索公司")
    LeadFactory(owner=rep2, company="同事线索公司")
    page = login(rep).get("/leads/").content.decode()
    assert "我的线索公司" in page and "同事线索公司" not in page
    team = login(manager).get("/leads/?view=team").content.decode()
    assert "我的线索公司" in team and "同事线索公司" in team
    assert f"/leads/{mine.pk}/" in team


def test_the_list_filters_searches_in_chinese_and_sorts(rep):
    LeadFactory(owner=rep, company="北京华为技术有限公司", province="北京市")
    LeadFactory(owner=rep, company="上海电气集团", province="上海市", status=LeadStatus.QUALIFIED)
    client = login(rep)
    assert "上海电气" not in client.get("/leads/?q=华为").content.decode()
    page = client.get("/leads/?status=qualified").content.decode()
    assert "上海电气集团" in page and "华为" not in page
    ordered = client.get("/leads/?sort=company").content.decode()
    assert ordered.index("上海电气集团") < ordered.index("北京华为技术有限公司")  # by code point: 上 < 北


def test_the_htmx_request_gets_only_the_results(rep):
    LeadFactory(owner=rep)
    response = login(rep).get("/leads/", headers={"HX-Request": "true", "HX-Target": "lead-results"})
    body = response.content.decode()
    assert 'id="lead-count" hx-swap-oob="true"' in body
    assert "<html" not in body


def test_the_list_costs_the_same_number_of_queries_for_more_rows(rep, pool):
    client = login(rep)
    LeadFactory(owner=rep)
    assert_queries_constant(
        lambda: client.get("/leads/?view=mine"),
        lambda: [LeadFactory(owner=rep, tags="|展会|") for _ in range(3)],
    )
    LeadFactory(pool=pool)
    assert_queries_constant(lambda: client.get("/leads/pool/"), lambda: [LeadFactory(pool=pool) for _ in range(3)])


def test_the_pool_page_lists_waiting_leads_with_a_claim_button(rep, pool):
    waiting = LeadFactory(pool=pool, company="池中公司")
    page = login(rep).get("/leads/pool/").content.decode()
    assert "池中公司" in page
    assert f"/leads/{waiting.pk}/claim/" in page


def test_claiming_from_the_page_makes_it_mine(rep, pool):
    waiting = LeadFactory(pool=pool)
    response = login(rep).post(f"/leads/{waiting.pk}/claim/")
    assert response.status_code == 303
    waiting.refresh_from_db()
    assert waiting.owner == rep


def test_the_export_has_the_lists_rows_and_no_formula(rep, rep2):
    LeadFactory(owner=rep, company="=HYPERLINK(1)", contact_name="公式人")
    LeadFactory(owner=rep2, company="别人的公司")
    from tests.support.factories import grant, make_role
    from xietong.core.choices import DataScope

    grant(rep, make_role("lead-export", {"leads": (DataScope.SELF, {"view", "export"})}))
    response = login(rep).get("/leads/export.xlsx?view=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[1]) for r in rows] == [("'=HYPERLINK(1)", "公式人")]


def test_a_rep_without_export_gets_403(rep):
    assert login(rep).get("/leads/export.xlsx").status_code == 403


def test_the_bulk_bar_tags_the_chosen_leads(rep):
    leads = [LeadFactory(owner=rep), LeadFactory(owner=rep)]
    response = login(rep).post(
        "/leads/bulk/", {"ids": [x.pk for x in leads], "action": "tag", "tags": "展会，重点", "next": "/leads/"}
    )
    assert response.status_code == 303
    assert [Lead.objects.get(pk=x.pk).tag_list for x in leads] == [["展会", "重点"], ["展会", "重点"]]


# --- the form -----------------------------------------------------------------------------------


def test_the_form_creates_a_lead_owned_by_me_by_default(org, rep, pool):
    client = login(rep)
    page = client.get("/leads/new/")
    assert page.status_code == 200
    response = client.post(
        "/leads/new/",
        {**LEAD, "business_unit": org["bu1"].pk, "owner": rep.pk, "source": "phone", "tags": "展会"},
    )
    assert response.status_code == 303, response.content.decode()[:3000]
    lead = Lead.objects.get()
    assert (lead.owner, lead.source, lead.tag_list) == (rep, "phone", ["展会"])


def test_the_form_shows_possible_duplicates_and_asks_for_a_reason(org, rep, pool):
    LeadFactory(owner=rep, mobile=LEAD["mobile"], company="旧公司")
    client = login(rep)
    data = {**LEAD, "business_unit": org["bu1"].pk, "owner": rep.pk, "source": "phone"}
    page = client.post("/leads/new/", data).content.decode()
    assert 'id="lead-duplicates"' in page and "旧公司" in page
    assert Lead.objects.count() == 1
    response = client.post("/leads/new/", {**data, "duplicate_reason": "同一联系人新项目"})
    assert response.status_code == 303
    assert Lead.objects.count() == 2


def test_the_form_shows_the_services_field_errors(org, rep, pool):
    page = login(rep).post(
        "/leads/new/", {"contact_name": "某", "mobile": "123", "business_unit": org["bu1"].pk, "source": "web"}
    )
    assert page.status_code == 200
    with translation.override("zh-hans"):
        assert gettext("Enter an 11-digit mobile number, e.g. 138 0013 8000.") in page.content.decode()


def test_edit_saves_the_lead(rep):
    lead = LeadFactory(owner=rep)
    response = login(rep).post(
        f"/leads/{lead.pk}/edit/", {"contact_name": "新名字", "source": "web", "status": "contacting"}
    )
    assert response.status_code == 303
    lead.refresh_from_db()
    assert (lead.contact_name, lead.status) == ("新名字", LeadStatus.CONTACTING)


# --- the lead page and its actions ----------------------------------------------------------------


def test_the_lead_page_shows_facts_actions_follow_ups_and_panels(rep, pool):
    lead = LeadFactory(owner=rep, pool=pool, company="页面测试公司", contact_title="厂长")
    page = login(rep).get(f"/leads/{lead.pk}/").content.decode()
    assert "页面测试公司" in page and "厂长" in page
    assert f"/leads/{lead.pk}/convert/" in page
    assert f"/leads/{lead.pk}/assign/" in page
    assert 'id="xt-followups-panel"' in page  # the customers app's follow-up panel, on the lead
    with translation.override("zh-hans"):
        assert gettext("Why can I see this?") in page


def test_a_pool_lead_page_offers_the_claim_to_members(rep, pool):
    lead = LeadFactory(pool=pool)
    page = login(rep).get(f"/leads/{lead.pk}/").content.decode()
    assert f"/leads/{lead.pk}/claim/" in page
    assert f"/leads/{lead.pk}/convert/" not in page


def test_mark_invalid_and_return_pages(rep, pool):
    lead = LeadFactory(owner=rep, pool=pool)
    client = login(rep)
    assert client.get(f"/leads/{lead.pk}/return/").status_code == 200
    assert client.post(f"/leads/{lead.pk}/return/", {"reason": "暂不需要"}).status_code == 303
    other = LeadFactory(owner=rep)
    assert client.post(f"/leads/{other.pk}/invalid/", {"reason": "空号"}).status_code == 303
    other.refresh_from_db()
    assert other.status == LeadStatus.INVALID


def test_the_assign_page_transfers_for_a_manager(manager, rep, rep2):
    lead = LeadFactory(owner=rep)
    response = login(manager).post(f"/leads/{lead.pk}/assign/", {"owner": rep2.pk})
    assert response.status_code == 303
    lead.refresh_from_db()
    assert lead.owner == rep2


def test_history_and_why(rep):
    lead = LeadFactory(owner=rep)
    client = login(rep)
    assert client.get(f"/leads/{lead.pk}/history/").status_code == 200
    assert client.get(f"/leads/{lead.pk}/why/").status_code == 200


# --- settings -----------------------------------------------------------------------------------


def test_the_head_manages_pools_and_rules(org, head, rep):
    client = login(head)
    response = client.post(
        "/leads/settings/pools/new/",
        {
            "business_unit": org["bu1"].pk,
            "name": "展会线索池",
            "is_default": "on",
            "is_active": "on",
            "contact_within_hours": 48,
            "timeout_action": "return",
            "member_teams": [org["shanghai"].pk],
        },
    )
    assert response.status_code == 303, response.content.decode()[:3000]
    pool = LeadPool.objects.get(name="展会线索池")
    assert (pool.contact_within_hours, pool.timeout_action, list(pool.member_teams.all())) == (
        48,
        "return",
        [org["shanghai"]],
    )
    response = client.post(
        "/leads/settings/rules/new/",
        {
            "business_unit": org["bu1"].pk,
            "name": "浙江线索",
            "priority": 10,
            "method": AssignmentMethod.REGION,
            "values": "浙江，江苏",
            "assignees": [rep.pk],
            "fallback_pool": pool.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 303, response.content.decode()[:3000]
    rule = AssignmentRule.objects.get()
    assert (rule.values, list(rule.assignees.all()), rule.fallback_pool) == (["浙江", "江苏"], [rep], pool)
    page = client.get("/leads/settings/").content.decode()
    assert "浙江线索" in page and "展会线索池" in page
    assert client.get(f"/leads/settings/rules/{rule.pk}/edit/").status_code == 200
    assert client.get(f"/leads/settings/pools/{pool.pk}/edit/").status_code == 200
    assert client.post(f"/leads/settings/rules/{rule.pk}/delete/").status_code == 303
    assert AssignmentRule.objects.count() == 0


def test_a_region_rule_without_values_is_refused_naming_the_field(org, head, rep):
    response = login(head).post(
        "/leads/settings/rules/new/",
        {"business_unit": org["bu1"].pk, "name": "空", "priority": 1, "method": "region", "assignees": [rep.pk]},
    )
    assert response.status_code == 200
    assert AssignmentRule.objects.count() == 0


# --- My day, search, follow-ups ---------------------------------------------------------------------


def test_my_day_lists_my_leads_waiting_for_a_first_contact(rep):
    from django.utils import timezone

    LeadFactory(owner=rep, company="待联系公司", assigned_at=timezone.now())
    contacted = LeadFactory(owner=rep, company="已联系公司")
    Lead.objects.filter(pk=contacted.pk).update(first_contacted_at=timezone.now())
    page = login(rep).get("/").content.decode()
    assert 'id="myday-leads_first_contact"' in page
    assert "待联系公司" in page and "已联系公司" not in page


def test_the_global_search_finds_visible_leads_only(rep, rep2):
    LeadFactory(owner=rep, company="搜索可见公司")
    LeadFactory(owner=rep2, company="搜索隐藏公司")
    page = login(rep).get("/search/?q=搜索").content.decode()
    assert "可见公司" in page and "隐藏公司" not in page  # the query itself is highlighted


def test_follow_ups_on_a_lead_are_seen_by_whoever_sees_the_lead(rep, rep2, manager):
    from xietong.customers.followups import followup_create
    from xietong.customers.models import FollowUp

    lead = LeadFactory(owner=rep)
    follow_up = followup_create(actor=rep, record=lead, kind="call", content="电话沟通")
    assert list(FollowUp.objects.visible_to(manager)) == [follow_up]
    assert list(FollowUp.objects.visible_to(rep2)) == []
