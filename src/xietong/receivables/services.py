"""Money in: every write — payment plans, payments and their allocations, refunds, invoices, credit
limits and the overdue reminders.

Every service is keyword-only and atomic; it checks the module permission and the record's scope
(404 outside it), takes row locks in a fixed order (the contract, the plan, then installments in pk
order, then payments in pk order), audits, and checks after the write that the actor still sees
what they wrote. Money is Decimal with two places; amounts are never negative where none make sense.

Conservation (docs/subsystems/receivables.md): for every receipt R,
``unallocated(R) = R.amount − Σ R.allocations − Σ over its refunds F (F.amount + Σ F.allocations)``
is never negative, and ``Installment.received`` is the sum of its allocations (refund allocations
are negative). So Σ receipts − Σ refunds = Σ installments received + Σ unallocated, to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.dates import check_day
from xietong.core.errors import Conflict, NotFound
from xietong.core.numbering import next_number
from xietong.core.params import as_int
from xietong.core.validators import has_places, is_valid_credit_code, normalize_credit_code
from xietong.core.visibility import ensure_still_visible
from xietong.org.policies import require

from .choices import MONEY_STATUSES, InvoiceKind, InvoiceStatus, PaymentKind, PaymentMethod, PlanStatus
from .models import Allocation, CustomerCredit, Installment, Invoice, Payment, PaymentPlan
from .selectors import owed

MODULE = "receivables"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_MONEY = Decimal("1e14")
MAX_INSTALLMENTS = 120  # ten years paid monthly; the plan editor shows as many rows
VAT_RATES = (Decimal("13"), Decimal("9"), Decimal("6"), Decimal("5"), Decimal("3"), Decimal("1"), Decimal("0"))
PLAN_STATUSES = ("draft", "in_review", "approved", "signed", "active", "expired", "terminated")


def yuan(amount: Decimal) -> str:
    """``¥12,000.00``: the figure in messages (the same in every language)."""
    return f"¥{amount:,.2f}"


def money(value: Any, field: str, *, positive: bool = True, allow_zero: bool = False) -> Decimal:
    """A clean amount of money (Decimal, two places) or a ``ValidationError`` naming ``field``."""
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({field: _("Enter an amount of money, e.g. 12800.00.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount of money, e.g. 12800.00.")})
    if abs(amount) >= MAX_MONEY:  # before quantize, which cannot hold more than 28 digits
        raise ValidationError({field: _("The amount is too large.")})
    if not has_places(amount, 2):
        raise ValidationError({field: _("Money has at most two decimal places.")})
    if positive and (amount < 0 or (amount == 0 and not allow_zero)):
        raise ValidationError({field: _("The amount must be more than zero.")})
    return amount.quantize(CENT)


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _contract_for(actor: Any, contract: Any, action: str = "view") -> Any:
    """The contract the actor sees (404 otherwise), locked: plans, payments and invoices of one
    contract are written one at a time."""
    from xietong.contracts.models import Contract

    found = Contract.objects.visible_to(actor, action).select_for_update().filter(pk=_pk(contract)).first()
    if found is None:
        raise NotFound()
    return found


def money_in_scope(actor: Any, contract: Any, action: str) -> bool:
    """Whether a plan, payment or invoice of ``contract`` — owned by the contract's owner in its BU —
    is (or would be) within ``actor``'s receivables scope for ``action``. Someone who sees a contract
    through a share, or through a wider contracts scope, is not offered its money forms. Asked of
    the contract row itself: it has the owner and BU fields the money's policy reads."""
    from xietong.contracts.models import Contract

    policy = PaymentPlan.visibility_policy
    return Contract.objects.filter(pk=_pk(contract)).in_scope_of(policy, actor, action).exists()


def _require_money_scope(actor: Any, contract: Any, action: str) -> None:
    if not money_in_scope(actor, contract, action):
        raise NotFound()


def follow_contract_owner(contract: Any) -> int:
    """The contract changed hands: its plan, payments and invoices follow. They are owned by the
    contract's owner, which decides who sees them, whom reminders go to and aging by owner. Called by
    the contracts service that made the change (no permission check here). The rows moved."""
    moved = 0
    for model in (PaymentPlan, Payment, Invoice):
        rows = model.objects.filter(contract_id=contract.pk).exclude(owner_id=contract.owner_id)
        moved += rows.update(owner_id=contract.owner_id)
    return moved


def _require_money_status(contract: Any, field: str = "contract") -> None:
    if contract.status not in MONEY_STATUSES:
        raise Conflict(
            _("The contract is %(status)s: money is recorded once it is signed.")
            % {"status": contract.get_status_display()},
            field=field,
        )


# --- payment plans --------------------------------------------------------------------------------------


def plan_is_locked(plan: PaymentPlan) -> bool:
    """The approval engine's lock: a plan (or the change to it) in approval takes no change on any path."""
    return plan.status == PlanStatus.IN_APPROVAL


def _refuse_locked_plan(plan: PaymentPlan) -> None:
    if plan_is_locked(plan):
        raise Conflict(_("The payment plan is in approval: it cannot change until it is decided."), field="plan")


def allocations_wait(plan: PaymentPlan) -> bool:
    """Payments are not put on a plan's installments while its first schedule is in approval. A plan
    in force keeps taking them while a change to it is in approval: the change is checked again
    against what they received when it is approved."""
    return plan_is_locked(plan) and not plan.in_force


def _refuse_waiting_allocations(plan: PaymentPlan) -> None:
    if allocations_wait(plan):
        raise Conflict(_("The payment plan is in approval: it cannot change until it is decided."), field="plan")


def plan_sum_problem(*, total: Decimal, contract_amount: Decimal, difference: Decimal) -> str | None:
    """The plan rule: the installments add up to the contract amount, or differ from it by the
    recorded ``difference`` exactly. The message says the sum, the contract amount and the gap."""
    gap = total - contract_amount
    if gap == difference:
        return None
    return _(
        "The installments add up to %(sum)s and the contract amount is %(amount)s: a gap of %(gap)s. "
        "Change the installments, or record the difference (%(gap)s) with its reason."
    ) % {"sum": yuan(total), "amount": yuan(contract_amount), "gap": yuan(gap)}


