"""The dates of a signed contract: an amendment cannot end it before its signing date (the rule signing
already keeps: the signing date is not after the end), on the API and the page, changing nothing when
refused; the start stays free (signed ahead of it, or in the term and recorded late). A signing date
is not before 1900. And a number pattern with a conversion ({seq!r}) is refused for the conversion."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import login
from tests.support.clock import midday
from tests.support.factories import pdf_bytes
from tests.support.forms import submitted
from tests.support.i18n import zh
from tests.support.money import contract
from xietong.contracts import services
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract, ContractSequence, ContractVersion
from xietong.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 10)
SIGNED = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _on_one_day():
    with midday(TODAY):
        yield


def _signed(people: Any, status: str = S.ACTIVE) -> Contract:
    return contract(
        people.rep, status=status, start_date=date(2026, 1, 1), end_date=date(2027, 12, 31), signed_date=SIGNED
    )


def _unchanged(c: Contract, trail: int) -> None:
    c.refresh_from_db()
    assert (c.status, c.version, c.start_date, c.end_date, c.signed_date, c.amended_from_status) == (
        S.ACTIVE,
        1,
        date(2026, 1, 1),
        date(2027, 12, 31),
        SIGNED,
        "",
    )
    assert ContractVersion.objects.filter(contract=c).count() == 0
    assert AuditEntry.objects.for_object(c).count() == trail


def _scan() -> SimpleUploadedFile:
    return SimpleUploadedFile("签字.pdf", pdf_bytes(), content_type="application/pdf")


def _send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_api_refuses_an_amendment_ending_the_contract_before_its_signing_date(people, engine):
    c = _signed(people)
    trail = AuditEntry.objects.for_object(c).count()
    client = login(people.rep)
    response = _send(
        client,
        "post",
        f"/api/v1/contracts/{c.pk}/amend",
        {"reason": "r", "start_date": "2026-01-01", "end_date": "2026-11-15"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "end_date", "message": "结束日期不能早于签署日期（2026-12-01）。"}]
    assert engine.submitted == []
    _unchanged(c, trail)
    # ending on the signing day itself is in the term
    response = _send(client, "post", f"/api/v1/contracts/{c.pk}/amend", {"reason": "r", "end_date": "2026-12-01"})
    assert (response.status_code, response.json()["status"], response.json()["end_date"]) == (
        200,
        "in_review",
        "2026-12-01",
    )


def test_the_service_refuses_it_for_a_signed_contract_too_while_the_start_may_move_past_the_signing(people, engine):
    c = contract(
        people.rep, status=S.SIGNED, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31), signed_date=SIGNED
    )
    with pytest.raises(ValidationError) as exc:
        services.contract_amend(
            actor=people.rep, contract=c, reason="r", start_date=date(2026, 6, 1), end_date=date(2026, 11, 30)
        )
    assert exc.value.message_dict == {
        "end_date": [zh("The end cannot be before the signing date (%(date)s).", date="2026-12-01")]
    }
    c.refresh_from_db()
    assert (c.status, c.version, c.start_date, c.end_date) == (S.SIGNED, 1, date(2027, 1, 1), date(2027, 12, 31))
    # the start is free: later than the signing (signed ahead of it) is an ordinary amendment
    services.contract_amend(actor=people.rep, contract=c, reason="r", start_date=date(2027, 3, 1))
    engine.approve(c)
    assert (c.status, c.start_date, c.signed_date) == (S.SIGNED, date(2027, 3, 1), SIGNED)


def test_the_amend_page_shows_the_refusal_on_the_end_date_and_keeps_what_was_typed(people, engine):
    c = _signed(people)
    trail = AuditEntry.objects.for_object(c).count()
    client = login(people.rep)
    data = submitted(client.get(f"/contracts/{c.pk}/amend/").content.decode(), "contract-editor")
    data.update({"reason": "提前结束", "start_date": "2026-01-01", "end_date": "2026-11-15"})
    response = client.post(f"/contracts/{c.pk}/amend/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"end_date": ["结束日期不能早于签署日期（2026-12-01）。"]}
    assert (form["end_date"].value(), form["reason"].value()) == ("2026-11-15", "提前结束")
    assert "结束日期不能早于签署日期（2026-12-01）。" in response.content.decode()
    _unchanged(c, trail)


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
def test_a_signing_date_before_1900_is_refused_on_the_api(people, day):
    c = contract(people.rep, status=S.APPROVED, start_date=date(2026, 1, 1), end_date=date(2027, 12, 31))
    response = login(people.rep).post(f"/api/v1/contracts/{c.pk}/sign", {"signed_date": day, "scan": _scan()})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "signed_date", "message": "请输入 1900 年到 2999 年之间的日期。"}]
    c.refresh_from_db()
    assert (c.status, c.signed_date, bool(c.signed_scan)) == (S.APPROVED, None, False)


def test_a_signing_date_before_1900_is_refused_on_the_page_and_1900_itself_signs(people):
    c = contract(people.rep, status=S.APPROVED, start_date=date(1900, 1, 1), end_date=date(2027, 12, 31))
    client = login(people.rep)
    response = client.post(f"/contracts/{c.pk}/sign/", {"signed_date": "0001-01-01", "scan": _scan()})
    assert response.status_code == 200
    assert response.context["form"].errors == {"signed_date": [zh("Enter a date between 1900 and 2999.")]}
    assert response.context["form"]["signed_date"].value() == "0001-01-01"
    c.refresh_from_db()
    assert (c.status, c.signed_date) == (S.APPROVED, None)
    response = client.post(f"/contracts/{c.pk}/sign/", {"signed_date": "1900-01-01", "scan": _scan()})
    assert response.status_code == 303
    c.refresh_from_db()
    assert (c.status, c.signed_date) == (S.ACTIVE, date(1900, 1, 1))


def test_a_pattern_with_a_conversion_is_refused_for_the_conversion_on_the_api_and_the_page(people):
    bu = people.org["bu1"]
    client = login(people.head)
    response = _send(client, "put", f"/api/v1/contract-sequences/{bu.pk}", {"pattern": "{seq!r}"})
    assert response.status_code == 422
    refusal = "字段不能带转换：请写 {seq}，而不是 {seq!r}。"
    assert response.json()["errors"] == [{"field": "pattern", "message": refusal}]
    response = client.post(f"/contracts/settings/numbers/{bu.pk}/", {"pattern": "HT-{yyyy!s}-{seq}", "prefix": "GY"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"pattern": ["字段不能带转换：请写 {yyyy}，而不是 {yyyy!s}。"]}
    assert response.context["form"]["pattern"].value() == "HT-{yyyy!s}-{seq}"
    # an unknown field stays unknown, with a conversion or without
    unknown = _send(client, "put", f"/api/v1/contract-sequences/{bu.pk}", {"pattern": "HT-{dd!r}-{seq}"})
    assert (unknown.status_code, unknown.json()["errors"]) == (
        422,
        [{"field": "pattern", "message": "未知字段 {dd}：请使用 {prefix}、{yyyy}、{yy}、{mm} 和 {seq}。"}],
    )
    assert not ContractSequence.objects.filter(business_unit=bu).exists()
