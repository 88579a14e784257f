"""Contracts: every write — create (alone or from a quote), edit, submit for HQ review, the review's
outcome (the approval engine's callbacks), sign, activate, expire, terminate, amend, the daily job
(activation, expiry, renewal reminders) and the BUs' number patterns.

Every service is keyword-only and atomic, checks the module permission and the record's scope
(404 outside it, 403 seen but not editable), refuses a contract in review (it is locked: 409), refuses
an illegal transition with a 409 naming the current status, audits, and checks after the write that
the actor still sees the contract. Money: ``money.py`` (per line, half up, two decimals, then sums).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.choices import DataScope
from xietong.core.dates import check_day
from xietong.core.errors import Conflict, NotFound
from xietong.core.validators import MONEY_LIMIT, QUANTITY_LIMIT, check_line_count, clean_text, has_places
from xietong.core.visibility import addressable_people, ensure_still_visible
from xietong.org.policies import require

from . import money, numbering
from .choices import ContractStatus
from .models import Contract, ContractLine, ContractSequence, ContractVersion

MODULE = "contracts"
S = ContractStatus
UNSET: Any = object()

EDITABLE_FIELDS = (
    "title",
    "party_a",
    "party_b",
    "customer_signatory",
    "our_signatory",
    "payment_terms",
    "terms",
    "start_date",
    "end_date",
    "renewal_notice_days",
)
# what an amendment snapshot keeps (with the lines and the money)
SNAPSHOT_FIELDS = (*EDITABLE_FIELDS, "signed_date", "currency", "net_amount", "tax_amount", "amount")
QUOTE_STATUSES = ("accepted", "approved", "sent")  # a contract is made from a quote in one of these
MONEY_LINE_FIELDS = (
    "quantity",
    "unit_price",
    "discount_amount",
    "tax_rate",
    "net_amount",
    "tax_amount",
    "amount",
)
# what a line's edit may change (``_write_lines``)
LINE_FIELDS = ("position", "product", "description", "unit", *MONEY_LINE_FIELDS, "delivery_month")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def is_locked(contract: Contract) -> bool:
    """In HQ review: nothing may change it (pages, API, imports)."""
    return contract.status == S.IN_REVIEW


def status_conflict(contract: Contract, wanted: str) -> Conflict:
    if is_locked(contract):
        return Conflict(_("The contract is in review and locked: it cannot be changed now."), field="status")
    return Conflict(
        _("The contract is “%(status)s”: it cannot be %(action)s.")
        % {"status": contract.get_status_display(), "action": wanted},
        field="status",
    )


def _require_status(contract: Contract, allowed: Sequence[str], wanted: str) -> None:
    if contract.status not in allowed:
        raise status_conflict(contract, wanted)


# --- clean values ----------------------------------------------------------------------------------


def _decimal(value: Any, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def _money(value: Any, field: str) -> Decimal:
    amount = _decimal(value, field, _("Enter an amount of money, e.g. 12800.00."))
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    if not has_places(amount, 2):
        raise ValidationError({field: _("Money has at most two decimal places.")})
    if amount >= Decimal("1e13"):
        raise ValidationError({field: _("The amount is too large.")})
    return amount


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date like 2027-03-31.")}) from None


def _line_id(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("No such line on this contract.")}) from None


DESCRIPTION_MAX = ContractLine._meta.get_field("description").max_length or 300
UNIT_MAX = ContractLine._meta.get_field("unit").max_length or 10


def clean_lines(lines: Sequence[Mapping[str, Any]], *, actor: Any) -> list[dict[str, Any]]:
    """Each line's values, checked (errors name the line: ``lines[2].quantity``, counted from 1; products the actor
    sees in the catalogue), with its figures."""
    from xietong.catalog.models import Product

    check_line_count(lines)
    wanted = [_pk(line.get("product")) for line in lines]
    products = Product.objects.visible_to(actor).in_bulk([pk for pk in wanted if isinstance(pk, int)])
    out = []
    total = Decimal("0")
    for n, line in enumerate(lines):
        prefix = f"lines[{n + 1}]."
        product = products.get(wanted[n]) if isinstance(wanted[n], int) else None
        if product is None:
            raise ValidationError({prefix + "product": _("No such product.")})
        quantity = _decimal(line.get("quantity"), prefix + "quantity", _("Enter a quantity, e.g. 2."))
        if quantity <= 0:
            raise ValidationError({prefix + "quantity": _("The quantity must be more than 0.")})
        if quantity >= QUANTITY_LIMIT:
            raise ValidationError({prefix + "quantity": _("The quantity is too large.")})
        if not has_places(quantity, 3):
            raise ValidationError({prefix + "quantity": _("A quantity has at most three decimal places.")})
        unit_price = _money(line.get("unit_price"), prefix + "unit_price")
        discount = _money(line.get("discount_amount") or "0", prefix + "discount_amount")
        if discount > money.cents(quantity * unit_price):
            raise ValidationError(
                {prefix + "discount_amount": _("The discount is more than the line is worth before it.")}
            )
        rate = _decimal(line.get("tax_rate", "13"), prefix + "tax_rate", _("Choose a VAT rate: 13, 9, 6 or 0."))
        if rate not in money.VAT_RATES:
            raise ValidationError({prefix + "tax_rate": _("Choose a VAT rate: 13, 9, 6 or 0.")})
        figures = money.line_figures(quantity=quantity, unit_price=unit_price, discount_amount=discount, tax_rate=rate)
        if figures.amount >= MONEY_LIMIT:  # stored, the line and the contract could not be read back
            raise ValidationError({prefix + "quantity": _("The amount is too large.")})
        total += figures.amount
        if total >= MONEY_LIMIT:
            raise ValidationError({prefix + "quantity": _("Line %(n)s: the total would be too large.") % {"n": n + 1}})
        out.append(
            {
                "id": _line_id(line.get("id"), prefix + "id"),
                "product": product,
                "description": clean_text(line.get("description"), prefix + "description", DESCRIPTION_MAX),
                # None: the line's own, or the product's
                "unit": clean_text(line.get("unit"), prefix + "unit", UNIT_MAX) or None,
                "quantity": quantity,
                "unit_price": unit_price,
                "discount_amount": discount,
                "tax_rate": rate.quantize(money.CENT),
                "net_amount": figures.net,
                "tax_amount": figures.tax,
                "amount": figures.amount,
                "delivery_month": _date(line.get("delivery_month"), prefix + "delivery_month"),
            }
        )
    return out


def _clean_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("start_date", "end_date"):
            out[name] = _date(value, name)
        elif name == "renewal_notice_days":
            try:
                days = int(value)
            except (TypeError, ValueError):
                raise ValidationError({name: _("Enter a number of days between 0 and 365.")}) from None
            if not 0 <= days <= 365:
                raise ValidationError({name: _("Enter a number of days between 0 and 365.")})
            out[name] = days
        elif name == "title":
            text = (value or "").strip()
            if not text:
                raise ValidationError({"title": _("Give the contract a title.")})
            out[name] = _at_most(text, name, 200)
        else:
            limit = getattr(Contract._meta.get_field(name), "max_length", None)
            text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
            out[name] = _at_most(text, name, limit) if limit else text
    return out


def _at_most(text: str, field: str, limit: int) -> str:
    """Text longer than its field is refused by name, as the pages refuse it (the API cut it)."""
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return text


def _default_parties(contract: Contract) -> None:
    """Party A left empty is the customer; party B left empty is the group."""
    contract.party_a = contract.party_a or contract.customer.name
    contract.party_b = contract.party_b or our_company_name()


def _check_dates(contract: Contract) -> None:
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise ValidationError({"end_date": _("The end cannot be before the start.")})


def _check_signed_in_term(*, signed: date | None, end: date | None, field: str) -> None:
    """A contract is signed in its term: its end is not before its signing date. One rule for signing
    (refused on ``signed_date``, naming the end) and for an amendment of a signed contract (refused on
    ``end_date``, naming the signing date). The start is free either way: a contract may be signed
    ahead of its start, or in its term and recorded late."""
    if signed is None or end is None or signed <= end:
        return
    if field == "signed_date":
        message = _("The signing date cannot be after the contract's end (%(date)s).") % {"date": end.isoformat()}
    else:
        message = _("The end cannot be before the signing date (%(date)s).") % {"date": signed.isoformat()}
    raise ValidationError({field: message})


def _check_owner(actor: Any, owner: Any) -> None:
    if owner.pk != actor.pk and not addressable_people(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("No such person.")})


def _may_own(actor: Any, owner: Any) -> bool:
    return bool(owner.pk == actor.pk or addressable_people(actor).filter(pk=owner.pk).exists())


def _write_lines(contract: Contract, lines: list[dict[str, Any]], *, restoring: bool = False) -> None:
    """The contract's lines become ``lines`` (cleaned), in that order, and its totals their sums.

    A line naming an ``id`` is that line of this contract changed in place, so the orders made from it
    stay attached; a line without one is new; the lines left out are removed. A line that orders point
    at keeps its product, cannot go below the quantity ordered and cannot be removed: each refusal
    names the line. ``restoring`` (a rejected amendment undone): an ``id`` that is gone is the line the
    amendment removed, made again under its old id. What orders took of the lines comes from the apps
    above through ``registrations.ordered_of_lines`` (this app imports none of them: ADR 0013)."""
    from .registrations import ordered_of_lines  # registrations imports this module

    existing = {line.pk: line for line in contract.lines.all()}
    ordered = ordered_of_lines(sorted(existing))
    in_orders = set(ordered)
    seen: set[int] = set()
    kept, added = [], []
    for n, line in enumerate(lines, 1):
        prefix = f"lines[{n}]."
        values = {name: line[name] for name in LINE_FIELDS if name not in ("position", "product")}
        values["position"], values["product_id"] = n, _pk(line["product"])
        pk = line.get("id")
        current = existing.get(pk) if pk is not None else None
        if pk is not None and (pk in seen or (current is None and not restoring)):
            raise ValidationError(
                {prefix + "id": _("This line is listed twice.") if pk in seen else _("No such line on this contract.")}
            )
        if pk is not None:
            seen.add(pk)
        if values["unit"] is None:
            if current is not None and current.product_id == values["product_id"]:
                values["unit"] = current.unit
            else:
                values["unit"] = (getattr(line["product"], "unit", "") or "")[:10]
        if current is None:
            added.append(ContractLine(contract=contract, pk=pk, **values))
            continue
        if pk in in_orders and values["product_id"] != current.product_id:
            raise ValidationError(
                {prefix + "product": _("This line has been ordered: its product cannot change. Add a line instead.")}
            )
        quantity_ordered, amount_ordered = ordered.get(current.pk, (Decimal("0"), Decimal("0")))
        if values["quantity"] < quantity_ordered:
            raise ValidationError(
                {
                    prefix + "quantity": _("%(quantity)s of this line have been ordered: it cannot be less.")
                    % {"quantity": f"{quantity_ordered.normalize():f}"}
                }
            )
        if values["amount"] < amount_ordered:  # the orders of a line add up to at most its amount
            raise ValidationError(
                {
                    prefix + "unit_price": _(
                        "¥%(amount)s of this line has been ordered: its amount with VAT cannot be less."
                    )
                    % {"amount": f"{amount_ordered:,.2f}"}
                }
            )
        if quantity_ordered and values["quantity"] == quantity_ordered and values["amount"] != amount_ordered:
            # every unit is ordered: money left on the line could never be ordered (nor taken back)
            raise ValidationError(
                {
                    prefix + "unit_price": _(
                        "All %(quantity)s of this line have been ordered for ¥%(amount)s: its amount cannot "
                        "change unless its quantity does."
                    )
                    % {"quantity": f"{quantity_ordered.normalize():f}", "amount": f"{amount_ordered:,.2f}"}
                }
            )
        for name, value in values.items():
            setattr(current, name, value)
        kept.append(current)
    removed = [old for pk, old in existing.items() if pk not in seen]
    for old in removed:
        if old.pk in in_orders:
            raise ValidationError(
                {
                    "lines": _("%(product)s (line %(position)s) has been ordered: it cannot be removed.")
                    % {"product": old.product.name, "position": old.position}
                }
            )
    ContractLine.objects.filter(pk__in=[old.pk for old in removed]).delete()
    if kept:
        ContractLine.objects.bulk_update(kept, LINE_FIELDS)
    ContractLine.objects.bulk_create(added)
    figures = money.totals(
        money.Figures(net=line["net_amount"], tax=line["tax_amount"], amount=line["amount"]) for line in lines
    )
    contract.net_amount, contract.tax_amount, contract.amount = figures.net, figures.tax, figures.amount


def _check_invoiced(contract: Contract) -> None:
    """Invoices never add up to more than the contract: an amendment cannot bring it below them (what
    is invoiced: the apps above, through ``registrations.invoiced_of``)."""
    from .registrations import invoiced_of  # registrations imports this module

    invoiced = invoiced_of(contract.pk)
    if contract.amount < invoiced:
        raise ValidationError(
            {
                "lines": _(
                    "¥%(invoiced)s has been invoiced on this contract: "
                    "its amount with VAT (¥%(amount)s) cannot be less."
                )
                % {"invoiced": f"{invoiced:,.2f}", "amount": f"{contract.amount:,.2f}"}
            }
        )


def our_company_name() -> str:
    """Party B: the group's legal name."""
    from xietong.org.models import Group

    return Group.objects.order_by("pk").values_list("name", flat=True).first() or ""