@dataclass(frozen=True)
class InstallmentIn:
    name: str
    due_date: date
    amount: Decimal
    id: int | None = None


def _clean_installments(rows: Sequence[Mapping[str, Any]]) -> list[InstallmentIn]:
    if not rows:
        raise ValidationError({"installments": _("Add at least one installment.")})
    if len(rows) > MAX_INSTALLMENTS:
        raise ValidationError(
            {
                "installments": _("At most %(limit)s installments: %(count)s were given.")
                % {"limit": MAX_INSTALLMENTS, "count": len(rows)}
            }
        )
    out: list[InstallmentIn] = []
    for index, row in enumerate(rows):
        prefix = f"installments.{index}"
        due = row.get("due_date")
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due)
            except ValueError:
                due = None
        if not isinstance(due, date):
            raise ValidationError({f"{prefix}.due_date": _("Enter the due date, e.g. 2027-03-31.")})
        check_day(f"{prefix}.due_date", due)
        name = (row.get("name") or "").strip()
        if len(name) > 60:
            raise ValidationError({f"{prefix}.name": _("At most 60 characters.")})
        amount = money(row.get("amount"), f"{prefix}.amount")
        out.append(InstallmentIn(name=name, due_date=due, amount=amount, id=row.get("id") or None))
    return out


def _check_rows(existing: Mapping[int, Installment], rows: Sequence[InstallmentIn]) -> None:
    """``rows`` may replace ``existing``: each id names one of them once, keeps at least what it
    received, and an installment left out has received nothing."""
    kept: set[int] = set()
    for index, row in enumerate(rows):
        if row.id is None:
            continue
        current = existing.get(int(row.id))
        if current is None:
            raise ValidationError({f"installments.{index}.id": _("No such installment in this plan.")})
        if current.pk in kept:  # a second row would overwrite the first, the sum checked on both
            raise ValidationError({f"installments.{index}.id": _("This installment is listed twice.")})
        if row.amount < current.received:
            raise ValidationError(
                {
                    f"installments.{index}.amount": _(
                        "%(amount)s is less than the %(received)s already received on this installment."
                    )
                    % {"amount": yuan(row.amount), "received": yuan(current.received)}
                }
            )
        kept.add(current.pk)
    for pk, current in existing.items():
        if pk not in kept and (current.received != 0 or current.allocations.exists()):
            raise ValidationError(
                {
                    "installments": _("“%(name)s” (due %(due)s) has received %(received)s: it cannot be removed.")
                    % {
                        "name": current.name or f"#{current.position}",
                        "due": current.due_date,
                        "received": yuan(current.received),
                    }
                }
            )


def _write_rows(plan: PaymentPlan, existing: Mapping[int, Installment], rows: Sequence[InstallmentIn]) -> None:
    """Make the plan's installments ``rows`` (checked by ``_check_rows``): keep those named by id,
    remove the others, add the new ones."""
    kept = {int(row.id) for row in rows if row.id is not None}
    removed = [pk for pk in existing if pk not in kept]
    if removed:
        Installment.objects.filter(pk__in=removed).delete()
    for position, row in enumerate(rows, 1):
        if row.id is None:
            Installment.objects.create(
                plan=plan, position=position, name=row.name, due_date=row.due_date, amount=row.amount
            )
            continue
        current = existing[int(row.id)]
        if (current.position, current.name, current.due_date, current.amount) == (
            position,
            row.name,
            row.due_date,
            row.amount,
        ):
            continue
        if current.due_date != row.due_date:
            current.reminded_at = None  # a new due date: remind again
            current.due_soon_reminded_at = None
        current.position, current.name, current.due_date, current.amount = position, row.name, row.due_date, row.amount
        current.save(update_fields=["position", "name", "due_date", "amount", "reminded_at", "due_soon_reminded_at"])


def _locked_rows_of(plan: PaymentPlan) -> dict[int, Installment]:
    return {i.pk: i for i in Installment.objects.select_for_update().filter(plan=plan).order_by("pk")}


def _in_force(existing: Mapping[int, Installment]) -> list[InstallmentIn]:
    return [
        InstallmentIn(name=i.name, due_date=i.due_date, amount=i.amount, id=i.pk)
        for i in sorted(existing.values(), key=lambda i: (i.position, i.pk))
    ]


def _proposal_json(rows: Sequence[InstallmentIn], difference: Decimal, reason: str) -> dict[str, Any]:
    return {
        "installments": [
            {"id": r.id, "name": r.name, "due_date": r.due_date.isoformat(), "amount": str(r.amount)} for r in rows
        ],
        "difference": str(difference),
        "difference_reason": reason,
    }


@dataclass(frozen=True)
class Proposal:
    """A change to a plan in force, waiting for approval."""

    installments: list[InstallmentIn]
    difference: Decimal
    difference_reason: str

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.installments), ZERO)


def proposal_of(plan: PaymentPlan) -> Proposal | None:
    """The change waiting on ``plan`` (None: none)."""
    if not plan.proposal:
        return None
    return Proposal(
        installments=[
            InstallmentIn(
                name=r["name"], due_date=date.fromisoformat(r["due_date"]), amount=Decimal(r["amount"]), id=r["id"]
            )
            for r in plan.proposal["installments"]
        ],
        difference=Decimal(plan.proposal["difference"]),
        difference_reason=plan.proposal["difference_reason"],
    )


def describe_installments(rows: Sequence[InstallmentIn | Installment], sep: str = "; ") -> str:
    """``预付款 2027-01-31 ¥33,900.00; #2 2027-03-31 ¥79,100.00`` (for the audit trail and approvers)."""
    return sep.join(
        f"{r.name or '#' + str(position)} {r.due_date:%Y-%m-%d} {yuan(r.amount)}" for position, r in enumerate(rows, 1)
    )


def _same_rows(a: Sequence[InstallmentIn], b: Sequence[InstallmentIn]) -> bool:
    def key(rows: Sequence[InstallmentIn]) -> list[tuple[Any, ...]]:
        return [(r.id and int(r.id), r.name, r.due_date, r.amount) for r in rows]

    return key(a) == key(b)


def _amendment_in_review(contract: Any) -> bool:
    return bool(contract.status == "in_review" and contract.amended_from_status)


