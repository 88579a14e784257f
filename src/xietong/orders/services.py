"""Orders and shipments: every write — create an order from a signed contract (credit control
included), confirm, schedule, record a shipment, correct one (its date and carrier, or its
quantities), void one recorded in error, cancel, close an order short, the approval engine's
callbacks, and the daily check for late orders.

Every service is keyword-only and atomic, checks the module permission and the record's scope
(404 outside it, the same as a missing record), locks the order row before changing it (two
operators shipping the same line at once wait for each other and the second sees what the first
shipped), audits, and sends notifications only after the commit. An order in credit review is
locked: every change answers ``Conflict`` (409) until the approval engine decides.

Money: a line's amount is the contract line's amount × ordered quantity / contract quantity, half
up, two decimals; the order that takes the last unordered quantity of a contract line takes exactly
what remains of its amount, so the orders of a line always add up to the contract line (a rounded
share is never more than what remains). An order closed short gives back the closed quantity of
each line with its share of the line's own amount (``closed_amount``, the same rounding, never more
than the line's amount: what shipped keeps the price it was ordered at), so another order of the
contract can take it and the orders of a line still add up to the contract line.

A terminated contract stops its orders: nothing of them is confirmed, scheduled or shipped any more,
and no shipment's quantity goes up (``_refuse_if_contract_stopped``, 409 naming the contract and its
state); operations wind them down by cancelling them (nothing shipped) or closing them short (partly
shipped), and correct or void what was recorded in error. An expired contract does not stop them: an
order placed while the contract was in force is still delivered after its end (the contract only
takes no new orders). The services that advance fulfilment lock the contract row before the order's
(the order of ``order_create``), so a termination and a shipment of one of its orders never cross:
one waits for the other.

Quantities: a line's shipped quantity is the sum of its shipments that are not void; what it still
has to ship is its open remainder (quantity − shipped − closed, ``OrderLine.open_quantity``). The
order's status follows its lines (``_settle_status``): everything shipped or closed — shipped;
something shipped — partly shipped; nothing (a shipment voided or corrected away) — scheduled if it
has a ship date, else confirmed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.contracts.choices import ContractStatus
from xietong.core import audit
from xietong.core.errors import Conflict, NotFound
from xietong.core.numbering import next_number
from xietong.core.params import as_int
from xietong.core.validators import (
    is_valid_mobile,
    normalize_mobile,
    normalize_phone,
    positive_quantity,
    validate_phone,
)
from xietong.core.visibility import ensure_still_visible
from xietong.org.policies import require

from .choices import CONTRACT_TERMINATED_REASON, CREDIT_REJECTED_REASON, OrderStatus
from .models import Order, OrderLine, Shipment, ShipmentLine

MODULE = "orders"
CENT = Decimal("0.01")
QTY = Decimal("0.001")
ZERO = Decimal("0.00")
ORDERABLE_CONTRACT_STATUSES = ("signed", "active")
OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.SCHEDULED, OrderStatus.PARTLY_SHIPPED)
# late when past the promised date: open, or still held in credit review (the customer waits either way)
LATE_STATUSES = (OrderStatus.CREDIT_REVIEW, *OPEN_STATUSES)
SHIPPABLE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SCHEDULED, OrderStatus.PARTLY_SHIPPED)
SCHEDULABLE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SCHEDULED, OrderStatus.PARTLY_SHIPPED)
# not yet delivered nor given up: still in credit review, or open for operations
UNFINISHED_STATUSES = (OrderStatus.CREDIT_REVIEW, *OPEN_STATUSES)


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def is_locked(order: Order) -> bool:
    """In credit review (the approval engine decides): nothing may change it."""
    return order.status == OrderStatus.CREDIT_REVIEW


def _refuse_if_locked(order: Order) -> None:
    if is_locked(order):
        raise Conflict(_("The order is in credit review and cannot be changed until it is decided."))


def _lock(actor: Any, order: Order | int, action: str = "edit", *, contract_first: bool = False) -> Order:
    """The order locked for ``action``; one the actor sees but may not change: ``PermissionDenied``;
    one they do not see (or that does not exist): ``NotFound``. ``contract_first``: its contract's
    row is locked before it (as ``order_create`` locks them), so a termination waits for the write
    or the write sees it."""
    pk = _pk(order)
    contract = None
    if contract_first:
        from xietong.contracts.models import Contract

        contract = Contract.objects.select_for_update(of=("self",)).filter(orders=pk).first()
    found = Order.objects.visible_to(actor, action).select_for_update(of=("self",)).filter(pk=pk).first()
    if found is not None:
        if contract is not None:
            found.contract = contract  # the row just locked: read its status from it
        return found
    if not Order.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    raise PermissionDenied(_("You may not change this order."))


def _refuse_if_contract_stopped(order: Order, *, shipped_on: date | None = None) -> None:
    """409 naming the contract and its state once the contract is terminated (``Order.is_stopped_by_contract``;
    an expired contract does not stop its orders). A shipment that left before the day of the
    termination (``shipped_on``) is still recorded: it happened while the contract was in force."""
    contract = order.contract
    if contract.status == ContractStatus.TERMINATED:
        if shipped_on is not None and contract.terminated_on is not None and shipped_on < contract.terminated_on:
            return
        message = _(
            "Contract %(number)s is “%(status)s”: the order can no longer be confirmed, scheduled or "
            "shipped; cancel it or close it short."
        ) % {"number": contract.number, "status": contract.get_status_display()}
        if shipped_on is not None and contract.terminated_on is not None:
            message += " " + _("A shipment that left before %(date)s can still be recorded.") % {
                "date": contract.terminated_on.isoformat()
            }
        raise Conflict(message, field="contract")


# --- clean values ------------------------------------------------------------------------------------


def _qty_text(value: Decimal) -> str:
    """1.500 → 1.5, 3.000 → 3 (for messages)."""
    text = format(value.normalize(), "f")
    return text


def _clean_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if is_valid_mobile(value):
        return normalize_mobile(value)
    try:
        validate_phone(value)
    except ValidationError as exc:
        raise ValidationError({"receiver_phone": exc.messages}) from None
    return normalize_phone(value)


def _text(value: Any, field: str, max_length: int, *, required: bool = False, message: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: message or _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def line_share(*, contract_amount: Decimal, contract_quantity: Decimal, quantity: Decimal) -> Decimal:
    """The amount of ``quantity`` of a contract line: amount × quantity / contract quantity, half up."""
    return (contract_amount * quantity / contract_quantity).quantize(CENT, ROUND_HALF_UP)


def _closed_amount(line: OrderLine) -> Decimal:
    """The amount of a line's closed quantity: all of its amount when none of it shipped, else the
    closed quantity's share of the line's own amount (at the price it was ordered: an amendment of
    the contract line's price since does not revalue what shipped), never more than the line's amount."""
    if line.closed_quantity >= line.quantity:
        return line.amount
    share = line_share(contract_amount=line.amount, contract_quantity=line.quantity, quantity=line.closed_quantity)
    return min(share, line.amount)


# --- what remains of a contract ----------------------------------------------------------------------

_ORDERED_QUANTITY = ExpressionWrapper(
    F("quantity") - F("closed_quantity"), output_field=DecimalField(max_digits=14, decimal_places=3)
)
_ORDERED_AMOUNT = ExpressionWrapper(
    F("amount") - F("closed_amount"), output_field=DecimalField(max_digits=16, decimal_places=2)
)


def ordered_of_contract_lines(contract_line_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """For each contract line: (quantity, amount) already ordered by orders that are not cancelled,
    less what orders closed short gave back (their closed quantities and amounts). One query."""
    rows = (
        OrderLine.objects.filter(contract_line_id__in=list(contract_line_ids))
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("contract_line_id")
        .annotate(q=Sum(_ORDERED_QUANTITY), a=Sum(_ORDERED_AMOUNT))
    )
    return {r["contract_line_id"]: (r["q"] or Decimal("0"), r["a"] or ZERO) for r in rows}


def contract_lines_in_orders(contract_line_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """The contract lines that order lines point at (cancelled orders' too: the line stays theirs),
    each with what is ordered of it (``ordered_of_contract_lines``; zeros when only cancelled orders
    point at it). The contracts app's hook (``contracts.registrations.ContractDependent.ordered``): a
    contract's edit keeps these lines' products, and their quantities and amounts at or above."""
    ids = sorted(
        set(
            OrderLine.objects.filter(contract_line_id__in=list(contract_line_ids)).values_list(
                "contract_line_id", flat=True
            )
        )
    )
    ordered = ordered_of_contract_lines(ids) if ids else {}
    return {pk: ordered.get(pk, (Decimal("0"), ZERO)) for pk in ids}


def contract_remaining(contract: Any) -> list[dict[str, Any]]:
    """The contract's lines with what is ordered and what remains unordered (one query per table)."""
    lines = list(contract.lines.select_related("product").order_by("position", "pk"))
    ordered = ordered_of_contract_lines([line.pk for line in lines])
    out = []
    for line in lines:
        quantity, amount = ordered.get(line.pk, (Decimal("0"), ZERO))
        out.append(
            {
                "line": line,
                "ordered": quantity,
                "ordered_amount": amount,
                "remaining": line.quantity - quantity,
                "remaining_amount": line.amount - amount,
            }
        )
    return out


# --- operations teams ------------------------------------------------------------------------------


def default_operations_team(business_unit_id: int | None) -> Any:
    """The BU's operations team (``team_type`` operations, active; the highest in the tree, then the
    oldest), or None."""
    from xietong.org.choices import TeamType
    from xietong.org.models import Team

    if business_unit_id is None:
        return None
    return (
        Team.objects.filter(business_unit_id=business_unit_id, team_type=TeamType.OPERATIONS, is_active=True)
        .order_by("depth", "pk")
        .first()
    )


def _operations_team(value: Any, business_unit_id: int) -> Any:
    from xietong.org.models import Team

    if value in (None, ""):
        team = default_operations_team(business_unit_id)
        if team is None:
            raise ValidationError(
                {"operations_team": _("The business unit has no operations team: choose the team that fulfils it.")}
            )
        return team
    team = Team.objects.filter(pk=_pk(value), business_unit_id=business_unit_id, is_active=True).first()
    if team is None:
        raise ValidationError({"operations_team": _("Choose an active team of the contract's business unit.")})
    return team


# --- numbers ------------------------------------------------------------------------------------------


def _next_order_number(today: date) -> str:
    """DD{yyyymm}-{seq:04d}: the month's next order number."""
    return next_number(Order.objects.select_for_update(), prefix=f"DD{today:%Y%m}-", width=4)


def _create_numbered(today: date, **values: Any) -> Order:
    """The order with the next number of the month; two creates racing for the same number: the
    loser takes the one after (the number is unique)."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(number=_next_order_number(today), **values)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- create -----------------------------------------------------------------------------------------


def unpaid_orders(
    *, customer_id: int, business_unit_id: int, contract_id: int, exclude_order_id: int | None = None
) -> Decimal:
    """For credit control, what the customer owes — or will — for goods ordered that no payment plan
    counts: the earlier orders of ``contract_id`` (whose own plan the check leaves out, the new order
    standing for it) and the orders of the customer's contracts without a plan, each contract less
    what it received. So neither splitting an order nor ordering on several contracts without plans
    gets past the credit limit. Not cancelled orders; ``exclude_order_id``: the order being judged."""
    from xietong.receivables.choices import PaymentKind
    from xietong.receivables.models import Payment, PaymentPlan

    planned = set(
        PaymentPlan.objects.filter(customer_id=customer_id, business_unit_id=business_unit_id).values_list(
            "contract_id", flat=True
        )
    )
    orders = Order.objects.filter(customer_id=customer_id, business_unit_id=business_unit_id).exclude(
        status=OrderStatus.CANCELLED
    )
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    ordered = {
        row["contract_id"]: row["s"] for row in orders.values("contract_id").annotate(s=Sum("amount")).order_by()
    }
    counted = {c: amount for c, amount in ordered.items() if c == contract_id or c not in planned}
    if not counted:
        return ZERO
    received: dict[int, Decimal] = {}
    for row in (
        Payment.objects.filter(contract_id__in=counted)
        .values("contract_id", "kind")
        .annotate(s=Sum("amount"))
        .order_by()
    ):
        sign = 1 if row["kind"] == PaymentKind.RECEIPT else -1
        received[row["contract_id"]] = received.get(row["contract_id"], ZERO) + sign * row["s"]
    return sum((max(ZERO, amount - received.get(c, ZERO)) for c, amount in counted.items()), ZERO)


@transaction.atomic
def order_create(
    *,
    actor: Any,
    contract: Any,
    lines: Sequence[Mapping[str, Any]] | None = None,
    operations_team: Any = None,
    promised_date: date | None = None,
    ship_to: str = "",
    receiver: str = "",
    receiver_phone: str = "",
    note: str = "",
    today: date | None = None,
) -> Order:
    """An order of a signed or active ``contract`` the actor sees. ``lines``: dicts with
    ``contract_line`` (a line or its id) and ``quantity``; None orders everything still unordered.
    A quantity above what the contract line still has unordered is refused naming the line and both
    numbers. The customer's credit decides: over the limit with this order, or anything overdue, and
    the order waits in credit review (the approval engine) before operations see it."""
    from xietong.contracts.models import Contract
    from xietong.receivables.selectors import customer_credit

    require(actor, MODULE, "create")
    today = today or timezone.localdate()
    contract_id = _pk(contract)
    if contract_id is None or not Contract.objects.visible_to(actor).filter(pk=contract_id).exists():
        raise ValidationError({"contract": _("No such contract.")})
    # the contract row locked: two orders of the same contract at once cannot both take the rest
    contract = Contract.objects.select_for_update().get(pk=contract_id)
    if contract.status not in ORDERABLE_CONTRACT_STATUSES:
        raise Conflict(_("Only a signed or active contract can be ordered."), field="contract")
    if promised_date is None:
        raise ValidationError({"promised_date": _("Give the promised delivery date.")})
    if promised_date < today:
        raise ValidationError({"promised_date": _("The promised delivery date cannot be in the past.")})
    team = _operations_team(operations_team, contract.business_unit_id)
    ship_to = _text(ship_to, "ship_to", 300)
    receiver = _text(receiver, "receiver", 60)
    phone = _clean_phone(receiver_phone)
    note = (note or "").strip()

    remaining = {row["line"].pk: row for row in contract_remaining(contract)}
    if lines is None:
        wanted = [(row["line"].pk, row["remaining"]) for row in remaining.values() if row["remaining"] > 0]
        if not wanted:
            raise Conflict(_("Everything in this contract is ordered already."), field="lines")
    else:
        wanted = []
        seen: set[int] = set()
        for index, item in enumerate(lines):
            field = f"lines.{index}"
            line_id = _pk(item.get("contract_line"))
            if line_id not in remaining:
                raise ValidationError({f"{field}.contract_line": _("Choose a line of this contract.")})
            if line_id in seen:
                raise ValidationError({f"{field}.contract_line": _("This contract line is listed twice.")})
            seen.add(line_id)
            wanted.append((line_id, positive_quantity(item.get("quantity"), f"{field}.quantity")))
        if not wanted:
            raise ValidationError({"lines": _("Choose at least one line to order.")})

    order_lines: list[OrderLine] = []
    for index, (line_id, quantity) in enumerate(wanted):
        row = remaining[line_id]
        line = row["line"]
        if quantity > row["remaining"]:
            raise ValidationError(
                {
                    f"lines.{index}.quantity": _(
                        "Line %(position)s (%(product)s): %(wanted)s ordered but only %(left)s remain unordered."
                    )
                    % {
                        "position": line.position,
                        "product": line.product,
                        "wanted": _qty_text(quantity),
                        "left": _qty_text(row["remaining"]),
                    }
                }
            )
        if quantity == row["remaining"]:
            amount = row["remaining_amount"]  # the last order of the line takes exactly the rest
        else:
            share = line_share(contract_amount=line.amount, contract_quantity=line.quantity, quantity=quantity)
            amount = min(share, row["remaining_amount"])
        order_lines.append(
            OrderLine(
                contract_line=line,
                position=line.position,
                product_id=line.product_id,
                quantity=quantity,
                unit_price=line.unit_price,
                amount=max(amount, ZERO),
            )
        )
    total = sum((ol.amount for ol in order_lines), ZERO)

    credit = customer_credit(
        customer_id=contract.customer_id,
        business_unit_id=contract.business_unit_id,
        today=today,
        except_contract_id=contract.pk,  # this order's amount stands for its own contract's money
    )
    unpaid = unpaid_orders(
        customer_id=contract.customer_id, business_unit_id=contract.business_unit_id, contract_id=contract.pk
    )
    needs_review = credit.exceeded_by(total + unpaid) or credit.overdue > 0

    order = _create_numbered(
        today,
        contract=contract,
        customer_id=contract.customer_id,
        business_unit_id=contract.business_unit_id,
        owner_id=contract.owner_id,
        operations_team=team,
        status=OrderStatus.CREDIT_REVIEW if needs_review else OrderStatus.NEW,
        amount=total,
        promised_date=promised_date,
        ship_to=ship_to,
        receiver=receiver,
        receiver_phone=phone,
        note=note,
        created_by=actor,
    )
    for order_line in order_lines:
        order_line.order = order
    OrderLine.objects.bulk_create(order_lines)
    audit.record_create(actor=actor, obj=order)
    ensure_still_visible(order, actor)
    if needs_review:
        submit_for_credit_review(order=order, actor=actor)
        order.refresh_from_db()  # no flow applies: the engine approved it at once
    else:
        _notify_operations(order, actor)
    return order


def submit_for_credit_review(*, order: Order, actor: Any) -> Any:
    """Hand the order to the approval engine (document type "order"). When no flow applies the
    engine calls ``on_approved`` at once and the order goes to operations."""
    from xietong.approvals.services import approval_submit

    return approval_submit(document=order, actor=actor)


# --- the approval engine's callbacks (inside its transaction, the order row locked) --------------------


def credit_review_approved(order: Order, request: Any = None) -> None:
    """Credit review passed: the order goes to operations as new — unless its contract was terminated
    during the review: then it is cancelled, as nothing of it can ship (operations are not asked)."""
    if order.status != OrderStatus.CREDIT_REVIEW:
        return
    before = audit.snapshot(order)
    if order.contract.status == ContractStatus.TERMINATED:
        order.status = OrderStatus.CANCELLED
        order.cancelled_reason = CONTRACT_TERMINATED_REASON
        order.save(update_fields=["status", "cancelled_reason", "updated_at"])
        audit.record_update(actor=None, obj=order, before=before, verb="credit_approved")
        return
    order.status = OrderStatus.NEW
    order.save(update_fields=["status", "updated_at"])
    audit.record_update(actor=None, obj=order, before=before, verb="credit_approved")
    _notify_operations(order, None)


def credit_review_returned(order: Order, request: Any = None) -> None:
    """Credit review rejected (or the submitter recalled it): the order is cancelled, its quantities
    free again for a new order of the contract."""
    if order.status != OrderStatus.CREDIT_REVIEW:
        return
    before = audit.snapshot(order)
    order.status = OrderStatus.CANCELLED
    order.cancelled_reason = CREDIT_REJECTED_REASON
    order.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit.record_update(actor=None, obj=order, before=before, verb="credit_rejected")


# --- operations ------------------------------------------------------------------------------------


@transaction.atomic
def order_confirm(*, actor: Any, order: Order | int) -> Order:
    """Operations accept a new order (refused once its contract is terminated)."""
    locked = _lock(actor, order, contract_first=True)  # 404 outside the scope, 403 without the "edit" action
    _refuse_if_locked(locked)
    _refuse_if_contract_stopped(locked)
    if locked.status != OrderStatus.NEW:
        raise Conflict(_("Only a new order can be confirmed."), field="status")
    before = audit.snapshot(locked)
    locked.status = OrderStatus.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = timezone.now()
    locked.save()
    audit.record_update(actor=actor, obj=locked, before=before, verb="confirmed")
    return locked


@transaction.atomic
def order_schedule(*, actor: Any, order: Order | int, scheduled_date: date | None) -> Order:
    """Operations set (or move) the ship date of a confirmed order. A date after the promised one
    tells the sales owner. Refused once its contract is terminated."""
    locked = _lock(actor, order, contract_first=True)  # 404 outside the scope, 403 without the "edit" action
    _refuse_if_locked(locked)
    _refuse_if_contract_stopped(locked)
    if scheduled_date is None:
        raise ValidationError({"scheduled_date": _("Give the scheduled ship date.")})
    if scheduled_date < timezone.localdate():
        raise ValidationError({"scheduled_date": _("The scheduled ship date cannot be in the past.")})
    if locked.status == OrderStatus.NEW:
        raise Conflict(_("Confirm the order before scheduling it."), field="status")
    if locked.status not in SCHEDULABLE_STATUSES:
        raise Conflict(_("A shipped or cancelled order cannot be scheduled."), field="status")
    before = audit.snapshot(locked)
    locked.scheduled_date = scheduled_date
    if locked.status == OrderStatus.CONFIRMED:
        locked.status = OrderStatus.SCHEDULED
    locked.save()
    audit.record_update(actor=actor, obj=locked, before=before, verb="scheduled")
    if locked.promised_date and scheduled_date > locked.promised_date:
        _notify(
            event_key=f"order:{locked.pk}:scheduled_late:{scheduled_date.isoformat()}",
            kind="order_scheduled_late",
            recipient_ids=[locked.owner_id],
            actor_id=actor.pk,
            order=locked,
            params={
                "order": locked.number,
                "scheduled": scheduled_date.isoformat(),
                "promised": locked.promised_date.isoformat(),
            },
        )
    return locked


def _check_shipped_on(order: Order, shipped_on: date, today: date) -> None:
    """A shipment happens between the contract's signing and today (a mistyped year is refused)."""
    if shipped_on > today:
        raise ValidationError({"shipped_on": _("The shipment date cannot be in the future.")})
    signed = order.contract.signed_date
    if signed is not None and shipped_on < signed:
        raise ValidationError(
            {
                "shipped_on": _("The shipment date cannot be before the contract was signed (%(date)s).")
                % {"date": signed.isoformat()}
            }
        )


@transaction.atomic
def shipment_create(
    *,
    actor: Any,
    order: Order | int,
    lines: Sequence[Mapping[str, Any]],
    shipped_on: date | None,
    carrier: str,
    tracking_number: str = "",
    warehouse: str = "",
    note: str = "",
    today: date | None = None,
) -> Shipment:
    """Record a shipment of a confirmed or scheduled order: ``lines`` as dicts with ``order_line``
    (a line or its id) and ``quantity``, each at most what remains unshipped (refused naming the line
    and both numbers). Partial shipments are allowed; when everything is shipped the order is
    shipped. The order row is locked first (after its contract's), so two shipments of the same line
    cannot over-ship. Refused once the order's contract is terminated (an expired one still delivers),
    unless the goods left before the day of the termination."""
    today = today or timezone.localdate()
    locked = _lock(actor, order, contract_first=True)  # 404 outside the scope, 403 without the "edit" action
    _refuse_if_locked(locked)
    _refuse_if_closed_short(locked)
    _refuse_if_contract_stopped(locked, shipped_on=shipped_on)
    if locked.status not in SHIPPABLE_STATUSES:
        if locked.status == OrderStatus.NEW:
            raise Conflict(_("Confirm the order before shipping it."), field="status")
        raise Conflict(_("A shipped or cancelled order cannot ship again."), field="status")
    if shipped_on is None:
        raise ValidationError({"shipped_on": _("Give the date of the shipment.")})
    _check_shipped_on(locked, shipped_on, today)
    carrier = _text(carrier, "carrier", 60, required=True, message=_("Name the carrier."))
    tracking_number = _text(tracking_number, "tracking_number", 60)
    warehouse = _text(warehouse, "warehouse", 60)
    note = _text(note, "note", 500)

    order_lines = {ol.pk: ol for ol in OrderLine.objects.select_related("product").filter(order=locked)}
    wanted: list[tuple[OrderLine, Decimal]] = []
    seen: set[int] = set()
    for index, item in enumerate(lines):
        field = f"lines.{index}"
        line_id = _pk(item.get("order_line"))
        if line_id not in order_lines:
            raise ValidationError({f"{field}.order_line": _("Choose a line of this order.")})
        if line_id in seen:
            raise ValidationError({f"{field}.order_line": _("This order line is listed twice.")})
        seen.add(line_id)
        quantity = positive_quantity(item.get("quantity"), f"{field}.quantity")
        line = order_lines[line_id]
        left = line.open_quantity
        if quantity > left:
            raise ValidationError(
                {
                    f"{field}.quantity": _(
                        "Line %(position)s (%(product)s): %(wanted)s to ship but only %(left)s remain unshipped."
                    )
                    % {
                        "position": line.position,
                        "product": line.product,
                        "wanted": _qty_text(quantity),
                        "left": _qty_text(left),
                    }
                }
            )
        wanted.append((line, quantity))
    if not wanted:
        raise ValidationError({"lines": _("Ship at least one line.")})

    count = Shipment.objects.filter(order=locked).count()
    shipment = Shipment.objects.create(
        order=locked,
        number=f"{locked.number}-S{count + 1:02d}",
        shipped_on=shipped_on,
        carrier=carrier,
        tracking_number=tracking_number,
        warehouse=warehouse,
        note=note,
        created_by=actor,
    )
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, quantity=quantity) for line, quantity in wanted]
    )
    for line, quantity in wanted:
        line.shipped_quantity += quantity
        line.save(update_fields=["shipped_quantity"])
    before = audit.snapshot(locked)
    _settle_status(locked, order_lines.values())
    locked.save()
    audit.record(
        actor=actor,
        obj=locked,
        kind="update",
        verb="shipment",
        changes={
            **audit.diff(before, audit.snapshot(locked)),
            "shipment": [None, shipment.number],
        },
    )
    return shipment


