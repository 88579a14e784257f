"""Importing a price book's prices: the book chosen when the import starts (one the importer may
change by hand), a GBK CSV with Chinese headers and an XLSX, the exact prices written, each bad cell
named by line and column with the good rows all written, the duplicate modes, the audit entry on the
book, and the permission (reading a book is not enough to import into it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from tests.conftest import login
from tests.imports.conftest import csv_bytes, xlsx_bytes
from tests.support.crm import CustomerFactory, owned
from tests.support.factories import upload
from tests.support.i18n import zh
from tests.support.pipeline import ProductFactory
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry
from xietong.imports import services
from xietong.imports.models import ImportJob
from xietong.imports.pipeline import import_rows
from xietong.quotes.models import PriceBook, PriceBookEntry

pytestmark = pytest.mark.django_db

D = Decimal
TARGET = "price_book_entries"
CREDIT_CODE = "91310000MA1FL0000N"


@pytest.fixture
def book(org: dict[str, Any]) -> PriceBook:
    """BU1's book, with one price already: P-3 from 1 at 500.00 for every customer."""
    b = PriceBook.objects.create(name="工业设备2027价格表", business_unit=org["bu1"], valid_from=date(2027, 1, 1))
    PriceBookEntry.objects.create(price_book=b, product=ProductFactory(code="P-3", name="钻床"), unit_price=D("500.00"))
    return b


@pytest.fixture
def catalogue(rep: Any) -> dict[str, Any]:
    """Products P-1 and P-2, and two customers of BU1 (one with a credit code)."""
    return {
        "lathe": ProductFactory(code="P-1", name="数控车床"),
        "mill": ProductFactory(code="P-2", name="铣床"),
        "power": owned(CustomerFactory(name="华东电力有限公司"), owner=rep).customer,
        "steel": owned(CustomerFactory(name="上海钢铁有限公司", credit_code=CREDIT_CODE), owner=rep).customer,
    }


def _run(actor: Any, book: Any, name: str, content: bytes, **options: Any) -> ImportJob:
    job = services.import_job_submit(
        actor=actor, target=TARGET, business_unit=None, upload=upload(name, content), price_book=book, **options
    )
    services.run_import(job.pk)
    return ImportJob.objects.get(pk=job.pk)


def _prices(book: PriceBook) -> list[tuple[str, str | None, Decimal, Decimal]]:
    return [
        (e.product.code, e.customer.name if e.customer else None, e.min_quantity, e.unit_price)
        for e in book.entries.select_related("product", "customer").order_by(
            "product__code", F("customer_id").asc(nulls_first=True), "min_quantity"
        )  # every customer's price first, on PostgreSQL too (NULLs sort last there by default)
    ]


def _errors(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["reason"]) for e in job.errors]


