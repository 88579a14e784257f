"""This area's part of the permission matrix (tests/test_permission_matrix.py): the quote and price-book
pages and endpoints with an id, and the foreign records — a quote owned in BU2 by the outsider (on a
BU2 opportunity) and a BU2 price book with one price."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.support.matrix import Route
from tests.support.money import quote
from tests.support.pipeline import ProductFactory, opportunity, standard_process
from xietong.pipeline.models import SalesProcess
from xietong.quotes.models import PriceBook, PriceBookEntry


def _entry(book: Any) -> int:
    return PriceBookEntry.objects.filter(price_book=book).values_list("pk", flat=True).first() or 0


_ENTRY = {"entry_id": _entry}
_LINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "title": "改"}

ROUTES: list[Route] = [
    # pages
    Route("GET", "/quotes/{pk}/", "quote"),
    Route("GET", "/quotes/{pk}/edit/", "quote"),
    Route("POST", "/quotes/{pk}/edit/", "quote", _LINES),
    Route("GET", "/quotes/{pk}/history/", "quote"),
    Route("GET", "/quotes/{pk}/why/", "quote"),
    Route("GET", "/quotes/{pk}/pdf/", "quote"),
    Route("POST", "/quotes/{pk}/submit/", "quote"),
    Route("POST", "/quotes/{pk}/send/", "quote"),
    Route("GET", "/quotes/{pk}/email/", "quote"),
    Route("POST", "/quotes/{pk}/email/", "quote"),
    Route("POST", "/quotes/{pk}/versions/", "quote"),
    Route("GET", "/quotes/{pk}/accept/", "quote"),
    Route("POST", "/quotes/{pk}/accept/", "quote", {"note": "x"}),
    Route("GET", "/quotes/{pk}/reject/", "quote"),
    Route("POST", "/quotes/{pk}/reject/", "quote", {"note": "x"}),
    Route("GET", "/quotes/{pk}/compare/", "quote"),
    Route("GET", "/price-books/{pk}/", "price_book"),
    Route("GET", "/price-books/{pk}/edit/", "price_book"),
    Route(
        "POST", "/price-books/{pk}/edit/", "price_book", {"name": "改", "channel": "direct", "valid_from": "2026-01-01"}
    ),
    Route("GET", "/price-books/{pk}/entries/new/", "price_book"),
    Route("POST", "/price-books/{pk}/entries/new/", "price_book", {"unit_price": "1"}),
    Route("GET", "/price-books/{pk}/entries/{entry_id}/edit/", "price_book", extra=_ENTRY),
    Route("POST", "/price-books/{pk}/entries/{entry_id}/edit/", "price_book", {"unit_price": "1"}, extra=_ENTRY),
    Route("POST", "/price-books/{pk}/entries/{entry_id}/delete/", "price_book", extra=_ENTRY),
    # API
    Route("GET", "/api/v1/quotes/{pk}", "quote", api=True),
    Route("PATCH", "/api/v1/quotes/{pk}", "quote", {"title": "改"}, api=True),
    Route("GET", "/api/v1/quotes/{pk}/pdf", "quote", api=True),
    Route("POST", "/api/v1/quotes/{pk}/submit", "quote", api=True),
    Route("POST", "/api/v1/quotes/{pk}/send", "quote", api=True),
    Route("POST", "/api/v1/quotes/{pk}/email", "quote", {"to": ["a@b.cn"]}, api=True),
    Route("POST", "/api/v1/quotes/{pk}/accept", "quote", {"note": "x"}, api=True),
    Route("POST", "/api/v1/quotes/{pk}/reject", "quote", {"note": "x"}, api=True),
    Route("GET", "/api/v1/quotes/{pk}/versions", "quote", api=True),
    Route("POST", "/api/v1/quotes/{pk}/versions", "quote", api=True),
    Route("GET", "/api/v1/quotes/{pk}/compare", "quote", api=True),
    Route("GET", "/api/v1/price-books/{pk}", "price_book", api=True),
    Route("PATCH", "/api/v1/price-books/{pk}", "price_book", {"name": "改"}, api=True),
    Route("DELETE", "/api/v1/price-books/{pk}", "price_book", api=True),
    Route("GET", "/api/v1/price-books/{pk}/entries", "price_book", api=True),
    Route("POST", "/api/v1/price-books/{pk}/entries", "price_book", {"product_id": 0, "unit_price": "1"}, api=True),
    Route(
        "PATCH",
        "/api/v1/price-books/{pk}/entries/{entry_id}",
        "price_book",
        {"unit_price": "1"},
        api=True,
        extra=_ENTRY,
    ),
    Route("DELETE", "/api/v1/price-books/{pk}/entries/{entry_id}", "price_book", api=True, extra=_ENTRY),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2, owned by ``outsider``: name → record."""
    bu2 = org["bu2"]
    process = SalesProcess.objects.filter(business_unit=bu2, is_default=True).first() or standard_process(
        bu2, name="医疗器械销售流程"
    )
    opp = opportunity(outsider, process=process, business_unit=bu2, name="外部报价商机")
    book = PriceBook.objects.create(name="外部价格表", business_unit=bu2, valid_from=date(2026, 1, 1))
    PriceBookEntry.objects.create(price_book=book, product=ProductFactory(), unit_price=Decimal("1.00"))
    return {"quote": quote(outsider, opp=opp, title="外部报价"), "price_book": book}
