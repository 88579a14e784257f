"""The money pages: the plan editor, recording a payment with its preview, the lists with their
filters, exports and query counts, the invoice pages, the aging page, the customer tab, the
contract's money panel and My day."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.core.errors import NotFound
from xietong.receivables import services
from xietong.receivables.choices import PlanStatus
from xietong.receivables.models import Installment, Invoice, Payment, PaymentPlan

pytestmark = pytest.mark.django_db


def today(n: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def test_the_plan_editor_saves_a_formset_of_installments(people, contract):
    client = login(people.rep)
    url = f"/receivables/contracts/{contract.pk}/plan/"
    assert client.get(url).status_code == 200
    data = {
        "inst-TOTAL_FORMS": "3",
        "inst-INITIAL_FORMS": "0",
        "inst-0-name": "预付款",
        "inst-0-due_date": today(-5),
        "inst-0-amount": "33900.00",
        "inst-1-name": "尾款",
        "inst-1-due_date": today(30),
        "inst-1-amount": "79100.00",
    }
    response = client.post(url, data)
    assert response.status_code == 303
    assert list(Installment.objects.order_by("position").values_list("name", "amount")) == [
        ("预付款", Decimal("33900.00")),
        ("尾款", Decimal("79100.00")),
    ]
    response = client.post(f"/receivables/contracts/{contract.pk}/plan/submit/")
    assert response.status_code == 303
    assert PaymentPlan.objects.get().status == PlanStatus.ACTIVE


def test_the_plan_editor_refuses_a_post_claiming_more_rows_than_a_plan_holds(people, contract):
    client = login(people.rep)
    url = f"/receivables/contracts/{contract.pk}/plan/"
    data = {"inst-TOTAL_FORMS": "100000", "inst-INITIAL_FORMS": "0"}
    data.update({f"inst-{n}-amount": "100.00" for n in range(121)})
    data.update({f"inst-{n}-due_date": today(n) for n in range(121)})
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == ["请最多提交 120 个表单。"]
    assert not PaymentPlan.objects.exists()
    data["inst-TOTAL_FORMS"] = "121"  # a true count of too many installments: the same refusal
    assert client.post(url, data).context["formset"].non_form_errors() == ["请最多提交 120 个表单。"]
    assert not PaymentPlan.objects.exists()


def test_the_plan_editor_shows_the_sum_rule_next_to_the_form(people, contract):
    data = {"inst-TOTAL_FORMS": "1", "inst-INITIAL_FORMS": "0", "inst-0-due_date": today(), "inst-0-amount": "100.00"}
    response = login(people.rep).post(f"/receivables/contracts/{contract.pk}/plan/", data)
    assert response.status_code == 200
    assert "¥113,000.00" in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_a_locked_plan_refuses_the_editor(people, contract):
    money.payment_plan(contract, status=PlanStatus.IN_APPROVAL)
    data = {
        "inst-TOTAL_FORMS": "1",
        "inst-INITIAL_FORMS": "0",
        "inst-0-due_date": today(),
        "inst-0-amount": "113000.00",
    }
    response = login(people.rep).post(f"/receivables/contracts/{contract.pk}/plan/", data)
    assert response.status_code == 200
    assert Installment.objects.get().due_date != timezone.localdate()
    page = response.content.decode()
    assert "回款计划正在审批中，审批结束前无法修改。" in page
    # the plan as it stands, read only (not the posted rows)
    assert re.findall(r'name="inst-0-amount" value="([^"]*)"', page) == ["113000.00"]


def _plan_inputs(page: str) -> list[tuple[str, bool]]:
    """(name, disabled) of each visible input of the plan form."""
    inputs = re.findall(r'<input type="(?:text|date|number)"[^>]*>', page)
    return [(re.search(r'name="([^"]+)"', tag).group(1), " disabled" in tag) for tag in inputs]  # type: ignore[union-attr]


def test_a_plan_in_approval_shows_its_installments_read_only_without_empty_rows(people, contract):
    """Before, the editor showed typeable fields and two empty rows under the lock notice, with no
    way to save them."""
    money.payment_plan(contract, status=PlanStatus.IN_APPROVAL)
    page = login(people.rep).get(f"/receivables/contracts/{contract.pk}/plan/").content.decode()

    assert _plan_inputs(page) == [
        ("inst-0-name", True),
        ("inst-0-due_date", True),
        ("inst-0-amount", True),
        ("difference", True),
        ("difference_reason", True),
    ]
    assert 'id="inst-TOTAL_FORMS" value="1"' in page or 'value="1" id="id_inst-TOTAL_FORMS"' in page
    assert "保存回款计划" not in page and "保存后可获得更多空行" not in page


def test_a_plan_the_user_may_change_has_typeable_fields_and_two_empty_rows(people, contract):
    money.payment_plan(contract)
    inputs = _plan_inputs(login(people.rep).get(f"/receivables/contracts/{contract.pk}/plan/").content.decode())

    assert [name for name, _disabled in inputs][:9] == [f"inst-{n}-{f}" for n in range(3) for f in FIELDS]
    assert not any(disabled for _name, disabled in inputs)
    assert len(inputs) == 3 * 3 + 2


FIELDS = ("name", "due_date", "amount")


def test_an_installment_gone_since_the_page_was_opened_is_named_on_its_row(people, contract):
    """The refusal of a row's hidden id (another user removed the installment meanwhile) was on no
    field the page shows: the page came back with no message at all."""
    plan = money.payment_plan(contract)
    kept = plan.installments.get()
    data = {
        "inst-TOTAL_FORMS": "2",
        "inst-INITIAL_FORMS": "0",
        "inst-0-id": str(kept.pk),
        "inst-0-name": "首付款",
        "inst-0-due_date": today(5),
        "inst-0-amount": "13000.00",
        "inst-1-id": "999999",
        "inst-1-name": "尾款",
        "inst-1-due_date": today(30),
        "inst-1-amount": "100000.00",
    }
    response = login(people.rep).post(f"/receivables/contracts/{contract.pk}/plan/", data)
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<td data-label=\"名称\">(.*?)</td>", page, re.S)
    assert ['<div class="small text-danger" role="alert">' in row for row in rows[:2]] == [False, True]
    assert zh("No such installment in this plan.") in rows[1]
    assert list(plan.installments.values_list("pk", "amount")) == [(kept.pk, kept.amount)]


def test_recording_a_payment_previews_then_allocates_it(people, contract):
    money.payment_plan(
        contract, [(timezone.localdate() - timedelta(days=10), "13000.00"), (timezone.localdate(), "100000.00")]
    )
    client = login(people.finance)
    url = f"/receivables/contracts/{contract.pk}/payments/new/"
    preview = client.post(
        url,
        {"amount": "20000.00", "preview": "1"},
        headers={"HX-Request": "true", "HX-Target": "allocation-preview"},
    )
    assert preview.status_code == 200
    assert preview.content.decode().count("data-auto=") == 2
    assert not Payment.objects.exists()
    response = client.post(
        url, {"received_on": today(), "amount": "20000.00", "method": "transfer", "payer": "客户", "allocation": "auto"}
    )
    assert response.status_code == 303
    assert list(Installment.objects.order_by("position").values_list("received", flat=True)) == [
        Decimal("13000.00"),
        Decimal("7000.00"),
    ]


def test_an_over_allocation_by_hand_is_shown_on_the_form_with_both_numbers(people, contract):
    plan = money.payment_plan(contract, [(timezone.localdate(), "10000.00"), (timezone.localdate(), "103000.00")])
    first = plan.installments.get(position=1)
    response = login(people.finance).post(
        f"/receivables/contracts/{contract.pk}/payments/new/",
        {
            "received_on": today(),
            "amount": "20000.00",
            "method": "transfer",
            "allocation": "manual",
            f"alloc-{first.pk}": "12000.00",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "¥12,000.00" in body and "¥10,000.00" in body
    assert not Payment.objects.exists()


def test_the_payment_list_filters_exports_and_costs_the_same_queries_for_more_rows(people):
    client = login(people.finance)

    def add() -> None:
        for _n in range(3):
            c = money.contract(people.rep)
            money.payment_plan(c)
            services.payment_record(
                actor=people.finance, contract=c, received_on=timezone.localdate(), amount="100.00", payer="甲方"
            )

    add()
    assert_queries_constant(lambda: client.get("/receivables/payments/"), add)
    assert_queries_constant(lambda: client.get("/receivables/invoices/"), add)
    c = money.contract(people.rep)
    other = services.payment_record(
        actor=people.finance, contract=c, received_on=timezone.localdate(), amount="5.00", payer="乙方"
    )
    body = client.get("/receivables/payments/?q=乙方&kind=receipt").content.decode()
    ids = sorted(int(x) for x in re.findall(r'href="/receivables/payments/(\d+)/"', body))
    assert ids == [other.pk]
    export = client.get("/receivables/payments/export/")
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert sheet.max_row == 11  # the header and ten payments


def test_the_payment_list_shows_the_latest_receipt_first_however_late_it_was_entered(people):
    c = money.contract(people.rep)
    money.payment_plan(c)
    today = timezone.localdate()
    recent = services.payment_record(actor=people.finance, contract=c, received_on=today, amount="2.00")
    history = services.payment_record(
        actor=people.finance, contract=c, received_on=today - timedelta(days=90), amount="1.00"
    )  # entered later: a back-dated receipt
    body = login(people.finance).get("/receivables/payments/").content.decode()
    ids = [int(x) for x in re.findall(r'href="/receivables/payments/(\d+)/"', body)]
    assert ids == [recent.pk, history.pk]


def test_a_contract_shared_with_someone_shows_them_no_installments_of_a_plan_they_may_not_see(people, contract):
    """A read share of the contract is not one of its plan: the payment form answers 404 like the
    plan page, instead of listing the installments with what each still lacks."""
    from xietong.core.shares import share_record

    money.payment_plan(contract)
    Installment.objects.filter(plan__contract=contract).update(name="秘密预付款")
    share_record(actor=people.rep, record=contract, user=people.rep2)
    client = login(people.rep2)
    assert client.get(f"/contracts/{contract.pk}/").status_code == 200
    for url in (f"/receivables/contracts/{contract.pk}/plan/", f"/receivables/contracts/{contract.pk}/payments/new/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "秘密预付款" not in response.content.decode()
    assert "秘密预付款" in login(people.rep).get(f"/receivables/contracts/{contract.pk}/payments/new/").content.decode()


def test_a_contract_shared_with_someone_offers_them_no_money_forms_and_refuses_them_like_a_missing_one(
    people, contract
):
    """The share lets them read the contract (and its money panel), not record its money: the panel
    offers no payment or invoice, the forms and their posts answer 404, the services NotFound —
    before anything is written, where the invoice post used to end in a bare 403."""
    from xietong.core.shares import share_record

    share_record(actor=people.rep, record=contract, user=people.rep2)
    client = login(people.rep2)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="contract-money"' in page
    assert "/payments/new/" not in page and "/invoices/new/" not in page
    invoice = {"kind": "ordinary", "amount": "1000.00", "tax_rate": "13", "title": "发票抬头"}
    payment = {"received_on": today(), "amount": "1.00", "method": "transfer", "allocation": "auto"}
    for url, data in (
        (f"/receivables/contracts/{contract.pk}/invoices/new/", invoice),
        (f"/receivables/contracts/{contract.pk}/payments/new/", payment),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    plan_page = client.get(f"/receivables/contracts/{contract.pk}/plan/").content.decode()
    assert "Save the plan" not in plan_page and zh("Save the plan") not in plan_page
    with pytest.raises(NotFound):
        services.invoice_request(actor=people.rep2, contract=contract, amount="1000.00", kind="ordinary")
    with pytest.raises(NotFound):
        services.plan_save(
            actor=people.rep2, contract=contract, installments=[{"due_date": today(30), "amount": "113000.00"}]
        )
    assert not Invoice.objects.exists() and not PaymentPlan.objects.exists()
    page = login(people.rep).get(f"/contracts/{contract.pk}/").content.decode()
    assert "/payments/new/" in page and "/invoices/new/" in page


def test_a_sales_rep_sees_only_payments_of_their_own_contracts(people):
    mine, theirs = money.contract(people.rep), money.contract(people.rep2)
    for c in (mine, theirs):
        money.payment_plan(c)
        services.payment_record(actor=people.finance, contract=c, received_on=timezone.localdate(), amount="1.00")
    body = login(people.rep).get("/receivables/payments/").content.decode()
    assert mine.number in body and theirs.number not in body


def test_the_invoice_request_form_prefills_from_the_customer_and_submits(people, contract):
    client = login(people.rep)
    url = f"/receivables/contracts/{contract.pk}/invoices/new/"
    assert contract.customer.name in client.get(url).content.decode()
    response = client.post(url, {"kind": "ordinary", "amount": "1000.00", "tax_rate": "13", "title": "发票抬头"})
    assert response.status_code == 303
    invoice = Invoice.objects.get()
    assert (invoice.title, invoice.status) == ("发票抬头", "approved")
    page = client.get(f"/receivables/invoices/{invoice.pk}/").content.decode()
    assert "发票抬头" in page
    finance = login(people.finance)
    # a date in the future is refused under its field, with what was typed kept (it was a banner,
    # and the number typed was gone)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = finance.post(f"/receivables/invoices/{invoice.pk}/issue/", {"number": "No.8", "issued_on": tomorrow})
    page = response.content.decode()
    assert response.status_code == 200 and Invoice.objects.get().status == "approved"
    assert re.search(r'name="number"[^>]*value="No.8"|value="No.8"[^>]*name="number"', page)
    assert re.search(rf'name="issued_on"[^>]*value="{tomorrow}"|value="{tomorrow}"[^>]*name="issued_on"', page)
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*name="issued_on"[^>]*>', page).group(0)
    response = finance.post(f"/receivables/invoices/{invoice.pk}/issue/", {"number": "No.8", "issued_on": today()})
    assert response.status_code == 303
    assert Invoice.objects.get().status == "issued"


@pytest.mark.parametrize("as_of", ["2024-02-30", "0001-01-01", "not-a-date"])
def test_the_aging_page_shows_todays_aging_for_a_day_that_does_not_exist(people, contract, as_of):
    client = login(people.finance)
    assert client.get(f"/receivables/aging/?as_of={as_of}").status_code == 200
    assert client.get(f"/receivables/aging/export/?as_of={as_of}").status_code == 200
    assert client.get(f"/api/v1/receivables/aging?as_of={as_of}").status_code == 422


def test_the_aging_page_and_its_export(people, contract):
    money.payment_plan(
        contract, [(timezone.localdate() - timedelta(days=100), "13000.00"), (timezone.localdate(), "100000.00")]
    )
    client = login(people.finance)
    response = client.get("/receivables/aging/?group_by=owner")
    body = response.content.decode()
    assert response.status_code == 200 and "王销售" in body and 'id="aging-chart-data"' in body
    # on a phone the table stacks into cards, its totals row too: every figure says which bucket it is
    table = body[body.index('<table class="table xt-table xt-stack mb-0" data-aging>') :]
    table = table[: table.index("</table>")]
    assert table.count("<td") == 7 + 6 and table.count("<td") == table.count("data-label=")  # one row, the totals
    export = client.get("/receivables/aging/export/?group_by=customer")
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0][0] == contract.customer.name and rows[0][1] == 100000 and rows[0][5] == 13000


def _render(template: str, user: Any, **ctx: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template(template).render(Context({"request": request, "user": user, **ctx}))


def test_the_contract_money_panel_shows_the_summary_on_contracts_only(people, contract):
    money.payment_plan(contract)
    services.payment_record(
        actor=people.finance, contract=contract, received_on=timezone.localdate(), amount="13000.00"
    )
    html = _render('{% include "receivables/contract_money_panel.html" %}', people.rep, record=contract)
    assert 'data-figure="received">¥13,000.00<' in html
    assert "contract-money" in html
    assert (
        _render('{% include "receivables/contract_money_panel.html" %}', people.rep, record=contract.customer).strip()
        == ""
    )


def test_the_customer_tab_lists_open_installments(people, contract):
    money.payment_plan(contract, [(timezone.localdate() - timedelta(days=3), "113000.00")])
    html = _render('{% include "receivables/customer_tab.html" %}', people.rep, customer=contract.customer)
    assert contract.number in html and "¥113,000.00" in html


def test_my_day_lists_my_overdue_installments(people, contract):
    from xietong.receivables.registrations import overdue_section

    money.payment_plan(
        contract, [(timezone.localdate() - timedelta(days=3), "100000.00"), (timezone.localdate(), "13000.00")]
    )
    section = overdue_section(people.rep)
    assert section is not None and [i.amount for i in section["items"]] == [Decimal("100000.00")]
    assert overdue_section(people.rep2) is None
    assert login(people.rep).get("/").status_code == 200


def test_every_money_page_opens_for_the_contract_owner(people, contract):
    money.payment_plan(contract)
    payment = services.payment_record(
        actor=people.finance, contract=contract, received_on=timezone.localdate(), amount="10.00"
    )
    invoice = services.invoice_request(
        actor=people.rep, contract=contract, amount="10.00", kind="ordinary", tax_number=""
    )
    client = login(people.rep)
    for url in (
        f"/receivables/contracts/{contract.pk}/plan/",
        f"/receivables/contracts/{contract.pk}/payments/new/",
        f"/receivables/contracts/{contract.pk}/invoices/new/",
        f"/receivables/payments/{payment.pk}/",
        f"/receivables/payments/{payment.pk}/refund/",
        f"/receivables/invoices/{invoice.pk}/",
        "/receivables/payments/",
        "/receivables/invoices/",
        "/receivables/aging/",
    ):
        assert client.get(url).status_code == 200, url
    assert login(people.rep2).get(f"/receivables/payments/{payment.pk}/").status_code == 404


def test_the_refund_button_shows_while_something_of_the_payment_is_left_to_refund(people, contract):
    """A payment refunded in full no longer offers "Refund" (its form could only refuse)."""
    payment = services.payment_record(
        actor=people.finance, contract=contract, received_on=timezone.localdate(), amount="100.00"
    )
    client = login(people.finance)
    refund_link = f'href="/receivables/payments/{payment.pk}/refund/"'
    for amount, shown in (("60.00", True), ("40.00", False)):
        assert refund_link in client.get(f"/receivables/payments/{payment.pk}/").content.decode()
        services.payment_refund(actor=people.finance, payment=payment, amount=amount, refunded_on=timezone.localdate())
        assert services.refundable_of(payment) == Decimal("100.00") - Decimal(amount) - (0 if shown else 60)
        assert (refund_link in client.get(f"/receivables/payments/{payment.pk}/").content.decode()) is shown


def test_the_list_filters_are_styled_like_every_other_filter_bar_and_invoices_link_their_contract(people, contract):
    """The payment and invoice filters were plain Django forms: their selects and dates came out as the
    browser's own small controls."""
    services.invoice_request(actor=people.rep, contract=contract, amount="10.00", kind="ordinary", tax_number="")
    client = login(people.finance)
    payments = client.get("/receivables/payments/").content.decode()
    invoices = client.get("/receivables/invoices/").content.decode()

    for page, name in ((payments, "kind"), (payments, "method"), (invoices, "status"), (invoices, "kind")):
        assert re.search(rf'<select name="{name}" class="form-select[^"]*"', page), name
    assert re.search(r'<input type="date" name="date_from"[^>]* class="form-control', payments)
    assert f'<a href="/receivables/contracts/{contract.pk}/plan/">{contract.number}</a>' in invoices