def test_a_gbk_csv_with_chinese_headers_writes_the_exact_prices_and_names_each_bad_cell(org, head, book, catalogue):
    content = csv_bytes(
        [
            ["产品编码", "单价", "起订量", "客户"],
            ["P-1", "1,200.50", "", ""],  # 2: from 1, every customer
            ["P-1", "1100", "10", ""],  # 3: a volume tier
            ["P-1", "1000", "10", "华东电力有限公司"],  # 4: a customer's price, by name
            ["P-2", "12万", "", CREDIT_CODE],  # 5: a customer's price, by credit code
            ["NOPE", "5", "", ""],  # 6
            ["P-2", "abc", "", ""],  # 7
            ["P-2", "-3", "", ""],  # 8
            ["P-2", "1.234", "", ""],  # 9
            ["P-2", "5", "-1", ""],  # 10
            ["P-2", "5", "", "不存在的公司"],  # 11
            ["P-3", "600", "", ""],  # 12: the book has it: skipped
            ["P-1", "1300", "1", ""],  # 13: the same as line 2: skipped
            ["", "5", "", ""],  # 14
            ["NOPE", "x", "", ""],  # 15: two bad cells, one row in error
        ],
        encoding="gbk",
    )
    job = _run(head, book, "价格表.csv", content)

    assert job.encoding == "gb18030"
    assert job.mapping == {"产品编码": "product", "单价": "unit_price", "起订量": "min_quantity", "客户": "customer"}
    amount = zh("Enter an amount, e.g. 120000 or 12万.")
    assert _errors(job) == [
        (6, "产品编码", zh("No such product.")),
        (7, "单价", amount),
        (8, "单价", amount),
        (9, "单价", zh("Money has at most two decimal places.")),
        (10, "起订量", zh("Enter a quantity of 0 or more, with at most three decimal places.")),
        (11, "客户", zh("No such customer.")),
        (14, "产品编码", zh("This field is required.")),
        (15, "单价", amount),
    ]
    assert (job.status, job.processed_rows, job.created_count, job.updated_count, job.skipped_count) == (
        "done",
        14,
        4,
        0,
        2,
    )
    assert job.error_count == 8
    assert _prices(book) == [
        ("P-1", None, D("1.000"), D("1200.50")),
        ("P-1", None, D("10.000"), D("1100.00")),
        ("P-1", "华东电力有限公司", D("10.000"), D("1000.00")),
        ("P-2", "上海钢铁有限公司", D("1.000"), D("120000.00")),
        ("P-3", None, D("1.000"), D("500.00")),
    ]
    [entry] = AuditEntry.objects.filter(
        object_id=str(book.pk), content_type__model="pricebook", verb="quote_prices_imported"
    )
    assert entry.actor == head
    assert entry.changes == {"数控车床 (P-1) ≥1": [None, "1200.50"], "数控车床 (P-1) ≥10": [None, "1100.00"]}
    # a customer's special prices are on that customer's trail, not the book's: whoever sees the book
    # but not the customer must not read them there
    assert _customer_trails() == {
        "华东电力有限公司": {f"{book.name} · 数控车床 (P-1) ≥10": [None, "1000.00"]},
        "上海钢铁有限公司": {f"{book.name} · 铣床 (P-2) ≥1": [None, "120000.00"]},
    }


def _customer_trails() -> dict[str, dict[str, Any]]:
    """The price changes on customers' audit trails, by customer name."""
    entries = AuditEntry.objects.filter(verb="quote_prices_imported", content_type__model="customer")
    return {e.object_repr: e.changes for e in entries.order_by("pk")}


def test_an_xlsx_in_update_mode_changes_the_matching_prices_and_adds_the_rest(org, head, book, catalogue):
    content = xlsx_bytes(
        [
            ["Product code", "Price", "Min quantity", "Credit code"],
            ["P-3", 650, None, None],  # 2: the book's price: updated
            ["P-1", 1200.5, 5, None],  # 3: new
            ["P-1", 1150, 5, None],  # 4: the same as line 3: the later price wins
            ["P-2", 99.99, 0, CREDIT_CODE],  # 5: new, for the customer of that credit code
            ["P-9", 1, None, None],  # 6: no such product
            ["P-2", 7, None, "91310000MA1FL0000X"],  # 7: not a valid credit code
        ]
    )
    job = _run(head, book, "prices.xlsx", content, duplicate_mode="update")

    assert job.mapping == {
        "Product code": "product",
        "Price": "unit_price",
        "Min quantity": "min_quantity",
        "Credit code": "customer_credit_code",
    }
    assert _errors(job) == [
        (6, "Product code", zh("No such product.")),
        (7, "Credit code", zh("Enter a valid 18-character unified social credit code.")),
    ]
    assert (job.created_count, job.updated_count, job.skipped_count, job.error_count) == (2, 2, 0, 2)
    assert _prices(book) == [
        ("P-1", None, D("5.000"), D("1150.00")),
        ("P-2", "上海钢铁有限公司", D("0.000"), D("99.99")),
        ("P-3", None, D("1.000"), D("650.00")),
    ]
    [entry] = AuditEntry.objects.filter(
        object_id=str(book.pk), content_type__model="pricebook", verb="quote_prices_imported"
    )
    assert entry.changes == {"数控车床 (P-1) ≥5": [None, "1150.00"], "钻床 (P-3) ≥1": ["500.00", "650.00"]}
    assert _customer_trails() == {"上海钢铁有限公司": {f"{book.name} · 铣床 (P-2) ≥0": [None, "99.99"]}}


