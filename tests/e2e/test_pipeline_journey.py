"""The pipeline journey of issue 5 in Chromium: a rep drags a card across stages and meets a gate (the
reason on the card), satisfies it in the deal room, drags again, then completes what the later
stages ask for, builds a deal team with a supply planner and splits, and wins the opportunity.
Screenshots in test-artifacts/screenshots/3x-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from tests.e2e.conftest import browser, drag_card, page, pick, shot  # noqa: F401  (the fixtures)
from tests.pipeline.conftest import customer_of, people, process  # noqa: F401  (the fixtures)
from tests.support.crm import ContactFactory
from tests.support.pipeline import ProductFactory, opportunity, stage
from xietong.catalog.models import Product
from xietong.pipeline.models import DealTeamMember, Opportunity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_gated_card_is_moved_then_won_with_a_cross_department_team(live_server, page, people, process, password):  # noqa: F811
    deal = opportunity(people.rep, process=process, name="华东智能工厂二期", amount=Decimal("0.00"))
    ContactFactory(customer=deal.customer, name="陈总工", title="设备部部长")
    ProductFactory(name="五轴加工中心", code="VMC-5X", list_price=Decimal("380000.00"), business_unit=people.org["bu1"])
    first, second = stage(process, "初步接洽"), stage(process, "需求确认")
    base = live_server.url
    deal_page = re.compile(rf"/pipeline/opportunities/{deal.pk}/([?#].*)?$")  # back on the deal room
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")

    # 1. drag the card to 需求确认: the gate wants a contact, the card says so and stays
    page.goto(f"{base}/pipeline/")
    card = page.locator(f"#opp-{deal.pk}")
    drag_card(page, card, page.locator(f"#cards-{second.pk}"))
    with override("zh-hans"):
        missing = gettext("a contact of the customer")
    alert = page.locator(f"#cards-{first.pk} #opp-{deal.pk} [role=alert]")
    expect(alert).to_contain_text(missing)
    shot(page, "30-board-gate")
    assert Opportunity.objects.get(pk=deal.pk).stage_id == first.pk

    # 2. satisfy it in the deal room: the contact decides
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/contacts/")
    page.check("input[name=contacts-0-included]")
    page.select_option("select[name=contacts-0-role]", "decision_maker")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(deal_page)

    # 3. drag again: it moves, and the column counts follow
    page.goto(f"{base}/pipeline/")
    drag_card(page, page.locator(f"#opp-{deal.pk}"), page.locator(f"#cards-{second.pk}"))
    expect(page.locator(f"#cards-{second.pk} #opp-{deal.pk}")).to_be_visible()
    shot(page, "31-board-moved")
    assert Opportunity.objects.get(pk=deal.pk).stage_id == second.pk

    # 4. what the later stages ask for: a product line, a close date, the next step
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/lines/")
    pick(page, "lines-0-product", "五轴", "五轴加工中心 (VMC-5X)")
    expect(page.locator("select[name=lines-0-product]")).to_have_value(str(Product.objects.get(code="VMC-5X").pk))
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-discount]", "5")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(deal_page)
    close = timezone.localdate() + timedelta(days=45)
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/edit/")
    page.fill("input[name=expected_close]", close.isoformat())
    page.fill("input[name=next_step]", "双方法务审合同")
    page.fill("input[name=next_step_date]", (close - timedelta(days=10)).isoformat())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(deal_page)

    # 5. the deal team across departments: the supply planner takes 30 % of the credit
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/team/")
    page.select_option("select[name=members-1-user]", value=str(people.supply.pk))
    page.select_option("select[name=members-1-role]", "supply")
    page.fill("input[name=members-1-split]", "30")
    page.fill("input[name=members-0-split]", "70")
    page.locator("#opp-team-sum").click()  # leave the field: its change refreshes the live sum once more
    expect(page.locator("#opp-team-sum")).to_contain_text("100")
    page.wait_for_load_state("networkidle")
    shot(page, "32-deal-team")
    page.locator("#opp-editor button[type=submit]").last.click()
    page.wait_for_url(deal_page)

    # 6. win
    page.goto(f"{base}/pipeline/opportunities/{deal.pk}/win/")
    page.fill("textarea[name=note]", "客户已盖章")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(deal_page)
    with override("zh-hans"):
        won = gettext("Won")
    expect(page.locator("#xt-record-heading")).to_contain_text(won)
    shot(page, "33-won")

    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.amount, deal.probability) == ("won", "赢单", Decimal("722000.00"), 100)
    assert sorted(DealTeamMember.objects.filter(opportunity=deal).values_list("user__username", "role", "split")) == [
        ("rep", "sales", Decimal("70.00")),
        ("supply", "supply", Decimal("30.00")),
    ]
    assert [m.to_stage.name for m in deal.moves.order_by("moved_at", "pk")] == ["初步接洽", "需求确认", "赢单"]
