"""Payment, refund and due dates are days the aging can be asked about (1900–2999): an impossible
one is a 422 naming its field, never a payment numbered HK-101-00002 or an installment due in year 1."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from xietong.receivables import services
from xietong.receivables.models import Installment, Payment, PaymentPlan

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "Enter a date between 1900 and 2999."


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("day", ["0001-01-01", "0999-05-05", "1899-12-31"])
def test_a_payment_dated_before_1900_is_a_422_naming_received_on(people, contract, day):
    money.payment_plan(contract)
    body = {"contract_id": contract.pk, "received_on": day, "amount": "1000.00"}
    response = send(login(people.finance), "post", "/api/v1/payments", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "received_on", "message": zh(OUT_OF_RANGE)}],
    )
    assert not Payment.objects.exists()
    # the first day of the range is a day like any other, its year in the number
    payment = services.payment_record(
        actor=people.finance, contract=contract, received_on=date(1900, 1, 1), amount="1000.00"
    )
    assert payment.number == "HK-190001-00001"


def test_a_refund_dated_in_year_1_is_a_422_naming_refunded_on(people, contract):
    receipt = services.payment_record(
        actor=people.finance, contract=contract, received_on=timezone.localdate(), amount="1000.00"
    )
    body = {"amount": "100.00", "refunded_on": "0001-01-01"}
    response = send(login(people.finance), "post", f"/api/v1/payments/{receipt.pk}/refund", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "refunded_on", "message": zh(OUT_OF_RANGE)}],
    )
    assert list(Payment.objects.values_list("number", flat=True)) == [receipt.number]


def test_a_payment_number_has_a_four_digit_year_whatever_the_date():
    assert [services._number(p, day) for p, day in (("HK", date(999, 5, 5)), ("TK", date(10, 6, 1)))] == [
        "HK-099905-00001",
        "TK-001006-00001",
    ]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "3000-01-01"])
def test_an_installment_due_outside_1900_to_2999_is_a_422_naming_its_due_date(people, contract, day):
    body = {
        "installments": [
            {"name": "预付款", "due_date": timezone.localdate().isoformat(), "amount": "13000.00"},
            {"name": "尾款", "due_date": day, "amount": "100000.00"},
        ]
    }
    response = send(login(people.rep), "put", f"/api/v1/payment-plans?contract={contract.pk}", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "installments.1.due_date", "message": zh(OUT_OF_RANGE)}],
    )
    assert not PaymentPlan.objects.exists()


def test_the_plan_form_shows_an_impossible_due_date_under_its_row(people, contract):
    plan = money.payment_plan(contract)
    kept = plan.installments.get()
    data = {
        "inst-TOTAL_FORMS": "2",
        "inst-INITIAL_FORMS": "0",
        "inst-0-id": str(kept.pk),
        "inst-0-name": "首付款",
        "inst-0-due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "inst-0-amount": "13000.00",
        "inst-1-name": "尾款",
        "inst-1-due_date": "0001-01-01",
        "inst-1-amount": "100000.00",
    }
    response = login(people.rep).post(f"/receivables/contracts/{contract.pk}/plan/", data)
    assert response.status_code == 200
    rows = re.findall(r"<tr>\s*<td data-label=\"名称\">.*?</tr>", response.content.decode(), re.S)
    assert [zh(OUT_OF_RANGE) in row for row in rows[:2]] == [False, True]
    assert list(Installment.objects.values_list("pk", "due_date")) == [(kept.pk, kept.due_date)]
    assert PaymentPlan.objects.get().proposal is None