def test_a_price_written_in_an_earlier_chunk_is_updated_by_a_later_row(org, head, book, catalogue):
    result = import_rows(
        actor=head,
        target=TARGET,
        business_unit=org["bu1"],
        rows=[
            {"产品编码": "P-1", "单价": "100"},
            {"产品编码": "P-2", "单价": "200"},
            {"产品编码": "P-1", "单价": "150"},
        ],
        mapping={"产品编码": "product", "单价": "unit_price"},
        duplicate_mode="update",
        chunk_size=2,
        price_book=book,
    )
    assert (result.created, result.updated, result.errors) == (2, 1, [])
    assert _prices(book) == [
        ("P-1", None, D("1.000"), D("150.00")),
        ("P-2", None, D("1.000"), D("200.00")),
        ("P-3", None, D("1.000"), D("500.00")),
    ]
    assert [e.changes for e in AuditEntry.objects.filter(verb="quote_prices_imported").order_by("pk")] == [
        {"数控车床 (P-1) ≥1": [None, "100.00"], "铣床 (P-2) ≥1": [None, "200.00"]},
        {"数控车床 (P-1) ≥1": ["100.00", "150.00"]},
    ]


def test_create_anyway_refuses_a_price_the_book_has_and_writes_the_other_rows(org, head, book, catalogue):
    content = csv_bytes([["产品编码", "单价"], ["P-3", "700"], ["P-1", "800"], ["P-1", "801"]])
    job = _run(head, book, "价格.csv", content, duplicate_mode="create")
    assert _errors(job) == [
        (2, "产品编码", zh("The price book has a price of this product from this quantity already.")),
        (4, "产品编码", zh("Same as line %(line)d of this file.", line=3)),
    ]
    assert (job.created_count, job.error_count) == (1, 2)
    assert _prices(book) == [("P-1", None, D("1.000"), D("800.00")), ("P-3", None, D("1.000"), D("500.00"))]


def test_a_dry_run_checks_every_row_and_writes_nothing(org, head, book, catalogue):
    content = csv_bytes([["产品编码", "单价"], ["P-1", "800"], ["P-2", "x"]])
    job = _run(head, book, "价格.csv", content, dry_run=True)
    assert (job.created_count, job.error_count) == (1, 1)
    assert _prices(book) == [("P-3", None, D("1.000"), D("500.00"))]
    assert not AuditEntry.objects.filter(
        object_id=str(book.pk), content_type__model="pricebook", verb="quote_prices_imported"
    ).exists()


def test_an_inactive_expired_book_takes_an_import_as_it_takes_a_price_by_hand(org, head, book, catalogue):
    PriceBook.objects.filter(pk=book.pk).update(is_active=False, valid_until=date(2027, 1, 31))
    job = _run(head, book, "价格.csv", csv_bytes([["产品编码", "单价"], ["P-1", "800"]]))
    assert (job.status, job.created_count) == ("done", 1)


def test_only_someone_who_may_change_the_book_imports_into_it(org, head, rep, outsider, book, catalogue):
    content = csv_bytes([["产品编码", "单价"], ["P-1", "800"]])
    with pytest.raises(PermissionDenied):  # the rep reads BU1's book but does not administer it
        services.import_job_create(
            actor=rep, target=TARGET, business_unit=None, upload=upload("a.csv", content), price_book=book
        )
    with pytest.raises(NotFound):  # BU2's rep does not see it
        services.import_job_create(
            actor=outsider, target=TARGET, business_unit=None, upload=upload("a.csv", content), price_book=book
        )
    with pytest.raises(ValidationError) as caught:
        services.import_job_create(actor=head, target=TARGET, business_unit=None, upload=upload("a.csv", content))
    assert caught.value.message_dict == {"price_book": [zh("Choose the price book to import the prices into.")]}
    assert ImportJob.objects.count() == 0
    assert _prices(book) == [("P-3", None, D("1.000"), D("500.00"))]


