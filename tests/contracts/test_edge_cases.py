"""Contracts: defects found by exploratory testing, each pinned here."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.conftest import login
from tests.contracts.test_api import send
from tests.support.clock import midday
from tests.support.crm import owned
from tests.support.factories import pdf_bytes
from tests.support.forms import submitted
from tests.support.money import contract, quote
from tests.support.pipeline import ProductFactory
from xietong.contracts import services
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract
from xietong.quotes.choices import QuoteStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _on_one_day():
    with midday(TODAY):
        yield


def test_a_contract_from_a_dollar_quote_is_in_yuan_at_the_quotes_rate(people):
    q = quote(people.rep, status=QuoteStatus.ACCEPTED, currency="USD", exchange_rate=Decimal("7.1"))
    c = services.contract_create_from_quote(actor=people.rep, quote=q)
    (line,) = c.lines.all()
    assert (c.currency, line.unit_price, c.amount) == ("CNY", Decimal("355000.00"), Decimal("802300.00"))


@pytest.mark.parametrize("cleared", ["start_date", "end_date"])
def test_an_amendment_cannot_clear_the_term(people, engine, cleared):
    c = contract(people.rep, status=S.ACTIVE)
    with pytest.raises(ValidationError) as refused:
        services.contract_amend(actor=people.rep, contract=c, reason="x", **{cleared: None})
    assert list(refused.value.message_dict) == [cleared]
    c.refresh_from_db()
    assert (c.status, c.version, c.start_date is not None, c.end_date is not None) == (S.ACTIVE, 1, True, True)


def test_an_amendment_that_moves_the_start_ahead_leaves_the_contract_signed_until_then(people, engine):
    c = contract(
        people.rep, status=S.ACTIVE, start_date=TODAY - timedelta(days=5), end_date=TODAY + timedelta(days=300)
    )
    services.contract_amend(
        actor=people.rep,
        contract=c,
        reason="项目推迟",
        start_date=TODAY + timedelta(days=30),
        end_date=TODAY + timedelta(days=400),
    )
    engine.approve(c)
    assert c.status == S.SIGNED
    assert services.contracts_daily(today=TODAY + timedelta(days=30))["activated"] == 1


def test_the_api_amends_the_parties(people, engine):
    c = contract(people.rep, status=S.ACTIVE)
    response = send(
        login(people.rep), "post", f"/api/v1/contracts/{c.pk}/amend", {"reason": "更名", "party_a": "新名字有限公司"}
    )
    assert (response.status_code, response.json()["party_a"]) == (200, "新名字有限公司")


def test_the_editor_saved_unchanged_keeps_each_lines_unit(people):
    product = ProductFactory(unit="台")
    c = contract(people.rep, status=S.DRAFT, lines=[(product, "2", "50000.00")])
    c.lines.update(unit="套")  # as quoted; the catalogue's unit changed since
    client = login(people.rep)
    data = submitted(client.get(f"/contracts/{c.pk}/edit/").content.decode(), "contract-editor")
    assert client.post(f"/contracts/{c.pk}/edit/", data).status_code == 303
    assert c.lines.get().unit == "套"
    other = ProductFactory(unit="米")
    data = submitted(client.get(f"/contracts/{c.pk}/edit/").content.decode(), "contract-editor")
    data["lines-0-product"] = str(other.pk)
    assert client.post(f"/contracts/{c.pk}/edit/", data).status_code == 303
    assert c.lines.get().unit == "米"  # another product: its unit


@pytest.mark.parametrize("pattern", ["HT/{yyyy}/{seq:04d}", "../{seq}"])
def test_a_number_with_slashes_still_signs_and_downloads(people, engine, pattern):
    services.sequence_save(actor=people.head, business_unit=people.org["bu1"], pattern=pattern)
    c = services.contract_create(
        actor=people.rep,
        customer=owned(owner=people.rep).customer,
        title="t",
        business_unit=people.org["bu1"],
        lines=[{"product": ProductFactory().pk, "quantity": "1", "unit_price": "10"}],
        start_date=TODAY,
        end_date=TODAY + timedelta(days=10),
    )
    Contract.objects.filter(pk=c.pk).update(status=S.APPROVED)
    client = login(people.rep)
    scan = SimpleUploadedFile("s.pdf", pdf_bytes())
    assert client.post(f"/contracts/{c.pk}/sign/", {"signed_date": TODAY.isoformat(), "scan": scan}).status_code == 303
    c.refresh_from_db()
    assert "/" not in c.signed_scan.name.removeprefix("contracts/").split("/", 2)[-1]
    assert client.get(f"/contracts/{c.pk}/scan/").status_code == 200


def test_a_quote_becomes_one_contract_until_that_one_is_terminated(people):
    """A double submit of "create the contract" made two drafts, each taking a number."""
    from xietong.core.errors import Conflict

    q = quote(people.rep, status=QuoteStatus.ACCEPTED)
    first = services.contract_create_from_quote(actor=people.rep, quote=q)
    with pytest.raises(Conflict) as refused:
        services.contract_create_from_quote(actor=people.rep, quote=q)
    assert str(refused.value) == f"已根据该报价生成合同 {first.number}。"
    client = login(people.rep)
    page = client.get(f"/quotes/{q.pk}/").content.decode()
    assert first.number in page and 'id="contract-from-quote"' not in page
    response = client.post(f"/contracts/from-quote/{q.pk}/", {"title": "再来一份"})
    assert response.status_code == 200 and first.number in response.content.decode()
    assert Contract.objects.filter(quote=q).count() == 1
    Contract.objects.filter(pk=first.pk).update(status=S.TERMINATED)
    second = services.contract_create_from_quote(actor=people.rep, quote=q)
    assert Contract.objects.filter(quote=q).count() == 2 and second.status == S.DRAFT


def test_a_new_version_of_a_quote_with_a_contract_makes_no_second_contract(people):
    from xietong.core.errors import Conflict
    from xietong.quotes import services as quotes

    q = quote(people.rep, status=QuoteStatus.SENT)
    first = services.contract_create_from_quote(actor=people.rep, quote=q)
    v2 = quotes.quote_new_version(actor=people.rep, quote=q)
    quotes.quote_submit(actor=people.rep, quote=v2)  # no flow applies: approved at once
    with pytest.raises(Conflict) as refused:
        services.contract_create_from_quote(actor=people.rep, quote=v2)
    assert first.number in str(refused.value)
    response = send(login(people.rep), "post", "/api/v1/contracts", {"quote_id": v2.pk})
    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["quote_id"]
    # the page of v2 says so instead of offering "Create contract" (it offered it, then refused)
    page = login(people.rep).get(f"/quotes/{v2.pk}/").content.decode()
    assert 'id="contract-from-quote"' not in page
    assert f"已根据该报价生成合同 {first.number}。" in page


def test_who_does_not_see_the_quotes_contract_is_told_it_exists_without_its_number(people):
    from xietong.contracts.selectors import contract_made_from_quote

    q = quote(people.rep, status=QuoteStatus.SENT)
    assert contract_made_from_quote(user=people.rep, quote=q) == (None, False)
    first = services.contract_create_from_quote(actor=people.rep, quote=q)
    assert contract_made_from_quote(user=people.rep, quote=q) == (first, True)
    assert contract_made_from_quote(user=people.outsider, quote=q) == (first, False)