def _settle_status(order: Order, lines: Iterable[OrderLine]) -> None:
    """The order's status from its lines (not saved): everything shipped or closed — shipped (since
    now, unless it was already); something shipped — partly shipped; nothing shipped any more —
    scheduled when it has a ship date, else confirmed."""
    lines = list(lines)
    if all(line.open_quantity <= 0 for line in lines) and any(line.shipped_quantity > 0 for line in lines):
        if order.status != OrderStatus.SHIPPED or order.shipped_at is None:
            order.shipped_at = timezone.now()
        order.status = OrderStatus.SHIPPED
        return
    order.shipped_at = None
    if any(line.shipped_quantity > 0 for line in lines):
        order.status = OrderStatus.PARTLY_SHIPPED
    elif order.scheduled_date is not None:
        order.status = OrderStatus.SCHEDULED
    else:
        order.status = OrderStatus.CONFIRMED


def _line_label(line: OrderLine) -> str:
    """How the audit trail names an order line: "position · product"."""
    return f"{line.position} · {line.product}"


SHIPMENT_FIELDS = ("shipped_on", "carrier", "tracking_number", "note")


def shipments_editable(order: Order) -> bool:
    """A recorded shipment's date, carrier, tracking number and note can be corrected unless the
    order is in credit review or cancelled."""
    return not is_locked(order) and order.status != OrderStatus.CANCELLED


