"""A lead from the website to a customer, in Chromium: a visitor fills in the public web form without
logging in; an assignment rule gives the lead to a rep; the rep, on a phone, opens it, logs a call with
the next follow-up and converts it into a customer and a contact; the lead links to the new customer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, shot
from xietong.customers.models import Contact, Customer, FollowUp, Relationship
from xietong.leads import configuration
from xietong.leads.choices import AssignmentMethod, LeadStatus
from xietong.leads.models import Lead, WebForm
from xietong.org.models import BusinessUnit, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMPANY = "重庆山城精密齿轮有限公司"
MOBILE = "13923456781"


def test_a_web_lead_is_assigned_by_rule_followed_up_on_a_phone_and_converted(live_server, page, phone):
    call_command("demo_data", "--no-logins", verbosity=0)
    base = live_server.url
    bu = BusinessUnit.objects.get(code="ind")  # 工业设备事业部
    head = User.objects.get(username="dong.jie")
    rep = User.objects.get(username="sun.yan")
    webform = WebForm.objects.get(business_unit=bu, is_active=True)
    # The demo's rules hand leads round-robin or by region to whoever is next; this rule, first in
    # priority, gives every lead asking about five-axis machining to one rep, so the owner is known.
    rule = configuration.rule_create(
        actor=head,
        business_unit=bu,
        name="五轴加工中心线索给孙艳",
        priority=1,
        method=AssignmentMethod.PRODUCT_LINE,
        values=["五轴"],
        assignees=[rep],
    )

    # 1. A visitor (no login) fills in the hosted web form.
    page.goto(f"{base}/forms/{webform.token}/")
    assert page.locator("h1").inner_text().strip() == webform.name
    page.fill("input[name=company]", COMPANY)
    page.fill("input[name=contact_name]", "周明远")
    page.fill("input[name=mobile]", MOBILE)
    page.fill("input[name=email]", "zhou.mingyuan@shancheng-gear.cn")
    page.fill("input[name=province]", "重庆市")
    page.fill("input[name=city]", "重庆市")
    page.fill("input[name=product_interest]", "五轴加工中心")
    page.fill("textarea[name=notes]", "想了解五轴加工中心的交期和报价。")
    shot(page, "20-web-form")
    page.locator("#webform button[type=submit]").click()
    page.locator("#webform-thanks").wait_for()
    assert page.locator("#webform-thanks").inner_text().strip() == webform.thank_you
    shot(page, "21-web-form-thanks")

    lead = Lead.objects.get(mobile=MOBILE)
    assert (lead.company, lead.web_form_id, lead.source, lead.campaign) == (COMPANY, webform.pk, "web", "官网")
    assert lead.owner == rep  # the rule decided
    assert lead.assigned_by_rule == rule
    assert lead.status == LeadStatus.NEW and lead.first_contacted_at is None

    # 2. The rep, on a phone, finds the lead in their list and opens it.
    log_in(phone, base, rep.username, "demo12345")
    phone.goto(f"{base}/leads/")
    row = phone.locator("#lead-results tbody tr", has_text=COMPANY)
    assert row.is_visible()
    shot(phone, "22-phone-my-leads")
    row.get_by_role("link", name=COMPANY).click()
    phone.wait_for_url(f"{base}/leads/{lead.pk}/")
    assert "官网" in phone.locator(".xt-facts").inner_text()  # source · campaign of the web form
    shot(phone, "23-phone-lead")

    # 3. "Log follow-up" shows the follow-ups tab with its form; a call, with the next follow-up.
    phone.get_by_role("link", name=re.compile("Log follow-up|记录跟进|写跟进")).first.click()
    form = phone.locator("#xt-followups-panel form.xt-followup-form")
    form.wait_for(state="visible")
    next_at = (timezone.localtime() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    form.locator("select[name=fu-kind]").select_option("call")
    form.locator("textarea[name=fu-content]").fill("电话沟通：客户计划明年一季度采购两台五轴加工中心，需要报价。")
    form.locator("input[name=fu-outcome]").fill("约定下周发送报价")
    form.locator("input[name=fu-next_at]").fill(next_at.strftime("%Y-%m-%dT%H:%M"))
    form.locator("button[type=submit]").click()
    entry = phone.locator("#xt-followups-panel .xt-followup", has_text="五轴加工中心")
    entry.wait_for()
    assert next_at.strftime("%Y-%m-%d") in entry.inner_text()
    # the header's facts reload by themselves: first contact and the next follow-up are filled in
    facts = phone.locator("#xt-record-facts")
    expect(facts).to_contain_text(next_at.strftime("%Y-%m-%d"))
    expect(facts.locator(".text-danger")).to_have_count(0)  # "not yet" contacted is gone
    expect(phone.locator("#xt-record-heading")).to_contain_text(str(LeadStatus.CONTACTING.label))  # was "new"
    shot(phone, "24-phone-lead-follow-up")

    follow_up = FollowUp.objects.get(content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk)
    assert (follow_up.kind, follow_up.owner) == ("call", rep)
    assert follow_up.next_at == next_at
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None and lead.next_follow_up_at == next_at

    # 4. Convert: a new customer and its contact.
    phone.goto(f"{base}/leads/{lead.pk}/")
    phone.locator("#lead-convert").click()
    phone.wait_for_url(f"{base}/leads/{lead.pk}/convert/")
    assert phone.locator("input[name=create_contact]").is_checked()
    shot(phone, "25-phone-lead-convert")
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_url(f"{base}/leads/{lead.pk}/")
    link = phone.locator("#lead-converted a", has_text=COMPANY)
    link.wait_for()
    shot(phone, "26-phone-lead-converted")

    lead.refresh_from_db()
    customer = Customer.objects.get(name=COMPANY)
    contact = Contact.objects.get(customer=customer)
    assert (lead.status, lead.converted_customer, lead.converted_contact) == (LeadStatus.CONVERTED, customer, contact)
    assert (contact.name, contact.mobile) == ("周明远", MOBILE)
    assert Relationship.objects.get(customer=customer, business_unit=bu).owner == rep
    assert link.get_attribute("href") == f"/customers/{customer.pk}/"

    link.click()
    phone.wait_for_url(f"{base}/customers/{customer.pk}/")
    assert COMPANY in phone.locator("h1").inner_text()
    phone.locator("#tab-contacts").click()
    phone.locator("#pane-contacts.active.show").wait_for()
    assert phone.locator("#pane-contacts").get_by_text("周明远").first.is_visible()
    shot(phone, "27-phone-new-customer")