def _refuse_while_amended(contract: Any) -> None:
    """While an amendment is in review the contract's amount is the one proposed: a plan checked
    against it would no longer add up if the amendment were rejected. The plan waits."""
    if _amendment_in_review(contract):
        raise Conflict(
            _(
                "The contract's amendment is in review and its amount may still change: change the payment "
                "plan once the amendment is decided."
            ),
            field="contract",
        )


@transaction.atomic
def plan_save(
    *,
    actor: Any,
    contract: Any,
    installments: Sequence[Mapping[str, Any]],
    difference: Any = ZERO,
    difference_reason: str = "",
) -> PaymentPlan:
    """Create or replace the installments of ``contract``'s payment plan. ``installments``: dicts
    with name, due_date, amount and — to keep an existing one and what it received — its id; an
    existing installment not listed is removed (refused when it received money). They must add up
    to the contract amount, or differ from it by ``difference`` with a reason. A plan in approval
    is locked (409).

    A plan never approved changes at once. Once approved, its installments stay in force — aging,
    credit control and reminders read them — and the change is kept as the plan's proposal (the
    plan back in draft) until it is approved (``plan_submit``); saving the schedule in force again
    drops the proposal."""
    require(actor, MODULE, "edit")
    contract = _contract_for(actor, contract)
    _require_money_scope(actor, contract, "edit")
    if contract.status not in PLAN_STATUSES:
        raise Conflict(_("This contract takes no payment plan."), field="contract")
    _refuse_while_amended(contract)
    rows = _clean_installments(installments)
    difference = money(difference, "difference", positive=False)
    reason = (difference_reason or "").strip()
    if difference != 0 and not reason:
        raise ValidationError({"difference_reason": _("Say why the plan differs from the contract amount.")})
    if difference == 0:
        reason = ""
    total = sum((r.amount for r in rows), ZERO)
    problem = plan_sum_problem(total=total, contract_amount=contract.amount, difference=difference)
    if problem:
        raise ValidationError({"installments": problem})

    plan = PaymentPlan.objects.select_for_update().filter(contract=contract).first()
    created = plan is None
    if plan is None:
        plan = PaymentPlan.objects.create(
            contract=contract,
            customer_id=contract.customer_id,
            business_unit_id=contract.business_unit_id,
            owner_id=contract.owner_id,
            updated_by=actor,
        )
    elif not PaymentPlan.objects.visible_to(actor, "edit").filter(pk=plan.pk).exists():
        raise NotFound()
    _refuse_locked_plan(plan)
    existing = _locked_rows_of(plan)
    _check_rows(existing, rows)
    in_force = _in_force(existing)
    if plan.in_force:
        _propose(actor, plan, in_force, rows, difference, reason)
    else:
        before = audit.snapshot(plan)
        _write_rows(plan, existing, rows)
        changed = not _same_rows(rows, in_force) or plan.difference != difference or plan.difference_reason != reason
        plan.difference, plan.difference_reason, plan.updated_by = difference, reason, actor
        plan.save()
        if created:
            audit.record_create(actor=actor, obj=plan)
        if changed or created:
            audit.record(
                actor=actor,
                obj=plan,
                kind="update",
                verb="plan_changed",
                changes={
                    **audit.diff(before, audit.snapshot(plan)),
                    "installments": [describe_installments(in_force), describe_installments(rows)],
                },
            )
    ensure_still_visible(plan, actor)
    return plan


def _propose(
    actor: Any,
    plan: PaymentPlan,
    in_force: list[InstallmentIn],
    rows: list[InstallmentIn],
    difference: Decimal,
    reason: str,
) -> None:
    """Keep ``rows`` as the change to the plan in force (the plan back in draft). The schedule in
    force itself is no change: nothing happens — or, with a change waiting, 409 (a form opened
    before the change was made would drop it without a word; "discard the change" does that)."""
    earlier = proposal_of(plan)
    if _same_rows(rows, in_force) and difference == plan.difference and reason == plan.difference_reason:
        if earlier is not None:
            raise Conflict(
                _(
                    "These are the installments in force, and a change to them is waiting. To drop that "
                    "change, discard it; to change it, edit the proposed installments."
                ),
                field="installments",
            )
        return
    plan.proposal = _proposal_json(rows, difference, reason)
    plan.status = PlanStatus.DRAFT
    plan.updated_by = actor
    plan.save()
    was = earlier.installments if earlier else in_force
    audit.record(
        actor=actor,
        obj=plan,
        kind="update",
        verb="plan_change_proposed",
        changes={"installments": [describe_installments(was), describe_installments(rows)]},
    )


@transaction.atomic
def plan_discard_change(*, actor: Any, plan: Any) -> PaymentPlan:
    """Drop the change waiting on a plan in force: the plan is active again, as it was approved.
    409 while the change is in approval, or when there is none."""
    require(actor, MODULE, "edit")
    plan = PaymentPlan.objects.lock_visible(actor, _pk(plan), "edit")
    _refuse_locked_plan(plan)
    earlier = proposal_of(plan)
    if earlier is None:
        raise Conflict(_("The payment plan has no change waiting."), field="plan")
    in_force = _in_force(_locked_rows_of(plan))
    plan.proposal, plan.status, plan.updated_by = None, PlanStatus.ACTIVE, actor
    plan.save()
    audit.record(
        actor=actor,
        obj=plan,
        kind="update",
        verb="plan_change_discarded",
        changes={"installments": [describe_installments(earlier.installments), describe_installments(in_force)]},
    )
    return plan


def _submit_for_approval(document: Any, actor: Any, on_approved: Any) -> Any:
    """The approval engine's ``approval_submit`` (returns the request, or None after calling
    ``on_approved`` when no flow applies). Without the engine installed, no flow applies."""
    try:
        from xietong.approvals.services import approval_submit  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # the engine is not there yet: nothing to approve
        on_approved(document, None)
        return None
    return approval_submit(document=document, actor=actor)


