"""Price books and quotes: every write.

Keyword-only, atomic. Each service checks the module permission and the record's scope (a record
outside it: ``NotFound``, like a missing one; seen but not to be changed: ``PermissionDenied``), locks
the rows it changes, writes, audits, and checks the actor still sees what they wrote.

A quote is edited only as a draft. In approval it is locked (``Conflict`` saying why, on every path:
pages, API, import); approved, sent, accepted, rejected or superseded versions are frozen — a "new
version" copies one to v+1 (same number) and supersedes it. Money goes through ``money.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.approvals.services import approval_submit
from xietong.core import audit, events, numbering
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.params import as_int
from xietong.core.validators import MONEY_LIMIT, Errors, check_line_count, clean_text, has_places
from xietong.core.visibility import ensure_still_visible
from xietong.org.policies import require

from . import money, pricing, selectors
from .choices import Channel, DiscountKind, QuoteStatus
from .models import PriceBook, PriceBookEntry, Quote, QuoteLine

MODULE = "quotes"
UNSET: Any = object()
VAT_RATES = {Decimal("13"), Decimal("9"), Decimal("6"), Decimal("0")}
LOCKED_STATUSES = (QuoteStatus.IN_APPROVAL,)
QUOTE_FIELDS = ("title", "contact", "price_book", "valid_until", "terms", "notes")
BOOK_FIELDS = (
    "name",
    "business_unit",
    "channel",
    "currency",
    "exchange_rate",
    "valid_from",
    "valid_until",
    "is_active",
    "description",
)
# a quote line's quantity stays below this, a digit short of its column (core.validators.QUANTITY_LIMIT),
# as the quotes have always taken it
QUOTE_QUANTITY_LIMIT = Decimal("1e10")
TITLE_MAX = Quote._meta.get_field("title").max_length or 200
DESCRIPTION_MAX = QuoteLine._meta.get_field("description").max_length or 300
BOOK_NAME_MAX = PriceBook._meta.get_field("name").max_length or 80
NOTE_MAX = Quote._meta.get_field("decision_note").max_length or 500
LINE_FIGURES = ("gross_amount", "discount_amount", "discount_percent", "net_amount", "tax_amount", "amount")
TOTAL_FIELDS = ("subtotal", "discount_total", "net_total", "tax_total", "total", "max_discount")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# --- clean values --------------------------------------------------------------------------------------


def _decimal(value: Any, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").replace("¥", "").replace("%", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def clean_money(value: Any, field: str, label: str = "") -> Decimal:
    prefix = f"{label}: " if label else ""
    amount = _decimal(value, field, prefix + _("Enter an amount of money, e.g. 12800.00."))
    if amount < 0:
        raise ValidationError({field: prefix + _("The amount cannot be negative.")})
    if not has_places(amount, 2):
        raise ValidationError({field: prefix + _("Money has at most two decimal places.")})
    if amount >= MONEY_LIMIT:
        raise ValidationError({field: prefix + _("The amount is too large.")})
    return amount


def clean_quantity(value: Any, field: str, label: str = "", *, allow_zero: bool = False) -> Decimal:
    prefix = f"{label}: " if label else ""
    quantity = _decimal(value, field, prefix + _("Enter a quantity."))
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationError({field: prefix + _("The quantity must be more than 0.")})
    if quantity >= QUOTE_QUANTITY_LIMIT:
        raise ValidationError({field: prefix + _("The quantity is too large.")})
    if not has_places(quantity, 3):
        raise ValidationError({field: prefix + _("A quantity has at most three decimal places.")})
    return quantity


def _clean_title(value: Any) -> str:
    # the words the other apps use for a title (tasks: "A title can be at most 200 characters.")
    return clean_text(value, "title", TITLE_MAX, message=_("A title can be at most 200 characters."))


def _clean_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date like 2027-03-31.")}) from None


# --- price books ----------------------------------------------------------------------------------------


def may_administer(actor: Any, business_unit: Any) -> bool:
    """Price books of a BU: "administer" quotes in that BU; group-wide books: over the whole group."""
    bu_id = _pk(business_unit)
    if bu_id is None:
        return bool(actor.access.widest_scope(MODULE, "administer") >= DataScope.GROUP)
    return bool(actor.access.widest_scope(MODULE, "administer", bu_id) >= DataScope.BUSINESS_UNIT)


def _require_administer(actor: Any, business_unit: Any) -> None:
    if not may_administer(actor, business_unit):
        if _pk(business_unit) is None:
            raise PermissionDenied(
                _("Only administrators of quotes across the group may change group-wide price books.")
            )
        raise PermissionDenied(_("Only administrators of quotes in the business unit may change its price books."))


def _lock_book(actor: Any, book: PriceBook | int) -> PriceBook:
    return price_book_for_change(actor=actor, price_book=book, lock=True)


def price_book_for_change(*, actor: Any, price_book: PriceBook | int, lock: bool = False) -> PriceBook:
    """The price book ``actor`` may change — its settings and its prices, by hand or by an import
    (``lock``: its row locked for the transaction, as every change of its prices takes it). Not seen:
    ``NotFound``; seen but not to be changed: ``PermissionDenied``. An inactive or expired book is
    changed like any other."""
    pk = _pk(price_book)
    rows = PriceBook.objects.visible_to(actor, "administer")
    if lock:
        rows = rows.select_for_update()
    found = rows.filter(pk=as_int(pk, 0)).first()
    if found is not None:
        return found
    if not PriceBook.objects.visible_to(actor).filter(pk=as_int(pk, 0)).exists():
        raise NotFound()
    raise PermissionDenied(_("You may not change this price book."))


def _clean_book(values: Mapping[str, Any], current: PriceBook | None = None) -> dict[str, Any]:
    from xietong.org.models import BusinessUnit

    unknown = set(values) - set(BOOK_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "name":
            text = clean_text(value, "name", BOOK_NAME_MAX)
            if not text:
                raise ValidationError({"name": _("Give the price book a name.")})
            out[name] = text
        elif name == "business_unit":
            if value in (None, ""):
                out[name] = None
            else:
                bu = BusinessUnit.objects.filter(pk=_pk(value), is_active=True).first()
                if bu is None:
                    raise ValidationError({"business_unit": _("No such business unit.")})
                out[name] = bu
        elif name == "channel":
            if value not in Channel.values:
                raise ValidationError({"channel": _("Choose direct sales or dealers.")})
            out[name] = value
        elif name == "currency":
            code = (value or "").strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ValidationError({"currency": _("A currency is three letters, e.g. CNY or USD.")})
            out[name] = code
        elif name == "exchange_rate":
            rate = _decimal(value, "exchange_rate", _("Enter an exchange rate, e.g. 7.1234."))
            if rate <= 0 or not has_places(rate, 6) or rate >= Decimal("1e6"):
                raise ValidationError(
                    {"exchange_rate": _("The exchange rate is more than 0, with at most six decimal places.")}
                )
            out[name] = rate
        elif name == "valid_from":
            day = _clean_date(value, "valid_from")
            if day is None:
                raise ValidationError({"valid_from": _("Say from when the price book is valid.")})
            out[name] = day
        elif name == "valid_until":
            out[name] = _clean_date(value, "valid_until")
        elif name == "is_active":
            if not isinstance(value, bool):  # null is no answer: it must not switch the book off
                raise ValidationError({"is_active": _("Choose true or false.")})
            out[name] = value
        else:
            out[name] = (value or "").strip()
    currency = out.get("currency", current.currency if current else "CNY")
    rate = out.get("exchange_rate", current.exchange_rate if current else Decimal("1"))
    if currency == "CNY" and rate != 1:
        raise ValidationError({"exchange_rate": _("A price book in CNY has the exchange rate 1.")})
    if currency != "CNY" and rate == 1:  # left at the default: its quotes would count dollars as yuan
        raise ValidationError(
            {
                "exchange_rate": _("Give the exchange rate: how many yuan one %(currency)s is worth.")
                % {"currency": currency}
            }
        )
    start = out.get("valid_from", current.valid_from if current else None)
    end = out.get("valid_until", current.valid_until if current else None)
    if start and end and end < start:
        raise ValidationError({"valid_until": _("The end of the validity is before its start.")})
    return out


@transaction.atomic
def price_book_create(*, actor: Any, name: str, valid_from: Any, **fields: Any) -> PriceBook:
    """A price book of ``business_unit`` (None: the whole group), ``channel`` and ``currency``."""
    require(actor, MODULE, "administer")
    values = _clean_book({"name": name, "valid_from": valid_from, **fields})
    _require_administer(actor, values.get("business_unit"))
    book = PriceBook.objects.create(created_by=actor, **values)
    audit.record_create(actor=actor, obj=book)
    return book


@transaction.atomic
def price_book_update(*, actor: Any, price_book: PriceBook | int, **fields: Any) -> PriceBook:
    book = _lock_book(actor, price_book)
    values = _clean_book(fields, book)
    if "business_unit" in values:
        _require_administer(actor, values["business_unit"])
    before = audit.snapshot(book)
    for name, value in values.items():
        setattr(book, name, value)
    book.save()
    audit.record_update(actor=actor, obj=book, before=before)
    return book


@transaction.atomic
def price_book_delete(*, actor: Any, price_book: PriceBook | int) -> None:
    """A price book no quote used (one that priced a quote is deactivated instead: 409). Its prices go
    with it; each customer whose special prices it held has their removal on its own trail (named
    with the book), whether or not ``actor`` sees the customer, so its owner learns what happened."""
    book = _lock_book(actor, price_book)
    if Quote.objects.filter(price_book=book).exists():
        raise Conflict(_("Quotes were priced with this price book: deactivate it instead."))
    special = book.entries.filter(customer__isnull=False).select_related("product", "customer").order_by("pk")
    _audit_prices(
        actor,
        book,
        "quote_price",
        [(e.customer, _price_key(e.product, e.min_quantity), str(e.unit_price), None) for e in special],
    )
    audit.record(actor=actor, obj=book, kind=AuditEntry.Kind.DELETE)
    book.delete()


def _clean_entry(actor: Any, book: PriceBook, values: Mapping[str, Any]) -> dict[str, Any]:
    from xietong.catalog.models import Product
    from xietong.customers.models import Customer

    out: dict[str, Any] = {}
    if "product" in values:
        product = Product.objects.visible_to(actor).filter(pk=_pk(values["product"])).first()
        if product is None:
            raise ValidationError({"product": _("No such product.")})
        out["product"] = product
    if "customer" in values:
        if values["customer"] in (None, ""):
            out["customer"] = None
        else:
            customer = Customer.objects.visible_to(actor).filter(pk=_pk(values["customer"])).first()
            if customer is None:
                raise ValidationError({"customer": _("No such customer.")})
            out["customer"] = customer
    if "min_quantity" in values:
        raw = values["min_quantity"]
        out["min_quantity"] = (
            Decimal("1") if raw in (None, "") else clean_quantity(raw, "min_quantity", allow_zero=True)
        )
    if "unit_price" in values:
        out["unit_price"] = clean_money(values["unit_price"], "unit_price")
    return out


TIER_TOO_LARGE = gettext_lazy("The unit price times the quantity it starts from is too large.")


def tier_fits(min_quantity: Decimal, unit_price: Decimal) -> bool:
    """Whether a line priced at this tier fits the quote's money columns: the unit price times the
    quantity it starts from below ``MONEY_LIMIT`` (a price by hand and an imported one alike)."""
    return money.cents(Decimal(min_quantity) * Decimal(unit_price)) < MONEY_LIMIT


def _check_tier(entry: PriceBookEntry, changed: Iterable[str]) -> None:
    """``tier_fits`` for an entry (the field named: the one changed, else the price)."""
    if not tier_fits(entry.min_quantity, entry.unit_price):
        field = "unit_price" if "unit_price" in changed else "min_quantity"
        raise ValidationError({field: str(TIER_TOO_LARGE)})


def _save_entry(entry: PriceBookEntry) -> None:
    clash = PriceBookEntry.objects.filter(
        price_book_id=entry.price_book_id, product_id=entry.product_id, min_quantity=entry.min_quantity
    ).exclude(pk=entry.pk)
    if entry.customer_id is None:
        clash = clash.filter(customer__isnull=True)
    else:
        clash = clash.filter(customer_id=entry.customer_id)
    if clash.exists():
        raise ValidationError(
            {"min_quantity": _("The price book has a price of this product from this quantity already.")}
        )
    entry.save()


@transaction.atomic
def entry_create(
    *,
    actor: Any,
    price_book: PriceBook | int,
    product: Any,
    unit_price: Any,
    min_quantity: Any = None,
    customer: Any = None,
) -> PriceBookEntry:
    """A product's price in the book from ``min_quantity`` on (for ``customer`` only, when given)."""
    book = _lock_book(actor, price_book)
    values = _clean_entry(
        actor, book, {"product": product, "unit_price": unit_price, "min_quantity": min_quantity, "customer": customer}
    )
    entry = PriceBookEntry(price_book=book, **values)
    _check_tier(entry, values)
    _save_entry(entry)
    _audit_prices(actor, book, "quote_price", [(entry.customer, str(entry.product), None, _tier(entry))])
    return entry