def test_a_draft_contract_handed_to_someone_else_hands_over_its_plan(people):
    """The plan is owned by the contract's owner: the new owner sees it, the old one no longer, and
    aging by owner counts it under the new owner."""
    from xietong.contracts import services as contracts
    from xietong.contracts.models import Contract
    from xietong.receivables import selectors

    c = money.contract(people.rep, status="draft")
    services.plan_save(
        actor=people.rep,
        contract=c,
        installments=[
            {"name": "预付款", "due_date": timezone.localdate() - timedelta(days=40), "amount": str(c.amount)}
        ],
    )
    contracts.contract_update(actor=people.manager, contract=c, owner=people.rep2)
    assert PaymentPlan.objects.get(contract=c).owner_id == people.rep2.pk
    assert login(people.rep2).get(f"/receivables/contracts/{c.pk}/plan/").status_code == 200
    assert login(people.rep).get(f"/receivables/contracts/{c.pk}/plan/").status_code == 404
    # nothing is owed before the plan is in force and the contract signed
    assert selectors.aging(user=people.finance, group_by="owner").rows == []
    services.plan_submit(actor=people.rep2, plan=PaymentPlan.objects.get(contract=c))  # no flow: in force
    Contract.objects.filter(pk=c.pk).update(status="signed", signed_date=timezone.localdate())
    rows = selectors.aging(user=people.finance, group_by="owner").rows
    assert [(row.key, row.total) for row in rows] == [(people.rep2.pk, c.amount)]


