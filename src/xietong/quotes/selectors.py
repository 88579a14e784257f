"""Reads of price books and quotes, visibility applied: every list, page, export and endpoint starts
from ``visible_to(user)`` here, with the related rows it shows already joined."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from xietong.core.errors import NotFound
from xietong.core.params import as_int

from .choices import QuoteStatus
from .models import PriceBook, PriceBookEntry, Quote, QuoteLine

STATUSES = ("open", "all", *QuoteStatus.values)
OPEN_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.IN_APPROVAL, QuoteStatus.APPROVED, QuoteStatus.SENT)


def _int(value: Any) -> int | None:
    """None when not given; 0 (nothing matches) when not an id."""
    return None if value in (None, "") else as_int(value, 0)


def quote_list(
    *,
    user: Any,
    status: str = "all",
    owner: Any = None,
    customer: Any = None,
    opportunity: Any = None,
    q: str = "",
) -> QuerySet[Quote]:
    """The quotes ``user`` sees, newest first, with customer, owner and opportunity joined."""
    rows = Quote.objects.visible_to(user).select_related("customer", "owner", "opportunity", "business_unit")
    if status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status in QuoteStatus.values:
        rows = rows.filter(status=status)
    for name, value in (("owner_id", owner), ("customer_id", customer), ("opportunity_id", opportunity)):
        number = _int(getattr(value, "pk", value))
        if number is not None:
            rows = rows.filter(**{name: number})
    text = (q or "").strip()
    if text:
        rows = rows.filter(Q(number__icontains=text) | Q(title__icontains=text) | Q(customer__name__icontains=text))
    return rows.order_by("-id")


def lines_of(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product").order_by("position", "pk"))


def quote_get(*, user: Any, pk: int) -> Quote:
    found = (
        Quote.objects.visible_to(user)
        .select_related("customer", "contact", "owner", "opportunity", "business_unit", "price_book")
        .prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("position", "pk"))
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def can_edit(user: Any, quote: Quote) -> bool:
    return (
        bool(user.access.can("quotes", "edit")) and Quote.objects.visible_to(user, "edit").filter(pk=quote.pk).exists()
    )


def versions_of(*, user: Any, quote: Quote) -> list[Quote]:
    """The versions of the quote's number that ``user`` sees, newest first."""
    return list(Quote.objects.visible_to(user).filter(number=quote.number).order_by("-version"))


@dataclass
class LineChange:
    product: Any
    before: QuoteLine | None
    after: QuoteLine | None
    fields: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    old: Quote
    new: Quote
    added: list[QuoteLine]
    removed: list[QuoteLine]
    changed: list[LineChange]
    unchanged: int
    totals: list[tuple[str, Decimal, Decimal]]


COMPARED_FIELDS = ("quantity", "unit_price", "discount_kind", "discount_value", "tax_rate", "amount")


def compare(old: Quote, new: Quote) -> Comparison:
    """Lines matched by product (in order for repeated products): added, removed, changed; totals."""
    before = lines_of(old)
    after = lines_of(new)
    pool: dict[int, list[QuoteLine]] = {}
    for line in before:
        pool.setdefault(line.product_id, []).append(line)
    added: list[QuoteLine] = []
    changed: list[LineChange] = []
    unchanged = 0
    for line in after:
        candidates = pool.get(line.product_id)
        if not candidates:
            added.append(line)
            continue
        match = candidates.pop(0)
        differs = [f for f in COMPARED_FIELDS if getattr(match, f) != getattr(line, f)]
        if differs:
            changed.append(LineChange(line.product, match, line, differs))
        else:
            unchanged += 1
    removed = [line for rest in pool.values() for line in rest]
    totals = [
        (name, getattr(old, name), getattr(new, name))
        for name in ("subtotal", "discount_total", "net_total", "tax_total", "total", "max_discount")
    ]
    return Comparison(old, new, added, removed, changed, unchanged, totals)


# --- price books ---------------------------------------------------------------------------------------


def price_book_list(*, user: Any, active: str = "", business_unit: Any = None) -> QuerySet[PriceBook]:
    rows = PriceBook.objects.visible_to(user).select_related("business_unit")
    if active == "yes":
        rows = rows.filter(is_active=True)
    elif active == "no":
        rows = rows.filter(is_active=False)
    bu = _int(getattr(business_unit, "pk", business_unit))
    if bu is not None:
        rows = rows.filter(business_unit_id=bu)
    return rows.order_by("business_unit_id", "name", "pk")


def price_book_get(*, user: Any, pk: int) -> PriceBook:
    found = PriceBook.objects.visible_to(user).select_related("business_unit").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def entries_of(*, user: Any, book: PriceBook) -> QuerySet[PriceBookEntry]:
    """The prices of ``book`` (one ``user`` sees) that ``user`` may read, product and customer joined:
    every general price, and a customer's special price only when ``user`` sees that customer
    (``Customer.objects.visible_to``). Another customer's negotiated prices are not shown, counted or
    named anywhere — the page, the API, an entry by id (404, like a missing one), a change or removal."""
    from xietong.customers.models import Customer

    seen = Customer.objects.visible_to(user).values("pk")
    return (
        book.entries.filter(Q(customer__isnull=True) | Q(customer__in=seen))
        .select_related("product", "customer")
        .order_by("product__code", "customer_id", "min_quantity")
    )


def entry_get(*, user: Any, book: PriceBook, pk: int) -> PriceBookEntry:
    """One price of ``book`` that ``user`` may read (``entries_of``), else 404."""
    found = entries_of(user=user, book=book).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def price_books_for_change(*, user: Any) -> QuerySet[PriceBook]:
    """The price books ``user`` may change (their prices by hand or by an import)."""
    return (
        PriceBook.objects.visible_to(user, "administer")
        .select_related("business_unit")
        .order_by("business_unit_id", "name", "pk")
    )


def may_administer_book(user: Any, book: PriceBook) -> bool:
    return PriceBook.objects.visible_to(user, "administer").filter(pk=book.pk).exists()
