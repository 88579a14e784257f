"""Contract pages: the list (filters, keyset pages, no N+1, export), the page of a contract (lines,
parties, actions by status, the scan, versions, panels), create with lines, edit refused in review
(409), submit, sign with the scan, terminate, amend and the versions, the number settings with the
preview; the customer tab, the panels on quote and opportunity pages, My day's "contracts to renew",
the search."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import login
from tests.support.clock import midday
from tests.support.crm import owned
from tests.support.factories import pdf_bytes
from tests.support.forms import submitted
from tests.support.i18n import zh
from tests.support.money import contract, order, quote
from tests.support.pipeline import ProductFactory, opportunity
from tests.support.queries import assert_queries_constant, counts_of_pages
from xietong.contracts import registrations
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract, ContractSequence, ContractVersion
from xietong.core.files import SANDBOX
from xietong.core.models import AuditEntry
from xietong.customers.registrations import customer_tabs
from xietong.quotes.choices import QuoteStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _on_one_day():
    """The whole module reads ``TODAY``: a run across midnight must not move it."""
    with midday(TODAY):
        yield


def test_the_list_shows_what_the_user_sees_with_filters_and_no_n_plus_one(people):
    mine = contract(people.rep, status=S.ACTIVE, title="我的合同")
    contract(people.outsider, status=S.ACTIVE, title="外部合同")
    contract(people.rep, status=S.DRAFT, title="草稿合同")
    client = login(people.rep)
    page = client.get("/contracts/?status=active").content.decode()
    assert "我的合同" in page and "外部合同" not in page and "草稿合同" not in page
    assert mine.number in page
    assert_queries_constant(
        lambda: client.get("/contracts/"),
        lambda: [contract(people.rep, status=S.SIGNED) for _ in range(3)],
    )


def test_the_export_is_an_excel_of_the_visible_contracts(people):
    c = contract(people.manager, status=S.ACTIVE)
    contract(people.outsider, status=S.ACTIVE)
    response = login(people.manager).get("/contracts/export/")
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [c.number]
    assert login(people.rep).get("/contracts/export/").status_code == 403  # reps may not export


def test_create_a_contract_with_lines_on_the_page(people):
    customer = owned(owner=people.rep).customer
    product = ProductFactory()
    client = login(people.rep)
    assert client.get(f"/contracts/new/?customer={customer.pk}").status_code == 200
    response = client.post(
        "/contracts/new/",
        {
            "customer": customer.pk,
            "title": "页面合同",
            "renewal_notice_days": "30",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + timedelta(days=90)).isoformat(),
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": product.pk,
            "lines-0-quantity": "2",
            "lines-0-unit_price": "500.00",
            "lines-0-discount_amount": "",
            "lines-0-tax_rate": "13.00",
            "lines-1-tax_rate": "13.00",
        },
    )
    c = Contract.objects.get()
    assert (response.status_code, response["Location"]) == (303, f"/contracts/{c.pk}/")
    assert (c.title, c.amount, c.lines.count()) == ("页面合同", Decimal("1130.00"), 1)


def test_the_new_contract_page_holds_only_the_chosen_customer_and_never_one_out_of_sight(people):
    """The customer select is a search box (``SearchSelect``): the page holds the chosen customer
    only, whatever the number the user sees, and its queries do not grow with them."""
    mine = owned(owner=people.rep, customer__name="自己的客户有限公司").customer
    other = owned(owner=people.rep, customer__name="另一家客户有限公司").customer
    hidden = owned(owner=people.outsider, customer__name="看不见的客户有限公司").customer
    client = login(people.rep)

    blank = client.get("/contracts/new/").content.decode()
    chosen = client.get(f"/contracts/new/?customer={mine.pk}").content.decode()
    out_of_sight = client.get(f"/contracts/new/?customer={hidden.pk}").content.decode()

    assert 'data-xt-picker="/api/v1/customers"' in blank
    assert [name for name in (mine.name, other.name, hidden.name) if name in blank] == []
    assert f'<option value="{mine.pk}" selected>{mine.name}</option>' in chosen
    assert other.name not in chosen
    assert hidden.name not in out_of_sight
    assert_queries_constant(
        lambda: client.get(f"/contracts/new/?customer={mine.pk}"),
        lambda: [owned(owner=people.rep) for _ in range(5)],
    )


def test_a_refused_line_is_shown_on_its_row(people):
    customer = owned(owner=people.rep).customer
    product = ProductFactory()
    response = login(people.rep).post(
        "/contracts/new/",
        {
            "customer": customer.pk,
            "title": "页面合同",
            "renewal_notice_days": "30",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": product.pk,
            "lines-0-quantity": "1",
            "lines-0-unit_price": "10.00",
            "lines-0-discount_amount": "20.00",
            "lines-0-tax_rate": "13.00",
        },
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors == {
        "discount_amount": [zh("The discount is more than the line is worth before it.")]
    }
    assert Contract.objects.count() == 0


def test_the_detail_page_shows_lines_parties_and_the_actions_of_its_status(people):
    c = contract(people.rep, status=S.DRAFT)
    page = login(people.rep).get(f"/contracts/{c.pk}/").content.decode()
    assert (
        c.number in page and c.party_a in page and 'id="contract-submit"' in page and 'id="contract-sign"' not in page
    )
    assert 'id="contract-lines"' in page
    viewer = login(people.manager).get(f"/contracts/{c.pk}/").content.decode()
    assert 'id="contract-submit"' in viewer  # the manager edits the team's contracts
    assert login(people.outsider).get(f"/contracts/{c.pk}/").status_code == 404


def test_saving_the_editor_as_rendered_keeps_each_lines_delivery_month_and_description(people):
    """The contract's own form posted back with a new title: its lines keep their delivery months and
    descriptions (the editor did not show them, so a save cleared them; orders and the demand plan
    read the months)."""
    c = contract(people.rep, status=S.DRAFT, lines=[(None, "2", "50000.00"), (None, "3", "1200.00")])
    c.lines.filter(position=1).update(delivery_month=date(2027, 2, 1), description="分两批交付")
    client = login(people.rep)
    data = submitted(client.get(f"/contracts/{c.pk}/edit/").content.decode(), "contract-editor")
    assert data["lines-0-delivery_month"] == "2027-02"
    data["title"] = "只改标题"

    assert client.post(f"/contracts/{c.pk}/edit/", data).status_code == 303
    c.refresh_from_db()
    assert c.title == "只改标题"
    assert list(c.lines.order_by("position").values_list("quantity", "delivery_month", "description")) == [
        (Decimal("2.000"), date(2027, 2, 1), "分两批交付"),
        (Decimal("3.000"), None, ""),
    ]
    page = client.get(f"/contracts/{c.pk}/").content.decode()
    assert "分两批交付" in page and page.count("data-delivery-month>") == 1 and " 2027-02</div>" in page


def test_edit_is_refused_while_in_review_on_the_page(people):
    c = contract(people.rep, status=S.IN_REVIEW, title="审核中")
    client = login(people.rep)
    assert client.get(f"/contracts/{c.pk}/edit/").status_code == 409
    response = client.post(f"/contracts/{c.pk}/edit/", {"title": "改"})
    assert response.status_code == 409
    assert Contract.objects.get(pk=c.pk).title == "审核中"
    page = client.get(f"/contracts/{c.pk}/").content.decode()
    assert 'id="contract-locked"' in page and 'id="contract-edit"' not in page


def test_submit_sign_and_download_the_scan_on_the_pages(people, engine):
    c = contract(people.rep, status=S.DRAFT)
    client = login(people.rep)
    assert client.post(f"/contracts/{c.pk}/submit/").status_code == 303
    c.refresh_from_db()
    assert c.status == S.IN_REVIEW
    # the changes show once, in the record's timeline (no second trail of the same entries)
    page = client.get(f"/contracts/{c.pk}/").content.decode()
    trail = AuditEntry.objects.for_object(c).count()
    assert trail >= 1
    assert "xt-timeline" in page and 'id="contract-history-title"' not in page
    assert page.count('class="xt-history-entry') == trail
    engine.approve(c)
    assert client.get(f"/contracts/{c.pk}/sign/").status_code == 200
    scan = SimpleUploadedFile("签字.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(f"/contracts/{c.pk}/sign/", {"signed_date": TODAY.isoformat(), "scan": scan})
    assert response.status_code == 303
    c.refresh_from_db()
    assert c.status == S.ACTIVE
    # the history names the file, not where it is stored (contracts/2026/12/…)
    stored = c.signed_scan.name
    signed = AuditEntry.objects.for_object(c).filter(changes__has_key="signed_scan").get()
    assert signed.changes["signed_scan"] == ["", stored.rsplit("/", 1)[-1]] and "/" in stored
    download = client.get(f"/contracts/{c.pk}/scan/")
    assert (download.status_code, b"".join(download.streaming_content)[:5]) == (200, b"%PDF-")
    assert download["Content-Disposition"].startswith("attachment;")
    assert stored.rsplit("/", 1)[-1] in unquote(download["Content-Disposition"])
    assert (download["X-Content-Type-Options"], download["Content-Security-Policy"]) == ("nosniff", SANDBOX)
    assert login(people.outsider).get(f"/contracts/{c.pk}/scan/").status_code == 404


def test_a_scan_whose_file_is_gone_answers_404_not_a_failure(people):
    """A contract row that outlived its scan's bytes (a database restored without the media folder)."""
    c = contract(people.rep, status=S.ACTIVE)
    Contract.objects.filter(pk=c.pk).update(signed_scan="contracts/2026/12/gone.pdf")
    assert login(people.rep).get(f"/contracts/{c.pk}/scan/").status_code == 404


