"""Exploratory findings on the money API: the fields its 422s name are the fields of the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from xietong.receivables.models import Payment

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_an_unknown_installment_is_named_as_the_body_names_it(people, contract):
    """The body says ``allocations[0].installment_id``; the error said ``allocations.0.installment``."""
    money.payment_plan(contract, [(timezone.localdate(), "113000.00")])
    body = {
        "contract_id": contract.pk,
        "received_on": timezone.localdate().isoformat(),
        "amount": "100.00",
        "allocations": [{"installment_id": 999999, "amount": "100.00"}],
    }
    response = send(login(people.finance), "post", "/api/v1/payments", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["allocations.0.installment_id"]
    assert not Payment.objects.exists()


def test_an_unknown_installment_in_an_allocation_is_named_as_the_body_names_it(people, contract):
    money.payment_plan(contract, [(timezone.localdate(), "113000.00")])
    client = login(people.finance)
    body = {"contract_id": contract.pk, "received_on": timezone.localdate().isoformat(), "amount": "100.00"}
    payment = send(client, "post", "/api/v1/payments", {**body, "allocations": []}).json()
    response = send(
        client,
        "post",
        f"/api/v1/payments/{payment['id']}/allocate",
        {"allocations": [{"installment_id": 999999, "amount": "1"}]},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["allocations.0.installment_id"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/payments?kind=receipts", "kind"),
        ("/api/v1/payments?method=wire", "method"),
        ("/api/v1/invoices?status=issue", "status"),
        ("/api/v1/invoices?kind=vat", "kind"),
    ],
)
def test_a_filter_value_that_is_not_a_choice_is_a_422_naming_it(people, url, field):
    """``/orders?status=nonsense`` and ``/contracts?status=nonsense`` answer 422; the money lists
    answered 200 with nothing, so a typo in an ERP's filter read as "there are none"."""
    response = login(people.finance).get(url)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
