"""Public pools in Chromium: a rep returns a customer to the pool with a reason; the nightly recycle
returns another rep's idle customer; a third rep claims that one from the pool page and the customer
page shows them as its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.conftest import log_in, open_page, shot
from xietong.customers import pools
from xietong.customers.models import ClaimLog, CustomerPool, Relationship
from xietong.org.models import User
from xietong.pipeline.models import Opportunity
from xietong.pipeline.services import opportunity_lose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RELEASED = "苏州恒瑞精密机械有限公司"  # 罗明's customer: he returns it himself
RECYCLED = "宁波海天塑机配套有限公司"  # 梁勇's customer: the recycle rule takes it back
REASON = "客户今年无采购预算，退回公海由同事跟进"


def test_release_recycle_and_claim_from_the_pool_page(live_server, browser, page):
    call_command("demo_data", "--no-logins", verbosity=0)
    base = live_server.url
    luo, liang, zheng = (User.objects.get(username=u) for u in ("luo.ming", "liang.yong", "zheng.zihan"))
    pool = CustomerPool.objects.get(business_unit__code="ind", is_default=True)  # 工业设备公海
    released = Relationship.objects.select_related("customer").get(customer__name=RELEASED, owner=luo)
    recycled = Relationship.objects.select_related("customer").get(customer__name=RECYCLED, owner=liang)
    # the demo pipeline has deals on both; a customer with open deals never goes back to the pool, so
    # in this story they were lost first
    for deal in Opportunity.objects.filter(customer__name__in=(RELEASED, RECYCLED), status="open"):
        opportunity_lose(actor=deal.owner, opportunity=deal, reason="budget")

    # 1. 罗明 returns one of his customers to the pool from its page, with a reason.
    log_in(page, base, luo.username, "demo12345")
    page.goto(f"{base}/customers/{released.customer_id}/")
    page.locator("#customer-release").click()
    page.wait_for_url(f"{base}/customers/relationships/{released.pk}/release/")
    page.fill("#release-form textarea[name=reason]", REASON)
    shot(page, "30-release-form")
    page.locator("#release-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/release/" not in url)
    released.refresh_from_db()
    assert (released.owner, released.pool, released.previous_owner) == (None, pool, luo)
    assert released.release_reason == REASON
    assert ClaimLog.objects.filter(relationship=released, action=ClaimLog.Action.RELEASE, reason=REASON).exists()

    # 2. The nightly recycle: 梁勇 has not followed up this customer for 40 days (and claimed it long
    # ago), so the pool's rule "no follow-up for 30 days" returns it.
    now = timezone.now()
    Relationship.objects.filter(pk=recycled.pk).update(
        last_follow_up_at=now - timedelta(days=40), claimed_at=now - timedelta(days=90), protected_until=None
    )
    assert pools.pool_recycle(now=now) >= 1
    recycled.refresh_from_db()
    assert (recycled.owner, recycled.pool, recycled.previous_owner) == (None, pool, liang)
    assert ClaimLog.objects.filter(relationship=recycled, action=ClaimLog.Action.RECYCLE).exists()

    # 3. 郑子涵, another rep of the BU, finds both in the pool and claims the recycled one.
    other = open_page(browser)
    log_in(other, base, zheng.username, "demo12345")
    other.goto(f"{base}/customers/pools/")
    other.locator("#pool-results a", has_text=pool.name).click()
    other.wait_for_url(f"{base}/customers/pools/{pool.pk}/")
    waiting = other.locator(f"#pool-rel-{recycled.pk}")
    assert RECYCLED in waiting.inner_text()
    assert other.locator(f"#pool-rel-{released.pk}").is_visible()
    moves = other.locator("section[aria-labelledby=pool-moves-title]").inner_text()
    assert REASON in moves  # the release, with its reason, among the recent moves
    shot(other, "31-pool-page")
    waiting.get_by_role("button").click()
    other.wait_for_url(f"{base}/customers/{recycled.customer_id}/")
    assert zheng.display_name in other.locator(".xt-facts").inner_text()  # the owner fact
    shot(other, "32-claimed-customer")

    recycled.refresh_from_db()
    assert recycled.owner == zheng
    assert recycled.claimed_at is not None and recycled.protected_until is not None
    assert ClaimLog.objects.filter(relationship=recycled, action=ClaimLog.Action.CLAIM, user=zheng).exists()
    other.context.close()

    # 4. The pool page now lists only the released customer.
    page.goto(f"{base}/customers/pools/{pool.pk}/")
    assert page.locator(f"#pool-rel-{recycled.pk}").count() == 0
    assert page.locator(f"#pool-rel-{released.pk}").is_visible()