def _pick_business_unit(actor: Any, business_unit: Any) -> Any:
    from xietong.org.models import BusinessUnit

    if business_unit is None:
        business_unit = actor.business_unit
        if business_unit is None:
            raise ValidationError({"business_unit": _("Choose a business unit.")})
        return business_unit
    bu_id = _pk(business_unit)
    found = BusinessUnit.objects.filter(pk=bu_id, is_active=True).first()
    held = actor.access.widest_scope(MODULE, "create", bu_id) if found is not None else 0
    if found is None or not held or (bu_id not in actor.access.business_unit_ids and held < DataScope.BUSINESS_UNIT):
        raise ValidationError({"business_unit": _("No such business unit.")})
    return found


# --- create and edit ------------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: Any,
    customer: Any,
    title: str,
    business_unit: Any = None,
    owner: Any = None,
    opportunity: Any = None,
    lines: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> Contract:
    """A draft contract of ``customer`` entered by hand (lines: product, quantity, unit_price without
    VAT, discount_amount, tax_rate 13/9/6/0, description, delivery_month); numbered by the BU's
    sequence; party A the customer, party B the group."""
    from xietong.customers.models import Customer
    from xietong.pipeline.models import Opportunity

    require(actor, MODULE, "create")
    found = Customer.objects.visible_to(actor).filter(pk=_pk(customer)).first() if customer is not None else None
    if found is None:
        raise ValidationError({"customer": _("No such customer.")})
    business_unit = _pick_business_unit(actor, business_unit)
    owner = owner or actor
    _check_owner(actor, owner)
    opp = None
    if opportunity is not None:
        opp = Opportunity.objects.visible_to(actor).filter(pk=_pk(opportunity)).first()
        if opp is None or opp.customer_id != found.pk:
            raise ValidationError({"opportunity": _("No such opportunity of the customer.")})
    values = _clean_fields({"title": title, **fields})
    values["party_a"] = values.get("party_a") or found.name
    values["party_b"] = values.get("party_b") or our_company_name()
    contract = Contract(
        number=numbering.take_number(business_unit, timezone.localdate()),
        customer=found,
        business_unit=business_unit,
        owner=owner,
        opportunity=opp,
        created_by=actor,
        **values,
    )
    _check_dates(contract)
    cleaned = clean_lines(lines, actor=actor)
    contract.save()
    _write_lines(contract, cleaned)
    contract.save(update_fields=["net_amount", "tax_amount", "amount"])
    audit.record_create(actor=actor, obj=contract)
    ensure_still_visible(contract, actor)
    return contract