@transaction.atomic
def plan_submit(*, actor: Any, plan: Any) -> Any:
    """Send a draft plan (new, or a change to the plan in force) for approval; without a flow that
    applies it becomes active at once. 409 when it is in approval or already active. A change is
    checked again against what the installments have received since it was saved."""
    require(actor, MODULE, "edit")
    contract_id = (
        PaymentPlan.objects.visible_to(actor, "edit").filter(pk=_pk(plan)).values_list("contract_id", flat=True).first()
    )
    if contract_id is None:
        raise NotFound()
    from xietong.contracts.models import Contract

    contract = Contract.objects.select_for_update().get(pk=contract_id)  # the contract, then the plan
    plan = PaymentPlan.objects.lock_visible(actor, _pk(plan))
    _refuse_locked_plan(plan)
    _refuse_while_amended(contract)
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(_("The payment plan is already active."), field="plan")
    change = proposal_of(plan)
    if change is not None:
        _check_rows(_locked_rows_of(plan), change.installments)
        total, difference = change.total, change.difference
    else:
        total = plan.installments.aggregate(s=Sum("amount"))["s"]
        difference = plan.difference
    if total is None:
        raise ValidationError({"installments": _("Add at least one installment.")})
    problem = plan_sum_problem(total=total, contract_amount=contract.amount, difference=difference)
    if problem:
        raise ValidationError({"installments": problem})
    request = _submit_for_approval(plan, actor, plan_on_approved)
    audit.record(actor=actor, obj=plan, kind="update", verb="money_submitted", changes={})
    plan.refresh_from_db()
    return request


def _set_plan_status(plan: PaymentPlan, status: str) -> None:
    PaymentPlan.objects.filter(pk=plan.pk).update(status=status, updated_at=timezone.now())
    plan.status = status


def plan_on_submitted(plan: PaymentPlan, request: Any) -> None:
    _set_plan_status(plan, PlanStatus.IN_APPROVAL)


def plan_on_approved(plan: PaymentPlan, request: Any) -> None:
    """The plan is in force; an approved change replaces the installments now. What changed since it
    was submitted — the contract amount (an amendment), payments put on the installments in force —
    is checked again: a change that no longer fits is refused (409), to be rejected and corrected."""
    from xietong.contracts.models import Contract

    change = proposal_of(plan)
    existing = _locked_rows_of(plan) if change is not None else {}
    contract = Contract.objects.only("amount", "status", "amended_from_status").get(pk=plan.contract_id)
    amount = contract.amount
    _refuse_while_amended(contract)
    if change is None:
        total = plan.installments.aggregate(s=Sum("amount"))["s"] or ZERO
        problem = plan_sum_problem(total=total, contract_amount=amount, difference=plan.difference)
    else:
        problem = plan_sum_problem(total=change.total, contract_amount=amount, difference=change.difference)
    if problem is None and change is not None:
        try:
            _check_rows(existing, change.installments)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
    if problem is not None:
        raise Conflict(
            _("The plan no longer fits what changed since it was submitted: %(problem)s Reject it to correct it.")
            % {"problem": problem},
            field="plan",
        )
    if change is not None:
        before = audit.snapshot(plan)
        in_force = _in_force(existing)
        _write_rows(plan, existing, change.installments)
        plan.difference, plan.difference_reason = change.difference, change.difference_reason
        plan.proposal = None
    plan.status, plan.approved_at = PlanStatus.ACTIVE, timezone.now()
    plan.save(update_fields=["status", "approved_at", "difference", "difference_reason", "proposal", "updated_at"])
    if change is not None:
        audit.record(
            actor=plan.updated_by,  # who made the change (no request when no flow applies)
            obj=plan,
            kind="update",
            verb="plan_changed",
            changes={
                **audit.diff(before, audit.snapshot(plan)),
                "installments": [describe_installments(in_force), describe_installments(change.installments)],
            },
        )


def plan_on_returned(plan: PaymentPlan, request: Any) -> None:
    """Back to draft; a change stays waiting, to be changed again, submitted or discarded."""
    _set_plan_status(plan, PlanStatus.DRAFT)


# --- payments and allocations ---------------------------------------------------------------------------


def _allocated(payment_id: int) -> Decimal:
    return Allocation.objects.filter(payment_id=payment_id).aggregate(s=Sum("amount"))["s"] or ZERO


def unallocated_of(receipt: Payment) -> Decimal:
    """What of a receipt is neither on an installment nor refunded."""
    own = _allocated(receipt.pk)
    refunds = Payment.objects.filter(refund_of_id=receipt.pk)
    refunded = refunds.aggregate(s=Sum("amount"))["s"] or ZERO
    refunded_from_installments = (
        Allocation.objects.filter(payment__refund_of_id=receipt.pk).aggregate(s=Sum("amount"))["s"] or ZERO
    )  # negative
    return receipt.amount - own - (refunded + refunded_from_installments)


def refundable_of(receipt: Payment) -> Decimal:
    """What of a receipt has not been refunded yet (the most a further refund may pay back)."""
    refunded = Payment.objects.filter(refund_of_id=receipt.pk).aggregate(s=Sum("amount"))["s"] or ZERO
    return receipt.amount - refunded


def _locked_installments(plan_id: int) -> list[Installment]:
    PaymentPlan.objects.select_for_update().filter(pk=plan_id).first()
    return list(Installment.objects.select_for_update().filter(plan_id=plan_id).order_by("pk"))


def auto_allocation(installments: Sequence[Installment], amount: Decimal) -> list[tuple[Installment, Decimal]]:
    """Oldest due first (then by position): each open installment takes what it still lacks until
    ``amount`` runs out. What exceeds every open installment is not allocated."""
    out = []
    left = amount
    for inst in sorted(installments, key=lambda i: (i.due_date, i.position, i.pk)):
        if left <= 0:
            break
        open_ = inst.amount - inst.received
        if open_ <= 0:
            continue
        take = min(open_, left)
        out.append((inst, take))
        left -= take
    return out


