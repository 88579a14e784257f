"""REST endpoints of money in:

- ``/api/v1/payment-plans?contract=`` (the contract's plan), ``PUT /api/v1/payment-plans/{id}/installments``
  and ``PUT /api/v1/payment-plans?contract=`` (create or replace the installments),
  ``POST /api/v1/payment-plans/{id}/submit``, ``/{id}/discard-change``;
- ``/api/v1/payments`` (list with filters, cursor pages; ``POST`` with optional ``allocations``),
  ``/api/v1/payments/{id}``, ``/{id}/allocate``, ``/{id}/refund``;
- ``/api/v1/invoices`` (list, ``POST`` a request), ``/api/v1/invoices/{id}``, ``/{id}/submit``,
  ``/{id}/issue``, ``/{id}/void``;
- ``/api/v1/receivables/aging?group_by=customer|owner|business_unit&as_of=``;
- ``/api/v1/customer-credits?customer=`` (GET) and ``PUT /api/v1/customer-credits``.

Thin: parse → selector or service → schema. 404 for what the caller cannot see, 409 for a locked or
finished document, 422 naming the field (``allocations.0.amount``) with both numbers.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref
from xietong.core.errors import NotFound
from xietong.org.policies import require

from . import selectors, services
from .choices import InvoiceKind, InvoiceStatus, PaymentKind, PaymentMethod
from .models import CustomerCredit, PaymentPlan

router = Router(tags=["receivables"])

MODULE = "receivables"


def _ref(obj: Any, name: str | None = None) -> dict[str, Any]:
    return {"id": obj.pk, "name": name if name is not None else str(obj)}


def _check_choice(field: str, value: str, allowed: list[str]) -> None:
    """A list filter's value that is none of its choices is a 422 (as on /orders and /contracts), not
    an empty page."""
    if value and value not in allowed:
        raise ValidationError({field: _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(allowed)}})


# --- payment plans --------------------------------------------------------------------------------------


class InstallmentOut(Schema):
    id: int
    position: int
    name: str
    due_date: date
    amount: Decimal
    received: Decimal
    outstanding: Decimal


class ProposedInstallmentOut(Schema):
    id: int | None = Field(description="The installment in force it changes; null for a new one.")
    position: int
    name: str
    due_date: date
    amount: Decimal


class ProposalOut(Schema):
    total: Decimal
    difference: Decimal
    difference_reason: str
    installments: list[ProposedInstallmentOut]


class PaymentPlanOut(Schema):
    id: int
    contract: Ref
    status: str = Field(
        description="draft, in_approval or active; with a proposal, the state of the change to the plan in force"
    )
    approved_at: datetime | None = Field(description="When a schedule was last approved; null: never (not in force)")
    contract_amount: Decimal
    total: Decimal
    difference: Decimal
    difference_reason: str
    installments: list[InstallmentOut] = Field(description="The installments in force (of a draft plan: the draft)")
    proposal: ProposalOut | None = Field(description="A change to the plan in force waiting for approval")
    updated_at: datetime


def _plan_out(plan: PaymentPlan) -> dict[str, Any]:
    rows = list(plan.installments.all())
    change = services.proposal_of(plan)
    return {
        "id": plan.pk,
        "contract": _ref(plan.contract, plan.contract.number),
        "status": plan.status,
        "approved_at": plan.approved_at,
        "contract_amount": plan.contract.amount,
        "total": sum((i.amount for i in rows), Decimal("0.00")),
        "difference": plan.difference,
        "difference_reason": plan.difference_reason,
        "installments": rows,
        "proposal": None
        if change is None
        else {
            "total": change.total,
            "difference": change.difference,
            "difference_reason": change.difference_reason,
            "installments": [
                {"id": r.id, "position": n, "name": r.name, "due_date": r.due_date, "amount": r.amount}
                for n, r in enumerate(change.installments, 1)
            ],
        },
        "updated_at": plan.updated_at,
    }


class InstallmentIn(Schema):
    id: int | None = Field(None, description="An existing installment (keeps what it received); omit for a new one.")
    name: str = ""
    due_date: date
    amount: Decimal


class InstallmentsIn(Schema):
    installments: list[InstallmentIn]
    difference: Decimal = Decimal("0.00")
    difference_reason: str = ""


def _visible_plan(user: Any, plan_id: int) -> PaymentPlan:
    plan = (
        PaymentPlan.objects.visible_to(user)
        .select_related("contract")
        .prefetch_related("installments")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise NotFound()
    return plan


@router.get("/payment-plans", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def get_plan_of_contract(request: HttpRequest, contract: int) -> Any:
    """The payment plan of contract ``contract`` (404: none, or not visible)."""
    plan = selectors.plan_of_contract(user=request.user, contract_id=contract)
    if plan is None:
        raise NotFound()
    return _plan_out(plan)


@router.put("/payment-plans", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def put_plan_of_contract(request: HttpRequest, contract: int, payload: InstallmentsIn) -> Any:
    """Create or replace the installments of contract ``contract``'s plan. They add up to the
    contract amount, or differ by ``difference`` with a reason (422 naming the sum, the amount and
    the gap). 409 while the plan is in approval. A plan once approved keeps its installments in
    force: the change becomes its ``proposal`` (status draft; submit it, or discard it)."""
    plan = services.plan_save(
        actor=request.user,
        contract=contract,
        installments=[i.dict() for i in payload.installments],
        difference=payload.difference,
        difference_reason=payload.difference_reason,
    )
    return _plan_out(_visible_plan(request.user, plan.pk))


@router.get("/payment-plans/{plan_id}", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    return _plan_out(_visible_plan(request.user, plan_id))


@router.put("/payment-plans/{plan_id}/installments", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def put_installments(request: HttpRequest, plan_id: int, payload: InstallmentsIn) -> Any:
    plan = _visible_plan(request.user, plan_id)
    services.plan_save(
        actor=request.user,
        contract=plan.contract_id,
        installments=[i.dict() for i in payload.installments],
        difference=payload.difference,
        difference_reason=payload.difference_reason,
    )
    return _plan_out(_visible_plan(request.user, plan.pk))


@router.post("/payment-plans/{plan_id}/submit", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def submit_plan(request: HttpRequest, plan_id: int) -> Any:
    """Send the draft plan for approval (active at once when no flow applies)."""
    plan = _visible_plan(request.user, plan_id)
    services.plan_submit(actor=request.user, plan=plan)
    return _plan_out(_visible_plan(request.user, plan.pk))


@router.post("/payment-plans/{plan_id}/discard-change", response={200: PaymentPlanOut, **ERROR_RESPONSES})
def discard_plan_change(request: HttpRequest, plan_id: int) -> Any:
    """Drop the change waiting on the plan in force (409 when in approval or none)."""
    plan = _visible_plan(request.user, plan_id)
    services.plan_discard_change(actor=request.user, plan=plan)
    return _plan_out(_visible_plan(request.user, plan.pk))


# --- payments --------------------------------------------------------------------------------------------


class AllocationOut(Schema):
    installment_id: int
    amount: Decimal


class PaymentOut(Schema):
    id: int
    number: str
    kind: str
    contract: Ref
    customer: Ref
    owner: Ref
    received_on: date
    amount: Decimal
    allocated: Decimal
    method: str
    payer: str
    reference: str
    note: str
    refund_of_id: int | None
    created_at: datetime


class PaymentDetailOut(PaymentOut):
    unallocated: Decimal
    allocations: list[AllocationOut]


def _payment_row(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "number": p.number,
        "kind": p.kind,
        "contract": _ref(p.contract, p.contract.number),
        "customer": _ref(p.customer, p.customer.name),
        "owner": _ref(p.owner),
        "received_on": p.received_on,
        "amount": p.amount,
        "allocated": getattr(p, "allocated", None)
        if getattr(p, "allocated", None) is not None
        else sum((a.amount for a in p.allocations.all()), Decimal("0.00")),
        "method": p.method,
        "payer": p.payer,
        "reference": p.reference,
        "note": p.note,
        "refund_of_id": p.refund_of_id,
        "created_at": p.created_at,
    }


def _rows(rows: list[Any], request: HttpRequest) -> list[dict[str, Any]]:
    return [_payment_row(p) for p in rows]


def _payment_detail(user: Any, pk: int) -> dict[str, Any]:
    p = selectors.payment_detail(user=user, pk=pk)
    return {
        **_payment_row(p),
        "unallocated": services.unallocated_of(p) if p.kind == "receipt" else Decimal("0.00"),
        "allocations": [{"installment_id": a.installment_id, "amount": a.amount} for a in p.allocations.all()],
    }


@router.get("/payments", response={200: list[PaymentOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",), after=_rows)
def list_payments(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    method: str = "",
    contract: int | None = None,
    customer: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Any:
    """Filters: ``q`` (number, payer, reference, contract number, customer), ``kind`` (receipt or
    refund), ``method`` (transfer, acceptance, cheque, cash, other), ``contract`` and ``customer`` (ids),
    ``date_from`` / ``date_to`` (the day received). A value that is not a choice is a 422."""
    require(request.user, MODULE, "view")
    _check_choice("kind", kind, PaymentKind.values)
    _check_choice("method", method, PaymentMethod.values)
    return selectors.payment_list(
        user=request.user,
        q=q.strip(),
        kind=kind,
        method=method,
        contract=contract,
        customer=customer,
        date_from=date_from,
        date_to=date_to,
    )


class AllocationIn(Schema):
    installment_id: int
    amount: Decimal


class PaymentIn(Schema):
    contract_id: int
    received_on: date
    amount: Decimal
    method: str = PaymentMethod.TRANSFER
    payer: str = ""
    reference: str = ""
    note: str = ""
    allocations: list[AllocationIn] | None = Field(
        None, description="By hand; omit to allocate automatically, oldest due first. [] leaves it unallocated."
    )


def _allocs(rows: list[AllocationIn] | None) -> list[dict[str, Any]] | None:
    if rows is None:
        return None
    return [{"installment": a.installment_id, "amount": a.amount} for a in rows]


@contextmanager
def _api_fields() -> Iterator[None]:
    """The services name an allocation's installment ``allocations.N.installment``; the body's field is
    ``installment_id``."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {(f"{k}_id" if k.endswith(".installment") else k): v for k, v in exc.message_dict.items()}
        ) from None