def test_the_customer_tab_totals_count_every_open_installment_not_only_those_listed(people):
    """It summed the 50 rows it lists: ¥50,000 open and overdue where the aging said ¥113,000 and ¥60,000."""
    from xietong.receivables import selectors

    today = timezone.localdate()
    c = money.contract(people.rep)
    money.payment_plan(c, [(today - timedelta(days=5), "1000.00")] * 60 + [(today, "53000.00")])
    aging = selectors.aging(user=people.rep, group_by="customer").rows[0]
    assert (aging.total, aging.overdue) == (Decimal("113000.00"), Decimal("60000.00"))
    html = _render('{% include "receivables/customer_tab.html" %}', people.rep, customer=c.customer)
    shown = {k: re.search(rf'data-figure="{k}">([^<]*)<', html).group(1) for k in ("open", "overdue")}
    assert shown == {"open": "¥113,000.00", "overdue": "¥60,000.00"}
    assert '<span class="xt-count">61</span>' in html
    assert html.count('data-label="' + zh("Installment") + '"') == 50


def test_a_draft_contract_offers_no_money_forms(people):
    """ "Record a payment" and "Request an invoice" were offered on a draft, then refused when posted."""
    from xietong.contracts.choices import ContractStatus

    draft = money.contract(people.rep, status=ContractStatus.DRAFT)
    client = login(people.finance)
    for url in (f"/contracts/{draft.pk}/", f"/receivables/contracts/{draft.pk}/plan/"):
        page = client.get(url).content.decode()
        assert (f"/receivables/contracts/{draft.pk}/payments/new/" in page, url) == (False, url)
        assert f"/receivables/contracts/{draft.pk}/invoices/new/" not in page
    signed = money.contract(people.rep)
    page = client.get(f"/contracts/{signed.pk}/").content.decode()
    assert f"/receivables/contracts/{signed.pk}/payments/new/" in page


