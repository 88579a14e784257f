"""Price resolution: what a product costs on a quote.

A price book is *usable* for a quote when it is active, valid on the quote's date (``valid_from`` ≤
date ≤ ``valid_until``), belongs to the quote's business unit or to the whole group, and has the
quote's channel and currency. The price of a product in a book for a customer and a quantity is the
entry with the highest ``min_quantity`` ≤ quantity, a customer-specific entry winning over the
general one (a customer's entries are searched first, whatever their tier); without any matching
entry it is the product's list price.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet

from .models import PriceBook, PriceBookEntry


def usable_books(*, business_unit_id: int | None, channel: str, currency: str, on: date) -> QuerySet[PriceBook]:
    """The price books a quote of that BU, channel and currency may use on ``on`` (BU's first)."""
    return (
        PriceBook.objects.filter(is_active=True, channel=channel, currency=currency, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .filter(Q(business_unit_id=business_unit_id) | Q(business_unit__isnull=True))
        # the BU's own books before the group's (NULL) on every backend: SQLite sorts NULL first
        .order_by(F("business_unit_id").asc(nulls_last=True), "-valid_from", "pk")
    )


def is_usable(book: PriceBook, *, business_unit_id: int | None, on: date, currency: str | None = None) -> bool:
    if not book.is_active or book.valid_from > on or (book.valid_until is not None and book.valid_until < on):
        return False
    if currency is not None and book.currency != currency:
        return False
    return book.business_unit_id is None or book.business_unit_id == business_unit_id


def best_entry(
    entries: Iterable[PriceBookEntry], *, customer_id: int | None, quantity: Decimal
) -> PriceBookEntry | None:
    """Among a product's entries of one book: the customer's best tier, else the general best tier."""
    best_customer: PriceBookEntry | None = None
    best_general: PriceBookEntry | None = None
    for entry in entries:
        if entry.min_quantity > quantity:
            continue
        if entry.customer_id is not None:
            if entry.customer_id != customer_id:
                continue
            if best_customer is None or entry.min_quantity > best_customer.min_quantity:
                best_customer = entry
        elif best_general is None or entry.min_quantity > best_general.min_quantity:
            best_general = entry
    return best_customer or best_general


def prices(book: PriceBook | None, wanted: list[tuple[Any, Decimal]], *, customer_id: int | None) -> list[Decimal]:
    """The unit prices in ``book`` of ``wanted`` (product, quantity) pairs, in order (one query)."""
    if book is None or not wanted:
        return [product.list_price for product, _qty in wanted]
    by_product: dict[int, list[PriceBookEntry]] = {}
    entries = PriceBookEntry.objects.filter(price_book=book, product_id__in={p.pk for p, _q in wanted}).filter(
        Q(customer__isnull=True) | Q(customer_id=customer_id)
    )
    for entry in entries:
        by_product.setdefault(entry.product_id, []).append(entry)
    out = []
    for product, quantity in wanted:
        found = best_entry(by_product.get(product.pk, []), customer_id=customer_id, quantity=quantity)
        out.append(found.unit_price if found is not None else product.list_price)
    return out


def price_of(book: PriceBook | None, product: Any, *, customer_id: int | None, quantity: Decimal) -> Decimal:
    """The unit price of one product (see the module docstring)."""
    return prices(book, [(product, quantity)], customer_id=customer_id)[0]


def usable_books_any_channel(*, business_unit_id: int | None, on: date) -> QuerySet[PriceBook]:
    """The price books a quote of that BU may choose on ``on`` (every channel and currency)."""
    return (
        PriceBook.objects.filter(is_active=True, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .filter(Q(business_unit_id=business_unit_id) | Q(business_unit__isnull=True))
        .order_by(F("business_unit_id").asc(nulls_last=True), "channel", "currency", "name", "pk")
    )