def _entry_of(actor: Any, price_book: PriceBook | int, entry: PriceBookEntry | int) -> tuple[PriceBook, PriceBookEntry]:
    book = _lock_book(actor, price_book)
    # another customer's special price is a missing one (selectors.entries_of)
    return book, selectors.entry_get(user=actor, book=book, pk=_pk(entry))


@transaction.atomic
def entry_update(
    *, actor: Any, price_book: PriceBook | int, entry: PriceBookEntry | int, **fields: Any
) -> PriceBookEntry:
    book, found = _entry_of(actor, price_book, entry)
    unknown = set(fields) - {"product", "customer", "min_quantity", "unit_price"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    before, before_customer, before_product = _tier(found), found.customer, str(found.product)
    values = _clean_entry(actor, book, fields)
    for name, value in values.items():
        setattr(found, name, value)
    _check_tier(found, values)
    _save_entry(found)
    changed: list[PriceChange]
    if before_customer == found.customer:
        changed = [(found.customer, str(found.product), before, _tier(found))]
    else:  # the price moved to another customer (or to everyone): gone from one trail, new on the other
        changed = [
            (before_customer, before_product, before, None),
            (found.customer, str(found.product), None, _tier(found)),
        ]
    _audit_prices(actor, book, "quote_price", changed)
    return found


@transaction.atomic
def entry_delete(*, actor: Any, price_book: PriceBook | int, entry: PriceBookEntry | int) -> None:
    book, found = _entry_of(actor, price_book, entry)
    _audit_prices(actor, book, "quote_price", [(found.customer, str(found.product), _tier(found), None)])
    found.delete()


def _tier(entry: PriceBookEntry) -> str:
    """An entry's price as the audit trail shows it: ``≥10 1100.00``."""
    return f"≥{entry.min_quantity.normalize():f} {Decimal(entry.unit_price).quantize(money.CENT)}"


def _price_key(product: Any, min_quantity: Decimal) -> str:
    """How the audit trail names one price of a book in a list of many: the product and the tier."""
    return f"{product} ≥{min_quantity.normalize():f}"


PriceChange = tuple[Any, str, str | None, str | None]  # customer or None, name, before, after


def _audit_prices(actor: Any, book: PriceBook, verb: str, changed: Iterable[PriceChange]) -> None:
    """Record ``(customer or None, name, before, after)`` price changes: the prices for everyone on the
    book's trail; a customer's special price on that customer's trail (named with the book), not on
    the book's — whoever sees the book but not the customer must not read it there (the visibility
    rule of ``selectors.entries_of``)."""
    for_everyone: dict[str, list[Any]] = {}
    special: dict[int, tuple[Any, dict[str, list[Any]]]] = {}
    for customer, name, before, after in changed:
        if customer is None:
            for_everyone[name] = [before, after]
        else:
            special.setdefault(customer.pk, (customer, {}))[1][f"{book.name} · {name}"] = [before, after]
    if for_everyone:
        audit.record(actor=actor, obj=book, kind=AuditEntry.Kind.UPDATE, verb=verb, changes=for_everyone)
    for customer, changes in special.values():
        audit.record(actor=actor, obj=customer, kind=AuditEntry.Kind.UPDATE, verb=verb, changes=changes)


@transaction.atomic
def entries_save_many(
    *,
    actor: Any,
    price_book: PriceBook | int,
    new: Sequence[Mapping[str, Any]],
    prices: Mapping[int, Decimal],
) -> list[PriceBookEntry]:
    """Many prices at once (an import): ``new`` entries as dicts of ``product``, ``customer`` (or
    None), ``min_quantity`` and ``unit_price`` — cleaned and checked by the caller against the book's
    entries (one per product, customer and tier) — and new unit ``prices`` of existing entries (entry
    id → price). The book is locked as for a change by hand; one audit entry names every price
    written, old and new. Returns the new entries."""
    book = _lock_book(actor, price_book)
    created = PriceBookEntry.objects.bulk_create(
        [
            PriceBookEntry(
                price_book=book,
                product=row["product"],
                customer=row.get("customer"),
                min_quantity=row["min_quantity"],
                unit_price=row["unit_price"],
            )
            for row in new
        ],
        batch_size=1000,
    )
    changes: list[PriceChange] = [
        (e.customer, _price_key(e.product, e.min_quantity), None, str(e.unit_price)) for e in created
    ]
    changed = list(
        PriceBookEntry.objects.select_for_update(of=("self",))
        .select_related("product", "customer")
        .filter(price_book=book, pk__in=list(prices))
        .order_by("pk")
    )
    if len(changed) != len(prices):
        raise NotFound()
    for entry in changed:
        price = prices[entry.pk]
        if entry.unit_price != price:
            key = _price_key(entry.product, entry.min_quantity)
            changes.append((entry.customer, key, str(entry.unit_price), str(price)))
            entry.unit_price = price
    PriceBookEntry.objects.bulk_update(changed, ["unit_price"], batch_size=1000)
    _audit_prices(actor, book, "quote_prices_imported", changes)
    return created


# --- quote lines -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanLine:
    product: Any
    description: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    book_price: Decimal
    unit_price: Decimal
    discount_kind: str
    discount_value: Decimal
    tax_rate: Decimal
    delivery_month: date | None
    figures: money.LineFigures


def _month(value: Any, field: str, n: int) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value if len(value) > 7 else f"{value}-01")
        except ValueError:
            raise ValidationError({field: _("Line %(n)s: a month like 2027-03.") % {"n": n}}) from None
    if not isinstance(value, date):
        raise ValidationError({field: _("Line %(n)s: a month like 2027-03.") % {"n": n}})
    return value.replace(day=1)


