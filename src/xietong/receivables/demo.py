"""The demo money: payment plans, payments, refunds, invoices and credit limits (org/demo.py runs this
step after the contracts' step and before the orders').

Every signed, active, expired or terminated demo contract gets a payment plan from its owner, sent
through the 回款计划审批 flow and approved by the owner's manager: 预付款 50 % and 尾款 50 % for a
small contract, 预付款 30 % / 到货款 60 % / 质保金 10 % by default, or four installments (预付款,
到货款, 验收款, 质保金) when its payment terms say so. The BU's finance then records what came in,
contract by contract. Each BU has one late payer (the customer of its oldest contract): its plans
say the 2nd (and 3rd) installment fell due 1–30, 31–60, 61–90 or 90+ days ago (``LATE``) and only
the prepayment came — every aging bucket shows, and only these customers' new orders go to credit
review. The other contracts follow the next profile of ``PROFILES``:

- ``full``: every installment due so far paid, a few days after its due date;
- ``partial``: that, and 40 % of the next installment paid early;
- ``over``: the customer paid 3,000.00 more than the installment: the rest stays unallocated;
- ``refund``: the prepayment arrived twice; the duplicate is refunded.

Contracts signed in the last two months only got their prepayment. Invoices follow the money:
requested by the owner for what was received and approved by finance (开票审批), then issued
with a number — one request still waiting for finance, one approved but not issued, and one issued
invoice voided (wrong title) and issued again. Finance sets credit limits for the customers with
contracts, one of them below what the customer owes (over its limit). One plan's change (the
warranty retention due later) waits for the manager. The daily overdue reminder runs once.

Deterministic (profiles follow the contracts' order, one seeded stream) and idempotent: nothing is
done for a BU that has a payment plan already.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from xietong.approvals import demo as approvals_demo
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, User

from . import selectors, services
from .choices import InvoiceKind, PaymentMethod, PlanStatus
from .models import Installment, Invoice, Payment, PaymentPlan

SEED = 20261103
BUS = approvals_demo.BUS
CENT = Decimal("0.01")
MONEY_STATUSES = ("signed", "active", "expired", "terminated")
NEW_CONTRACT_DAYS = 60
# how the customers who pay on time pay, contract after contract
PROFILES = ("full", "partial", "over", "full", "refund", "full", "partial")
# a late payer's contracts, one after another: how many days ago its 2nd (and 3rd) installment fell due
LATE: tuple[tuple[int, ...], ...] = ((120, 45), (75, 20), (100, 50), (40,))
# what happens to the invoice of the money received, contract after contract
INVOICE_FATES = ("issued", "requested", "issued", "void", "approved", "issued", "issued")
BANKS = ("中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行")
PAYERS_NOTE = {"over": "客户按整数付款，多付部分待下期抵扣。", "refund": "客户重复支付预付款。"}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _plan_rows(contract: Any, late: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """The installments of a contract's plan: due dates from its signing, they add up to its amount.
    With ``late``, the 2nd (3rd …) installment fell due that many days ago: what a late payer owes."""
    today = timezone.localdate()
    signed: date = contract.signed_date or contract.start_date or today
    amount: Decimal = contract.amount
    shares: tuple[tuple[str, Decimal | None, int], ...]
    if amount < Decimal("200000"):
        shares = (("预付款", Decimal("0.5"), 7), ("尾款", None, 60))
    elif "验收" in (contract.payment_terms or ""):
        shares = (
            ("预付款", Decimal("0.3"), 7),
            ("到货款", Decimal("0.4"), 60),
            ("验收款", Decimal("0.2"), 90),
            ("质保金", None, 425),
        )
    else:
        shares = (("预付款", Decimal("0.3"), 7), ("到货款", Decimal("0.6"), 60), ("质保金", None, 425))
    rows: list[dict[str, Any]] = []
    left = amount
    for name, share, days in shares:
        part = left if share is None else _cents(amount * share)
        left -= part
        rows.append({"name": name, "due_date": signed + timedelta(days=days), "amount": part})
    previous: date = rows[0]["due_date"]
    for n, row in enumerate(rows[1:]):
        target = today - timedelta(days=late[n]) if n < len(late) else None
        if target is not None and target > previous:
            row["due_date"] = target
        elif late:  # the installments stay in order
            row["due_date"] = max(row["due_date"], previous + timedelta(days=30))
        previous = row["due_date"]
    return rows


def _pay(finance: User, contract: Any, amount: Decimal, on: date, rng: random.Random, **extra: Any) -> Payment | None:
    if amount <= 0:
        return None
    return services.payment_record(
        actor=finance,
        contract=contract,
        received_on=min(on, timezone.localdate()),
        amount=amount,
        method=rng.choice((PaymentMethod.TRANSFER,) * 4 + (PaymentMethod.ACCEPTANCE,)),
        payer=contract.customer.name,
        reference=f"{rng.randint(10**11, 10**12 - 1)}",
        **extra,
    )


def _collect(
    finance: User, contract: Any, plan: PaymentPlan, profile: str, rng: random.Random, created: Counter[str]
) -> None:
    """Record the money of one contract by its profile (see the module docstring)."""
    today = timezone.localdate()
    installments = list(plan.installments.order_by("position"))
    due = [i for i in installments if i.due_date < today]
    recorded: list[Payment | None] = []
    if profile == "late":  # the prepayment came; nothing since
        for inst in due[:1]:
            on = inst.due_date + timedelta(days=rng.randint(0, 5))
            recorded.append(_pay(finance, contract, inst.amount, on, rng))
    else:
        for n, inst in enumerate(due):
            on = inst.due_date + timedelta(days=rng.randint(0, 10))
            if profile == "over" and n == len(due) - 1:
                recorded.append(
                    _pay(
                        finance,
                        contract,
                        inst.amount + Decimal("3000.00"),
                        on,
                        rng,
                        allocations=[{"installment": inst.pk, "amount": inst.amount}],
                        note=PAYERS_NOTE["over"],
                    )
                )
                created["over-payments"] += 1
            else:
                recorded.append(_pay(finance, contract, inst.amount, on, rng))
        upcoming = [i for i in installments if i.due_date >= today]
        if profile == "partial" and upcoming:  # part of the next installment, paid early
            part = _cents(upcoming[0].amount * Decimal("0.4"))
            recorded.append(_pay(finance, contract, part, today - timedelta(days=rng.randint(1, 10)), rng))
            created["partial payments"] += 1
        if profile == "refund" and due:
            first = due[0]
            twice = _pay(
                finance,
                contract,
                first.amount,
                first.due_date + timedelta(days=2),
                rng,
                allocations=[],
                note=PAYERS_NOTE["refund"],
            )
            if twice is not None:
                services.payment_refund(
                    actor=finance,
                    payment=twice,
                    amount=twice.amount,
                    refunded_on=min(twice.received_on + timedelta(days=6), today),
                    reason="客户重复付款，原路退回。",
                )
                recorded.append(twice)
                created["refunds"] += 1
    created["payments"] += sum(1 for p in recorded if p is not None)


def _thousands(value: Decimal) -> Decimal:
    """Rounded down to a thousand yuan, as credit limits are set."""
    return Decimal(int(value // 1000) * 1000).quantize(CENT)


def _received(contract: Any) -> Decimal:
    return Installment.objects.filter(plan__contract=contract).aggregate(s=Sum("received"))["s"] or Decimal("0.00")


def _invoice(owner: User, finance: User, contract: Any, fate: str, rng: random.Random, created: Counter[str]) -> None:
    amount = _cents(_received(contract))
    if amount <= 0:
        return
    customer = contract.customer
    kind = InvoiceKind.SPECIAL if customer.credit_code else InvoiceKind.ORDINARY
    bank = rng.choice(BANKS)
    address = getattr(customer, "address", "") or "上海市浦东新区"
    details = {
        "kind": kind,
        "title": customer.name,
        "tax_number": customer.credit_code,
        "address_phone": f"{address} 021-{rng.randint(5 * 10**7, 7 * 10**7)}",
        "bank_name": f"{bank}{getattr(customer, 'city', '') or '上海'}分行",
        "bank_account": f"{rng.randint(10**18, 10**19 - 1)}",
        "tax_rate": Decimal("13"),
    }
    invoice = services.invoice_request(actor=owner, contract=contract, amount=amount, submit=True, **details)
    created["invoices"] += 1
    if fate == "requested":
        return
    created["approval decisions"] += approvals_demo.approve(invoice, comment="开票信息核对无误。")
    if fate == "approved":
        return
    issued_on = min(timezone.localdate(), contract.signed_date + timedelta(days=rng.randint(10, 40)))
    number = f"{rng.randint(10**7, 10**8 - 1)}"
    services.invoice_issue(actor=finance, invoice=invoice, number=number, issued_on=issued_on)
    if fate != "void":
        return
    services.invoice_void(actor=finance, invoice=invoice, reason="发票抬头与开户行信息有误，作废重开。")
    again = services.invoice_request(actor=owner, contract=contract, amount=amount, submit=True, **details)
    created["invoices"] += 1
    created["approval decisions"] += approvals_demo.approve(again, comment="重开发票，信息已更正。")
    number = f"{rng.randint(10**7, 10**8 - 1)}"
    services.invoice_issue(actor=finance, invoice=again, number=number, issued_on=issued_on)


def _credit(
    finance: User, bu: BusinessUnit, contracts: list[Any], over_limit: int | None, created: Counter[str]
) -> None:
    """Credit limits for the customers with contracts: comfortable ones, and ``over_limit`` (a customer
    id) below what it owes."""
    seen: set[int] = set()
    for contract in contracts:
        if contract.customer_id in seen:
            continue
        seen.add(contract.customer_id)
        state = selectors.customer_credit(customer_id=contract.customer_id, business_unit_id=bu.pk)
        if contract.customer_id == over_limit:
            limit = max(_thousands(state.open_receivables / 2), Decimal("10000.00"))
        elif len(seen) <= 4:
            limit = _thousands(max(contract.amount, state.open_receivables) * 2)
        else:
            continue
        services.credit_set(actor=finance, customer=contract.customer_id, business_unit=bu, credit_limit=limit)
        created["credit limits"] += 1


def _plan_change(owner: User, plan: PaymentPlan, created: Counter[str]) -> None:
    """The warranty retention falls due three months later: the change waits for the manager."""
    rows: list[dict[str, Any]] = [
        {"id": i.pk, "name": i.name, "due_date": i.due_date, "amount": i.amount}
        for i in plan.installments.order_by("position")
    ]
    rows[-1]["due_date"] = rows[-1]["due_date"] + timedelta(days=90)
    services.plan_save(actor=owner, contract=plan.contract_id, installments=rows)
    services.plan_submit(actor=owner, plan=plan)
    created["payment plan changes"] += 1


def _backdate(bu: BusinessUnit) -> None:
    for payment in Payment.objects.filter(business_unit=bu).only("pk", "received_on"):
        at: datetime = timezone.make_aware(datetime.combine(payment.received_on, time(15)))
        Payment.objects.filter(pk=payment.pk).update(created_at=at)
    for invoice in Invoice.objects.filter(business_unit=bu, issued_on__isnull=False).only("pk", "issued_on"):
        issued: date = invoice.issued_on  # type: ignore[assignment]  # filtered: not null
        at = timezone.make_aware(datetime.combine(issued - timedelta(days=2), time(11)))
        Invoice.objects.filter(pk=invoice.pk).update(created_at=at)


def _late_payer(contracts: list[Any], today: date) -> int | None:
    """The BU's late payer: the customer of its oldest contract signed long enough ago."""
    old = [c for c in contracts if c.signed_date and (today - c.signed_date).days >= NEW_CONTRACT_DAYS]
    return min(old, key=lambda c: (c.signed_date, c.pk)).customer_id if old else None


