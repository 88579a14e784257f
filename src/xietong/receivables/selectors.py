"""Reads of money in, visibility applied where a user asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from xietong.core.dates import check_day
from xietong.core.errors import NotFound

from .choices import MONEY_STATUSES, InvoiceStatus, PaymentKind
from .models import Allocation, CustomerCredit, Installment, Invoice, Payment, PaymentPlan

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")


def _cents(value: Decimal | None) -> Decimal:
    """A sum from the database as money (SQLite drops the trailing zeros of computed sums)."""
    return (value or ZERO).quantize(CENT)


def owed(prefix: str = "plan__") -> Q:
    """The installments that are money owed — what open receivables, overdue amounts, the aging,
    the collection rate, credit control and the reminders count (``prefix``: the path from the
    queried model to the plan, "" for plans themselves):

    - of a plan **in force**: approved once (``approved_at``). Its installments are the schedule in
      force, also while a change to it waits as the plan's proposal or is in approval (the plan's
      status is then draft or in approval again). A plan never approved — draft, or its first
      schedule in approval — is not in force: nothing of it is owed yet;
    - of a **signed** contract (signed, active, expired, terminated — or in review for an amendment
      of one, which is signed still). Before signing the customer owes nothing, and no payment can
      be recorded against it (``services.payment_record``): an installment "overdue" there could
      never be paid, and would send every order of the customer to credit review."""
    contract = f"{prefix}contract__"
    return Q(**{f"{prefix}approved_at__isnull": False}) & (
        Q(**{f"{contract}status__in": MONEY_STATUSES})
        | Q(**{f"{contract}status": "in_review", f"{contract}amended_from_status__in": MONEY_STATUSES})
    )


@dataclass(frozen=True)
class CreditState:
    """A customer's standing with one business unit, for credit control of orders."""

    limit: Decimal | None  # None: no limit set
    open_receivables: Decimal  # installments not yet paid (due or not)
    overdue: Decimal  # of which past their due date

    def exceeded_by(self, new_amount: Decimal) -> bool:
        """Whether an order of ``new_amount`` takes the customer over the limit."""
        return self.limit is not None and self.open_receivables + new_amount > self.limit


def customer_credit(
    *, customer_id: int, business_unit_id: int, today: date | None = None, except_contract_id: int | None = None
) -> CreditState:
    """The credit limit, open and overdue receivables of a customer with a BU (no visibility: a
    system check the order services make). ``except_contract_id``: leave that contract's plan out of
    the open receivables — an order of it adds its own amount, which the plan already schedules, so
    counting both would count the same money twice (overdue money counts whatever the contract)."""
    today = today or timezone.localdate()
    limit = (
        CustomerCredit.objects.filter(customer_id=customer_id, business_unit_id=business_unit_id)
        .values_list("credit_limit", flat=True)
        .first()
    )
    open_rows = Installment.objects.filter(
        owed(), plan__customer_id=customer_id, plan__business_unit_id=business_unit_id, received__lt=F("amount")
    )
    others = open_rows.exclude(plan__contract_id=except_contract_id) if except_contract_id else open_rows
    open_total = _cents(others.aggregate(s=Sum(F("amount") - F("received")))["s"])
    overdue = _cents(open_rows.filter(due_date__lt=today).aggregate(s=Sum(F("amount") - F("received")))["s"])
    return CreditState(limit=limit, open_receivables=open_total, overdue=overdue)


# --- lists and records, visibility applied -------------------------------------------------------------


def plan_of_contract(*, user: Any, contract_id: int, action: str = "view") -> PaymentPlan | None:
    """The contract's payment plan with its installments, or None (none yet, or not visible)."""
    return (
        PaymentPlan.objects.visible_to(user, action)
        .filter(contract_id=contract_id)
        .select_related("contract", "customer", "owner")
        .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("position", "pk")))
        .first()
    )


def payment_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    kind: str = "",
    method: str = "",
    contract: int | None = None,
    customer: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Payment]:
    rows = Payment.objects.visible_to(user, action).select_related("contract", "customer", "owner", "business_unit")
    if q:
        rows = rows.filter(
            Q(number__icontains=q)
            | Q(payer__icontains=q)
            | Q(reference__icontains=q)
            | Q(contract__number__icontains=q)
            | Q(customer__name__icontains=q)
        )
    if kind:
        rows = rows.filter(kind=kind)
    if method:
        rows = rows.filter(method=method)
    if contract:
        rows = rows.filter(contract_id=contract)
    if customer:
        rows = rows.filter(customer_id=customer)
    if date_from:
        rows = rows.filter(received_on__gte=date_from)
    if date_to:
        rows = rows.filter(received_on__lte=date_to)
    return rows.annotate(allocated=Coalesce(Sum("allocations__amount"), ZERO, output_field=_MONEY))