def _manual_allocation(
    installments: Sequence[Installment], wanted: Sequence[Mapping[str, Any]], available: Decimal
) -> list[tuple[Installment, Decimal]]:
    """Allocations given by hand: each names an installment of the plan and an amount that fits in
    both what the installment still lacks and what is left of the payment (both numbers named)."""
    by_pk = {i.pk: i for i in installments}
    left = available
    open_now = {i.pk: i.amount - i.received for i in installments}
    out = []
    for index, row in enumerate(wanted):
        field = f"allocations.{index}"
        inst = by_pk.get(int(_pk(row.get("installment")) or 0))
        if inst is None:
            raise ValidationError({f"{field}.installment": _("No such installment in the contract's payment plan.")})
        amount = money(row.get("amount"), f"{field}.amount")
        if amount > open_now[inst.pk]:
            raise ValidationError(
                {
                    f"{field}.amount": _("Allocating %(amount)s exceeds the %(open)s still open on this installment.")
                    % {"amount": yuan(amount), "open": yuan(open_now[inst.pk])}
                }
            )
        if amount > left:
            raise ValidationError(
                {
                    f"{field}.amount": _("Allocating %(amount)s exceeds the %(left)s left of the payment.")
                    % {"amount": yuan(amount), "left": yuan(left)}
                }
            )
        open_now[inst.pk] -= amount
        left -= amount
        out.append((inst, amount))
    return out


def _apply(payment: Payment, parts: Sequence[tuple[Installment, Decimal]]) -> None:
    for inst, amount in parts:
        if amount == 0:
            continue
        Allocation.objects.create(payment=payment, installment=inst, amount=amount)
        inst.received += amount
        inst.save(update_fields=["received"])


def _number(prefix: str, on: date) -> str:
    """The next payment number of the month: HK-202611-00001 (receipts), TK-… (refunds). The
    contract lock serialises one contract; a clash between contracts retries in ``_create_payment``."""
    # the year zero-padded: ``%Y`` is not below year 1000 on every platform (``core.dates.check_day``
    # keeps such days out)
    return next_number(Payment.objects.all(), prefix=f"{prefix}-{on.year:04d}{on.month:02d}-", width=5)


def _create_payment(**values: Any) -> Payment:
    prefix = "TK" if values.get("kind") == PaymentKind.REFUND else "HK"
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Payment.objects.create(number=_number(prefix, values["received_on"]), **values)
        except IntegrityError:
            continue
    raise Conflict(_("Could not number the payment: try again."))