def test_terminate_needs_a_reason_on_the_page(people):
    c = contract(people.rep, status=S.ACTIVE)
    client = login(people.rep)
    assert client.post(f"/contracts/{c.pk}/terminate/", {"reason": ""}).status_code == 200
    assert client.post(f"/contracts/{c.pk}/terminate/", {"reason": "客户取消"}).status_code == 303
    assert Contract.objects.get(pk=c.pk).status == S.TERMINATED


def test_amend_on_the_page_keeps_a_version_shown_on_the_versions_pages(people, engine):
    c = contract(people.rep, status=S.ACTIVE, terms="旧条款")
    client = login(people.rep)
    form = client.get(f"/contracts/{c.pk}/amend/")
    assert form.status_code == 200
    line = c.lines.get()
    response = client.post(
        f"/contracts/{c.pk}/amend/",
        {
            "title": c.title,
            "terms": "新条款",
            "reason": "条款调整",
            "renewal_notice_days": "30",
            "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat(),
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-product": line.product_id,
            "lines-0-quantity": str(line.quantity),
            "lines-0-unit_price": str(line.unit_price),
            "lines-0-discount_amount": str(line.discount_amount),
            "lines-0-tax_rate": f"{line.tax_rate:.2f}",
        },
    )
    assert response.status_code == 303
    c.refresh_from_db()
    assert (c.status, c.version, c.terms) == (S.IN_REVIEW, 2, "新条款")
    assert ContractVersion.objects.get(contract=c).snapshot["fields"]["terms"] == "旧条款"
    assert "条款调整" in client.get(f"/contracts/{c.pk}/versions/").content.decode()
    assert "旧条款" in client.get(f"/contracts/{c.pk}/versions/1/").content.decode()
    assert client.get(f"/contracts/{c.pk}/versions/9/").status_code == 404


