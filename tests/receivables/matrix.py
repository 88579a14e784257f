"""This area's part of the permission matrix (tests/test_permission_matrix.py): the money pages and
endpoints with an id, and their foreign records — a signed contract of BU2 owned by ``outsider``
with an active payment plan, a payment (partly allocated) and an invoice request, and its customer."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.support import money
from tests.support.matrix import Route
from xietong.receivables import services

TODAY = "2026-11-29"

ROUTES: list[Route] = [
    # API
    Route("GET", "/api/v1/payment-plans/{pk}", "receivables_plan", api=True),
    Route(
        "PUT",
        "/api/v1/payment-plans/{pk}/installments",
        "receivables_plan",
        {"installments": [{"due_date": TODAY, "amount": "1.00"}]},
        api=True,
    ),
    Route("POST", "/api/v1/payment-plans/{pk}/submit", "receivables_plan", api=True),
    Route("POST", "/api/v1/payment-plans/{pk}/discard-change", "receivables_plan", api=True),
    Route("GET", "/api/v1/payments/{pk}", "receivables_payment", api=True),
    Route("POST", "/api/v1/payments/{pk}/allocate", "receivables_payment", {}, api=True),
    Route(
        "POST",
        "/api/v1/payments/{pk}/refund",
        "receivables_payment",
        {"amount": "1.00", "refunded_on": TODAY},
        api=True,
    ),
    Route("GET", "/api/v1/invoices/{pk}", "receivables_invoice", api=True),
    Route("POST", "/api/v1/invoices/{pk}/submit", "receivables_invoice", api=True),
    Route("POST", "/api/v1/invoices/{pk}/issue", "receivables_invoice", {"number": "X", "issued_on": TODAY}, api=True),
    Route("POST", "/api/v1/invoices/{pk}/void", "receivables_invoice", {"reason": "x"}, api=True),
    # pages
    Route("GET", "/receivables/contracts/{pk}/plan/", "receivables_contract"),
    Route(
        "POST",
        "/receivables/contracts/{pk}/plan/",
        "receivables_contract",
        {"inst-TOTAL_FORMS": "1", "inst-INITIAL_FORMS": "0", "inst-0-due_date": TODAY, "inst-0-amount": "1.00"},
    ),
    Route("POST", "/receivables/contracts/{pk}/plan/submit/", "receivables_contract", {}),
    Route("POST", "/receivables/contracts/{pk}/plan/discard-change/", "receivables_contract", {}),
    Route("GET", "/receivables/contracts/{pk}/payments/new/", "receivables_contract"),
    Route(
        "POST",
        "/receivables/contracts/{pk}/payments/new/",
        "receivables_contract",
        {"received_on": TODAY, "amount": "1.00", "method": "transfer", "allocation": "auto"},
    ),
    Route("GET", "/receivables/contracts/{pk}/invoices/new/", "receivables_contract"),
    Route(
        "POST",
        "/receivables/contracts/{pk}/invoices/new/",
        "receivables_contract",
        {"kind": "ordinary", "amount": "1.00", "tax_rate": "13", "title": "x"},
    ),
    Route("GET", "/receivables/payments/{pk}/", "receivables_payment"),
    Route("POST", "/receivables/payments/{pk}/allocate/", "receivables_payment", {}),
    Route("GET", "/receivables/payments/{pk}/refund/", "receivables_payment"),
    Route(
        "POST",
        "/receivables/payments/{pk}/refund/",
        "receivables_payment",
        {"refunded_on": TODAY, "amount": "1.00", "method": "transfer"},
    ),
    Route("GET", "/receivables/invoices/{pk}/", "receivables_invoice"),
    Route("POST", "/receivables/invoices/{pk}/submit/", "receivables_invoice", {}),
    Route("POST", "/receivables/invoices/{pk}/issue/", "receivables_invoice", {"number": "X", "issued_on": TODAY}),
    Route("POST", "/receivables/invoices/{pk}/void/", "receivables_invoice", {"reason": "x"}),
    Route(
        "POST",
        "/receivables/customers/{pk}/credit/",
        "receivables_customer",
        {"business_unit": "0", "credit_limit": "1.00"},
    ),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Money records of BU2, owned by ``outsider``: name → record."""
    contract = money.contract(outsider, title="外部合同")
    plan = money.payment_plan(contract)
    payment = services.Payment.objects.create(
        number="HK-MATRIX-1",
        contract=contract,
        customer=contract.customer,
        business_unit=contract.business_unit,
        owner=outsider,
        received_on=timezone.localdate(),
        amount=contract.amount + 1,
        payer="外部付款人",
    )
    installment = plan.installments.get()
    services.Allocation.objects.create(payment=payment, installment=installment, amount=installment.amount)
    installment.received = installment.amount
    installment.save()
    invoice = services.Invoice.objects.create(
        contract=contract,
        customer=contract.customer,
        business_unit=contract.business_unit,
        owner=outsider,
        kind="ordinary",
        status="approved",
        amount="100.00",
        title="外部发票抬头",
        tax_number="",
    )
    return {
        "receivables_contract": contract,
        "receivables_plan": plan,
        "receivables_payment": payment,
        "receivables_invoice": invoice,
        "receivables_customer": contract.customer,
    }