def _clean_text(value: Any, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return text


@transaction.atomic
def payment_record(
    *,
    actor: Any,
    contract: Any,
    received_on: date,
    amount: Any,
    method: str = PaymentMethod.TRANSFER,
    payer: str = "",
    reference: str = "",
    note: str = "",
    allocations: Sequence[Mapping[str, Any]] | None = None,
) -> Payment:
    """A payment received for ``contract``, allocated to its installments: ``allocations`` None →
    automatically, oldest due first; a list (may be empty) → by hand, each ``{installment, amount}``.
    What no open installment takes stays unallocated on the payment (``payment_allocate`` later)."""
    require(actor, MODULE, "create")
    contract = _contract_for(actor, contract)
    _require_money_scope(actor, contract, "create")
    _require_money_status(contract)
    amount = money(amount, "amount")
    if not isinstance(received_on, date):
        raise ValidationError({"received_on": _("Enter the date the money arrived.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date cannot be in the future.")})
    check_day("received_on", received_on)
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose a payment method.")})
    plan = PaymentPlan.objects.filter(contract=contract).first()
    installments = _locked_installments(plan.pk) if plan is not None else []
    if plan is not None and allocations:
        _refuse_waiting_allocations(plan)
    if allocations is None:
        parts = auto_allocation(installments, amount) if plan is not None and not allocations_wait(plan) else []
    else:
        if allocations and plan is None:
            raise ValidationError({"allocations": _("The contract has no payment plan yet.")})
        parts = _manual_allocation(installments, allocations, amount)
    payment = _create_payment(
        kind=PaymentKind.RECEIPT,
        contract=contract,
        customer_id=contract.customer_id,
        business_unit_id=contract.business_unit_id,
        owner_id=contract.owner_id,
        received_on=received_on,
        amount=amount,
        method=method,
        payer=_clean_text(payer, "payer", 200),
        reference=_clean_text(reference, "reference", 80),
        note=_clean_text(note, "note", 500),
        created_by=actor,
    )
    _apply(payment, parts)
    audit.record_create(actor=actor, obj=payment)
    ensure_still_visible(payment, actor)
    events.publish(
        "receivables.payment_recorded",
        key=f"payment:{payment.pk}:recorded",
        payment_id=payment.pk,
        contract_id=contract.pk,
        actor_id=actor.pk,
    )
    return payment


@transaction.atomic
def payment_allocate(*, actor: Any, payment: Any, allocations: Sequence[Mapping[str, Any]] | None = None) -> Payment:
    """Allocate what is left of a receipt to the contract's installments (by hand, or ``None``:
    automatically oldest due first), e.g. after a new installment was added for an overpayment."""
    require(actor, MODULE, "edit")
    found = Payment.objects.visible_to(actor, "edit").filter(pk=_pk(payment)).values("contract_id", "kind").first()
    if found is None:
        raise NotFound()
    if found["kind"] != PaymentKind.RECEIPT:
        raise Conflict(_("A refund is not allocated again."), field="payment")
    contract = _contract_for(actor, found["contract_id"])
    plan = PaymentPlan.objects.filter(contract=contract).first()
    if plan is None:
        raise ValidationError({"allocations": _("The contract has no payment plan yet.")})
    installments = _locked_installments(plan.pk)
    _refuse_waiting_allocations(plan)
    receipt = Payment.objects.select_for_update().get(pk=_pk(payment))
    left = unallocated_of(receipt)
    if left <= 0:
        raise Conflict(_("Nothing of this payment is left to allocate."), field="allocations")
    parts = (
        auto_allocation(installments, left)
        if allocations is None
        else _manual_allocation(installments, allocations, left)
    )
    if not parts:
        raise Conflict(_("No installment of the plan is open."), field="allocations")
    _apply(receipt, parts)
    audit.record(
        actor=actor,
        obj=receipt,
        kind="update",
        verb="payment_allocated",
        changes={"allocations": [None, "; ".join(f"#{i.position} {yuan(a)}" for i, a in parts)]},
    )
    return receipt


@transaction.atomic
def payment_refund(
    *,
    actor: Any,
    payment: Any,
    amount: Any,
    refunded_on: date,
    reason: str = "",
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    allocations: Sequence[Mapping[str, Any]] | None = None,
) -> Payment:
    """Pay back part or all of a receipt. The refund takes first what of the receipt is unallocated,
    then what it put on installments (latest due first) — or, with ``allocations``
    (``{installment, amount}``, positive amounts taken back), from those installments, the rest
    from the unallocated part. Never more than was received, on the receipt or on an installment."""
    require(actor, MODULE, "edit")
    found = Payment.objects.visible_to(actor, "edit").filter(pk=_pk(payment)).values("contract_id", "kind").first()
    if found is None:
        raise NotFound()
    if found["kind"] != PaymentKind.RECEIPT:
        raise Conflict(_("Only a payment received can be refunded."), field="payment")
    contract = _contract_for(actor, found["contract_id"])
    plan = PaymentPlan.objects.filter(contract=contract).first()
    installments = _locked_installments(plan.pk) if plan is not None else []
    receipt = Payment.objects.select_for_update().get(pk=_pk(payment))
    amount = money(amount, "amount")
    if not isinstance(refunded_on, date):
        raise ValidationError({"refunded_on": _("Enter the date of the refund.")})
    check_day("refunded_on", refunded_on)
    if refunded_on < receipt.received_on:
        raise ValidationError({"refunded_on": _("A refund cannot be earlier than the payment it refunds.")})
    if refunded_on > timezone.localdate():
        raise ValidationError({"refunded_on": _("The date cannot be in the future.")})
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose a payment method.")})
    refundable = refundable_of(receipt)
    if amount > refundable:
        raise ValidationError(
            {
                "amount": _("Refunding %(amount)s exceeds the %(left)s of this payment not yet refunded.")
                % {"amount": yuan(amount), "left": yuan(refundable)}
            }
        )
    # what this receipt holds on each installment now (its allocations net of earlier refunds)
    held: dict[int, Decimal] = {}
    for source in (
        Allocation.objects.filter(payment_id=receipt.pk),
        Allocation.objects.filter(payment__refund_of_id=receipt.pk),
    ):
        for row in source.values("installment_id").annotate(s=Sum("amount")).order_by():
            held[row["installment_id"]] = held.get(row["installment_id"], ZERO) + row["s"]
    by_pk = {i.pk: i for i in installments}
    free = unallocated_of(receipt)
    parts: list[tuple[Installment, Decimal]] = []
    if allocations is None:
        left = amount - min(free, amount)
        for inst in sorted(installments, key=lambda i: (i.due_date, i.position, i.pk), reverse=True):
            if left <= 0:
                break
            take = min(held.get(inst.pk, ZERO), inst.received, left)
            if take > 0:
                parts.append((inst, take))
                left -= take
    else:
        taken = ZERO
        for index, spec in enumerate(allocations):
            field = f"allocations.{index}"
            target = by_pk.get(int(_pk(spec.get("installment")) or 0))
            if target is None:
                raise ValidationError(
                    {f"{field}.installment": _("No such installment in the contract's payment plan.")}
                )
            take = money(spec.get("amount"), f"{field}.amount")
            can = min(held.get(target.pk, ZERO), target.received)
            if take > can:
                raise ValidationError(
                    {
                        f"{field}.amount": _(
                            "Taking back %(amount)s exceeds the %(held)s this payment put on the installment."
                        )
                        % {"amount": yuan(take), "held": yuan(can)}
                    }
                )
            held[target.pk] = held.get(target.pk, ZERO) - take
            taken += take
            parts.append((target, take))
        if amount - taken > free:
            raise ValidationError(
                {
                    "amount": _("Refunding %(amount)s takes %(rest)s from the unallocated part, which is %(free)s.")
                    % {"amount": yuan(amount), "rest": yuan(amount - taken), "free": yuan(free)}
                }
            )
        if taken > amount:
            raise ValidationError(
                {
                    "allocations": _("The amounts taken back (%(taken)s) exceed the refund (%(amount)s).")
                    % {"taken": yuan(taken), "amount": yuan(amount)}
                }
            )
    if parts and plan is not None:
        _refuse_waiting_allocations(plan)
    refund = _create_payment(
        kind=PaymentKind.REFUND,
        refund_of=receipt,
        contract=contract,
        customer_id=contract.customer_id,
        business_unit_id=contract.business_unit_id,
        owner_id=contract.owner_id,
        received_on=refunded_on,
        amount=amount,
        method=method,
        payer=receipt.payer,
        reference=_clean_text(reference, "reference", 80),
        note=_clean_text(reason, "reason", 500),
        created_by=actor,
    )
    _apply(refund, [(inst, -take) for inst, take in parts])
    audit.record_create(actor=actor, obj=refund, verb="refund_recorded")
    ensure_still_visible(refund, actor)
    return refund


# --- invoices ---------------------------------------------------------------------------------------------


def invoice_is_locked(invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.IN_APPROVAL


def invoiced_total(contract_id: int, *, exclude: int | None = None) -> Decimal:
    """Requested, in approval, approved and issued (not void) invoices of a contract."""
    rows = Invoice.objects.filter(contract_id=contract_id).exclude(status=InvoiceStatus.VOID)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.aggregate(s=Sum("amount"))["s"] or ZERO


def clean_tax_number(value: Any, *, required: bool) -> str:
    """A 统一社会信用代码 (18 characters, check character verified) or an older taxpayer number (15
    or 20 letters and digits)."""
    code = normalize_credit_code(value or "")
    if not code:
        if required:
            raise ValidationError({"tax_number": _("A VAT special invoice needs the buyer's taxpayer number.")})
        return ""
    if len(code) == 18:
        if not is_valid_credit_code(code):
            raise ValidationError({"tax_number": _("Enter a valid 18-character unified social credit code.")})
        return code
    if len(code) in (15, 20) and code.isalnum() and code.isascii():
        return code
    raise ValidationError(
        {"tax_number": _("Enter the taxpayer number: a unified social credit code of 18 characters (or 15 or 20).")}
    )


def _vat_rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value).replace("%", "").strip())
    except (InvalidOperation, ValueError):
        rate = Decimal("-1")
    if not rate.is_finite() or rate not in VAT_RATES:
        raise ValidationError(
            {"tax_rate": _("Choose a VAT rate: %(rates)s.") % {"rates": ", ".join(f"{r}%" for r in VAT_RATES)}}
        )
    return rate.quantize(CENT)