def test_an_amendment_on_the_page_keeps_the_orders_of_its_lines(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    o = order(c)
    (line,) = c.lines.all()
    client = login(people.rep)
    data = submitted(client.get(f"/contracts/{c.pk}/amend/").content.decode(), "contract-editor")
    assert data["lines-0-id"] == str(line.pk)
    data.update({"reason": "加量", "lines-0-quantity": str(line.quantity + 5)})
    assert client.post(f"/contracts/{c.pk}/amend/", data).status_code == 303
    engine.approve(c)
    assert list(c.lines.values_list("pk", "quantity")) == [(line.pk, line.quantity + 5)]
    assert list(o.lines.values_list("contract_line_id", flat=True)) == [line.pk]
    data = submitted(client.get(f"/contracts/{c.pk}/amend/").content.decode(), "contract-editor")
    data.update({"reason": "减量", "lines-0-quantity": "0.5"})
    body = client.post(f"/contracts/{c.pk}/amend/", data).content.decode()
    assert (
        zh("%(quantity)s of this line have been ordered: it cannot be less.")
        % {"quantity": f"{line.quantity.normalize():f}"}
        in body
    )


def test_a_contract_from_an_accepted_quote_on_the_page(people):
    q = quote(people.rep, status=QuoteStatus.ACCEPTED, title="设备报价")
    client = login(people.rep)
    assert client.get(f"/contracts/from-quote/{q.pk}/").status_code == 200
    response = client.post(f"/contracts/from-quote/{q.pk}/", {"title": "设备合同"})
    c = Contract.objects.get()
    assert (response.status_code, c.quote_id, c.amount) == (303, q.pk, q.total)
    foreign = quote(people.outsider, status=QuoteStatus.ACCEPTED)
    assert client.get(f"/contracts/from-quote/{foreign.pk}/").status_code == 404


def test_the_opportunity_page_has_a_contracts_panel(people):
    opp = opportunity(people.rep, customer=owned(owner=people.rep).customer)
    page = login(people.rep).get(f"/pipeline/opportunities/{opp.pk}/").content.decode()
    assert 'id="xt-contracts-panel"' in page and 'id="contract-for-opportunity"' in page


def test_the_number_settings_show_the_next_number_and_save_a_pattern(people):
    client = login(people.head)
    bu = people.org["bu1"]
    page = client.get("/contracts/settings/numbers/").content.decode()
    assert f"HT-IND-{TODAY.year}-0001" in page
    response = client.post(f"/contracts/settings/numbers/{bu.pk}/", {"pattern": "{prefix}-{seq:03d}", "prefix": "GY"})
    assert response.status_code == 303
    assert ContractSequence.objects.get(business_unit=bu).pattern == "{prefix}-{seq:03d}"
    assert client.get(f"/contracts/settings/numbers/{people.org['bu2'].pk}/").status_code == 404
    assert login(people.rep).get(f"/contracts/settings/numbers/{bu.pk}/").status_code == 404


def test_the_customer_tab_lists_the_customers_contracts(people):
    c = contract(people.rep, status=S.ACTIVE)
    assert "contracts" in [t.code for t in customer_tabs(people.rep, c.customer)]
    rows = login(people.rep).get(
        f"/contracts/?customer={c.customer_id}", headers={"HX-Request": "true", "HX-Target": "customer-contracts"}
    )
    assert c.number in rows.content.decode() and "<html" not in rows.content.decode()


def test_my_day_lists_my_contracts_to_renew(people):
    soon = contract(people.rep, status=S.ACTIVE, end_date=TODAY + timedelta(days=20), title="将到期")
    contract(people.rep, status=S.ACTIVE, end_date=TODAY + timedelta(days=200), title="远期")
    section = registrations.contracts_to_renew_section(people.rep)
    assert [c.pk for c in section["items"]] == [soon.pk]
    assert registrations.contracts_to_renew_section(people.rep2) is None
    assert "将到期" in login(people.rep).get("/").content.decode()


def test_search_finds_visible_contracts(people):
    c = contract(people.rep, status=S.ACTIVE, title="华东机床合同")
    contract(people.outsider, status=S.ACTIVE, title="华东外部合同")
    assert [h.title for h in registrations.search_contracts(people.rep, "华东", 10)] == [f"{c.number} 华东机床合同"]


def test_an_accepted_quote_page_offers_create_contract_and_a_draft_does_not(people):
    accepted = quote(people.rep, status=QuoteStatus.ACCEPTED)
    draft = quote(people.rep, status=QuoteStatus.DRAFT)
    client = login(people.rep)
    page = client.get(f"/quotes/{accepted.pk}/").content.decode()
    assert f'href="/contracts/from-quote/{accepted.pk}/"' in page
    assert 'id="contract-from-quote"' not in client.get(f"/quotes/{draft.pk}/").content.decode()


def test_the_editor_reads_the_products_once_whatever_its_rows(people):
    short = contract(people.rep, status=S.DRAFT)
    long = contract(people.rep, status=S.DRAFT, lines=[(None, "1", "100.00")] * 12)
    client = login(people.rep)
    counts = counts_of_pages(client, [f"/contracts/{short.pk}/edit/?rows=1", f"/contracts/{short.pk}/edit/?rows=40"])
    assert counts_of_pages(client, [f"/contracts/{long.pk}/edit/?rows=1"]) == counts[:1] == counts[1:]


def test_a_post_claiming_more_rows_than_the_editor_offers_is_refused_and_saves_nothing(people):
    c = contract(people.rep, status=S.DRAFT, lines=[(None, "2", "50000.00"), (None, "3", "1200.00")])
    title = c.title
    client = login(people.rep)
    data = submitted(client.get(f"/contracts/{c.pk}/edit/").content.decode(), "contract-editor")
    rows = int(data["lines-TOTAL_FORMS"])
    data.update({"title": "只改标题", "lines-TOTAL_FORMS": "100000"})

    response = client.post(f"/contracts/{c.pk}/edit/", data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == rows  # those posted, shown again
    assert response.context["formset"].non_form_errors() == ["请最多提交 202 个表单。"]  # 2 lines, 200 new rows
    c.refresh_from_db()
    assert (c.title, c.lines.count()) == (title, 2)