def _refuse_second_contract(actor: Any, quote: Any) -> None:
    """A quote — any of its versions — becomes one contract (a double submit made two, each with a
    number of the sequence); another once that one is terminated. The existing contract is named
    when the actor sees it."""
    from .selectors import contract_made_from_quote

    existing, seen = contract_made_from_quote(user=actor, quote=quote)
    if existing is None:
        return
    if seen:
        message = _("Contract %(number)s was already made from this quote.") % {"number": existing.number}
    else:
        message = _("A contract was already made from this quote.")
    raise Conflict(message, field="quote")


@transaction.atomic
def contract_create_from_quote(*, actor: Any, quote: Any, title: str = "", **fields: Any) -> Contract:
    """A draft contract from a quote the actor sees (accepted, approved or sent): its customer,
    opportunity, BU and lines (with their figures, as priced on the quote)."""
    from xietong.quotes.models import Quote

    require(actor, MODULE, "create")
    found = (
        Quote.objects.visible_to(actor).select_related("customer").filter(pk=_pk(quote)).first()
        if quote is not None
        else None
    )
    if found is None:
        raise ValidationError({"quote": _("No such quote.")})
    if found.status not in QUOTE_STATUSES:
        raise Conflict(
            _("The quote is “%(status)s”: a contract is made from an accepted quote.")
            % {"status": found.get_status_display()},
            field="quote",
        )
    list(Quote.objects.select_for_update().filter(pk=found.pk).values_list("pk"))  # one contract at a time from it
    _refuse_second_contract(actor, found)
    values = _clean_fields({"title": title or found.title, **fields})
    values["party_a"] = values.get("party_a") or found.customer.name
    values["party_b"] = values.get("party_b") or our_company_name()
    values.setdefault("terms", found.terms)
    contract = Contract(
        number=numbering.take_number(found.business_unit, timezone.localdate()),
        customer_id=found.customer_id,
        business_unit_id=found.business_unit_id,
        owner=found.owner if _may_own(actor, found.owner) else actor,
        opportunity_id=found.opportunity_id,
        quote=found,
        currency="CNY",  # contracts are in yuan: a quote in another currency converts at its rate
        created_by=actor,
        **values,
    )
    _check_dates(contract)
    contract.save()
    rows = []
    for line in found.lines.order_by("position", "pk"):
        price, discount = line.unit_price, line.discount_amount
        figures = money.Figures(net=line.net_amount, tax=line.tax_amount, amount=line.amount)
        if found.currency != "CNY":
            price, discount = money.cents(price * found.exchange_rate), money.cents(discount * found.exchange_rate)
            figures = money.line_figures(
                quantity=line.quantity, unit_price=price, discount_amount=discount, tax_rate=line.tax_rate
            )
        rows.append(
            ContractLine(
                contract=contract,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=price,
                discount_amount=discount,
                tax_rate=line.tax_rate,
                net_amount=figures.net,
                tax_amount=figures.tax,
                amount=figures.amount,
                delivery_month=line.delivery_month,
            )
        )
    ContractLine.objects.bulk_create(rows)
    figures = money.totals(money.Figures(net=r.net_amount, tax=r.tax_amount, amount=r.amount) for r in rows)
    contract.net_amount, contract.tax_amount, contract.amount = figures.net, figures.tax, figures.amount
    contract.save(update_fields=["net_amount", "tax_amount", "amount"])
    audit.record_create(actor=actor, obj=contract, verb="from_quote")
    ensure_still_visible(contract, actor)
    return contract