def _require_money_contract(user: Any, contract_id: int) -> None:
    """422 naming ``contract_id`` unless the caller sees the contract and may record its money (a
    contract seen through a share answers like a missing one)."""
    from xietong.contracts.models import Contract

    if not (
        Contract.objects.visible_to(user).filter(pk=contract_id).exists()
        and services.money_in_scope(user, contract_id, "create")
    ):
        raise ValidationError({"contract_id": _("No such contract.")})


@router.post("/payments", response={201: PaymentDetailOut, **ERROR_RESPONSES})
def create_payment(request: HttpRequest, payload: PaymentIn) -> Any:
    require(request.user, MODULE, "create")
    _require_money_contract(request.user, payload.contract_id)
    with _api_fields():
        payment = services.payment_record(
            actor=request.user,
            contract=payload.contract_id,
            received_on=payload.received_on,
            amount=payload.amount,
            method=payload.method,
            payer=payload.payer,
            reference=payload.reference,
            note=payload.note,
            allocations=_allocs(payload.allocations),
        )
    return Status(201, _payment_detail(request.user, payment.pk))


@router.get("/payments/{payment_id}", response={200: PaymentDetailOut, **ERROR_RESPONSES})
def get_payment(request: HttpRequest, payment_id: int) -> Any:
    return _payment_detail(request.user, payment_id)