def _clean_line(
    line: Mapping[str, Any], n: int, products: Mapping[int, Any], current_products: set[int], errors: Errors
) -> dict[str, Any] | None:
    """Line ``n``'s values checked, each refusal kept in ``errors`` (the other fields of the line are
    still checked); None when any was refused."""
    from xietong.catalog.choices import ProductStatus

    prefix = f"lines[{n}]."
    label = _("Line %(n)s") % {"n": n}
    before = len(errors.found)
    product = products.get(_pk(line.get("product")))
    if product is None:
        errors.add(f"{prefix}product", _("Line %(n)s: no such product.") % {"n": n})
    elif product.status != ProductStatus.ACTIVE and product.pk not in current_products:
        errors.add(f"{prefix}product", _("Line %(n)s: “%(product)s” is not on sale.") % {"n": n, "product": product})
    quantity = errors.attempt(clean_quantity, line.get("quantity", ""), f"{prefix}quantity", label)
    raw_price = line.get("unit_price")
    price = None if raw_price in (None, "") else errors.attempt(clean_money, raw_price, f"{prefix}unit_price", label)
    kind = line.get("discount_kind") or DiscountKind.PERCENT
    discount: Decimal | None = Decimal("0.00")
    raw_discount = line.get("discount_value")
    if kind not in DiscountKind.values:
        errors.add(f"{prefix}discount_kind", _("Line %(n)s: percent or amount.") % {"n": n})
    elif raw_discount in (None, ""):
        pass
    elif kind == DiscountKind.PERCENT:
        message = _("Line %(n)s: the discount is a percentage from 0 to 100.") % {"n": n}
        discount = errors.attempt(_decimal, raw_discount, f"{prefix}discount_value", message)
        if discount is not None and (discount < 0 or discount > 100 or discount != discount.quantize(money.CENT)):
            errors.add(
                f"{prefix}discount_value",
                _("Line %(n)s: the discount is a percentage from 0 to 100, two decimal places at most.") % {"n": n},
            )
    else:
        discount = errors.attempt(clean_money, raw_discount, f"{prefix}discount_value", label)
    raw_rate = line.get("tax_rate")
    vat_message = _("Line %(n)s: the VAT rate is 13%%, 9%%, 6%% or 0%%.") % {"n": n}
    rate = None
    if raw_rate not in (None, ""):
        rate = errors.attempt(_decimal, raw_rate, f"{prefix}tax_rate", vat_message)
        if rate is not None and rate not in VAT_RATES:
            errors.add(f"{prefix}tax_rate", vat_message)
    elif product is not None:
        rate = product.tax_rate
        if rate not in VAT_RATES:
            errors.add(f"{prefix}tax_rate", vat_message)
    description = errors.attempt(clean_text, line.get("description"), f"{prefix}description", DESCRIPTION_MAX, label)
    month = errors.attempt(_month, line.get("delivery_month"), f"{prefix}delivery_month", n)
    if len(errors.found) > before:
        return None
    return {
        "product": product,
        "quantity": quantity,
        "price": price,
        "kind": kind,
        "discount": discount,
        "rate": rate.quantize(money.CENT),  # type: ignore[union-attr]
        "description": description,
        "month": month,
    }


