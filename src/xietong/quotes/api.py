"""REST endpoints of price books and quotes:

- ``/api/v1/price-books`` (list, create), a book by id (read, change, delete) and its ``/entries``
  (list, add, change, delete) — changes need "administer" quotes in the book's BU (the group for a
  group-wide book);
- ``/api/v1/quotes`` (list with filters and cursor pages, create with ``Idempotency-Key``), a quote by
  id (read; change a draft: fields and, when given, all its ``lines``), its ``/pdf``, ``/submit``,
  ``/send``, ``/accept``, ``/reject``, ``/versions`` (list; POST: a new version) and
  ``/compare?with=<id>``.

Thin: parse → selector or service → schema. 404 for a record the caller does not see, 409 for a
quote locked in approval or frozen by its status (the message says why), 422 naming the field
(``lines.1.discount_value``: the JSON path, rows counted from 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref, openapi_file, ref
from xietong.core.idempotency import idempotent

from . import selectors, services
from .models import PriceBook, PriceBookEntry, Quote

router = Router(tags=["quotes"])


# --- schemas -------------------------------------------------------------------------------------------


class PriceBookOut(Schema):
    id: int
    name: str
    business_unit: Ref | None = Field(description="null: a price book of the whole group.")
    channel: str = Field(description="direct or dealer.")
    currency: str
    exchange_rate: Decimal = Field(description="1 unit of the currency in CNY.")
    valid_from: date
    valid_until: date | None
    is_active: bool
    description: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_business_unit(obj: PriceBook) -> Any:
        if isinstance(obj, dict):
            return obj["business_unit"]
        return ref(obj.business_unit)


class PriceBookIn(Schema):
    name: str
    business_unit_id: int | None = Field(None, description="null: the whole group (needs group-wide administration).")
    channel: str = "direct"
    currency: str = "CNY"
    exchange_rate: Decimal = Decimal("1")
    valid_from: date
    valid_until: date | None = None
    is_active: bool = True
    description: str = ""


class PriceBookPatch(Schema):
    name: str | None = None
    business_unit_id: int | None = None
    channel: str | None = None
    currency: str | None = None
    exchange_rate: Decimal | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    is_active: bool | None = None
    description: str | None = None


class ProductRef(Schema):
    id: int
    code: str
    name: str


def _product(obj: Any) -> dict[str, Any]:
    return {"id": obj.product_id, "code": obj.product.code, "name": obj.product.name}


class EntryOut(Schema):
    id: int
    product: ProductRef
    customer: Ref | None = Field(description="null: the price for every customer.")
    min_quantity: Decimal = Field(description="The price applies from this quantity on (volume tier).")
    unit_price: Decimal

    @staticmethod
    def resolve_product(obj: PriceBookEntry) -> Any:
        if isinstance(obj, dict):
            return obj["product"]
        return _product(obj)

    @staticmethod
    def resolve_customer(obj: PriceBookEntry) -> Any:
        if isinstance(obj, dict):
            return obj["customer"]
        return ref(obj.customer)


class EntryIn(Schema):
    product_id: int
    unit_price: Decimal
    min_quantity: Decimal = Decimal("1")
    customer_id: int | None = None


class EntryPatch(Schema):
    product_id: int | None = None
    unit_price: Decimal | None = None
    min_quantity: Decimal | None = None
    customer_id: int | None = None


class QuoteLineOut(Schema):
    id: int
    position: int
    product: ProductRef
    description: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    book_price: Decimal = Field(
        description="The price book's price for the product at this quantity when the line was priced; "
        "a unit price below it counts as a discount (max_discount)."
    )
    unit_price: Decimal
    discount_kind: str = Field(description="percent or amount.")
    discount_value: Decimal
    tax_rate: Decimal = Field(description="VAT in percent: 13, 9, 6 or 0.")
    delivery_month: date | None
    gross_amount: Decimal = Field(description="round(quantity × unit price).")
    discount_amount: Decimal
    discount_percent: Decimal
    net_amount: Decimal = Field(description="gross − discount.")
    tax_amount: Decimal = Field(description="round(net × VAT rate).")
    amount: Decimal = Field(description="net + VAT.")

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        if isinstance(obj, dict):
            return obj["product"]
        return _product(obj)


class QuoteListOut(Schema):
    id: int
    number: str
    version: int
    title: str
    status: str
    opportunity: Ref
    customer: Ref
    owner: Ref
    business_unit: Ref
    price_book_id: int | None
    currency: str
    exchange_rate: Decimal
    valid_until: date | None
    subtotal: Decimal
    discount_total: Decimal
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    max_discount: Decimal = Field(
        description="The largest line discount in percent, a unit price below the book's price included "
        "(what approval flows test)."
    )
    sent_at: datetime | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_opportunity(obj: Quote) -> Any:
        if isinstance(obj, dict):
            return obj["opportunity"]
        return {"id": obj.opportunity_id, "name": obj.opportunity.name}

    @staticmethod
    def resolve_customer(obj: Quote) -> Any:
        if isinstance(obj, dict):
            return obj["customer"]
        return {"id": obj.customer_id, "name": obj.customer.name}

    @staticmethod
    def resolve_owner(obj: Quote) -> Any:
        if isinstance(obj, dict):
            return obj["owner"]
        return ref(obj.owner)

    @staticmethod
    def resolve_business_unit(obj: Quote) -> Any:
        if isinstance(obj, dict):
            return obj["business_unit"]
        return ref(obj.business_unit)


class QuoteOut(QuoteListOut):
    contact: Ref | None
    terms: str
    notes: str
    locked: bool = Field(description="In approval: no change on any path until the approvers decide.")
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_contact(obj: Quote) -> Any:
        if isinstance(obj, dict):
            return obj["contact"]
        return ref(obj.contact)

    @staticmethod
    def resolve_locked(obj: Quote) -> bool:
        if isinstance(obj, dict):
            return obj["locked"]
        return services.is_locked(obj)

    @staticmethod
    def resolve_lines(obj: Quote) -> list[Any]:
        if isinstance(obj, dict):
            return obj["lines"]
        return list(obj.lines.all())


class QuoteLineIn(Schema):
    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = Field(None, description="Default: the price book's price (else the list price).")
    discount_kind: str = Field("percent", description="percent or amount.")
    discount_value: Decimal = Decimal("0")
    tax_rate: Decimal | None = Field(None, description="13, 9, 6 or 0; default: the product's.")
    description: str = ""
    delivery_month: str | None = Field(None, description="A month like 2027-03.")


class QuoteIn(Schema):
    opportunity_id: int
    title: str = ""
    price_book_id: int | None = Field(None, description="Default: the BU's first usable book (direct, CNY).")
    contact_id: int | None = None
    valid_until: date | None = None
    terms: str = ""
    notes: str = ""
    lines: list[QuoteLineIn] | None = Field(None, description="null: the opportunity's product lines.")


class QuotePatch(Schema):
    title: str | None = None
    price_book_id: int | None = None
    contact_id: int | None = None
    valid_until: date | None = None
    terms: str | None = None
    notes: str | None = None
    lines: list[QuoteLineIn] | None = Field(None, description="Given: replaces every line.")


class DecisionIn(Schema):
    decided_on: date | None = Field(None, description="The day of the customer's answer (default: today).")
    note: str = ""


class EmailIn(Schema):
    to: list[str] = Field(description="The recipients (at most 10 with cc).")
    cc: list[str] = []
    subject: str | None = Field(None, description="Default: “Quote <number> v<version> — <group>”.")
    message: str | None = Field(None, description="Default: a short greeting in the caller's language.")


class TotalDiff(Schema):
    field: str
    old: Decimal
    new: Decimal


class LineDiff(Schema):
    product: ProductRef
    fields: list[str]
    old: QuoteLineOut | None
    new: QuoteLineOut | None


class QuoteCompareOut(Schema):
    old: QuoteListOut
    new: QuoteListOut
    added: list[QuoteLineOut]
    removed: list[QuoteLineOut]
    changed: list[LineDiff]
    unchanged: int
    totals: list[TotalDiff]


# --- helpers -------------------------------------------------------------------------------------------

_RENAMED = {
    "opportunity": "opportunity_id",
    "price_book": "price_book_id",
    "contact": "contact_id",
    "business_unit": "business_unit_id",
    "customer": "customer_id",
    "product": "product_id",
}
_NESTED = re.compile(r"^lines\[(\d+)\]\.product$")


def _api_field(name: str) -> str:
    nested = _NESTED.match(name)
    if nested:
        return f"lines[{nested.group(1)}].product_id"
    return _RENAMED.get(name, name)


@contextmanager
def _api_fields() -> Iterator[None]:
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({_api_field(k): v for k, v in exc.error_dict.items()}) from None


def _renamed(values: dict[str, Any]) -> dict[str, Any]:
    """API names (``price_book_id``) → service names (``price_book``)."""
    back = {v: k for k, v in _RENAMED.items()}
    return {back.get(k, k): v for k, v in values.items()}


def _lines(lines: list[QuoteLineIn] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    return [{**_renamed(line.dict()), "product": line.product_id} for line in lines]


def _quote(user: Any, pk: int) -> Quote:
    return selectors.quote_get(user=user, pk=pk)


def _book(user: Any, pk: int) -> PriceBook:
    return selectors.price_book_get(user=user, pk=pk)


# --- price books ---------------------------------------------------------------------------------------


@router.get("/price-books", response={200: list[PriceBookOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_price_books(request: HttpRequest, active: str = "", business_unit_id: int | None = None) -> Any:
    """The price books the caller sees (their BUs' and the group's); ``active``: yes or no (empty:
    both)."""
    from django.core.exceptions import ValidationError

    if active not in ("", "yes", "no"):
        raise ValidationError({"active": "yes or no"})
    return selectors.price_book_list(user=request.user, active=active, business_unit=business_unit_id)


@router.post("/price-books", response={201: PriceBookOut, **ERROR_RESPONSES})
def create_price_book(request: HttpRequest, payload: PriceBookIn) -> Any:
    with _api_fields():
        book = services.price_book_create(actor=request.user, **_renamed(payload.dict()))
    return Status(201, _book(request.user, book.pk))


@router.get("/price-books/{book_id}", response={200: PriceBookOut, **ERROR_RESPONSES})
def get_price_book(request: HttpRequest, book_id: int) -> Any:
    return _book(request.user, book_id)


@router.patch("/price-books/{book_id}", response={200: PriceBookOut, **ERROR_RESPONSES})
def update_price_book(request: HttpRequest, book_id: int, payload: PriceBookPatch) -> Any:
    book = _book(request.user, book_id)
    with _api_fields():
        services.price_book_update(actor=request.user, price_book=book, **_renamed(payload.dict(exclude_unset=True)))
    return _book(request.user, book_id)


@router.delete("/price-books/{book_id}", response={204: None, **ERROR_RESPONSES})
def delete_price_book(request: HttpRequest, book_id: int) -> Any:
    """A book no quote used (409 otherwise: deactivate it)."""
    book = _book(request.user, book_id)
    services.price_book_delete(actor=request.user, price_book=book)
    return Status(204, None)


@router.get("/price-books/{book_id}/entries", response={200: list[EntryOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_entries(request: HttpRequest, book_id: int, product_id: int | None = None) -> Any:
    rows: QuerySet[PriceBookEntry] = selectors.entries_of(user=request.user, book=_book(request.user, book_id))
    if product_id is not None:
        rows = rows.filter(product_id=product_id)
    return rows


def _entry_out(user: Any, book: PriceBook, pk: int) -> PriceBookEntry:
    return selectors.entry_get(user=user, book=book, pk=pk)


@router.post("/price-books/{book_id}/entries", response={201: EntryOut, **ERROR_RESPONSES})
def create_entry(request: HttpRequest, book_id: int, payload: EntryIn) -> Any:
    book = _book(request.user, book_id)
    with _api_fields():
        entry = services.entry_create(actor=request.user, price_book=book, **_renamed(payload.dict()))
    return Status(201, _entry_out(request.user, book, entry.pk))


@router.get("/price-books/{book_id}/entries/{entry_id}", response={200: EntryOut, **ERROR_RESPONSES})
def get_entry(request: HttpRequest, book_id: int, entry_id: int) -> Any:
    return _entry_out(request.user, _book(request.user, book_id), entry_id)


@router.patch("/price-books/{book_id}/entries/{entry_id}", response={200: EntryOut, **ERROR_RESPONSES})
def update_entry(request: HttpRequest, book_id: int, entry_id: int, payload: EntryPatch) -> Any:
    book = _book(request.user, book_id)
    values = payload.dict(exclude_unset=True)
    if "min_quantity" in values and values["min_quantity"] is None:  # a form's empty field means 1; null does not
        raise ValidationError({"min_quantity": _("Enter a quantity.")})
    with _api_fields():
        services.entry_update(actor=request.user, price_book=book, entry=entry_id, **_renamed(values))
    return _entry_out(request.user, book, entry_id)


@router.delete("/price-books/{book_id}/entries/{entry_id}", response={204: None, **ERROR_RESPONSES})
def delete_entry(request: HttpRequest, book_id: int, entry_id: int) -> Any:
    book = _book(request.user, book_id)
    services.entry_delete(actor=request.user, price_book=book, entry=entry_id)
    return Status(204, None)


# --- quotes ----------------------------------------------------------------------------------------------


@router.get("/quotes", response={200: list[QuoteListOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_quotes(
    request: HttpRequest,
    status: str = "all",
    owner_id: int | None = None,
    customer_id: int | None = None,
    opportunity_id: int | None = None,
    q: str = "",
) -> Any:
    """``status``: open (draft to sent), all, or one status (draft, in_approval, approved, sent,
    accepted, rejected, superseded)."""
    if status not in selectors.STATUSES:
        raise ValidationError({"status": "open, all, " + ", ".join(selectors.STATUSES[2:])})
    return selectors.quote_list(
        user=request.user, status=status, owner=owner_id, customer=customer_id, opportunity=opportunity_id, q=q
    )


@router.post("/quotes", response={201: QuoteOut, **ERROR_RESPONSES})
def create_quote(request: HttpRequest, payload: QuoteIn) -> Any:
    """A draft v1 of an opportunity the caller sees. Without ``lines``: the opportunity's product lines
    at the price book's prices. Send an ``Idempotency-Key`` header when you may retry."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        values = _renamed(payload.dict(exclude={"lines"}))
        if payload.price_book_id is None:
            values.pop("price_book")
        with _api_fields():
            quote = services.quote_create(actor=user, lines=_lines(payload.lines), **values)
        return 201, QuoteOut.from_orm(_quote(user, quote.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="quotes.quote_create", payload=payload.dict(), create=create)
    return Status(status, body)


@router.get("/quotes/{quote_id}", response={200: QuoteOut, **ERROR_RESPONSES})
def get_quote(request: HttpRequest, quote_id: int) -> Any:
    return _quote(request.user, quote_id)


@router.patch("/quotes/{quote_id}", response={200: QuoteOut, **ERROR_RESPONSES})
def update_quote(request: HttpRequest, quote_id: int, payload: QuotePatch) -> Any:
    """A draft only: 409 while in approval (locked) and after (make a new version)."""
    quote = _quote(request.user, quote_id)
    values = _renamed(payload.dict(exclude_unset=True, exclude={"lines"}))
    with _api_fields():
        services.quote_update(actor=request.user, quote=quote, lines=_lines(payload.lines), **values)
    return _quote(request.user, quote_id)


@router.get(
    "/quotes/{quote_id}/pdf",
    response={200: None, **ERROR_RESPONSES},
    openapi_extra=openapi_file("The quote as a PDF in Chinese.", "application/pdf"),
)
def quote_pdf(request: HttpRequest, quote_id: int) -> Any:
    """The quote as a PDF in Chinese (application/pdf)."""
    from .pdf import pdf_response

    return pdf_response(_quote(request.user, quote_id))


def _action(request: HttpRequest, quote_id: int, service: Any, **kwargs: Any) -> Quote:
    quote = _quote(request.user, quote_id)
    with _api_fields():
        service(actor=request.user, quote=quote, **kwargs)
    return _quote(request.user, quote_id)


@router.post("/quotes/{quote_id}/submit", response={200: QuoteOut, **ERROR_RESPONSES})
def submit_quote(request: HttpRequest, quote_id: int) -> Any:
    """Into approval (status in_approval, locked) — or approved at once when no flow applies."""
    return _action(request, quote_id, services.quote_submit)


@router.post("/quotes/{quote_id}/send", response={200: QuoteOut, **ERROR_RESPONSES})
def send_quote(request: HttpRequest, quote_id: int) -> Any:
    """Mark an approved quote as sent to the customer."""
    return _action(request, quote_id, services.quote_send)


@router.post("/quotes/{quote_id}/email", response={200: QuoteOut, **ERROR_RESPONSES})
def email_quote(request: HttpRequest, quote_id: int, payload: EmailIn) -> Any:
    """E-mail an approved (or sent) quote's PDF to the customer, from XieTong with the caller's address
    as Reply-To; the quote is marked sent. The mail leaves from the task queue after the answer."""
    from . import mailing

    quote = _quote(request.user, quote_id)
    subject = payload.subject if payload.subject is not None else mailing.default_subject(quote)
    message = payload.message if payload.message is not None else mailing.default_message(quote, request.user)
    return _action(
        request, quote_id, mailing.quote_email, to=payload.to, cc=payload.cc, subject=subject, message=message
    )


@router.post("/quotes/{quote_id}/accept", response={200: QuoteOut, **ERROR_RESPONSES})
def accept_quote(request: HttpRequest, quote_id: int, payload: DecisionIn) -> Any:
    """The customer accepted: its lines become the opportunity's product lines."""
    return _action(request, quote_id, services.quote_accept, decided_on=payload.decided_on, note=payload.note)


@router.post("/quotes/{quote_id}/reject", response={200: QuoteOut, **ERROR_RESPONSES})
def reject_quote(request: HttpRequest, quote_id: int, payload: DecisionIn) -> Any:
    """The customer rejected: ``note`` says why (required)."""
    return _action(request, quote_id, services.quote_reject, decided_on=payload.decided_on, note=payload.note)


@router.get("/quotes/{quote_id}/versions", response={200: list[QuoteListOut], **ERROR_RESPONSES})
def list_versions(request: HttpRequest, quote_id: int) -> Any:
    quote = _quote(request.user, quote_id)
    return (
        Quote.objects.visible_to(request.user)
        .filter(number=quote.number)
        .select_related("customer", "owner", "opportunity", "business_unit")
        .order_by("-version")
    )


@router.post("/quotes/{quote_id}/versions", response={201: QuoteOut, **ERROR_RESPONSES})
def create_version(request: HttpRequest, quote_id: int) -> Any:
    """A copy as v+1 (a draft, same number); the copied version is superseded."""
    quote = _quote(request.user, quote_id)
    copy = services.quote_new_version(actor=request.user, quote=quote)
    return Status(201, _quote(request.user, copy.pk))


def _line_diff(change: selectors.LineChange) -> dict[str, Any]:
    return {
        "product": _product(change.after or change.before),
        "fields": change.fields,
        "old": change.before,
        "new": change.after,
    }


@router.get("/quotes/{quote_id}/compare", response={200: QuoteCompareOut, **ERROR_RESPONSES})
def compare_quotes(request: HttpRequest, quote_id: int, with_id: int | None = Query(None, alias="with")) -> Any:
    """Lines added, removed and changed from ``with`` (another version, or any quote the caller sees)
    to this quote, and the totals side by side."""
    new = _quote(request.user, quote_id)
    old = Quote.objects.visible_to(request.user).filter(pk=with_id or 0).first()
    if old is None:
        raise ValidationError({"with": _("No such quote.")})
    result = selectors.compare(old, new)
    return {
        "old": old,
        "new": new,
        "added": result.added,
        "removed": result.removed,
        "changed": [_line_diff(c) for c in result.changed],
        "unchanged": result.unchanged,
        "totals": [{"field": name, "old": a, "new": b} for name, a, b in result.totals],
    }