def load(created: Counter[str]) -> None:
    from xietong.contracts.models import Contract

    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=BUS)}
    if not units:
        return
    by_bu = approvals_demo.people(set(units))
    rng = random.Random(SEED)  # noqa: S311  (reproducible data, not secrets)
    today = timezone.localdate()
    turn = late_turn = invoice_turn = 0
    changed = over_limit_set = False
    for code in BUS:
        bu = units.get(code)
        finance = approvals_demo.first(by_bu.get(code, {}), "finance")
        if bu is None or finance is None or PaymentPlan.objects.filter(business_unit=bu).exists():
            continue
        contracts = list(
            Contract.objects.filter(business_unit=bu, status__in=MONEY_STATUSES)
            .select_related("owner", "customer")
            .order_by("pk")
        )
        late_payer = _late_payer(contracts, today)
        over_limit: int | None = None
        for contract in contracts:
            owner = contract.owner
            signed = contract.signed_date or today
            late: tuple[int, ...] = ()
            if (today - signed).days < NEW_CONTRACT_DAYS:
                profile = "new"
            elif contract.customer_id == late_payer:
                profile, late = "late", LATE[late_turn % len(LATE)]
                late_turn += 1
            else:
                profile = PROFILES[turn % len(PROFILES)]
                turn += 1
            rows = _plan_rows(contract, late)
            plan = services.plan_save(actor=owner, contract=contract, installments=rows)
            services.plan_submit(actor=owner, plan=plan)
            created["payment plans"] += 1
            created["installments"] += len(rows)
            created["approval decisions"] += approvals_demo.approve(plan, comment="回款节点与合同一致。")
            plan.refresh_from_db()
            if profile == "new":
                first = plan.installments.order_by("position").first()
                if first is not None and first.due_date <= today + timedelta(days=7):
                    _pay(finance, contract, first.amount, signed + timedelta(days=2), rng)
                    created["payments"] += 1
            else:
                _collect(finance, contract, plan, profile, rng, created)
            if profile == "late" and not over_limit_set:
                over_limit, over_limit_set = contract.customer_id, True
            _invoice(owner, finance, contract, INVOICE_FATES[invoice_turn % len(INVOICE_FATES)], rng, created)
            invoice_turn += 1
            if not changed and profile == "full" and plan.status == PlanStatus.ACTIVE:
                _plan_change(owner, plan, created)
                changed = True
        _credit(finance, bu, contracts, over_limit, created)
        _backdate(bu)
    if turn or late_turn:
        created["overdue reminders"] += services.overdue_remind(today=today)


register_demo_step(load)