def clean_lines(
    actor: Any,
    *,
    book: PriceBook | None,
    customer_id: int | None,
    lines: Sequence[Mapping[str, Any]],
    current_products: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[CleanLine]:
    """Validate and price ``lines`` (dicts: product, quantity, unit_price — default: the price book's
    price —, discount_kind, discount_value, tax_rate — default: the product's —, description,
    delivery_month). Errors name the line: ``lines[2].discount_value``; one answer names every bad
    field of every line."""
    from xietong.catalog.models import Product

    check_line_count(lines)
    wanted = {_pk(line.get("product")) for line in lines} - {None, ""}
    products = {p.pk: p for p in Product.objects.visible_to(actor).filter(pk__in=wanted)}
    parsed: list[tuple[int, dict[str, Any]]] = []  # (line number, values) of the lines that read
    errors = Errors()  # every bad field of every line in one answer, not only the first
    for n, line in enumerate(lines, start=1):
        row = _clean_line(line, n, products, current_products, errors)
        if row is not None:
            parsed.append((n, row))
    # the book's price of every line (one query): the price of a line left blank, and what a typed
    # price is measured against (a price below the book's is a discount an approval flow sees)
    book_prices = pricing.prices(book, [(p["product"], p["quantity"]) for _n, p in parsed], customer_id=customer_id)
    out = []
    subtotal = total = Decimal("0")
    for (n, p), book_price in zip(parsed, book_prices, strict=True):
        unit_price = p["price"] if p["price"] is not None else book_price
        try:
            figures = money.line(
                quantity=p["quantity"],
                unit_price=unit_price,
                discount_kind=p["kind"],
                discount_value=p["discount"],
                tax_rate=p["rate"],
                book_price=book_price,
            )
        except money.DiscountTooLarge as exc:
            errors.add(
                f"lines[{n}].discount_value",
                _("Line %(n)s: the discount %(discount)s is more than the line's amount %(gross)s.")
                % {"n": n, "discount": exc.discount, "gross": exc.gross},
            )
            continue
        # every figure stored must fit its column: the gross is the largest but for the VAT on it
        if figures.gross >= MONEY_LIMIT or figures.amount >= MONEY_LIMIT:
            errors.add(f"lines[{n}].quantity", _("Line %(n)s: the amount is too large.") % {"n": n})
            continue
        subtotal += figures.gross
        total += figures.amount
        if subtotal >= MONEY_LIMIT or total >= MONEY_LIMIT:
            errors.add(f"lines[{n}].quantity", _("Line %(n)s: the quote's total would be too large.") % {"n": n})
            break  # the lines after it cannot fit either
        out.append(
            CleanLine(
                product=p["product"],
                description=p["description"],
                unit=p["product"].unit,
                quantity=p["quantity"],
                list_price=p["product"].list_price,
                book_price=book_price,
                unit_price=unit_price,
                discount_kind=p["kind"],
                discount_value=p["discount"],
                tax_rate=p["rate"],
                delivery_month=p["month"],
                figures=figures,
            )
        )
    errors.raise_if_any()
    return out


def _write_lines(quote: Quote, clean: Sequence[CleanLine]) -> None:
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                position=n,
                product=c.product,
                description=c.description,
                unit=c.unit,
                quantity=c.quantity,
                list_price=c.list_price,
                book_price=c.book_price,
                unit_price=c.unit_price,
                discount_kind=c.discount_kind,
                discount_value=c.discount_value,
                tax_rate=c.tax_rate,
                delivery_month=c.delivery_month,
                gross_amount=c.figures.gross,
                discount_amount=c.figures.discount,
                discount_percent=c.figures.discount_percent,
                net_amount=c.figures.net,
                tax_amount=c.figures.tax,
                amount=c.figures.amount,
            )
            for n, c in enumerate(clean, start=1)
        ]
    )
    _set_totals(quote, money.totals(c.figures for c in clean))