def _lock(actor: Any, contract: Contract | int, action: str = "edit") -> Contract:
    """The contract locked for ``action``; seen but not changeable: ``PermissionDenied``; unseen: ``NotFound``."""
    pk = _pk(contract)
    found = (
        Contract.objects.visible_to(actor, action)
        .select_related("customer", "business_unit", "owner")
        .select_for_update(of=("self",))
        .filter(pk=pk)
        .first()
    )
    if found is not None:
        return found
    if not Contract.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    raise PermissionDenied(_("You may not change this contract."))


@transaction.atomic
def contract_update(
    *,
    actor: Any,
    contract: Contract | int,
    lines: Sequence[Mapping[str, Any]] | None = None,
    owner: Any = UNSET,
    **fields: Any,
) -> Contract:
    """Change a draft (or approved, which sends it back to draft: the review approved other content)
    contract's fields and, when given, its lines. Signed and active contracts change by amendment."""
    require(actor, MODULE, "edit")
    c = _lock(actor, contract)
    _require_status(c, (S.DRAFT, S.APPROVED), _("edited (amend it instead)"))
    before = audit.snapshot(c)
    for name, value in _clean_fields(fields).items():
        setattr(c, name, value)
    handed_over = owner is not UNSET and owner is not None and owner.pk != c.owner_id
    if handed_over:
        _check_owner(actor, owner)
        c.owner = owner
    _default_parties(c)
    _check_dates(c)
    if lines is not None:
        _write_lines(c, clean_lines(lines, actor=actor))
    if c.status == S.APPROVED:
        c.status = S.DRAFT
    c.save()
    if handed_over:  # the plan (and any money) is owned by the contract's owner: it follows (receivables)
        from .registrations import owner_changed  # registrations imports this module

        owner_changed(c)
    entry = audit.record_update(actor=actor, obj=c, before=before)
    if lines is not None and entry is None:
        audit.record(actor=actor, obj=c, kind="update", verb="lines", changes={"lines": [None, len(lines)]})
    ensure_still_visible(c, actor)
    return c


