"""Records of quote-to-cash made directly (no services, no approvals) for setting up tests:
a priced quote, a contract (from a quote or alone), an order of a contract, a payment plan.

Each helper builds what the next stage of the chain needs, so the tests of contracts, orders and
receivables do not go through the services of the stages before them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from tests.support.pipeline import ProductFactory, opportunity
from xietong.contracts.choices import ContractStatus
from xietong.contracts.models import Contract, ContractLine
from xietong.orders.choices import OrderStatus
from xietong.orders.models import Order, OrderLine
from xietong.quotes.choices import QuoteStatus
from xietong.quotes.models import Quote, QuoteLine
from xietong.receivables.choices import PlanStatus
from xietong.receivables.models import Installment, PaymentPlan

CENT = Decimal("0.01")
_seq = {"quote": 0, "contract": 0, "order": 0}


def _next(kind: str) -> int:
    _seq[kind] += 1
    return _seq[kind]


def priced(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, discount: Decimal = Decimal("0")
) -> dict[str, Decimal]:
    """The rounded figures of a line (percent discount): gross, discount, net, tax, amount."""
    gross = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
    off = (gross * discount / 100).quantize(CENT, ROUND_HALF_UP)
    net = gross - off
    tax = (net * tax_rate / 100).quantize(CENT, ROUND_HALF_UP)
    return {"gross": gross, "discount": off, "net": net, "tax": tax, "amount": net + tax}


def quote(
    owner: Any,
    *,
    opp: Any = None,
    lines: list[tuple[Any, str, str]] | None = None,
    status: str = QuoteStatus.DRAFT,
    tax_rate: Decimal = Decimal("13.00"),
    **kwargs: Any,
) -> Quote:
    """A quote of ``opp`` (an open opportunity of ``owner`` when None) with ``lines`` as
    (product or None, quantity, unit price) — one product line of 2 × 50,000.00 by default."""
    opp = opp or opportunity(owner)
    q = Quote.objects.create(
        number=kwargs.pop("number", f"BJ-T-{_next('quote'):05d}"),
        title=kwargs.pop("title", f"{opp.name}报价"),
        opportunity=opp,
        customer=opp.customer,
        business_unit=opp.business_unit,
        owner=owner,
        status=status,
        valid_until=kwargs.pop("valid_until", timezone.localdate() + timedelta(days=30)),
        **kwargs,
    )
    totals = dict.fromkeys(("gross", "discount", "net", "tax", "amount"), Decimal("0.00"))
    for position, (product, qty, price) in enumerate(lines or [(None, "2", "50000.00")], 1):
        product = product or ProductFactory()
        figures = priced(Decimal(qty), Decimal(price), tax_rate)
        QuoteLine.objects.create(
            quote=q,
            position=position,
            product=product,
            unit=product.unit,
            quantity=Decimal(qty),
            list_price=product.list_price,
            unit_price=Decimal(price),
            book_price=Decimal(price),
            tax_rate=tax_rate,
            gross_amount=figures["gross"],
            discount_amount=figures["discount"],
            net_amount=figures["net"],
            tax_amount=figures["tax"],
            amount=figures["amount"],
        )
        for key in totals:
            totals[key] += figures[key]
    Quote.objects.filter(pk=q.pk).update(
        subtotal=totals["gross"],
        discount_total=totals["discount"],
        net_total=totals["net"],
        tax_total=totals["tax"],
        total=totals["amount"],
    )
    q.refresh_from_db()
    return q


def contract(
    owner: Any,
    *,
    from_quote: Quote | None = None,
    status: str = ContractStatus.SIGNED,
    lines: list[tuple[Any, str, str]] | None = None,
    **kwargs: Any,
) -> Contract:
    """A contract of ``owner`` (signed by default), with the lines of ``from_quote`` or of ``lines``
    as (product or None, quantity, unit price without VAT, 13 % VAT)."""
    source = from_quote or quote(owner, lines=lines, status=QuoteStatus.ACCEPTED)
    today = timezone.localdate()
    signed = status in (ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED)
    c = Contract.objects.create(
        number=kwargs.pop("number", f"HT-T-{_next('contract'):05d}"),
        title=kwargs.pop("title", source.title.replace("报价", "合同")),
        customer=source.customer,
        business_unit=source.business_unit,
        owner=owner,
        opportunity=source.opportunity,
        quote=source if from_quote is not None else None,
        party_a=source.customer.name,
        party_b=kwargs.pop("party_b", "协同测试集团有限公司"),
        amount=source.total,
        net_amount=source.net_total,
        tax_amount=source.tax_total,
        status=status,
        start_date=kwargs.pop("start_date", today),
        end_date=kwargs.pop("end_date", today + timedelta(days=365)),
        signed_date=kwargs.pop("signed_date", today if signed else None),
        **kwargs,
    )
    for line in source.lines.all():
        ContractLine.objects.create(
            contract=c,
            position=line.position,
            product=line.product,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            amount=line.amount,
        )
    return c


def order(c: Contract, *, status: str = OrderStatus.NEW, operations_team: Any = None, **kwargs: Any) -> Order:
    """An order of every line of contract ``c``, in full."""
    o = Order.objects.create(
        number=kwargs.pop("number", f"DD-T-{_next('order'):05d}"),
        contract=c,
        customer=c.customer,
        business_unit=c.business_unit,
        owner=c.owner,
        operations_team=operations_team,
        status=status,
        amount=c.amount,
        promised_date=kwargs.pop("promised_date", timezone.localdate() + timedelta(days=30)),
        **kwargs,
    )
    for line in c.lines.all():
        OrderLine.objects.create(
            order=o,
            contract_line=line,
            position=line.position,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
        )
    return o


def payment_plan(c: Contract, installments: list[tuple[date, str]] | None = None, **kwargs: Any) -> PaymentPlan:
    """An active (approved, in force) payment plan of contract ``c``: ``installments`` as (due
    date, amount), by default one installment of the whole amount due in 30 days."""
    status = kwargs.pop("status", PlanStatus.ACTIVE)
    kwargs.setdefault("approved_at", timezone.now() if status == PlanStatus.ACTIVE else None)
    plan = PaymentPlan.objects.create(
        contract=c, customer=c.customer, business_unit=c.business_unit, owner=c.owner, status=status, **kwargs
    )
    rows = installments or [(timezone.localdate() + timedelta(days=30), str(c.amount))]
    for position, (due, amount) in enumerate(rows, 1):
        Installment.objects.create(plan=plan, position=position, due_date=due, amount=Decimal(amount))
    return plan
