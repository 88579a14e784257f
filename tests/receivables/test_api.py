"""The money API: payment plans, payments with allocations and refunds, invoices, the aging,
credit limits — the error shapes, and query counts that do not grow with the rows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.support import money
from tests.support.i18n import zh
from tests.support.queries import assert_queries_constant
from xietong.receivables import services
from xietong.receivables.models import Installment, Payment

pytestmark = pytest.mark.django_db


def days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def send(client: Any, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")


def test_put_installments_creates_the_plan_and_get_reads_it(people, contract):
    client = login(people.rep)
    body = {
        "installments": [
            {"name": "预付款", "due_date": days(-3), "amount": "33900.00"},
            {"name": "尾款", "due_date": days(30), "amount": "79100.00"},
        ]
    }
    response = send(client, "put", f"/api/v1/payment-plans?contract={contract.pk}", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["total"], [i["name"] for i in data["installments"]]) == (
        "draft",
        "113000.00",
        ["预付款", "尾款"],
    )
    response = client.get(f"/api/v1/payment-plans?contract={contract.pk}")
    assert response.json()["id"] == data["id"]
    response = send(client, "post", f"/api/v1/payment-plans/{data['id']}/submit")
    assert response.json()["status"] == "active"


def test_a_plan_that_does_not_add_up_is_a_422_naming_the_field(people, contract):
    body = {"installments": [{"due_date": days(3), "amount": "100.00"}]}
    response = send(login(people.rep), "put", f"/api/v1/payment-plans?contract={contract.pk}", body)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "installments" and "¥100.00" in error["message"] and "¥113,000.00" in error["message"]


def test_a_payment_with_an_over_allocation_is_a_422_naming_both_numbers(people, contract):
    plan = money.payment_plan(contract, [(timezone.localdate(), "10000.00"), (timezone.localdate(), "103000.00")])
    first = plan.installments.get(position=1)
    body = {
        "contract_id": contract.pk,
        "received_on": days(0),
        "amount": "20000.00",
        "allocations": [{"installment_id": first.pk, "amount": "12000.00"}],
    }
    response = send(login(people.finance), "post", "/api/v1/payments", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "allocations.0.amount",
            "message": zh(
                "Allocating %(amount)s exceeds the %(open)s still open on this installment.",
                amount="¥12,000.00",
                open="¥10,000.00",
            ),
        }
    ]
    assert not Payment.objects.exists()


def test_a_payment_is_recorded_allocated_and_refunded(people, contract):
    money.payment_plan(contract, [(timezone.localdate(), "100000.00"), (timezone.localdate(), "13000.00")])
    client = login(people.finance)
    response = send(
        client,
        "post",
        "/api/v1/payments",
        {"contract_id": contract.pk, "received_on": days(0), "amount": "110000.00", "payer": "客户财务部"},
    )
    assert response.status_code == 201, response.content
    payment = response.json()
    assert (payment["allocated"], payment["unallocated"]) == ("110000.00", "0.00")
    response = send(
        client, "post", f"/api/v1/payments/{payment['id']}/refund", {"amount": "1000.00", "refunded_on": days(0)}
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "refund"
    assert [i.received for i in Installment.objects.order_by("position")] == [100000, 9000]
    response = client.get(f"/api/v1/payments?contract={contract.pk}")
    assert [p["kind"] for p in response.json()["results"]] == ["refund", "receipt"]


def test_an_invoice_goes_request_submit_issue_void(people, contract):
    rep, finance = login(people.rep), login(people.finance)
    body = {"contract_id": contract.pk, "amount": "50000.00", "kind": "ordinary", "tax_number": ""}
    response = send(rep, "post", "/api/v1/invoices", body)
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert invoice["title"] == contract.customer.name
    assert send(rep, "post", f"/api/v1/invoices/{invoice['id']}/submit").json()["status"] == "approved"
    assert (
        send(
            rep, "post", f"/api/v1/invoices/{invoice['id']}/issue", {"number": "NO-1", "issued_on": days(0)}
        ).status_code
        == 403
    )
    response = send(
        finance, "post", f"/api/v1/invoices/{invoice['id']}/issue", {"number": "NO-1", "issued_on": days(0)}
    )
    assert (response.status_code, response.json()["status"]) == (200, "issued")
    response = send(rep, "post", "/api/v1/invoices", {**body, "amount": "63000.01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    response = send(finance, "post", f"/api/v1/invoices/{invoice['id']}/void", {"reason": "开错"})
    assert response.json()["status"] == "void"


def test_the_aging_endpoint(people, contract):
    money.payment_plan(
        contract, [(timezone.localdate() - timedelta(days=45), "13000.00"), (timezone.localdate(), "100000.00")]
    )
    response = login(people.manager).get("/api/v1/receivables/aging?group_by=owner")
    assert response.status_code == 200
    data = response.json()
    assert [(r["name"], r["d31_60"], r["not_due"], r["total"]) for r in data["rows"]] == [
        ("王销售", "13000.00", "100000.00", "113000.00")
    ]
    assert login(people.manager).get("/api/v1/receivables/aging?group_by=nobody").status_code == 422


def test_credit_limits_are_set_by_finance_only(people, contract):
    body = {"customer_id": contract.customer_id, "business_unit_id": people.org["bu1"].pk, "credit_limit": "200000.00"}
    assert send(login(people.rep), "put", "/api/v1/customer-credits", body).status_code == 403
    response = send(login(people.finance), "put", "/api/v1/customer-credits", body)
    assert (response.status_code, response.json()["credit_limit"]) == (200, "200000.00")
    response = login(people.rep).get(f"/api/v1/customer-credits?customer={contract.customer_id}")
    assert [c["credit_limit"] for c in response.json()] == ["200000.00"]


def test_the_payment_and_invoice_lists_cost_the_same_queries_for_more_rows(people):
    client = login(people.finance)

    def add() -> None:
        for _n in range(3):
            c = money.contract(people.rep)
            money.payment_plan(c)
            services.payment_record(actor=people.finance, contract=c, received_on=timezone.localdate(), amount="100.00")
            services.invoice_request(actor=people.rep, contract=c, amount="100.00", kind="ordinary", tax_number="")

    add()
    assert_queries_constant(lambda: client.get("/api/v1/payments"), add)
    assert_queries_constant(lambda: client.get("/api/v1/invoices"), add)
    assert_queries_constant(lambda: client.get("/api/v1/receivables/aging"), add)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/payments", {"received_on": days(0), "amount": "1.00"}),
        ("/api/v1/invoices", {"amount": "1.00", "kind": "ordinary"}),
    ],
)
def test_a_contract_seen_through_a_share_answers_like_a_missing_one_for_its_money(people, contract, url, body):
    from xietong.core.shares import share_record

    share_record(actor=people.rep, record=contract, user=people.rep2)
    client = login(people.rep2)
    answers = [send(client, "post", url, body | {"contract_id": pk}) for pk in (contract.pk, contract.pk + 1000)]
    assert [(r.status_code, r.json()["errors"]) for r in answers] == [
        (422, [{"field": "contract_id", "message": zh("No such contract.")}])
    ] * 2