# --- HQ review through the approval engine -----------------------------------------------------------


def _engine_submit(contract: Contract, actor: Any) -> Any:
    """``approvals.services.approval_submit``; while the engine is not installed, no flow applies."""
    try:
        from xietong.approvals.services import approval_submit
    except ImportError:  # pragma: no cover - the engine ships with this issue
        on_approved(contract, None)
        return None
    return approval_submit(document=contract, actor=actor)


@transaction.atomic
def contract_submit(*, actor: Any, contract: Contract | int) -> Any:
    """A draft to HQ review (legal and finance): the approval engine picks the flow; the contract is
    in review (locked) until decided, or approved at once when no flow applies. Returns the
    approval request (or None)."""
    require(actor, MODULE, "edit")
    c = _lock(actor, contract)
    _require_status(c, (S.DRAFT,), _("submitted for review"))
    if not c.lines.exists():
        raise ValidationError({"lines": _("Add the contract's products before the review.")})
    if c.start_date is None or c.end_date is None:
        raise ValidationError({"start_date" if c.start_date is None else "end_date": _("Enter the contract's term.")})
    audit.record(actor=actor, obj=c, kind="action", verb="contract_submitted")
    request = _engine_submit(c, actor)
    c.refresh_from_db()
    return request


def _save_status(doc: Contract, status: str, verb: str, **extra: Any) -> None:
    before = audit.snapshot(doc, ("status", "version"))
    doc.status = status
    for name, value in extra.items():
        setattr(doc, name, value)
    doc.save(update_fields=["status", "updated_at", *extra])
    audit.record(actor=None, obj=doc, kind="update", verb=verb, changes=audit.diff(before, audit.snapshot(doc, before)))