def test_a_job_whose_book_left_the_importers_scope_fails_and_writes_nothing(org, head, book, catalogue):
    job = services.import_job_submit(
        actor=head,
        target=TARGET,
        business_unit=None,
        upload=upload("a.csv", csv_bytes([["产品编码", "单价"], ["P-1", "800"]])),
        price_book=book,
    )
    assert (job.business_unit_id, job.price_book_id) == (org["bu1"].pk, book.pk)
    PriceBook.objects.filter(pk=book.pk).update(business_unit=org["bu2"])
    services.run_import(job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "failed"
    assert _prices(book) == [("P-3", None, D("1.000"), D("500.00"))]


# --- the pages -----------------------------------------------------------------------------------------


def test_the_price_book_page_offers_the_import_to_who_may_change_the_book(org, head, rep, book):
    link = f'href="/imports/new/?target=price_book_entries&amp;price_book={book.pk}"'
    assert link in login(head).get(f"/price-books/{book.pk}/").content.decode()
    page = login(rep).get(f"/price-books/{book.pk}/")
    assert page.status_code == 200
    assert link not in page.content.decode()


def test_the_upload_step_takes_the_book_and_starts_a_job_in_its_business_unit(org, head, rep, book, catalogue):
    client = login(head)
    page = client.get(f"/imports/new/?target=price_book_entries&price_book={book.pk}")
    assert page.status_code == 200
    assert f'<option value="{book.pk}" selected>' in page.content.decode()
    content = csv_bytes([["产品编码", "单价"], ["P-1", "800"]], encoding="gbk")
    response = client.post(
        "/imports/new/",
        {"target": TARGET, "price_book": book.pk, "file": upload("价格.csv", content)},
    )
    assert response.status_code == 303
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.target, job.price_book_id, job.business_unit_id, job.mapping) == (
        TARGET,
        book.pk,
        org["bu1"].pk,
        {"产品编码": "product", "单价": "unit_price"},
    )
    step2 = client.get(f"/imports/{job.pk}/").content.decode()
    assert f'<a href="/price-books/{book.pk}/">工业设备2027价格表</a>' in step2
    assert login(rep).get(f"/imports/new/?target=price_book_entries&price_book={book.pk}").status_code == 403


def test_the_upload_step_offers_only_the_books_the_importer_may_change(org, head, book):
    other = PriceBook.objects.create(name="医疗2027", business_unit=org["bu2"], valid_from=date(2027, 1, 1))
    response = login(head).post(
        "/imports/new/",
        {"target": TARGET, "price_book": other.pk, "file": upload("a.csv", csv_bytes([["产品编码", "单价"]]))},
    )
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_prices_are_imported_through_the_api_into_the_book_named(
    org, head, rep, outsider, book, catalogue, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = csv_bytes([["产品编码", "单价", "起订量"], ["P-1", "800", ""], ["P-2", "-1", ""]], encoding="gbk")

    def post(user: Any, **form: Any) -> Any:
        data = {"file": SimpleUploadedFile("价格.csv", content), "target": TARGET, **form}
        with django_capture_on_commit_callbacks(execute=True):
            return login(user).post("/api/v1/imports", data)

    response = post(head, price_book_id=book.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["target"], body["price_book_id"], body["business_unit_id"]) == (TARGET, book.pk, org["bu1"].pk)
    status = login(head).get(f"/api/v1/imports/{body['id']}").json()
    assert (status["status"], status["created_count"], status["error_count"]) == ("done", 1, 1)
    assert login(head).get(f"/api/v1/imports/{body['id']}/errors").json() == [
        {"line": 3, "column": "单价", "reason": zh("Enter an amount, e.g. 120000 or 12万.")}
    ]
    assert _prices(book) == [("P-1", None, D("1.000"), D("800.00")), ("P-3", None, D("1.000"), D("500.00"))]

    missing = post(head)
    assert (missing.status_code, [e["field"] for e in missing.json()["errors"]]) == (422, ["price_book"])
    assert post(rep, price_book_id=book.pk).status_code == 403  # reads the book, may not change it
    assert post(outsider, price_book_id=book.pk).status_code == 404  # does not see it: like a missing one
    assert post(head, price_book_id=999999).status_code == 404
    assert ImportJob.objects.count() == 1


def test_a_tier_too_large_for_a_quote_line_is_refused_on_its_price_and_the_other_rows_are_written(
    org, head, book, catalogue
):
    """The check a price typed by hand meets (``quotes.services.tier_fits``): a quote line at this tier
    would not fit its money columns, and a quote of it could never be saved."""
    content = csv_bytes(
        [
            ["产品编码", "单价", "起订量"],
            ["P-1", "99999999.99", "1000000"],  # 2: ≈1e14: too large
            ["P-2", "9999999.99", "1000"],  # 3: ≈1e10: fits
        ]
    )
    job = _run(head, book, "价格表.csv", content)
    assert _errors(job) == [(2, "单价", zh("The unit price times the quantity it starts from is too large."))]
    assert (job.created_count, job.error_count) == (1, 1)
    assert [p[0] for p in _prices(book)] == ["P-2", "P-3"]