class AllocateIn(Schema):
    allocations: list[AllocationIn] | None = Field(None, description="Omit: automatically, oldest due first.")


@router.post("/payments/{payment_id}/allocate", response={200: PaymentDetailOut, **ERROR_RESPONSES})
def allocate_payment(request: HttpRequest, payment_id: int, payload: AllocateIn) -> Any:
    """Allocate what is left of a payment (e.g. an overpayment, once a new installment exists)."""
    selectors.payment_detail(user=request.user, pk=payment_id)
    with _api_fields():
        services.payment_allocate(actor=request.user, payment=payment_id, allocations=_allocs(payload.allocations))
    return _payment_detail(request.user, payment_id)


class RefundIn(Schema):
    amount: Decimal
    refunded_on: date
    reason: str = ""
    method: str = PaymentMethod.TRANSFER
    reference: str = ""
    allocations: list[AllocationIn] | None = Field(
        None, description="What to take back from which installment (positive amounts); omit: automatically."
    )


@router.post("/payments/{payment_id}/refund", response={201: PaymentDetailOut, **ERROR_RESPONSES})
def refund_payment(request: HttpRequest, payment_id: int, payload: RefundIn) -> Any:
    selectors.payment_detail(user=request.user, pk=payment_id)
    with _api_fields():
        refund = services.payment_refund(
            actor=request.user,
            payment=payment_id,
            amount=payload.amount,
            refunded_on=payload.refunded_on,
            reason=payload.reason,
            method=payload.method,
            reference=payload.reference,
            allocations=_allocs(payload.allocations),
        )
    return Status(201, _payment_detail(request.user, refund.pk))