def on_submitted(doc: Contract, request: Any) -> None:
    """The engine's callback (document row locked): in review, locked."""
    _save_status(doc, S.IN_REVIEW, "contract_in_review")


def _past_its_end(contract: Contract, today: date) -> bool:
    """The contract's end has passed: signed or decided now, it is expired, never active or signed
    (the daily job would expire it only at its next run)."""
    return contract.end_date is not None and contract.end_date < today


def on_approved(doc: Contract, request: Any) -> None:
    """Approved: a new contract is ready to sign; an amendment takes effect and the contract goes back
    to the status it had (signed or active) — expired when its end has passed meanwhile (or the
    amendment moved it into the past)."""
    if doc.amended_from_status:
        back = doc.amended_from_status
        today = timezone.localdate()
        if back == S.ACTIVE and doc.start_date and doc.start_date > today:
            back = S.SIGNED  # the amendment moved the start ahead: active when it comes (the daily job)
        if _past_its_end(doc, today):
            back = S.EXPIRED
        _save_status(doc, back, "amendment_approved", amended_from_status="")
    else:
        _save_status(doc, S.APPROVED, "contract_approved")


def on_returned(doc: Contract, request: Any) -> None:
    """Rejected or recalled: a new contract goes back to draft; a rejected amendment is undone — the
    contract gets back the content of the version it replaced (and that version number), its status
    before the amendment (expired when its end has passed meanwhile), and the stored version is removed
    (the audit trail keeps the attempt)."""
    if not doc.amended_from_status:
        _save_status(doc, S.DRAFT, "contract_returned")
        return
    version = ContractVersion.objects.filter(contract=doc, version=doc.version - 1).first()
    if version is not None:
        _restore(doc, version.snapshot)
        doc.version = version.version
        version.delete()
        doc.save()
    back = S.EXPIRED if _past_its_end(doc, timezone.localdate()) else doc.amended_from_status
    _save_status(doc, back, "amendment_rejected", amended_from_status="")


# --- signing and the life of a signed contract ----------------------------------------------------


@transaction.atomic
def contract_sign(*, actor: Any, contract: Contract | int, signed_date: Any, scan: Any) -> Contract:
    """Signed on ``signed_date`` (not before 1900, not in the future, nor after the contract's end) with the signed scan
    (a PDF or an image, checked like every upload); active at once when its start date has come, and
    expired at once when its end has already passed (signed in its term, recorded late)."""
    from xietong.collaboration.attachments import check_upload

    require(actor, MODULE, "edit")
    c = _lock(actor, contract)
    _require_status(c, (S.APPROVED,), _("signed"))
    day = _date(signed_date, "signed_date")
    today = timezone.localdate()
    if day is None:
        raise ValidationError({"signed_date": _("Enter the signing date.")})
    check_day("signed_date", day)
    if day > today:
        raise ValidationError({"signed_date": _("The signing date cannot be in the future.")})
    _check_signed_in_term(signed=day, end=c.end_date, field="signed_date")
    if scan is None:
        raise ValidationError({"scan": _("Attach the signed contract (PDF or image).")})
    try:
        checked = check_upload(scan)
    except ValidationError as exc:
        raise ValidationError({"scan": exc.message_dict.get("file", exc.messages)}) from None
    if checked.extension not in ("pdf", "jpg", "jpeg", "png", "webp", "tif", "tiff", "gif", "bmp", "heic"):
        raise ValidationError({"scan": _("The signed scan must be a PDF or an image.")})
    before = audit.snapshot(c)
    c.signed_date = day
    # the number may hold "/" (a BU's pattern): the file's name is the number made safe for a path
    c.signed_scan.save(
        f"{get_valid_filename(c.number.replace('/', '-'))}.{checked.extension}", checked.upload, save=False
    )
    if _past_its_end(c, today):
        c.status = S.EXPIRED
    else:
        c.status = S.ACTIVE if c.start_date is not None and c.start_date <= today else S.SIGNED
    c.save()
    audit.record_update(actor=actor, obj=c, before=before, verb="contract_signed")
    ensure_still_visible(c, actor)
    return c


