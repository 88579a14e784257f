"""A contract whose end has passed never reads "active" (or "signed"): signing after the end is refused
naming the end, signing one whose end passed before today expires it at once, and an amendment decided
(approved or rejected) after the end leaves it expired rather than waiting for the daily job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as t

from tests.support.clock import midday
from tests.support.factories import pdf_bytes, upload
from tests.support.money import contract
from xietong.contracts import services
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _on_one_day():
    with midday(TODAY):
        yield


def _scan():
    return upload("签字版.pdf", pdf_bytes(), "application/pdf")


def test_a_signing_date_after_the_end_is_refused_naming_the_end(people):
    end = TODAY - timedelta(days=10)
    c = contract(people.rep, status=S.APPROVED, start_date=TODAY - timedelta(days=40), end_date=end)
    with pytest.raises(ValidationError) as exc:
        services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY - timedelta(days=3), scan=_scan())
    refusal = t("The signing date cannot be after the contract's end (%(date)s).") % {"date": end.isoformat()}
    assert exc.value.message_dict == {"signed_date": [refusal]}
    c.refresh_from_db()
    assert (c.status, c.signed_date) == (S.APPROVED, None)


def test_signing_on_the_last_day_is_allowed(people):
    c = contract(people.rep, status=S.APPROVED, start_date=TODAY - timedelta(days=40), end_date=TODAY)
    services.contract_sign(actor=people.rep, contract=c, signed_date=TODAY, scan=_scan())
    c.refresh_from_db()
    assert c.status == S.ACTIVE


def test_a_contract_signed_in_its_term_but_entered_after_its_end_is_expired_at_once(people):
    end = TODAY - timedelta(days=2)
    c = contract(people.rep, status=S.APPROVED, start_date=TODAY - timedelta(days=40), end_date=end)
    services.contract_sign(actor=people.rep, contract=c, signed_date=end - timedelta(days=5), scan=_scan())
    c.refresh_from_db()
    assert (c.status, c.signed_date) == (S.EXPIRED, end - timedelta(days=5))
    assert bool(c.signed_scan)
    # the daily job finds nothing left to do
    assert services.contracts_daily(today=TODAY) == {"activated": 0, "expired": 0, "reminded": 0}


def test_an_amendment_approved_after_the_end_leaves_the_contract_expired(people, engine):
    c = contract(
        people.rep, status=S.ACTIVE, start_date=TODAY - timedelta(days=300), end_date=TODAY + timedelta(days=5)
    )
    services.contract_amend(actor=people.rep, contract=c, reason="改条款", terms="新条款")
    with midday(TODAY + timedelta(days=8)):  # the review took longer than the contract had left
        engine.approve(c)
    assert (c.status, c.terms, c.amended_from_status) == (S.EXPIRED, "新条款", "")


def test_an_amendment_rejected_after_the_end_leaves_the_contract_expired(people, engine):
    c = contract(people.rep, status=S.SIGNED, start_date=TODAY + timedelta(days=1), end_date=TODAY + timedelta(days=5))
    services.contract_amend(actor=people.rep, contract=c, reason="改条款", terms="新条款")
    with midday(TODAY + timedelta(days=8)):
        engine.reject(c)
    assert (c.status, c.version, c.amended_from_status) == (S.EXPIRED, 1, "")


def test_an_amendment_that_moves_the_end_into_the_past_expires_the_contract_when_approved(people, engine):
    c = contract(
        people.rep,
        status=S.ACTIVE,
        start_date=TODAY - timedelta(days=300),
        end_date=TODAY + timedelta(days=30),
        signed_date=TODAY - timedelta(days=200),  # the new end is still after the signing
    )
    services.contract_amend(actor=people.rep, contract=c, reason="提前结束", end_date=TODAY - timedelta(days=1))
    engine.approve(c)
    assert Contract.objects.get(pk=c.pk).status == S.EXPIRED
