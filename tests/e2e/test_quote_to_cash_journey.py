"""The quote-to-cash journey of issue 6 in Chromium, each step by the person who does it:

a rep quotes 15 % off (above the 10 % threshold) → the manager approves on a phone → the rep sends it,
the customer accepts, the rep makes the contract and submits it → HQ review by legal, then finance →
the rep signs (date and scanned PDF) → the rep orders every line → operations confirm and ship in two
shipments with carrier and tracking number → a payment plan of two installments, the first overdue →
finance records the first payment → the aging page moves the customer's open amount out of 31–60 days.

Screenshots in test-artifacts/screenshots/q2c-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override, pgettext
from playwright.sync_api import expect

from tests.e2e.conftest import browser, contexts, logged_in  # noqa: F401  (the fixtures)
from tests.e2e.conftest import shot as full_shot
from tests.support.factories import TeamFactory, UserFactory, grant, make_role, manage
from tests.support.pipeline import ProductFactory, opportunity
from xietong.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep, RequestStatus
from xietong.contracts.models import Contract
from xietong.core.choices import DataScope
from xietong.core.templatetags.xt import money
from xietong.orders.models import Order
from xietong.org.defaults import ensure_default_roles
from xietong.org.models import Group
from xietong.pipeline.models import OpportunityLine
from xietong.quotes.models import Quote
from xietong.receivables.models import Installment, PaymentPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A minimal one-page PDF: the signed scan the rep uploads.
SCAN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def shot(pg: Any, name: str) -> None:
    pg.evaluate("window.scrollTo(0, 0)")
    full_shot(pg, f"q2c-{name}")


def zh(text: str, context: str | None = None) -> str:
    """What the Chinese UI shows for an English source string."""
    with override("zh-hans"):
        return pgettext(context, text) if context else gettext(text)


def yuan(amount: str) -> str:
    with override("zh-hans"):
        return money(Decimal(amount))


@pytest.fixture
def cast(org: dict[str, Any]) -> SimpleNamespace:
    """BU1's rep (浦东), the sales manager above (华东), an HQ legal reviewer, BU1's finance and an
    operations clerk in BU1's operations team; the group's name for party B."""
    roles = ensure_default_roles()
    Group.objects.update_or_create(pk=1, defaults={"name": "协同测试集团有限公司"})
    ops_team = TeamFactory(business_unit=org["bu1"], name="华东运营部", team_type="operations")
    legal_team = TeamFactory(business_unit=org["bu1"], name="集团法务部")

    def person(username: str, name: str, team: Any, role: str | None = None, bu: Any = None) -> Any:
        user: Any = UserFactory(username=username, display_name=name, primary_team=team)
        if role:
            grant(user, roles[role], bu)
        return user

    manager = person("manager", "钱经理", org["east"], "sales_manager")
    manage(manager, org["east"])
    # UI gap: deciding needs no grant, but an approver without one gets 404 on "Open the document"
    # (/contracts/<pk>/) and the request page shows nothing of the contract — so HQ legal gets a role
    # that reads every contract, as an administrator would set it up.
    hq_legal = make_role("hq_legal", {"contracts": (DataScope.GROUP, {"view"})}, name="集团法务")
    people = SimpleNamespace(
        org=org,
        ops_team=ops_team,
        rep=person("rep", "王销售", org["pudong"], "sales_rep"),
        manager=manager,
        legal=person("legal", "孙法务", legal_team),
        finance=person("finance", "陈财务", org["east"], "finance", org["bu1"]),
        ops=person("ops", "郑运营", ops_team, "operations", org["bu1"]),
    )
    grant(people.legal, hq_legal)
    return people


@pytest.fixture
def flows(cast: SimpleNamespace) -> SimpleNamespace:
    """A quote discount flow (largest line discount > 10 % → the submitter's manager) and the
    contracts' HQ review (legal, then finance)."""
    quote_flow = ApprovalFlow.objects.create(
        document_type="quote", name="折扣审批", conditions=[{"field": "max_discount", "op": ">", "value": "10"}]
    )
    ApprovalStep.objects.create(flow=quote_flow, position=1, name="直属经理", kind="manager")
    review = ApprovalFlow.objects.create(document_type="contract", name="总部合同评审")
    ApprovalStep.objects.create(flow=review, position=1, name="法务审核", kind="user", user=cast.legal)
    ApprovalStep.objects.create(
        flow=review, position=2, name="财务审核", kind="role", role=ensure_default_roles()["finance"], mode="any"
    )
    return SimpleNamespace(quote=quote_flow, review=review)


def submit_form(pg: Any, selector: str = "main form.xt-form button[type=submit]") -> None:
    pg.locator(selector).last.click()


def approve_from_list(pg: Any, base: str, title_part: str, *, name: str) -> None:
    """The approver's "waiting for my approval" list → the request → approve."""
    pg.goto(f"{base}/approvals/")
    pg.locator("#approval-table a[href^='/approvals/']", has_text=title_part).click()
    pg.wait_for_url(re.compile(r"/approvals/\d+/$"))
    expect(pg.locator("#approval-approve")).to_be_visible()
    shot(pg, f"{name}-request")
    pg.fill("textarea[name=comment]", "同意")
    pg.locator("#approval-approve").click()
    expect(pg.locator("#approval-approve")).to_have_count(0)  # decided: the request page without my task


def test_a_discounted_quote_goes_from_approval_to_cash(live_server, browser, contexts, cast, flows, password):  # noqa: F811
    base = live_server.url
    today = timezone.localdate()
    lathe: Any = ProductFactory(
        name="数控车床", code="CK-6150", list_price=Decimal("100000.00"), business_unit=cast.org["bu1"]
    )
    deal = opportunity(cast.rep, name="华东电力技改项目")
    OpportunityLine.objects.create(opportunity=deal, product=lathe, quantity=2, unit_price=100000, position=0)
    customer_name = deal.customer.name

    # 1. rep: a new quote from the opportunity page; 15 % off the line; submit → in approval
    rep = logged_in(browser, contexts, base, "rep", password)
    rep.goto(f"{base}/pipeline/opportunities/{deal.pk}/")
    rep.locator("#opportunity-new-quote").click()
    rep.wait_for_url(re.compile(r"/quotes/new/\?opportunity="))
    submit_form(rep)
    rep.wait_for_url(re.compile(r"/quotes/(\d+)/edit/$"))
    quote_pk = int(re.search(r"/quotes/(\d+)/edit/", rep.url).group(1))  # type: ignore[union-attr]
    expect(rep.locator("select[name=lines-0-product]")).to_have_value(str(lathe.pk))
    rep.select_option("select[name=lines-0-discount_kind]", "percent")
    rep.fill("input[name=lines-0-discount_value]", "15")
    shot(rep, "01-quote-editor")
    rep.locator("#quote-editor button[type=submit]").click()
    rep.wait_for_url(re.compile(rf"/quotes/{quote_pk}/$"))
    # 2 × 100,000.00 − 15 % = 170,000.00 net + 13 % VAT 22,100.00 = 192,100.00
    expect(rep.locator("#quote-totals")).to_contain_text(yuan("192100.00"))
    expect(rep.locator("#quote-lines tbody tr")).to_have_count(1)
    expect(rep.locator("#quote-lines tbody tr")).to_contain_text(yuan("30000.00"))  # the discount
    expect(rep.locator("#quote-lines tbody tr")).to_contain_text("15.00%")
    rep.locator("#quote-submit").click()
    expect(rep.locator("#quote-locked")).to_be_visible()
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("In approval"))
    shot(rep, "02-quote-in-approval")
    quote = Quote.objects.get(pk=quote_pk)
    assert (quote.status, quote.total, quote.max_discount) == ("in_approval", Decimal("192100.00"), Decimal("15.00"))

    # 2. the manager on a phone: My day → waiting for my approval → the request → approve
    phone = logged_in(browser, contexts, base, "manager", password, phone=True)
    expect(phone.locator("#myday-approvals_waiting-title")).to_contain_text(zh("Waiting for my approval"))
    in_myday = phone.locator("a[href^='/approvals/']", has_text=quote.number)
    expect(in_myday).to_be_visible()
    shot(phone, "03-manager-myday-phone")
    in_myday.click()
    phone.wait_for_url(re.compile(r"/approvals/\d+/$"))
    expect(phone.locator("#approval-approve")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    shot(phone, "04-manager-request-phone")
    request_url = phone.url
    phone.locator("#approval-document-link").click()  # what is asked: the line's discount
    phone.wait_for_url(re.compile(rf"/quotes/{quote_pk}/$"))
    expect(phone.locator("#quote-lines")).to_contain_text("15.00%")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "04b-manager-quote-phone")
    phone.goto(request_url)
    phone.fill("textarea[name=comment]", "同意，注意回款")
    phone.locator("#approval-approve").click()
    expect(phone.locator("#approval-approve")).to_have_count(0)
    shot(phone, "05-manager-approved-phone")
    rep.goto(f"{base}/quotes/{quote_pk}/")
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("Approved"))

    # 3. rep: sent, accepted; the contract from the quote; submitted for HQ review
    rep.locator("#quote-send").click()
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("Sent"))
    rep.locator("#quote-accept").click()
    rep.wait_for_url(re.compile(rf"/quotes/{quote_pk}/accept/"))
    rep.fill("textarea[name=note]", "客户已确认报价")
    submit_form(rep)
    rep.wait_for_url(re.compile(rf"/quotes/{quote_pk}/$"))
    expect(rep.locator("#quote-decision")).to_contain_text(zh("Accepted"))
    shot(rep, "06-quote-accepted")
    rep.locator("#contract-from-quote").click()
    rep.wait_for_url(re.compile(rf"/contracts/from-quote/{quote_pk}/"))
    rep.fill("input[name=start_date]", today.isoformat())
    rep.fill("input[name=end_date]", (today + timedelta(days=364)).isoformat())
    rep.fill("textarea[name=payment_terms]", "签约付款 100,000.00，到货后30天内付清余款")
    submit_form(rep)
    rep.wait_for_url(re.compile(r"/contracts/\d+/$"))
    contract_pk = int(re.search(r"/contracts/(\d+)/$", rep.url).group(1))  # type: ignore[union-attr]
    rep.locator("#contract-submit").click()
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("In review"))
    expect(rep.locator("#contract-edit")).to_have_count(0)  # locked while in review
    shot(rep, "07-contract-in-review")
    contract = Contract.objects.get(pk=contract_pk)
    assert (contract.status, contract.amount, contract.quote_id) == ("in_review", Decimal("192100.00"), quote_pk)

    # 4. HQ review: legal approves, then finance
    finance = logged_in(browser, contexts, base, "finance", password)
    finance.goto(f"{base}/approvals/")
    expect(finance.locator("#approval-table a", has_text=contract.number)).to_have_count(0)  # legal first
    legal = logged_in(browser, contexts, base, "legal", password)
    legal.goto(f"{base}/approvals/")
    legal.locator("#approval-table a[href^='/approvals/']", has_text=contract.number).click()
    legal.wait_for_url(re.compile(r"/approvals/\d+/$"))
    review_url = legal.url
    legal.locator("#approval-document-link").click()  # legal reads the contract first
    legal.wait_for_url(re.compile(rf"/contracts/{contract_pk}/$"))
    expect(legal.locator("#xt-record-heading")).to_contain_text(contract.number)
    expect(legal.locator("main")).to_contain_text("签约付款 100,000.00，到货后30天内付清余款")
    legal.goto(review_url)
    approve_from_list(legal, base, contract.number, name="08-legal")
    rep.goto(f"{base}/contracts/{contract_pk}/")
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("In review"))  # finance still to decide
    approve_from_list(finance, base, contract.number, name="09-finance")
    rep.goto(f"{base}/contracts/{contract_pk}/")
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("Approved", "contract"))
    review = ApprovalRequest.objects.get(document_type="contract", object_id=str(contract_pk))
    assert review.status == RequestStatus.APPROVED

    # 5. rep: signs — the signing date and the scanned PDF
    rep.locator("#contract-sign").click()
    rep.wait_for_url(re.compile(rf"/contracts/{contract_pk}/sign/"))
    rep.fill("input[name=signed_date]", today.isoformat())
    rep.set_input_files(
        "input[name=scan]", files=[{"name": "合同扫描件.pdf", "mimeType": "application/pdf", "buffer": SCAN_PDF}]
    )
    shot(rep, "10-contract-sign")
    submit_form(rep, "main form button[type=submit]")
    rep.wait_for_url(re.compile(rf"/contracts/{contract_pk}/$"))
    # signed on the start date: the contract is active at once
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("Active", "contract"))
    expect(rep.locator("#contract-scan")).to_be_visible()
    shot(rep, "11-contract-signed")

    # 6. rep: an order of every line from the contract
    rep.locator(f"a[href='/orders/new/?contract={contract_pk}']").click()  # the contract page's order panel
    rep.wait_for_url(re.compile(r"/orders/new/\?contract="))
    line_qty = rep.locator("#order-create-lines input").first
    expect(line_qty).to_have_value("2")
    rep.fill("input[name=promised_date]", (today + timedelta(days=20)).isoformat())
    rep.fill("input[name=ship_to]", "上海市浦东新区张江路88号")
    rep.fill("input[name=receiver]", "陈总工")
    rep.fill("input[name=receiver_phone]", "13800138000")
    submit_form(rep)
    rep.wait_for_url(re.compile(r"/orders/\d+/$"))
    order_pk = int(re.search(r"/orders/(\d+)/$", rep.url).group(1))  # type: ignore[union-attr]
    expect(rep.locator("#xt-record-heading")).to_contain_text(zh("New", "order"))
    shot(rep, "12-order-new")
    order = Order.objects.get(pk=order_pk)
    assert (order.status, order.amount, order.operations_team_id) == ("new", Decimal("192100.00"), cast.ops_team.pk)
    order_line = order.lines.get()

    # 7. operations: the queue, confirm, ship 1 then the other 1 with carrier and tracking number
    ops = logged_in(browser, contexts, base, "ops", password)
    ops.goto(f"{base}/orders/queue/")
    in_queue = ops.get_by_role("link", name=order.number, exact=True)
    expect(in_queue).to_be_visible()
    shot(ops, "13-operations-queue")
    in_queue.click()
    ops.wait_for_url(re.compile(rf"/orders/{order_pk}/$"))
    ops.locator("#order-confirm").click()
    expect(ops.locator("#xt-record-heading")).to_contain_text(zh("Confirmed", "order"))
    for number, qty, status in (("SF1400000001", "1", "Partly shipped"), ("SF1400000002", "1", "Shipped")):
        ops.locator("#order-ship").click()
        ops.wait_for_url(re.compile(rf"/orders/{order_pk}/ship/"))
        ops.fill("input[name=carrier]", "顺丰速运")
        ops.fill("input[name=tracking_number]", number)
        ops.fill(f"input[name=qty_{order_line.pk}]", qty)
        submit_form(ops)
        ops.wait_for_url(re.compile(rf"/orders/{order_pk}/$"))
        expect(ops.locator("#order-shipments")).to_contain_text(number)
        expect(ops.locator("#xt-record-heading")).to_contain_text(zh(status))
    expect(ops.locator("#order-shipments")).to_contain_text("顺丰速运")
    shot(ops, "14-order-shipped")
    assert Order.objects.get(pk=order_pk).status == "shipped"
    # sales sees it on the opportunity
    rep.goto(f"{base}/pipeline/opportunities/{deal.pk}/")
    expect(rep.locator("#record-orders")).to_contain_text(order.number)
    expect(rep.locator("#record-orders")).to_contain_text(zh("Shipped"))

    # 8. rep: a payment plan of two installments, the first due 45 days ago; then active
    first_due, second_due = today - timedelta(days=45), today + timedelta(days=30)
    rep.goto(f"{base}/contracts/{contract_pk}/")
    rep.locator(f"#contract-money a[href='/receivables/contracts/{contract_pk}/plan/']").click()
    rep.wait_for_url(re.compile(rf"/receivables/contracts/{contract_pk}/plan/$"))
    rep.fill("input[name=inst-0-name]", "首付款")
    rep.fill("input[name=inst-0-due_date]", first_due.isoformat())
    rep.fill("input[name=inst-0-amount]", "100000.00")
    rep.fill("input[name=inst-1-name]", "尾款")
    rep.fill("input[name=inst-1-due_date]", second_due.isoformat())
    rep.fill("input[name=inst-1-amount]", "92100.00")
    submit_form(rep, "main form.xt-form button[type=submit]")
    expect(rep.locator("[data-plan-status]")).to_have_attribute("data-plan-status", "draft")
    rep.locator(f"form[action='/receivables/contracts/{contract_pk}/plan/submit/'] button").click()
    # no payment-plan flow applies: active at once
    expect(rep.locator("[data-plan-status]")).to_have_attribute("data-plan-status", "active")
    expect(rep.locator("[data-plan-status]")).to_have_text(zh("Active", "payment plan"))
    summary = rep.locator("[data-money-summary]")
    expect(summary.locator("[data-figure=planned]")).to_have_text(yuan("192100.00"))
    expect(summary.locator("[data-figure=overdue]")).to_have_text(yuan("100000.00"))
    shot(rep, "15-payment-plan")
    plan = PaymentPlan.objects.get(contract_id=contract_pk)
    assert list(plan.installments.order_by("position").values_list("due_date", "amount")) == [
        (first_due, Decimal("100000.00")),
        (second_due, Decimal("92100.00")),
    ]

    # 9a. finance: the aging before the payment — 100,000.00 in 31–60 days, 92,100.00 not yet due
    finance.goto(f"{base}/receivables/aging/")
    row = finance.locator("table[data-aging] tbody tr", has_text=customer_name)
    cells = row.locator("td")  # name, not yet due, 1–30, 31–60, 61–90, over 90, total open
    expect(cells).to_have_text(
        [customer_name, *map(yuan, ("92100.00", "0.00", "100000.00", "0.00", "0.00", "192100.00"))]
    )
    expect(finance.locator("[data-figure=overdue]")).to_have_text(yuan("100000.00"))
    expect(finance.locator("[data-figure=collection-rate]")).to_have_text("0.0%")
    shot(finance, "16-aging-before")

    # 8. (cont.) finance records the first installment's payment (allocated automatically, oldest first)
    finance.goto(f"{base}/contracts/{contract_pk}/")
    finance.locator(f"#contract-money a[href='/receivables/contracts/{contract_pk}/payments/new/']").click()
    finance.wait_for_url(re.compile(rf"/receivables/contracts/{contract_pk}/payments/new/$"))
    finance.fill("input[name=received_on]", today.isoformat())
    finance.fill("input[name=amount]", "100000.00")
    finance.fill("input[name=payer]", customer_name)
    finance.fill("input[name=reference]", "CMB20261129001")
    first_pk, second_pk = plan.installments.order_by("position").values_list("pk", flat=True)
    # the automatic allocation's preview: the oldest installment first
    expect(finance.locator(f"[data-auto='{first_pk}']")).to_have_text(yuan("100000.00"))
    expect(finance.locator(f"[data-auto='{second_pk}']")).to_have_text(yuan("0.00"))
    shot(finance, "17-payment-form")
    submit_form(finance)
    finance.wait_for_url(re.compile(r"/receivables/payments/\d+/$"))
    expect(finance.locator("main")).to_contain_text(yuan("100000.00"))
    shot(finance, "18-payment-recorded")
    first = Installment.objects.get(plan=plan, position=1)
    assert first.received == Decimal("100000.00")

    # the contract's plan: the first installment received in full, nothing overdue
    finance.goto(f"{base}/receivables/contracts/{contract_pk}/plan/")
    summary = finance.locator("[data-money-summary]")
    expect(summary.locator("[data-figure=received]")).to_have_text(yuan("100000.00"))
    expect(summary.locator("[data-figure=outstanding]")).to_have_text(yuan("92100.00"))
    expect(summary.locator("[data-figure=overdue]")).to_have_text(yuan("0.00"))
    expect(finance.locator("main form.xt-form tbody tr").first.locator("td").last).to_have_text(yuan("100000.00"))

    # 9b. the aging after: nothing overdue, the second installment's 92,100.00 not yet due
    finance.goto(f"{base}/receivables/aging/")
    row = finance.locator("table[data-aging] tbody tr", has_text=customer_name)
    expect(row.locator("td")).to_have_text(
        [customer_name, *map(yuan, ("92100.00", "0.00", "0.00", "0.00", "0.00", "92100.00"))]
    )
    expect(finance.locator("[data-figure=overdue]")).to_have_text(yuan("0.00"))
    expect(finance.locator("[data-figure=total]")).to_have_text(yuan("92100.00"))
    expect(finance.locator("[data-figure=collection-rate]")).to_have_text("100.0%")
    shot(finance, "19-aging-after")