@transaction.atomic
def contract_terminate(*, actor: Any, contract: Contract | int, reason: str) -> Contract:
    """End a signed or active contract early (with ``reason``); it cannot be made active again. Publishes
    ``contracts.terminated`` (after the commit) for the apps above: orders stop fulfilling the
    contract's open orders and tell their operations teams."""
    require(actor, MODULE, "edit")
    c = _lock(actor, contract)
    _require_status(c, (S.SIGNED, S.ACTIVE), _("terminated"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contract is terminated.")})
    before = audit.snapshot(c)
    c.status = S.TERMINATED
    c.terminated_reason = _at_most(reason, "reason", 500)
    c.terminated_on = timezone.localdate()  # goods shipped before this day may still be recorded
    c.save()
    audit.record_update(actor=actor, obj=c, before=before, verb="contract_terminated")
    ensure_still_visible(c, actor)
    events.publish("contracts.terminated", key=f"contract:{c.pk}:terminated", contract_id=c.pk, actor_id=actor.pk)
    return c


def snapshot_of(contract: Contract) -> dict[str, Any]:
    """The contract's content as JSON: its fields, owner and lines (money as strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal | date):
            return str(value)
        return value

    return {
        "fields": {name: plain(getattr(contract, name)) for name in SNAPSHOT_FIELDS},
        "owner_id": contract.owner_id,
        "lines": [
            {
                "id": line.pk,
                "product_id": line.product_id,
                "product": line.product.name,
                "description": line.description,
                "unit": line.unit,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_amount": str(line.discount_amount),
                "tax_rate": str(line.tax_rate),
                "net_amount": str(line.net_amount),
                "tax_amount": str(line.tax_amount),
                "amount": str(line.amount),
                "delivery_month": plain(line.delivery_month),
            }
            for line in contract.lines.select_related("product").order_by("position", "pk")
        ],
    }


def _restore(contract: Contract, snapshot: Mapping[str, Any]) -> None:
    """The content of ``snapshot`` back on the contract; its lines in place (``_write_lines``), so the
    orders of the lines the amendment kept stay attached. Snapshots older than line ids match the
    current lines by position and product."""
    for name, value in snapshot["fields"].items():
        field: Any = Contract._meta.get_field(name)
        setattr(contract, name, field.to_python(value))
    by_place = {(line.position, line.product_id): line.pk for line in contract.lines.all()}
    lines = []
    for n, line in enumerate(snapshot["lines"], 1):
        lines.append(
            {
                "id": line.get("id", by_place.get((n, line["product_id"]))),
                "product": line["product_id"],
                "description": line["description"],
                "unit": line["unit"],
                **{name: Decimal(line[name]) for name in MONEY_LINE_FIELDS},
                "delivery_month": _date(line["delivery_month"], "delivery_month"),
            }
        )
    _write_lines(contract, lines, restoring=True)


@transaction.atomic
def contract_amend(
    *,
    actor: Any,
    contract: Contract | int,
    reason: str,
    lines: Sequence[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Any:
    """Change a signed or active contract: its current content is kept as a ``ContractVersion``
    (with ``reason`` and who), the version goes up by one, the change applies and goes through HQ
    review again (back to signed/active when approved; undone when rejected). Returns the approval
    request (or None when no flow applies)."""
    require(actor, MODULE, "edit")
    c = _lock(actor, contract)
    _require_status(c, (S.SIGNED, S.ACTIVE), _("amended"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contract changes.")})
    reason = _at_most(reason, "reason", 500)
    values = _clean_fields(fields)
    cleaned = clean_lines(lines, actor=actor) if lines is not None else None
    if not values and cleaned is None:
        raise ValidationError({"__all__": _("The amendment changes nothing.")})
    if cleaned is not None and not cleaned:
        raise ValidationError({"lines": _("A contract keeps at least one product line.")})
    before = audit.snapshot(c)
    ContractVersion.objects.create(
        contract=c, version=c.version, snapshot=snapshot_of(c), reason=reason, created_by=actor
    )
    old_end = c.end_date
    for name, value in values.items():
        setattr(c, name, value)
    _default_parties(c)
    _check_dates(c)
    if c.start_date is None or c.end_date is None:
        raise ValidationError({"start_date" if c.start_date is None else "end_date": _("Enter the contract's term.")})
    _check_signed_in_term(signed=c.signed_date, end=c.end_date, field="end_date")
    if cleaned is not None:
        _write_lines(c, cleaned)
        _check_invoiced(c)
    if c.end_date != old_end:
        c.renewal_reminded_at = None  # a new end: remind again before it
    c.version += 1
    c.amended_from_status = c.status
    c.save()
    changes = audit.diff(before, audit.snapshot(c, before.keys()))
    audit.record(
        actor=actor, obj=c, kind="update", verb="contract_amended", changes={**changes, "reason": [None, reason]}
    )
    request = _engine_submit(c, actor)
    c.refresh_from_db()
    ensure_still_visible(c, actor)
    return request


# --- the daily job: start, end, renewal reminders ------------------------------------------------


def _system_transition(pk: int, allowed: Sequence[str], status: str, verb: str) -> bool:
    with transaction.atomic():
        c = Contract.objects.select_for_update().filter(pk=pk, status__in=allowed).first()
        if c is None:
            return False
        _save_status(c, status, verb)
        return True


def contracts_daily(*, today: date | None = None) -> dict[str, int]:
    """Signed contracts whose start has come become active; signed or active ones past their end
    expire; owners of those ending within their renewal notice hear of it, once. Idempotent."""
    from xietong.collaboration.services import notifications_deliver

    today = today or timezone.localdate()
    done = {"activated": 0, "expired": 0, "reminded": 0}
    running = (S.SIGNED, S.ACTIVE)
    for pk in Contract.objects.filter(status__in=running, end_date__lt=today).values_list("pk", flat=True):
        done["expired"] += _system_transition(pk, running, S.EXPIRED, "contract_expired")
    starting = Contract.objects.filter(status=S.SIGNED, start_date__lte=today)
    for pk in starting.values_list("pk", flat=True):
        done["activated"] += _system_transition(pk, (S.SIGNED,), S.ACTIVE, "contract_activated")
    longest = Contract.objects.filter(status__in=running).aggregate(days=Max("renewal_notice_days"))["days"] or 0
    due = Contract.objects.filter(
        status__in=running,
        renewal_reminded_at__isnull=True,
        end_date__gte=today,
        end_date__lte=today + timedelta(days=longest),
    ).values("pk", "number", "title", "owner_id", "end_date", "renewal_notice_days")
    for row in due:
        end: date = row["end_date"]  # type: ignore[assignment]  # filtered: not null
        if end - timedelta(days=row["renewal_notice_days"]) > today:
            continue
        with transaction.atomic():
            claimed = Contract.objects.filter(pk=row["pk"], renewal_reminded_at__isnull=True).update(
                renewal_reminded_at=timezone.now()
            )
            if not claimed:
                continue
            notifications_deliver(
                event_key=f"contracts.renewal:{row['pk']}:{end}",
                kind="contract_renewal",
                recipient_ids=[row["owner_id"]],
                record=("contracts.contract", row["pk"]),
                params={
                    "number": row["number"],
                    "title": row["title"],
                    "end_date": end.isoformat(),
                    "days": (end - today).days,
                },
            )
            done["reminded"] += 1
    return done


# --- the BUs' number patterns -----------------------------------------------------------------------


def can_administer(actor: Any, business_unit: Any) -> bool:
    return actor.access.widest_scope(MODULE, "administer", _pk(business_unit)) >= DataScope.BUSINESS_UNIT


@transaction.atomic
def sequence_save(
    *, actor: Any, business_unit: Any, pattern: str, prefix: str = "", reset_yearly: bool = True
) -> ContractSequence:
    """Set a BU's contract number pattern (contracts "administer" over the BU; another BU: 404)."""
    from xietong.org.models import BusinessUnit

    require(actor, MODULE, "administer")
    bu = BusinessUnit.objects.filter(pk=_pk(business_unit)).first()
    if bu is None or not can_administer(actor, bu):
        raise NotFound()
    pattern = numbering.validate_pattern(pattern)
    prefix = (prefix or "").strip()
    if len(prefix) > 20:
        raise ValidationError({"prefix": _("A prefix has at most 20 characters.")})
    sequence = ContractSequence.objects.select_for_update().filter(business_unit=bu).first()
    created = sequence is None
    if sequence is None:
        sequence = ContractSequence(business_unit=bu, year=timezone.localdate().year)
    before = audit.snapshot(sequence)
    sequence.pattern, sequence.prefix, sequence.reset_yearly = pattern, prefix, bool(reset_yearly)
    sequence.save()
    if created:
        audit.record_create(actor=actor, obj=sequence)
    else:
        audit.record_update(actor=actor, obj=sequence, before=before)
    return sequence