def _set_totals(quote: Quote, totals: money.Totals) -> None:
    quote.subtotal = totals.subtotal
    quote.discount_total = totals.discount
    quote.net_total = totals.net
    quote.tax_total = totals.tax
    quote.total = totals.total
    quote.max_discount = min(totals.max_discount, Decimal("100.00"))


def totals_of(quote: Quote) -> money.Totals:
    """The quote's stored totals (what ``_set_totals`` wrote)."""
    return money.Totals(
        subtotal=quote.subtotal,
        discount=quote.discount_total,
        net=quote.net_total,
        tax=quote.tax_total,
        total=quote.total,
        max_discount=quote.max_discount,
    )


def figures_of(line: QuoteLine) -> money.LineFigures:
    """A stored line's figures computed again from its inputs (the rule applied once more)."""
    return money.line(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_kind=line.discount_kind,
        discount_value=line.discount_value,
        tax_rate=line.tax_rate,
        book_price=line.book_price,
    )


@transaction.atomic
def quote_recalculate(*, actor: Any, quote: Quote | int) -> Quote:
    """Compute every line's figures and the totals again from the stored inputs (a draft only). Only
    the lines whose figures differ are written (one statement for all of them), and the totals only
    when they differ: a quote whose figures agree with the rule is read, not written."""
    q = _lock(actor, quote)
    _require_draft(q)
    rows = (
        QuoteLine.objects.filter(quote_id=q.pk)
        .order_by("position", "pk")
        .values_list(
            "id", "quantity", "unit_price", "discount_kind", "discount_value", "tax_rate", "book_price", *LINE_FIGURES
        )
    )
    figures = []
    changed: list[tuple[Any, ...]] = []
    for pk, quantity, unit_price, kind, value, rate, book_price, *stored in rows:
        f = money.line(
            quantity=quantity,
            unit_price=unit_price,
            discount_kind=kind,
            discount_value=value,
            tax_rate=rate,
            book_price=book_price,
        )
        figures.append(f)
        values = (f.gross, f.discount, f.discount_percent, f.net, f.tax, f.amount)
        if values != tuple(stored):
            changed.append((*(str(v) for v in values), pk))
    if changed:
        table = QuoteLine._meta.db_table
        columns = ", ".join(f"{name} = %s" for name in LINE_FIGURES)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", changed)  # noqa: S608
    before = [getattr(q, name) for name in TOTAL_FIELDS]
    _set_totals(q, money.totals(figures))
    if changed or [getattr(q, name) for name in TOTAL_FIELDS] != before:
        q.save(update_fields=[*TOTAL_FIELDS, "updated_at"])
    return q


# --- quotes ----------------------------------------------------------------------------------------------


def _lock(actor: Any, quote: Quote | int, action: str = "edit") -> Quote:
    pk = _pk(quote)
    found = (
        Quote.objects.visible_to(actor, action)
        .select_related("opportunity", "customer", "price_book")
        .select_for_update(of=("self",))
        .filter(pk=pk)
        .first()
    )
    if found is not None:
        return found
    if not Quote.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    raise PermissionDenied(_("You may not change this quote."))