def _check_invoice_cap(contract: Any, amount: Decimal, *, exclude: int | None = None) -> None:
    already = invoiced_total(contract.pk, exclude=exclude)
    if already + amount > contract.amount:
        raise ValidationError(
            {
                "amount": _(
                    "Invoicing %(amount)s would take the contract's invoices to %(total)s, over the contract "
                    "amount %(contract)s (%(left)s left to invoice)."
                )
                % {
                    "amount": yuan(amount),
                    "total": yuan(already + amount),
                    "contract": yuan(contract.amount),
                    "left": yuan(max(contract.amount - already, ZERO)),
                }
            }
        )


@transaction.atomic
def invoice_request(
    *,
    actor: Any,
    contract: Any,
    amount: Any,
    kind: str = InvoiceKind.SPECIAL,
    title: str = "",
    tax_number: str = "",
    address_phone: str = "",
    bank_name: str = "",
    bank_account: str = "",
    tax_rate: Any = Decimal("13"),
    note: str = "",
    submit: bool = False,
) -> Invoice:
    """A request to invoice part of ``contract`` (a draft; ``submit`` sends it for approval at once).
    The title and taxpayer number default to the customer's name and credit code. The contract's
    invoices (not void) never exceed its amount: refused naming both numbers."""
    require(actor, MODULE, "create")
    contract = _contract_for(actor, contract)
    _require_money_scope(actor, contract, "create")
    _require_money_status(contract)
    if kind not in InvoiceKind.values:
        raise ValidationError({"kind": _("Choose the invoice type.")})
    amount = money(amount, "amount")
    customer = contract.customer
    title = _clean_text(title, "title", 200) or customer.name
    tax_number = clean_tax_number(tax_number or customer.credit_code, required=kind == InvoiceKind.SPECIAL)
    if kind == InvoiceKind.SPECIAL:
        for field, value in (
            ("address_phone", address_phone),
            ("bank_name", bank_name),
            ("bank_account", bank_account),
        ):
            if not (value or "").strip():
                raise ValidationError(
                    {field: _("A VAT special invoice needs the buyer's address, phone and bank account.")}
                )
    _check_invoice_cap(contract, amount)
    invoice = Invoice.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        business_unit_id=contract.business_unit_id,
        # the contract's owner (and their managers, finance) see it; the audit names the requester
        owner_id=contract.owner_id,
        kind=kind,
        amount=amount,
        tax_rate=_vat_rate(tax_rate),
        title=title,
        tax_number=tax_number,
        address_phone=_clean_text(address_phone, "address_phone", 200),
        bank_name=_clean_text(bank_name, "bank_name", 100),
        bank_account=_clean_text(bank_account, "bank_account", 40),
        note=_clean_text(note, "note", 500),
    )
    audit.record_create(actor=actor, obj=invoice)
    ensure_still_visible(invoice, actor)
    if submit:
        _invoice_submit(actor, invoice)
    return invoice


def _invoice_submit(actor: Any, invoice: Invoice) -> Any:
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(_("Only a draft invoice request is submitted."), field="status")
    request = _submit_for_approval(invoice, actor, invoice_on_approved)
    audit.record(actor=actor, obj=invoice, kind="update", verb="money_submitted", changes={})
    invoice.refresh_from_db()
    return request


@transaction.atomic
def invoice_submit(*, actor: Any, invoice: Any) -> Invoice:
    """Send a draft invoice request for approval (approved at once when no flow applies)."""
    require(actor, MODULE, "edit")
    found = (
        Invoice.objects.visible_to(actor, "edit").filter(pk=_pk(invoice)).values_list("contract_id", flat=True).first()
    )
    if found is None:
        raise NotFound()
    contract = _contract_for(actor, found)
    invoice = Invoice.objects.select_for_update().get(pk=_pk(invoice))
    if invoice_is_locked(invoice):
        raise Conflict(_("The invoice request is in approval."), field="status")
    _check_invoice_cap(contract, invoice.amount, exclude=invoice.pk)
    _invoice_submit(actor, invoice)
    return invoice


def _lock_invoice_for(actor: Any, invoice: Any, action: str) -> tuple[Any, Invoice]:
    found = (
        Invoice.objects.visible_to(actor, "view").filter(pk=_pk(invoice)).values_list("contract_id", flat=True).first()
    )
    if found is None:
        raise NotFound()
    from xietong.contracts.models import Contract

    contract = Contract.objects.select_for_update().get(pk=found)
    return contract, Invoice.objects.select_for_update().get(pk=_pk(invoice))


def _require_finance(actor: Any, business_unit_id: int) -> None:
    require(actor, MODULE, "administer")
    if actor.access.widest_scope(MODULE, "administer", business_unit_id) <= 0:
        raise PermissionDenied(_("Only finance of the business unit may do this."))


@transaction.atomic
def invoice_issue(*, actor: Any, invoice: Any, number: str, issued_on: date) -> Invoice:
    """Finance issues an approved invoice with its number (unique) and date."""
    contract, invoice = _lock_invoice_for(actor, invoice, "administer")
    _require_finance(actor, invoice.business_unit_id)
    if invoice.status != InvoiceStatus.APPROVED:
        raise Conflict(
            _("Only an approved invoice is issued; this one is %(status)s.") % {"status": invoice.get_status_display()},
            field="status",
        )
    number = _clean_text(number, "number", 40)
    if not number:
        raise ValidationError({"number": _("Enter the invoice number.")})
    if not isinstance(issued_on, date):
        raise ValidationError({"issued_on": _("Enter the date of the invoice.")})
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": _("The date cannot be in the future.")})
    signed = contract.signed_date
    if signed is not None and issued_on < signed:
        raise ValidationError(
            {"issued_on": _("An invoice cannot be dated before the contract was signed (%(day)s).") % {"day": signed}}
        )
    if Invoice.objects.filter(issued_number=number).exclude(pk=invoice.pk).exists():
        raise Conflict(_("Invoice number %(number)s is already used.") % {"number": number}, field="number")
    before = audit.snapshot(invoice)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_number, invoice.issued_on, invoice.issued_by = number, issued_on, actor
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        raise Conflict(_("Invoice number %(number)s is already used.") % {"number": number}, field="number") from None
    audit.record_update(actor=actor, obj=invoice, before=before, verb="invoice_issued")
    return invoice