def payment_detail(*, user: Any, pk: int) -> Payment:
    found = (
        Payment.objects.visible_to(user)
        .select_related("contract", "customer", "owner", "refund_of")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("installment").order_by("pk")),
            Prefetch("refunds", queryset=Payment.objects.order_by("pk")),
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def invoice_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    status: str = "",
    kind: str = "",
    contract: int | None = None,
    customer: int | None = None,
) -> QuerySet[Invoice]:
    rows = Invoice.objects.visible_to(user, action).select_related("contract", "customer", "owner", "business_unit")
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(issued_number__icontains=q)
            | Q(contract__number__icontains=q)
            | Q(customer__name__icontains=q)
        )
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if contract:
        rows = rows.filter(contract_id=contract)
    if customer:
        rows = rows.filter(customer_id=customer)
    return rows


def invoice_detail(*, user: Any, pk: int) -> Invoice:
    found = invoice_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


# --- the contract's money, always consistent ------------------------------------------------------------


@dataclass(frozen=True)
class ContractMoney:
    contract_amount: Decimal
    planned: Decimal  # Σ installments
    invoiced: Decimal  # requested, approved and issued invoices (not void)
    issued: Decimal  # of which issued
    received: Decimal  # Σ receipts − Σ refunds
    allocated: Decimal  # Σ installments received
    unallocated: Decimal  # received − allocated
    outstanding: Decimal  # contract amount − received
    overdue: Decimal  # open amounts of installments past due (of a plan in force: ``owed``)

    @property
    def uninvoiced(self) -> Decimal:
        return max(self.contract_amount - self.invoiced, ZERO)


def contract_money(*, contract: Any, today: date | None = None) -> ContractMoney:
    """The money summary of a contract the caller already sees (four queries)."""
    today = today or timezone.localdate()
    inst = Installment.objects.filter(plan__contract_id=contract.pk).aggregate(
        planned=Sum("amount"),
        allocated=Sum("received"),
        overdue=Sum(F("amount") - F("received"), filter=Q(due_date__lt=today) & owed()),
    )
    inv = (
        Invoice.objects.filter(contract_id=contract.pk)
        .exclude(status=InvoiceStatus.VOID)
        .aggregate(invoiced=Sum("amount"), issued=Sum("amount", filter=Q(status=InvoiceStatus.ISSUED)))
    )
    pay = Payment.objects.filter(contract_id=contract.pk).aggregate(
        receipts=Sum("amount", filter=Q(kind=PaymentKind.RECEIPT)),
        refunds=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
    )
    received = _cents(pay["receipts"]) - _cents(pay["refunds"])
    allocated = _cents(inst["allocated"])
    return ContractMoney(
        contract_amount=contract.amount,
        planned=_cents(inst["planned"]),
        invoiced=_cents(inv["invoiced"]),
        issued=_cents(inv["issued"]),
        received=received,
        allocated=allocated,
        unallocated=received - allocated,
        outstanding=contract.amount - received,
        overdue=_cents(inst["overdue"]),
    )


# --- open receivables, overdue ---------------------------------------------------------------------------


def open_installments(*, user: Any, action: str = "view") -> QuerySet[Installment]:
    """Installments owed and not fully received, of the plans the user sees."""
    return Installment.objects.filter(
        owed(), plan__in=PaymentPlan.objects.visible_to(user, action).values("pk"), received__lt=F("amount")
    )


def customer_open_installments(*, user: Any, customer_id: int) -> QuerySet[Installment]:
    return (
        open_installments(user=user)
        .filter(plan__customer_id=customer_id)
        .select_related("plan__contract", "plan__business_unit")
        .order_by("due_date", "pk")
    )


def overdue_for_owner(*, user: Any, today: date | None = None) -> QuerySet[Installment]:
    """The user's own overdue installments (My day), oldest first."""
    today = today or timezone.localdate()
    return (
        Installment.objects.filter(owed(), plan__owner_id=user.pk, received__lt=F("amount"), due_date__lt=today)
        .select_related("plan__contract", "plan__customer")
        .order_by("due_date", "pk")
    )