def shipment_quantities_editable(order: Order) -> bool:
    """A recorded shipment's quantities can be corrected, or the shipment voided, unless the order is
    in credit review, cancelled or closed short."""
    return shipments_editable(order) and not order.is_closed_short


def closable_short(order: Order) -> bool:
    """Only a partly shipped order can be closed short (one with nothing shipped is cancelled)."""
    return order.status == OrderStatus.PARTLY_SHIPPED


def _refuse_if_closed_short(order: Order) -> None:
    if order.is_closed_short:
        raise Conflict(_("The order is closed short: nothing more ships and its shipments stay."), field="status")


def _refuse_if_void(shipment: Shipment) -> None:
    if shipment.is_void:
        raise Conflict(_("Shipment %(number)s is void: it can no longer be changed.") % {"number": shipment.number})


def _lock_shipment(actor: Any, shipment: Shipment | int, *, contract_first: bool = False) -> tuple[Order, Shipment]:
    """The shipment's order locked for "edit" (the order row first, as when shipping; after its
    contract's with ``contract_first``), then the shipment: 404 outside the order's scope (or no such
    shipment), 403 without "edit", 409 while the order is in credit review or once it is cancelled."""
    pk = _pk(shipment)
    order_id = Shipment.objects.filter(pk=as_int(pk, 0)).values_list("order_id", flat=True).first()
    if order_id is None or not Order.objects.visible_to(actor).filter(pk=order_id).exists():
        raise NotFound()
    locked = _lock(actor, order_id, contract_first=contract_first)
    _refuse_if_locked(locked)
    if not shipments_editable(locked):
        raise Conflict(_("The order is cancelled: its shipments can no longer be changed."), field="status")
    return locked, Shipment.objects.select_for_update().get(pk=pk)