def test_allocate_what_is_left_is_offered_only_while_an_installment_is_open(people, contract):
    """An overpayment left money unallocated with every installment paid: the button was offered,
    and pressing it answered "No installment of the plan is open"."""
    today = timezone.localdate()
    money.payment_plan(contract, [(today, "113000.00")])
    over = services.payment_record(actor=people.finance, contract=contract, received_on=today, amount="120000.00")
    client = login(people.finance)

    def offered(payment: Any) -> bool:
        page = client.get(f"/receivables/payments/{payment.pk}/").content.decode()
        return f'action="/receivables/payments/{payment.pk}/allocate/"' in page

    assert (services.unallocated_of(over), offered(over)) == (Decimal("7000.00"), False)
    # a payment recorded before the contract had a plan: once the plan exists, it can be allocated
    other = money.contract(people.rep)
    early = services.payment_record(actor=people.finance, contract=other, received_on=today, amount="1000.00")
    assert offered(early) is False
    money.payment_plan(other, [(today, "113000.00")])
    assert offered(early) is True


def test_the_payment_form_promises_no_allocation_while_the_plan_is_in_approval(people, contract):
    """The preview showed the amount allocated automatically; the service records it unallocated."""
    money.payment_plan(contract, status=PlanStatus.IN_APPROVAL)
    client = login(people.finance)
    url = f"/receivables/contracts/{contract.pk}/payments/new/"
    page = client.get(f"{url}?amount=1000").content.decode()
    assert ('data-auto="' in page, 'id="allocation-waits"' in page) == (False, True)
    response = client.post(
        url,
        {
            "received_on": timezone.localdate().isoformat(),
            "amount": "1000.00",
            "allocation": "manual",
            "method": "transfer",
        },
    )
    assert response.status_code == 303, response.content.decode()[:500]
    payment = Payment.objects.get(contract=contract)
    assert (payment.amount, payment.allocations.count()) == (Decimal("1000.00"), 0)