def lock_reason(quote: Quote) -> str:
    """Why the quote cannot be changed now ("" when it can)."""
    if quote.status == QuoteStatus.IN_APPROVAL:
        return _("The quote is in approval and locked until the approvers decide (or you recall it).")
    if quote.status == QuoteStatus.SUPERSEDED:
        return _("This version was superseded by a newer one.")
    if quote.status != QuoteStatus.DRAFT:
        return _("The quote is %(status)s: make a new version to change it.") % {
            "status": QuoteStatus(quote.status).label.lower()
        }
    return ""


def is_locked(quote: Quote) -> bool:
    return quote.status in LOCKED_STATUSES


def _require_draft(quote: Quote) -> None:
    reason = lock_reason(quote)
    if reason:
        raise Conflict(reason, field="status")


def _pick_book(
    book: Any, *, business_unit_id: int, on: date, currency: str | None = None, field: str = "price_book"
) -> PriceBook | None:
    if book in (None, ""):
        return None
    found = PriceBook.objects.filter(pk=_pk(book)).first()
    if found is None or not pricing.is_usable(found, business_unit_id=business_unit_id, on=on, currency=currency):
        raise ValidationError({field: _("Choose an active price book of the business unit valid today.")})
    return found


def default_book(business_unit_id: int, on: date) -> PriceBook | None:
    return pricing.usable_books(
        business_unit_id=business_unit_id, channel=Channel.DIRECT, currency="CNY", on=on
    ).first()


def _clean_contact(customer_id: int, contact: Any) -> Any:
    from xietong.customers.models import Contact

    if contact in (None, ""):
        return None
    found = Contact.objects.filter(pk=_pk(contact), customer_id=customer_id, merged_into__isnull=True).first()
    if found is None:
        raise ValidationError({"contact": _("No such contact of the customer.")})
    return found