# --- invoices --------------------------------------------------------------------------------------------


class InvoiceOut(Schema):
    id: int
    contract: Ref
    customer: Ref
    owner: Ref
    kind: str
    status: str
    amount: Decimal
    tax_rate: Decimal
    title: str
    tax_number: str
    address_phone: str
    bank_name: str
    bank_account: str
    note: str
    issued_number: str
    issued_on: date | None
    void_reason: str
    created_at: datetime


def _invoice_out(i: Any) -> dict[str, Any]:
    return {
        **{
            f: getattr(i, f)
            for f in (
                "kind",
                "status",
                "amount",
                "tax_rate",
                "title",
                "tax_number",
                "address_phone",
                "bank_name",
                "bank_account",
                "note",
                "issued_number",
                "issued_on",
                "void_reason",
                "created_at",
            )
        },
        "id": i.pk,
        "contract": _ref(i.contract, i.contract.number),
        "customer": _ref(i.customer, i.customer.name),
        "owner": _ref(i.owner),
    }


def _invoice_rows(rows: list[Any], request: HttpRequest) -> list[dict[str, Any]]:
    return [_invoice_out(i) for i in rows]


@router.get("/invoices", response={200: list[InvoiceOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",), after=_invoice_rows)
def list_invoices(
    request: HttpRequest,
    q: str = "",
    status: str = "",
    kind: str = "",
    contract: int | None = None,
    customer: int | None = None,
) -> Any:
    """Filters: ``q``, ``status`` (draft, in_approval, approved, issued, void), ``kind`` (special or
    ordinary), ``contract`` and ``customer`` (ids). A value that is not a choice is a 422."""
    require(request.user, MODULE, "view")
    _check_choice("status", status, InvoiceStatus.values)
    _check_choice("kind", kind, InvoiceKind.values)
    return selectors.invoice_list(
        user=request.user, q=q.strip(), status=status, kind=kind, contract=contract, customer=customer
    )


class InvoiceIn(Schema):
    contract_id: int
    amount: Decimal
    kind: str = InvoiceKind.SPECIAL
    tax_rate: Decimal = Decimal("13")
    title: str = Field("", description="Default: the customer's name.")
    tax_number: str = Field("", description="Default: the customer's unified social credit code.")
    address_phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    note: str = ""
    submit: bool = Field(False, description="Send for approval at once.")


@router.post("/invoices", response={201: InvoiceOut, **ERROR_RESPONSES})
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> Any:
    """Request an invoice; the contract's invoices (not void) never exceed its amount (422 naming both)."""
    require(request.user, MODULE, "create")
    _require_money_contract(request.user, payload.contract_id)
    data = payload.dict()
    invoice = services.invoice_request(actor=request.user, contract=data.pop("contract_id"), **data)
    return Status(201, _invoice_out(selectors.invoice_detail(user=request.user, pk=invoice.pk)))


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **ERROR_RESPONSES})
def get_invoice(request: HttpRequest, invoice_id: int) -> Any:
    return _invoice_out(selectors.invoice_detail(user=request.user, pk=invoice_id))


@router.post("/invoices/{invoice_id}/submit", response={200: InvoiceOut, **ERROR_RESPONSES})
def submit_invoice(request: HttpRequest, invoice_id: int) -> Any:
    selectors.invoice_detail(user=request.user, pk=invoice_id)
    services.invoice_submit(actor=request.user, invoice=invoice_id)
    return _invoice_out(selectors.invoice_detail(user=request.user, pk=invoice_id))


class IssueIn(Schema):
    number: str
    issued_on: date


@router.post("/invoices/{invoice_id}/issue", response={200: InvoiceOut, **ERROR_RESPONSES})
def issue_invoice(request: HttpRequest, invoice_id: int, payload: IssueIn) -> Any:
    """Finance (``receivables`` administer) issues an approved invoice: number (unique, 409 if used) and date."""
    selectors.invoice_detail(user=request.user, pk=invoice_id)
    services.invoice_issue(actor=request.user, invoice=invoice_id, number=payload.number, issued_on=payload.issued_on)
    return _invoice_out(selectors.invoice_detail(user=request.user, pk=invoice_id))


class InvoiceVoidIn(Schema):
    reason: str


@router.post("/invoices/{invoice_id}/void", response={200: InvoiceOut, **ERROR_RESPONSES})
def void_invoice(request: HttpRequest, invoice_id: int, payload: InvoiceVoidIn) -> Any:
    selectors.invoice_detail(user=request.user, pk=invoice_id)
    services.invoice_void(actor=request.user, invoice=invoice_id, reason=payload.reason)
    return _invoice_out(selectors.invoice_detail(user=request.user, pk=invoice_id))


# --- the aging ---------------------------------------------------------------------------------------------


class AgingRowOut(Schema):
    id: int
    name: str
    not_due: Decimal = Field(description="Due on or after as_of.")
    d1_30: Decimal = Field(description="1–30 days past due.")
    d31_60: Decimal
    d61_90: Decimal
    d90_plus: Decimal
    overdue: Decimal
    total: Decimal


class AgingOut(Schema):
    group_by: str
    as_of: date
    rows: list[AgingRowOut]
    totals: AgingRowOut
    period_from: date
    period_to: date
    due_in_period: Decimal
    received_in_period: Decimal
    collection_rate: Decimal | None = Field(
        description="Percent: received ÷ due of the installments due in the period."
    )


@router.get("/receivables/aging", response={200: AgingOut, **ERROR_RESPONSES})
def get_aging(
    request: HttpRequest,
    group_by: str = "customer",
    as_of: date | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Any:
    """Open installment amounts of the plans the caller sees by days past due at ``as_of``."""
    require(request.user, MODULE, "view")
    if group_by not in selectors.GROUPS:
        raise ValidationError({"group_by": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(selectors.GROUPS)}})
    result = selectors.aging(
        user=request.user, group_by=group_by, as_of=as_of, period_from=period_from, period_to=period_to
    )
    return {
        "group_by": result.group_by,
        "as_of": result.as_of,
        "rows": [r.as_dict() for r in result.rows],
        "totals": {**result.totals.as_dict(), "name": _("Total")},
        "period_from": result.period_from,
        "period_to": result.period_to,
        "due_in_period": result.due_in_period,
        "received_in_period": result.received_in_period,
        "collection_rate": result.collection_rate,
    }


# --- credit limits ------------------------------------------------------------------------------------------


class CreditOut(Schema):
    customer_id: int
    business_unit: Ref
    credit_limit: Decimal
    open_receivables: Decimal
    overdue: Decimal
    updated_at: datetime


class CreditIn(Schema):
    customer_id: int
    business_unit_id: int
    credit_limit: Decimal


def _credit_out(credit: CustomerCredit) -> dict[str, Any]:
    state = selectors.customer_credit(customer_id=credit.customer_id, business_unit_id=credit.business_unit_id)
    return {
        "customer_id": credit.customer_id,
        "business_unit": _ref(credit.business_unit, credit.business_unit.name),
        "credit_limit": credit.credit_limit,
        "open_receivables": state.open_receivables,
        "overdue": state.overdue,
        "updated_at": credit.updated_at,
    }


@router.get("/customer-credits", response={200: list[CreditOut], **ERROR_RESPONSES})
def list_credits(request: HttpRequest, customer: int) -> Any:
    """The credit limits of a customer the caller sees, in the caller's business units."""
    user: Any = request.user
    require(user, MODULE, "view")
    if not services.customer_reachable(user, customer):
        raise NotFound()
    bus = set(user.access.business_unit_ids) | {
        c.business_unit_id
        for c in CustomerCredit.objects.filter(customer_id=customer)
        if user.access.widest_scope(MODULE, "administer", c.business_unit_id) > 0
    }
    rows = CustomerCredit.objects.filter(customer_id=customer, business_unit_id__in=bus).select_related("business_unit")
    return [_credit_out(c) for c in rows.order_by("business_unit__name")]


@router.put("/customer-credits", response={200: CreditOut, **ERROR_RESPONSES})
def put_credit(request: HttpRequest, payload: CreditIn) -> Any:
    """Finance (``receivables`` administer in that BU) sets the limit (audited)."""
    if not services.customer_reachable(request.user, payload.customer_id, payload.business_unit_id):
        raise ValidationError({"customer_id": _("No such customer.")})
    credit = services.credit_set(
        actor=request.user,
        customer=payload.customer_id,
        business_unit=payload.business_unit_id,
        credit_limit=payload.credit_limit,
    )
    credit = CustomerCredit.objects.select_related("business_unit").get(pk=credit.pk)
    return _credit_out(credit)
