"""The customer search box (``core.forms.SearchSelect`` + Tom Select) in Chromium: the page holds no
customer list; on focus it shows the first customers the rep sees, typing asks the server, a customer
out of the rep's sight is "not found", nothing is saved without a customer, and the chosen one is
saved. No CSP violation or script error on the way. Screenshots in test-artifacts/screenshots/ss-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from tests.e2e.conftest import browser, log_in, page, shot  # noqa: F401  (the fixtures)
from tests.pipeline.conftest import people, process  # noqa: F401  (the fixtures)
from tests.support.crm import owned
from xietong.pipeline.models import Opportunity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def zh(text: str) -> str:
    with override("zh-hans"):
        return gettext(text)


def test_a_rep_finds_a_customer_by_typing_and_starts_a_deal_for_it(live_server, page, people, process, password):  # noqa: F811
    wanted = owned(
        owner=people.rep, customer__name="杭州精密轴承有限公司", customer__province="浙江省", customer__city="杭州市"
    ).customer
    owned(owner=people.rep, customer__name="宁波港口物流有限公司")
    owned(owner=people.outsider, customer__name="北京精密仪器有限公司")  # out of the rep's sight
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    base = live_server.url
    log_in(page, base, "rep", password)

    page.goto(f"{base}/pipeline/opportunities/new/")
    assert page.locator("select[name=customer] option").count() == 1  # the empty choice only
    box = page.locator("select[name=customer] + .ts-wrapper")
    control = box.locator("input")
    expect(control).to_have_attribute("placeholder", zh("Type to search…"))

    # 1. on focus the first customers the rep sees, never another rep's
    control.click()
    dropdown = page.locator(".ts-dropdown .option")
    expect(dropdown).to_have_count(2)
    expect(page.locator(".ts-dropdown")).not_to_contain_text("北京精密仪器")

    # 2. nothing saved without a customer: the browser asks for it
    page.fill("input[name=name]", "轴承产线改造")
    page.locator("form button[type=submit]").last.click()
    assert page.url.endswith("/pipeline/opportunities/new/")
    assert not Opportunity.objects.exists()
    expect(box).to_have_class(re.compile(r"\bis-invalid\b"))
    shot(page, "ss-0-required")

    # 3. typing asks the server: "精密" finds the rep's customer (with its city), not the outsider's
    control.click()
    with page.expect_response(lambda r: "/api/v1/customers" in r.url and "q=" in r.url and r.status == 200):
        control.fill("精密")
    expect(dropdown).to_have_count(1)
    expect(dropdown.first).to_contain_text("杭州精密轴承有限公司")
    expect(dropdown.first).to_contain_text("浙江省 杭州市")
    shot(page, "ss-1-typed")

    # 4. a customer out of sight is not found
    with page.expect_response(lambda r: "/api/v1/customers" in r.url and "q=" in r.url):
        control.fill("北京精密仪器")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text(zh("Nothing found."))

    # 5. pick and save
    with page.expect_response(lambda r: "/api/v1/customers" in r.url and "q=" in r.url):
        control.fill("杭州")
    dropdown.filter(has_text="杭州精密轴承有限公司").click()
    assert page.locator("select[name=customer]").input_value() == str(wanted.pk)
    expect(box).not_to_have_class(re.compile(r"\bis-invalid\b"))
    shot(page, "ss-2-chosen")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/pipeline/opportunities/\d+/$"))
    deal: Any = Opportunity.objects.get()
    assert (deal.customer_id, deal.name) == (wanted.pk, "轴承产线改造")
    assert problems == []