def _clean_quote_fields(quote: Quote, values: Mapping[str, Any], on: date) -> dict[str, Any]:
    unknown = set(values) - set(QUOTE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be set here.")})
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "title":
            text = _clean_title(value)
            if not text:
                raise ValidationError({"title": _("Give the quote a title.")})
            out[name] = text
        elif name == "contact":
            out[name] = _clean_contact(quote.customer_id, value)
        elif name == "price_book":
            if value not in (None, "") and str(_pk(value)) == str(quote.price_book_id):
                out[name] = quote.price_book  # kept as it is, even if it has expired since
            else:
                out[name] = _pick_book(value, business_unit_id=quote.business_unit_id, on=on)
        elif name == "valid_until":
            day = _clean_date(value, "valid_until")
            if day is not None and day < timezone.localdate() and quote.status == QuoteStatus.DRAFT:
                raise ValidationError({"valid_until": _("The validity cannot end in the past.")})
            out[name] = day
        else:
            out[name] = (value or "").strip()
    return out


def next_number(on: date) -> str:
    """The next quote number of the month: BJ{yyyymm}-{seq:04d}."""
    return numbering.next_number(Quote.objects.all(), prefix=f"BJ{on:%Y%m}-", width=4)


def _opportunity_lines(opportunity: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The opportunity's product lines as a quote's, and the names of those left out: a product no
    longer on sale stays on the deal but cannot be quoted (it made the quote impossible)."""
    from xietong.catalog.choices import ProductStatus

    lines, skipped = [], []
    for line in opportunity.lines.select_related("product").order_by("position", "pk"):
        if line.product.status != ProductStatus.ACTIVE:
            skipped.append(str(line.product))
            continue
        lines.append({"product": line.product_id, "quantity": line.quantity, "delivery_month": line.delivery_month})
    return lines, skipped


@transaction.atomic
def quote_create(
    *,
    actor: Any,
    opportunity: Any,
    title: str = "",
    price_book: Any = UNSET,
    lines: Sequence[Mapping[str, Any]] | None = None,
    contact: Any = None,
    valid_until: Any = None,
    terms: str = "",
    notes: str = "",
) -> Quote:
    """A draft quote (v1, a new number) of an opportunity the actor sees. ``lines`` None: the
    opportunity's product lines at the price book's prices, except those of products no longer on
    sale (named in the returned quote's ``skipped_products``); ``[]``: no lines. The price book by
    default: the first usable one of the BU (direct sales, CNY), else list prices."""
    from xietong.pipeline.models import Opportunity

    require(actor, MODULE, "create")
    opp = (
        Opportunity.objects.visible_to(actor).select_related("customer").filter(pk=_pk(opportunity)).first()
        if opportunity not in (None, "")
        else None
    )
    if opp is None:
        raise ValidationError({"opportunity": _("No such opportunity.")})
    today = timezone.localdate()
    book = (
        default_book(opp.business_unit_id, today)
        if price_book is UNSET
        else _pick_book(price_book, business_unit_id=opp.business_unit_id, on=today)
    )
    q = Quote(
        opportunity=opp,
        customer_id=opp.customer_id,
        business_unit_id=opp.business_unit_id,
        owner=actor,
        price_book=book,
        currency=book.currency if book else "CNY",
        exchange_rate=book.exchange_rate if book else Decimal("1"),
        created_by=actor,
        title=_clean_title(title) or (_("Quote for %(opportunity)s") % {"opportunity": opp.name})[:TITLE_MAX],
    )
    q.customer = opp.customer
    values = _clean_quote_fields(
        q, {"contact": contact, "valid_until": valid_until, "terms": terms, "notes": notes}, today
    )
    for name, value in values.items():
        setattr(q, name, value)
    skipped: list[str] = []
    if lines is None:
        lines, skipped = _opportunity_lines(opp)
    clean = clean_lines(actor, book=book, customer_id=opp.customer_id, lines=lines)
    for _attempt in range(5):
        q.number = next_number(today)
        try:
            with transaction.atomic():
                q.save()
            break
        except IntegrityError:  # another quote took the number at the same moment
            q.pk = None
    else:
        raise Conflict(_("Could not give the quote a number: try again."))
    _write_lines(q, clean)
    q.save(update_fields=list(TOTAL_FIELDS))
    audit.record_create(actor=actor, obj=q)
    ensure_still_visible(q, actor)
    events.publish("quotes.quote_created", key=f"quote:{q.pk}:created", quote_id=q.pk, actor_id=actor.pk)
    q.skipped_products = skipped  # type: ignore[attr-defined]
    return q


def quote_preview(
    *, actor: Any, quote: Quote, lines: Sequence[Mapping[str, Any]], price_book: PriceBook | None
) -> money.Totals:
    """What ``lines`` (as ``quote_update`` takes them) would come to on ``quote`` (one the actor may
    edit) with ``price_book``: the editor shows it while the user types. Writes nothing; the errors
    are ``quote_update``'s."""
    require(actor, MODULE, "edit")
    current = set(quote.lines.values_list("product_id", flat=True))
    clean = clean_lines(actor, book=price_book, customer_id=quote.customer_id, lines=lines, current_products=current)
    return money.totals(line.figures for line in clean)


@transaction.atomic
def quote_update(
    *, actor: Any, quote: Quote | int, lines: Sequence[Mapping[str, Any]] | None = None, **fields: Any
) -> Quote:
    """Change a draft's fields (``QUOTE_FIELDS``) and, when ``lines`` is given, replace its lines (the
    totals follow). In approval: 409, locked; approved and later: 409, make a new version."""
    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    _require_draft(q)
    today = timezone.localdate()
    values = _clean_quote_fields(q, fields, today)
    before = audit.snapshot(q)
    before_lines = list(q.lines.values_list("product_id", "quantity", "unit_price", "discount_value", "tax_rate"))
    for name, value in values.items():
        setattr(q, name, value)
    if "price_book" in values:
        currency = q.price_book.currency if q.price_book else "CNY"
        if currency != q.currency and (lines if lines is not None else q.lines.exists()):
            raise ValidationError(
                {
                    "price_book": _(
                        "The lines are priced in %(old)s: remove them, or start a new quote, to price in %(new)s."
                    )
                    % {"old": q.currency, "new": currency}
                }
            )
        q.currency = currency
        q.exchange_rate = q.price_book.exchange_rate if q.price_book else Decimal("1")
    if lines is not None:
        current = set(q.lines.values_list("product_id", flat=True))
        clean = clean_lines(actor, book=q.price_book, customer_id=q.customer_id, lines=lines, current_products=current)
        _write_lines(q, clean)
    q.save()
    entry = audit.record_update(actor=actor, obj=q, before=before)
    if lines is not None and entry is None:
        after_lines = list(q.lines.values_list("product_id", "quantity", "unit_price", "discount_value", "tax_rate"))
        if after_lines != before_lines:
            audit.record(
                actor=actor,
                obj=q,
                kind=AuditEntry.Kind.UPDATE,
                verb="quote_lines",
                changes={"lines": [len(before_lines), len(after_lines)]},
            )
    ensure_still_visible(q, actor)
    return q


@transaction.atomic
def quote_new_version(*, actor: Any, quote: Quote | int) -> Quote:
    """Copy the latest version to v+1 (same number, a draft) and supersede it. Not while it is in
    approval, nor after it was accepted."""
    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    versions = list(Quote.objects.select_for_update().filter(number=q.number).order_by("pk"))
    latest = max(v.version for v in versions)
    if q.version != latest:
        raise Conflict(_("Only the latest version (v%(v)s) gets a new version.") % {"v": latest})
    if q.status == QuoteStatus.IN_APPROVAL:
        raise Conflict(lock_reason(q), field="status")
    if q.status == QuoteStatus.ACCEPTED:
        raise Conflict(_("The customer accepted this version: it gets no new version."), field="status")
    copy = Quote.objects.get(pk=q.pk)
    copy.pk = None
    copy.version = latest + 1
    copy.status = QuoteStatus.DRAFT
    copy.sent_at = copy.decided_at = None
    copy.decision_note = ""
    copy.created_by = actor
    copy.owner = q.owner
    copy.save()
    copied = []
    for line in q.lines.all():
        values = {f.attname: getattr(line, f.attname) for f in QuoteLine._meta.concrete_fields if not f.primary_key}
        values["quote_id"] = copy.pk
        copied.append(QuoteLine(**values))
    QuoteLine.objects.bulk_create(copied)
    if q.status != QuoteStatus.SUPERSEDED:
        before = audit.snapshot(q)
        q.status = QuoteStatus.SUPERSEDED
        q.save(update_fields=["status", "updated_at"])
        audit.record_update(actor=actor, obj=q, before=before, verb="quote_superseded")
    audit.record_create(actor=actor, obj=copy, verb="quote_new_version")
    ensure_still_visible(copy, actor)
    return copy


def _transition(actor: Any, q: Quote, status: str, verb: str, **values: Any) -> Quote:
    before = audit.snapshot(q)
    q.status = status
    for name, value in values.items():
        setattr(q, name, value)
    q.save()
    audit.record_update(actor=actor, obj=q, before=before, verb=verb)
    return q


@transaction.atomic
def quote_submit(*, actor: Any, quote: Quote | int) -> Quote:
    """Submit a draft for approval: the engine picks the flow by its conditions (total, largest
    discount, BU, product line, customer level). No flow applies: approved at once."""
    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    _require_draft(q)
    if not q.lines.exists():
        raise ValidationError({"lines": _("Add at least one line before submitting the quote.")})
    if q.valid_until is not None and q.valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The validity has ended: set a new date first.")})
    audit.record(actor=actor, obj=q, kind=AuditEntry.Kind.UPDATE, verb="quote_submitted")
    approval_submit(document=q, actor=actor)
    q.refresh_from_db()
    return q


# the approval engine's callbacks (inside its transaction, the quote row locked)


def _set_status(q: Quote, status: str, verb: str) -> None:
    before = audit.snapshot(q, ["status"])
    q.status = status
    Quote.objects.filter(pk=q.pk).update(status=status, updated_at=timezone.now())
    changes = audit.diff(before, audit.snapshot(q, ["status"]))  # labels, as every change is recorded
    audit.record(actor=None, obj=q, kind=AuditEntry.Kind.UPDATE, verb=verb, changes=changes)


def on_submitted(q: Quote, request: Any) -> None:
    _set_status(q, QuoteStatus.IN_APPROVAL, "quote_in_approval")


def on_approved(q: Quote, request: Any) -> None:
    _set_status(q, QuoteStatus.APPROVED, "quote_approved")


def on_returned(q: Quote, request: Any) -> None:
    _set_status(q, QuoteStatus.DRAFT, "quote_returned")


@transaction.atomic
def quote_send(*, actor: Any, quote: Quote | int) -> Quote:
    """Mark an approved quote as sent to the customer (again: the time is updated)."""
    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    if q.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
        raise Conflict(_("Only an approved quote is sent to the customer."), field="status")
    return _transition(actor, q, QuoteStatus.SENT, "quote_sent", sent_at=timezone.now())


def _decided_at(on: Any) -> datetime:
    day = _clean_date(on, "decided_on")
    if day is None:
        return timezone.now()
    if day > timezone.localdate():
        raise ValidationError({"decided_on": _("The customer's answer cannot be in the future.")})
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))


@transaction.atomic
def quote_accept(*, actor: Any, quote: Quote | int, decided_on: Any = None, note: str = "") -> Quote:
    """The customer accepted: the quote's lines become the opportunity's product lines (through the
        pipeline's ``lines_set``; prices in CNY at the quote's rate) and the other open versions of the
        number are superseded, and so is a quote of the opportunity accepted earlier (its lines were the
    opportunity's) — unless a contract was made from it: then 409."""
    from xietong.pipeline import services as pipeline_services

    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    if q.status not in (QuoteStatus.SENT, QuoteStatus.APPROVED):
        raise Conflict(_("Only an approved or sent quote can be accepted."), field="status")
    when = _decided_at(decided_on)
    note = clean_text(note, "note", NOTE_MAX)
    earlier = list(
        Quote.objects.select_for_update()
        .filter(opportunity_id=q.opportunity_id, status=QuoteStatus.ACCEPTED)
        .exclude(pk=q.pk)
        .order_by("pk")
    )
    contracted = _with_contract(earlier)
    if contracted is not None:
        raise Conflict(
            _("Quote %(number)s of this opportunity is accepted and under contract: this one cannot replace it.")
            % {"number": contracted.number},
            field="status",
        )
    others = list(
        Quote.objects.select_for_update()
        .filter(number=q.number)
        .exclude(pk=q.pk)
        .filter(status__in=[QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.IN_APPROVAL])
        .order_by("pk")
    )
    if any(o.status == QuoteStatus.IN_APPROVAL for o in others):
        raise Conflict(_("Another version of this quote is in approval: recall it first."), field="status")
    _transition(actor, q, QuoteStatus.ACCEPTED, "quote_accepted", decided_at=when, decision_note=note)
    for other in [*earlier, *others]:  # one accepted quote per opportunity: its lines are the opportunity's
        _transition(actor, other, QuoteStatus.SUPERSEDED, "quote_superseded")
    pipeline_services.lines_set(
        actor=actor,
        opportunity=q.opportunity_id,
        lines=[
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price
                if q.currency == "CNY"
                else money.to_cny(line.unit_price, q.exchange_rate),
                "discount": line.discount_percent,
                # the net exact: the percentage to two places does not always give it back
                "amount": line.net_amount if q.currency == "CNY" else money.to_cny(line.net_amount, q.exchange_rate),
                "delivery_month": line.delivery_month,
            }
            for line in q.lines.order_by("position", "pk")
        ],
    )
    events.publish("quotes.quote_accepted", key=f"quote:{q.pk}:accepted", quote_id=q.pk, actor_id=actor.pk)
    return q