@transaction.atomic
def shipment_update(*, actor: Any, shipment: Shipment | int, today: date | None = None, **fields: Any) -> Shipment:
    """Correct a recorded shipment: ``shipped_on``, ``carrier``, ``tracking_number``, ``note`` (only
    those given change). The same permission as recording one ("edit" on the order; 404 outside the
    scope); refused (409) while the order is in credit review, once it is cancelled, or when the
    shipment is void. The quantities are corrected by ``shipment_quantities_update``. One audit entry
    on the order names the shipment and each field's old and new value."""
    today = today or timezone.localdate()
    locked, found = _lock_shipment(actor, shipment)
    _refuse_if_void(found)
    unknown = set(fields) - set(SHIPMENT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    values: dict[str, Any] = {}
    if "shipped_on" in fields:
        shipped_on = fields["shipped_on"]
        if shipped_on in (None, ""):
            raise ValidationError({"shipped_on": _("Give the date of the shipment.")})
        if not isinstance(shipped_on, date):
            try:
                shipped_on = date.fromisoformat(str(shipped_on))
            except ValueError:
                raise ValidationError({"shipped_on": _("Enter a date like 2027-03-31.")}) from None
        _check_shipped_on(locked, shipped_on, today)
        values["shipped_on"] = shipped_on
    if "carrier" in fields:
        values["carrier"] = _text(fields["carrier"], "carrier", 60, required=True, message=_("Name the carrier."))
    if "tracking_number" in fields:
        values["tracking_number"] = _text(fields["tracking_number"], "tracking_number", 60)
    if "note" in fields:
        values["note"] = _text(fields["note"], "note", 500)
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = getattr(found, name)
        if old != value:
            key = "shipment_note" if name == "note" else name
            changes[key] = [
                str(old) if isinstance(old, date) else old,
                str(value) if isinstance(value, date) else value,
            ]
            setattr(found, name, value)
    if not changes:
        return found
    found.save(update_fields=list(values))
    audit.record(
        actor=actor,
        obj=locked,
        kind="update",
        verb="shipment_corrected",
        changes={"shipment": [found.number, found.number], **changes},
    )
    return found


def _record_shipment_change(
    actor: Any,
    order: Order,
    lines: Iterable[OrderLine],
    before: dict[str, Any],
    verb: str,
    changes: dict[str, Any],
) -> None:
    """After a shipment's quantities changed: the order's status from its ``lines``, saved, and one
    audit entry on the order (the shipment's ``changes`` plus what changed on the order since
    ``before``, an ``audit.snapshot``)."""
    _settle_status(order, lines)
    order.save()
    audit.record(
        actor=actor,
        obj=order,
        kind="update",
        verb=verb,
        changes={**changes, **audit.diff(before, audit.snapshot(order))},
    )


@transaction.atomic
def shipment_quantities_update(*, actor: Any, shipment: Shipment | int, lines: Sequence[Mapping[str, Any]]) -> Shipment:
    """Correct the quantities of a recorded shipment (typed 10, the truck took 8): ``lines`` as dicts
    with ``shipment_line`` (a line of the shipment or its id) and ``quantity``; lines not given stay.
    A quantity may go down, or up to what the order line still has unshipped plus the line's old
    quantity (refused naming the line and both numbers); it must be more than zero (a line comes off a
    shipment by voiding the shipment and recording it again). Each order line's shipped quantity moves
    by the difference and the order's status follows. The same permission as ``shipment_update``;
    refused (409) while the order is in credit review, once it is cancelled or closed short, and for a
    void shipment; once the order's contract is terminated a quantity may only go down (more shipped
    would be fulfilment going on). One audit entry on the order names the shipment and each changed
    line's old and new quantity; a correction that changes nothing writes nothing."""
    locked, found = _lock_shipment(actor, shipment, contract_first=True)
    _refuse_if_closed_short(locked)
    _refuse_if_void(found)
    shipment_lines = {sl.pk: sl for sl in ShipmentLine.objects.filter(shipment=found)}
    order_lines = {ol.pk: ol for ol in OrderLine.objects.select_related("product").filter(order=locked)}
    wanted: list[tuple[ShipmentLine, OrderLine, Decimal]] = []
    seen: set[int] = set()
    for index, item in enumerate(lines):
        field = f"lines.{index}"
        line_id = _pk(item.get("shipment_line"))
        if line_id not in shipment_lines:
            raise ValidationError({f"{field}.shipment_line": _("Choose a line of this shipment.")})
        if line_id in seen:
            raise ValidationError({f"{field}.shipment_line": _("This shipment line is listed twice.")})
        seen.add(line_id)
        quantity = positive_quantity(
            item.get("quantity"),
            f"{field}.quantity",
            zero_message=_(
                "The quantity must be more than zero: to take a line off a shipment, void the shipment "
                "and record it again."
            ),
        )
        shipment_line = shipment_lines[line_id]
        order_line = order_lines[shipment_line.order_line_id]
        if quantity > shipment_line.quantity:
            _refuse_if_contract_stopped(locked)
        most = shipment_line.quantity + order_line.open_quantity
        if quantity > most:
            raise ValidationError(
                {
                    f"{field}.quantity": _(
                        "Line %(position)s (%(product)s): %(wanted)s shipped but at most %(most)s can be "
                        "(%(old)s on this shipment and %(left)s still unshipped)."
                    )
                    % {
                        "position": order_line.position,
                        "product": order_line.product,
                        "wanted": _qty_text(quantity),
                        "most": _qty_text(most),
                        "old": _qty_text(shipment_line.quantity),
                        "left": _qty_text(order_line.open_quantity),
                    }
                }
            )
        wanted.append((shipment_line, order_line, quantity))
    if not wanted:
        raise ValidationError({"lines": _("Give the corrected quantity of at least one line.")})

    changed = [(sl, ol, quantity) for sl, ol, quantity in wanted if quantity != sl.quantity]
    if not changed:
        return found
    before = audit.snapshot(locked)
    changes: dict[str, Any] = {"shipment": [found.number, found.number]}
    for shipment_line, order_line, quantity in changed:
        changes[_line_label(order_line)] = [_qty_text(shipment_line.quantity), _qty_text(quantity)]
        order_line.shipped_quantity += quantity - shipment_line.quantity
        order_line.save(update_fields=["shipped_quantity"])
        shipment_line.quantity = quantity
        shipment_line.save(update_fields=["quantity"])
    _record_shipment_change(actor, locked, order_lines.values(), before, "shipment_corrected", changes)
    return found


@transaction.atomic
def shipment_void(*, actor: Any, shipment: Shipment | int, reason: str) -> Shipment:
    """Void a shipment recorded in error: its lines' quantities go back to unshipped, the shipment is
    kept, marked void (when, by whom, ``reason`` — required) and no longer counts as shipped; the
    order's status follows (nothing shipped any more: scheduled if it has a ship date, else
    confirmed). The same permission as ``shipment_update``; refused (409) while the order is in credit
    review, once it is cancelled or closed short, and for a shipment already void. Audited on the
    order (the shipment, the reason and each line's quantity given back)."""
    locked, found = _lock_shipment(actor, shipment)
    _refuse_if_closed_short(locked)
    if found.is_void:
        raise Conflict(_("Shipment %(number)s is void already.") % {"number": found.number})
    reason = _text(reason, "reason", 500, required=True, message=_("Say why the shipment is void."))
    order_lines = {ol.pk: ol for ol in OrderLine.objects.select_related("product").filter(order=locked)}
    before = audit.snapshot(locked)
    changes: dict[str, Any] = {"shipment": [found.number, found.number], "reason": [None, reason]}
    for shipment_line in ShipmentLine.objects.filter(shipment=found).order_by("pk"):
        order_line = order_lines[shipment_line.order_line_id]
        changes[_line_label(order_line)] = [_qty_text(shipment_line.quantity), "0"]
        order_line.shipped_quantity -= shipment_line.quantity
        order_line.save(update_fields=["shipped_quantity"])
    found.voided_at = timezone.now()
    found.voided_by = actor
    found.void_reason = reason
    found.save(update_fields=["voided_at", "voided_by", "void_reason"])
    _record_shipment_change(actor, locked, order_lines.values(), before, "shipment_voided", changes)
    return found


def may_cancel(actor: Any, order: Order) -> bool:
    """Who may cancel (or close short) the order: operations who may change this order ("edit" in its
    scope), or its sales owner who may create orders."""
    if order.owner_id == actor.pk and actor.access.can(MODULE, "create"):
        return True
    in_scope = Order.objects.visible_to(actor, "edit").filter(pk=order.pk)
    return bool(actor.access.can(MODULE, "edit") and in_scope.exists())


@transaction.atomic
def order_close_short(*, actor: Any, order: Order | int, reason: str) -> Order:
    """Close a partly shipped order short — the customer accepts what shipped, the rest will not ship:
    each line's open remainder becomes its closed quantity (with its share of the contract line's
    amount), free for another order of the same contract; the order is shipped (``shipped_at`` now)
    with ``closed_short_reason``; its ``amount`` becomes what its lines keep. Who may cancel an order
    may close it short; refused (409) for any other status (an order with nothing shipped is
    cancelled instead). Afterwards nothing more ships and no shipment's quantities change. Audited."""
    locked = _lock(actor, order, "view")
    if not may_cancel(actor, locked):
        raise PermissionDenied(_("You may not close this order short."))
    _refuse_if_locked(locked)
    if not closable_short(locked):
        if locked.is_closed_short:
            message = _("The order is closed short already.")
        elif locked.status == OrderStatus.SHIPPED:
            message = _("The order is shipped in full: nothing is left to close.")
        elif locked.status == OrderStatus.CANCELLED:
            message = _("The order is cancelled: nothing is left to close.")
        else:
            message = _("Nothing of the order is shipped yet: cancel it instead of closing it short.")
        raise Conflict(message, field="status")
    reason = _text(reason, "reason", 500, required=True, message=_("Say why the rest of the order will not ship."))
    lines = list(OrderLine.objects.select_related("product", "contract_line").filter(order=locked))
    before = audit.snapshot(locked)
    closed: list[str] = []
    for line in lines:
        rest = line.open_quantity
        if rest <= 0:
            continue
        line.closed_quantity += rest
        line.closed_amount = _closed_amount(line)
        line.save(update_fields=["closed_quantity", "closed_amount"])
        closed.append(f"{_line_label(line)} × {_qty_text(rest)}")
    locked.closed_short_reason = reason
    # the order is worth what it keeps: credit control and the order lists count that, not what
    # was given back to the contract (which another order may take)
    locked.amount = sum((line.amount - line.closed_amount for line in lines), ZERO)
    _settle_status(locked, lines)
    locked.save()
    audit.record(
        actor=actor,
        obj=locked,
        kind="update",
        verb="closed_short",
        changes={**audit.diff(before, audit.snapshot(locked)), "closed_lines": [None, closed]},
    )
    return locked


@transaction.atomic
def order_cancel(*, actor: Any, order: Order | int, reason: str) -> Order:
    """Cancel an order before anything of it shipped; its quantities are free for another order."""
    locked = _lock(actor, order, "view")
    if not may_cancel(actor, locked):
        raise PermissionDenied(_("You may not cancel this order."))
    _refuse_if_locked(locked)
    if locked.status in (OrderStatus.SHIPPED, OrderStatus.PARTLY_SHIPPED):
        raise Conflict(_("Part of the order is shipped: it can no longer be cancelled."), field="status")
    if locked.status == OrderStatus.CANCELLED:
        raise Conflict(_("The order is cancelled already."), field="status")
    reason = _text(reason, "reason", 500, required=True, message=_("Say why the order is cancelled."))
    before = audit.snapshot(locked)
    locked.status = OrderStatus.CANCELLED
    locked.cancelled_reason = reason
    locked.save()
    audit.record_update(actor=actor, obj=locked, before=before, verb="cancelled")
    return locked


# --- delays -------------------------------------------------------------------------------------------


def orders_notify_late(*, today: date | None = None) -> int:
    """Daily: each open order not fully shipped by its promised date tells its owner (and the managers
    of its operations team) once; one still in credit review tells its owner. Idempotent:
    ``delay_notified_at`` marks the notified ones."""
    from xietong.org.models import TeamMembership

    today = today or timezone.localdate()
    late = list(
        Order.objects.filter(
            status__in=LATE_STATUSES, promised_date__lt=today, delay_notified_at__isnull=True
        ).values_list("pk", "number", "owner_id", "operations_team_id", "promised_date", "status")
    )
    if not late:
        return 0
    team_ids = {row[3] for row in late if row[3]}
    leads: dict[int, list[int]] = {}
    for team_id, user_id in TeamMembership.objects.filter(team_id__in=team_ids, is_manager=True).values_list(
        "team_id", "user_id"
    ):
        leads.setdefault(team_id, []).append(user_id)
    now = timezone.now()
    done = 0
    for pk, number, owner_id, team_id, promised, status in late:
        # operations have not got an order in credit review yet: its owner is told
        managers = [] if status == OrderStatus.CREDIT_REVIEW else leads.get(team_id, [])
        assert promised is not None  # filtered on it
        with transaction.atomic():
            marked = Order.objects.filter(pk=pk, delay_notified_at__isnull=True).update(delay_notified_at=now)
            if not marked:
                continue  # another run got there first
            _deliver_now(
                event_key=f"order:{pk}:late",
                kind="order_late",
                recipient_ids=[owner_id, *managers],
                actor_id=None,
                order_id=pk,
                params={"order": number, "promised": promised.isoformat()},
            )
            done += 1
    return done


# --- notifications -----------------------------------------------------------------------------------


def _notify_operations(order: Order, actor: Any) -> None:
    """A new order in the operations queue: its team's members hear of it."""
    from xietong.org.models import TeamMembership

    if not order.operations_team_id:
        return
    members = list(TeamMembership.objects.filter(team_id=order.operations_team_id).values_list("user_id", flat=True))
    if members:
        _notify(
            event_key=f"order:{order.pk}:queued",
            kind="order_queued",
            recipient_ids=members,
            actor_id=getattr(actor, "pk", None),
            order=order,
            params={"order": order.number, "customer": str(order.customer)},
        )


def tell_operations_contract_terminated(*, contract_id: int, actor_id: int | None, event_key: str) -> int:
    """The contract was terminated (the event ``contracts.terminated``, after its commit): the members
    of the operations team of each of its open orders hear that the order is stopped — one notification
    per order, keyed on the event, so a retried delivery creates nothing twice. Orders still in credit
    review have not reached operations: they are not told. Answers the number of orders told of."""
    from xietong.org.models import TeamMembership

    orders = list(
        Order.objects.filter(contract_id=contract_id, status__in=OPEN_STATUSES, operations_team__isnull=False)
        .select_related("contract", "customer")
        .order_by("pk")
    )
    members: dict[int, list[int]] = {}
    for team_id, user_id in TeamMembership.objects.filter(
        team_id__in={o.operations_team_id for o in orders}
    ).values_list("team_id", "user_id"):
        members.setdefault(team_id, []).append(user_id)
    told = 0
    for order in orders:
        recipients = members.get(order.operations_team_id or 0, [])
        if not recipients:
            continue
        _deliver_later(
            event_key=f"{event_key}:order:{order.pk}",
            kind="order_contract_terminated",
            recipient_ids=recipients,
            actor_id=actor_id,
            order_id=order.pk,
            params={"order": order.number, "contract": order.contract.number, "customer": str(order.customer)},
        )
        told += 1
    return told


def _notify(
    *, event_key: str, kind: str, recipient_ids: list[int], actor_id: int | None, order: Order, params: dict[str, Any]
) -> None:
    transaction.on_commit(
        functools.partial(
            _deliver_later,
            event_key=event_key,
            kind=kind,
            recipient_ids=recipient_ids,
            actor_id=actor_id,
            order_id=order.pk,
            params=params,
        ),
        robust=True,
    )


def _deliver_later(
    *, event_key: str, kind: str, recipient_ids: list[int], actor_id: int | None, order_id: int, params: dict[str, Any]
) -> None:
    from xietong.collaboration.tasks import deliver_notifications

    deliver_notifications.enqueue(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        record=["orders.order", order_id],
        params=params,
    )


def _deliver_now(
    *, event_key: str, kind: str, recipient_ids: list[int], actor_id: int | None, order_id: int, params: dict[str, Any]
) -> None:
    from xietong.collaboration import services as collaboration

    collaboration.notifications_deliver(
        event_key=event_key,
        kind=kind,
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        record=("orders.order", order_id),
        params=params,
    )
