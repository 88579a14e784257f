"""The board in Chromium: a rep drags a card back a stage (both columns' counts follow), drags one past
a gate (the card comes back with the reason on it), edits a card's amount in place, then looks at
the list; the same pages on a phone. Screenshots in test-artifacts/screenshots/pipeline-*.png."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from tests.e2e.conftest import browser, drag_card, log_in, page, phone, shot  # noqa: F401  (the fixtures)
from tests.support.pipeline import opportunity, stage
from xietong.pipeline.models import Opportunity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def head(p, stage_pk: int):
    return p.locator(f"#col-head-{stage_pk}")


def test_a_rep_drags_cards_edits_in_place_and_reads_the_list(live_server, page, phone, people, process, password):  # noqa: F811
    old = timezone.now() - timedelta(days=30)
    back = opportunity(people.rep, name="智能产线改造", amount=Decimal("860000.00"), stage_name="需求确认")
    gated = opportunity(
        people.rep,
        name="数控机床采购",
        amount=Decimal("420000.00"),
        expected_close=timezone.localdate() - timedelta(days=5),
        last_activity_at=old,
    )
    opportunity(people.rep, name="仓储自动化", amount=Decimal("150000.00"), stage_name="方案报价")
    opportunity(people.rep, name="售后备件框架", amount=Decimal("38000.00"), stage_name="商务谈判")
    first, second, third = (stage(process, n) for n in ("初步接洽", "需求确认", "方案报价"))
    base = live_server.url
    log_in(page, base, "rep", password)
    page.goto(f"{base}/pipeline/")
    expect(head(page, first.pk).locator("[data-xt-count]")).to_have_text("1")
    shot(page, "pipeline-board")

    # drag back a stage: no gate; both columns follow
    drag_card(page, page.locator(f"#opp-{back.pk}"), page.locator(f"#cards-{first.pk}"))
    expect(head(page, first.pk).locator("[data-xt-count]")).to_have_text("2")
    expect(head(page, second.pk).locator("[data-xt-count]")).to_have_text("0")
    expect(page.locator(f"#cards-{first.pk} #opp-{back.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=back.pk).stage_id == first.pk

    # past a gate: back in its column, the reason on the card
    drag_card(page, page.locator(f"#opp-{gated.pk}"), page.locator(f"#cards-{third.pk}"))
    alert = page.locator(f"#cards-{first.pk} #opp-{gated.pk} [role=alert]")
    expect(alert).to_contain_text("方案报价")
    expect(head(page, third.pk).locator("[data-xt-count]")).to_have_text("1")
    assert Opportunity.objects.get(pk=gated.pk).stage_id == first.pk
    shot(page, "pipeline-board-refused")

    # quick edit in place
    with override("zh-hans"):
        quick = gettext("Amount and date")
    page.locator(f"#opp-{gated.pk}").get_by_role("link", name=quick).click()
    page.fill(f"#opp-{gated.pk} input[name=amount]", "500000")
    page.locator(f"#opp-{gated.pk}").get_by_role("button", name="保存").click()
    expect(page.locator(f"#opp-{gated.pk}")).to_contain_text("¥500,000.00")
    expect(head(page, first.pk)).to_contain_text("¥1,360,000.00")
    expect(page.locator(f"#opp-{gated.pk}")).to_contain_text(f"{gated.expected_close:%Y-%m-%d}")
    assert Opportunity.objects.get(pk=gated.pk).expected_close == gated.expected_close

    page.goto(f"{base}/pipeline/list/")
    expect(page.locator("main table")).to_contain_text("售后备件框架")
    shot(page, "pipeline-list")

    log_in(phone, base, "rep", password)
    phone.goto(f"{base}/pipeline/")
    shot(phone, "pipeline-board-phone")
    phone.goto(f"{base}/pipeline/list/")
    shot(phone, "pipeline-list-phone")
