"""The deal room in Chromium: a rep clicks a stage past a gate (the alert names what is missing), ticks
the stage's checklist in place, edits the deal team watching the live sum of the splits; an
administrator reads the process page; the same pages on a phone. Screenshots in
test-artifacts/screenshots/opportunity-*.png and process-*.png."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import browser, log_in, page, phone, shot  # noqa: F401  (the fixtures)
from tests.support.crm import ContactFactory
from tests.support.pipeline import ProductFactory, opportunity, stage
from xietong.pipeline.models import ChecklistCheck, ChecklistItem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_rep_works_the_deal_room_and_an_admin_reads_the_process(live_server, page, phone, people, process, password):  # noqa: F811
    first = stage(process, "初步接洽")
    first.playbook = "电话确认需求与预算，约第一次拜访。"
    first.save()
    item = ChecklistItem.objects.create(stage=first, text="确认预算范围", required=True)
    ChecklistItem.objects.create(stage=first, text="发送公司介绍")
    deal = opportunity(people.rep, process=process, name="华东厂房自动化改造", amount=Decimal("860000.00"))
    deal.next_step, deal.competitors = "拜访设备部陈总工", "西门子、发那科"
    deal.save()
    deal.lines.create(product=ProductFactory(name="五轴加工中心", unit="台"), quantity=2, unit_price=Decimal("380000"))
    deal.lines.create(
        product=ProductFactory(name="自动上下料单元", unit="套"), quantity=1, unit_price=Decimal("100000")
    )
    deal.contact_roles.create(
        contact=ContactFactory(customer=deal.customer, name="陈总工", title="设备部部长"), role="decision_maker"
    )
    base = live_server.url
    log_in(page, base, "rep", password)
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/")
    expect(page.locator("#xt-record-heading")).to_contain_text("华东厂房自动化改造")
    shot(page, "opportunity-detail")

    # a stage past a gate: the alert says what is missing, the deal stays
    page.locator("#opp-stage-path").get_by_role("button", name="商务谈判").click()
    expect(page.locator("#opp-gate-refusal")).to_contain_text("商务谈判")
    shot(page, "opportunity-gate-refused")

    # the checklist, ticked in place
    page.locator("#tab-playbook").click()
    page.locator(f"button[data-item='{item.pk}']").click()
    expect(page.locator(f"button[data-item='{item.pk}']")).to_have_attribute("aria-pressed", "true")
    assert ChecklistCheck.objects.filter(opportunity=deal, item=item).exists()
    shot(page, "opportunity-checklist")

    # the same on a phone
    log_in(phone, base, "rep", password)
    phone.goto(f"{base}/pipeline/opportunities/{deal.pk}/")
    shot(phone, "opportunity-detail-phone")
    phone.goto(f"{base}/pipeline/opportunities/{deal.pk}/lines/")
    shot(phone, "opportunity-lines-phone")
    phone.goto(f"{base}/pipeline/opportunities/{deal.pk}/team/")
    shot(phone, "opportunity-team-phone")

    # the deal team with its live sum
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/team/")
    page.select_option("#id_members-1-user", str(people.rep2.pk))
    page.fill("#id_members-1-split", "30")
    expect(page.locator("#opp-team-sum")).to_contain_text("130")
    page.fill("#id_members-0-split", "70")
    expect(page.locator("#opp-team-sum")).to_contain_text("100")
    shot(page, "opportunity-team")
    page.get_by_role("button", name="保存").click()
    # saved once the deal room is back (the database is read only then: polling it while the server
    # writes meets SQLite's table lock)
    expect(page).to_have_url(re.compile(rf"/pipeline/opportunities/{deal.pk}/(#.*)?$"))
    expect(page.locator("#xt-record-heading")).to_contain_text("华东厂房自动化改造")
    assert deal.team.count() == 2

    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/lines/")
    shot(page, "opportunity-lines")

    # the administrator's process page
    ctx = page.context
    ctx.clear_cookies()
    log_in(page, base, "head", password)
    page.goto(f"{base}/pipeline/settings/processes/{process.pk}/")
    expect(page.locator("#stage-list")).to_contain_text("确认预算范围")
    shot(page, "process-detail")
    page.goto(f"{base}/pipeline/settings/stages/{stage(process, '方案报价').pk}/edit/")
    shot(page, "process-stage-edit")
    phone.context.clear_cookies()
    log_in(phone, base, "head", password)
    phone.goto(f"{base}/pipeline/settings/processes/{process.pk}/")
    shot(phone, "process-detail-phone")