def _with_contract(quotes: Sequence[Quote]) -> Quote | None:
    """The first of ``quotes`` a contract was made from, if any (the contracts app says which, through
    ``registrations.contracted_of``: quotes import no contracts, ADR 0013)."""
    from .registrations import contracted_of  # registrations imports this module

    ids = contracted_of([quote.pk for quote in quotes])
    return next((quote for quote in quotes if quote.pk in ids), None)


@transaction.atomic
def quote_reject(*, actor: Any, quote: Quote | int, note: str, decided_on: Any = None) -> Quote:
    """The customer rejected the quote: with a note saying why."""
    require(actor, MODULE, "edit")
    q = _lock(actor, quote)
    if q.status not in (QuoteStatus.SENT, QuoteStatus.APPROVED):
        raise Conflict(_("Only an approved or sent quote can be rejected."), field="status")
    text = clean_text(note, "note", NOTE_MAX)
    if not text:
        raise ValidationError({"note": _("Say why the customer rejected the quote.")})
    return _transition(
        actor, q, QuoteStatus.REJECTED, "quote_rejected", decided_at=_decided_at(decided_on), decision_note=text
    )


def quote_has_gate(opportunity: Any) -> bool:
    """The stage gate "a quote": an approved, sent or accepted quote of the opportunity."""
    if not getattr(opportunity, "pk", None):
        return False
    return Quote.objects.filter(
        opportunity_id=opportunity.pk,
        status__in=[QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.ACCEPTED],
    ).exists()