# --- the receivables aging (应收账龄) -------------------------------------------------------------------------

# Buckets by days past due at ``as_of``: "not due" (due on or after as_of: 0 days past due is not
# overdue), then 1–30, 31–60, 61–90 and over 90 days overdue.
BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "d90_plus")
GROUPS = {
    "customer": ("plan__customer_id", "plan__customer__name"),
    "owner": ("plan__owner_id", "plan__owner__display_name"),
    "business_unit": ("plan__business_unit_id", "plan__business_unit__name"),
}


@dataclass
class AgingRow:
    key: int
    name: str
    not_due: Decimal = ZERO
    d1_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    d90_plus: Decimal = ZERO

    @property
    def overdue(self) -> Decimal:
        return self.d1_30 + self.d31_60 + self.d61_90 + self.d90_plus

    @property
    def total(self) -> Decimal:
        return self.not_due + self.overdue

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "name": self.name,
            **{b: getattr(self, b) for b in BUCKETS},
            "overdue": self.overdue,
            "total": self.total,
        }


@dataclass
class Aging:
    group_by: str
    as_of: date
    rows: list[AgingRow]
    totals: AgingRow
    period_from: date
    period_to: date
    due_in_period: Decimal
    received_in_period: Decimal

    @property
    def collection_rate(self) -> Decimal | None:
        """Received ÷ due of the installments due in the period, in percent (None: nothing due)."""
        if not self.due_in_period:
            return None
        return (self.received_in_period * 100 / self.due_in_period).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _bucket_sums(as_of: date) -> dict[str, Any]:
    open_amount = F("amount") - F("received")
    return {
        "not_due": Sum(open_amount, filter=Q(due_date__gte=as_of)),
        "d1_30": Sum(open_amount, filter=Q(due_date__lt=as_of, due_date__gte=as_of - timedelta(days=30))),
        "d31_60": Sum(
            open_amount, filter=Q(due_date__lt=as_of - timedelta(days=30), due_date__gte=as_of - timedelta(days=60))
        ),
        "d61_90": Sum(
            open_amount, filter=Q(due_date__lt=as_of - timedelta(days=60), due_date__gte=as_of - timedelta(days=90))
        ),
        "d90_plus": Sum(open_amount, filter=Q(due_date__lt=as_of - timedelta(days=90))),
    }


def aging(
    *,
    user: Any,
    group_by: str = "customer",
    as_of: date | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    action: str = "view",
) -> Aging:
    """Open installment amounts of the plans in force the user sees (``owed``), by days past due at
    ``as_of`` (today by default; the amounts are today's), grouped by customer, owner or BU, largest total first, with
    the totals and the collection rate of the installments due in the period (default: the 90 days
    up to ``as_of``). Two queries."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    for field, day in (("as_of", as_of), ("period_from", period_from), ("period_to", period_to)):
        check_day(field, day)
    as_of = as_of or timezone.localdate()
    period_to = period_to or as_of
    period_from = period_from or period_to - timedelta(days=89)
    key, name = GROUPS[group_by]
    plans = PaymentPlan.objects.visible_to(user, action).filter(owed("")).values("pk")
    rows = []
    for row in (
        Installment.objects.filter(plan__in=plans, received__lt=F("amount"))
        .values(key, name, *(("plan__owner__username",) if group_by == "owner" else ()))
        .annotate(**_bucket_sums(as_of))
        .order_by()
    ):
        label = row[name] or row.get("plan__owner__username") or ""
        rows.append(AgingRow(row[key], label, **{b: _cents(row[b]) for b in BUCKETS}))
    rows.sort(key=lambda r: (-r.total, r.name, r.key))
    totals = AgingRow(0, "")
    for r in rows:
        for b in BUCKETS:
            setattr(totals, b, getattr(totals, b) + getattr(r, b))
    period = Installment.objects.filter(plan__in=plans, due_date__gte=period_from, due_date__lte=period_to).aggregate(
        due=Sum("amount"), received=Sum("received")
    )
    return Aging(
        group_by=group_by,
        as_of=as_of,
        rows=rows,
        totals=totals,
        period_from=period_from,
        period_to=period_to,
        due_in_period=_cents(period["due"]),
        received_in_period=_cents(period["received"]),
    )