def test_the_plan_editor_puts_an_installments_error_on_its_row(people, contract):
    """A row without a due date was refused with one message at the top, naming no row."""
    today = timezone.localdate()
    data = {
        "inst-TOTAL_FORMS": "4",
        "inst-INITIAL_FORMS": "0",
        "inst-0-due_date": (today + timedelta(days=1)).isoformat(),
        "inst-0-amount": "50000.00",
        # an empty row between (not sent to the service)
        "inst-2-due_date": (today + timedelta(days=2)).isoformat(),
        "inst-2-amount": "60000.00",
        "inst-3-name": "质保金",
        "inst-3-amount": "3000.00",  # no due date
    }
    page = login(people.rep).post(f"/receivables/contracts/{contract.pk}/plan/", data).content.decode()
    due = {n: re.search(rf'<input[^>]*name="inst-{n}-due_date"[^>]*>', page).group(0) for n in (0, 2, 3)}
    assert ['aria-invalid="true"' in due[n] for n in (0, 2, 3)] == [False, False, True]
    assert 'value="质保金"' in page and not PaymentPlan.objects.exists()


def test_a_manual_allocation_too_large_is_refused_on_its_installments_row(people, contract):
    """The error was only in the summary ("this installment"), the row not marked."""
    today = timezone.localdate()
    plan = money.payment_plan(contract, [(today, "60000.00"), (today + timedelta(days=30), "53000.00")])
    first, second = plan.installments.order_by("position")
    response = login(people.finance).post(
        f"/receivables/contracts/{contract.pk}/payments/new/",
        {
            "received_on": today.isoformat(),
            "amount": "60000.00",
            "method": "transfer",
            "allocation": "manual",
            f"alloc-{first.pk}": "1000.00",
            f"alloc-{second.pk}": "59000.00",
        },
    )
    page = response.content.decode()
    inputs = {i.pk: re.search(rf'<input[^>]*name="alloc-{i.pk}"[^>]*>', page).group(0) for i in (first, second)}
    assert ['aria-invalid="true"' in inputs[i.pk] for i in (first, second)] == [False, True]
    assert 'value="59000.00"' in inputs[second.pk]
    assert (
        zh(
            "Allocating %(amount)s exceeds the %(open)s still open on this installment.",
            amount="¥59,000.00",
            open="¥53,000.00",
        )
        in page
    )
    assert not Payment.objects.exists()