@transaction.atomic
def invoice_void(*, actor: Any, invoice: Any, reason: str) -> Invoice:
    """Void an invoice (its amount no longer counts against the contract). An issued invoice is
    voided by finance; a request by whoever may edit it. A request in approval is locked (409)."""
    _contract, invoice = _lock_invoice_for(actor, invoice, "edit")
    if invoice.status == InvoiceStatus.ISSUED:
        _require_finance(actor, invoice.business_unit_id)
    else:
        require(actor, MODULE, "edit")
        if not Invoice.objects.visible_to(actor, "edit").filter(pk=invoice.pk).exists():
            raise NotFound()
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(_("The invoice is already void."), field="status")
    if invoice_is_locked(invoice):
        raise Conflict(_("The invoice request is in approval."), field="status")
    reason = _clean_text(reason, "reason", 500)
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is void.")})
    before = audit.snapshot(invoice)
    invoice.status, invoice.void_reason = InvoiceStatus.VOID, reason
    invoice.save()
    audit.record_update(actor=actor, obj=invoice, before=before, verb="invoice_voided")
    return invoice


def _set_invoice_status(invoice: Invoice, status: str) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(status=status, updated_at=timezone.now())
    invoice.status = status


def invoice_on_submitted(invoice: Invoice, request: Any) -> None:
    _set_invoice_status(invoice, InvoiceStatus.IN_APPROVAL)


def invoice_on_approved(invoice: Invoice, request: Any) -> None:
    _set_invoice_status(invoice, InvoiceStatus.APPROVED)


def invoice_on_returned(invoice: Invoice, request: Any) -> None:
    _set_invoice_status(invoice, InvoiceStatus.DRAFT)


# --- credit limits ------------------------------------------------------------------------------------------


def customer_reachable(actor: Any, customer_id: int, business_unit_id: int | None = None) -> bool:
    """Finance works with the customers of its BU: a customer the actor sees, or one with a
    relationship with (or a contract in) ``business_unit_id``."""
    from xietong.contracts.models import Contract
    from xietong.customers.models import Customer, Relationship

    if Customer.objects.visible_to(actor).filter(pk=customer_id).exists():
        return True
    if business_unit_id is None:
        return Contract.objects.visible_to(actor).filter(customer_id=customer_id).exists()
    return (
        Relationship.objects.filter(customer_id=customer_id, business_unit_id=business_unit_id).exists()
        or Contract.objects.visible_to(actor).filter(customer_id=customer_id).exists()
    )


@transaction.atomic
def credit_set(*, actor: Any, customer: Any, business_unit: Any, credit_limit: Any) -> CustomerCredit:
    """Finance sets a customer's credit limit with one of its business units (audited)."""
    from xietong.org.models import BusinessUnit

    bu_id = _pk(business_unit)
    if not BusinessUnit.objects.filter(pk=as_int(bu_id, 0)).exists():
        raise ValidationError({"business_unit": _("Choose an existing business unit.")})
    _require_finance(actor, bu_id)
    if not customer_reachable(actor, _pk(customer), bu_id):
        raise NotFound()
    limit = money(credit_limit, "credit_limit", allow_zero=True)
    credit, created = CustomerCredit.objects.select_for_update().get_or_create(
        customer_id=_pk(customer), business_unit_id=bu_id, defaults={"credit_limit": limit, "updated_by": actor}
    )
    if created:
        audit.record_create(actor=actor, obj=credit)
        return credit
    before = audit.snapshot(credit)
    credit.credit_limit, credit.updated_by = limit, actor
    credit.save()
    audit.record_update(actor=actor, obj=credit, before=before)
    return credit


# --- overdue reminders (the daily job) ---------------------------------------------------------------------


DUE_SOON_DAYS = 3


def overdue_remind(*, today: date | None = None) -> int:
    """Tell each owner once about each installment of theirs that has become overdue (due before
    today, not fully received, not yet reminded), and once when one is due within
    ``DUE_SOON_DAYS`` days — installments owed only (``selectors.owed``: of a plan in force on a
    signed contract; a draft plan or one in approval is nobody's debt yet). Idempotent; the number
    of overdue installments reminded."""
    from xietong.collaboration.services import notifications_deliver

    today = today or timezone.localdate()
    now = timezone.now()
    reminded = 0
    with transaction.atomic():
        rows = list(
            Installment.objects.select_for_update(of=("self",))
            .filter(owed(), due_date__lt=today, reminded_at__isnull=True, received__lt=F("amount"))
            .select_related("plan", "plan__contract", "plan__customer")
            .order_by("pk")
        )
        for inst in rows:
            contract = inst.plan.contract
            notifications_deliver(
                event_key=f"installment:{inst.pk}:overdue:{inst.due_date:%Y%m%d}",
                kind="installment_overdue",
                recipient_ids=[inst.plan.owner_id],
                record=("contracts.contract", contract.pk),
                params={
                    "contract": contract.number,
                    "customer": inst.plan.customer.name,
                    "installment": inst.name or f"#{inst.position}",
                    "due": inst.due_date.isoformat(),
                    "open": yuan(inst.amount - inst.received),
                },
            )
            reminded += 1
        Installment.objects.filter(pk__in=[i.pk for i in rows]).update(reminded_at=now)
        soon = list(
            Installment.objects.select_for_update(of=("self",))
            .filter(
                owed(),
                due_date__gte=today,
                due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
                due_soon_reminded_at__isnull=True,
                received__lt=F("amount"),
            )
            .select_related("plan", "plan__contract", "plan__customer")
            .order_by("pk")
        )
        for inst in soon:
            contract = inst.plan.contract
            notifications_deliver(
                event_key=f"installment:{inst.pk}:due_soon:{inst.due_date:%Y%m%d}",
                kind="installment_due_soon",
                recipient_ids=[inst.plan.owner_id],
                record=("contracts.contract", contract.pk),
                params={
                    "contract": contract.number,
                    "customer": inst.plan.customer.name,
                    "installment": inst.name or f"#{inst.position}",
                    "due": inst.due_date.isoformat(),
                    "open": yuan(inst.amount - inst.received),
                },
            )
        Installment.objects.filter(pk__in=[i.pk for i in soon]).update(due_soon_reminded_at=now)
    return reminded
