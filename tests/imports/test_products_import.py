"""Importing products: keyed by code within the import's business unit, categories by name, exact
(line, column, reason) errors, the duplicate modes, the catalogue permissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from tests.imports.conftest import csv_bytes
from tests.support.factories import upload
from tests.support.pipeline import ProductCategoryFactory, ProductFactory
from xietong.catalog.models import Product
from xietong.imports import policies, services
from xietong.imports.models import ImportJob
from xietong.imports.pipeline import import_rows

pytestmark = pytest.mark.django_db

MAPPING = {
    "产品编码": "code",
    "产品名称": "name",
    "规格型号": "specification",
    "单位": "unit",
    "标准价": "list_price",
    "成本": "cost",
    "税率": "tax_rate",
    "产品线": "product_line",
    "类别": "category",
    "状态": "status",
}


def products(actor: Any, bu: Any, rows: list[dict[str, str]], mode: str = "skip", **kw: Any) -> Any:
    return import_rows(
        actor=actor,
        target="products",
        business_unit=bu,
        rows=rows,
        mapping={h: f for h, f in MAPPING.items() if any(h in r for r in rows)},
        duplicate_mode=mode,
        **kw,
    )


def pairs(result: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in result.errors]


def test_the_good_rows_are_inserted_exactly_and_each_bad_cell_is_reported(org, head):
    category = ProductCategoryFactory(name="数控机床")
    ProductFactory(code="P-1", business_unit=org["bu1"], list_price=Decimal("10.00"))
    ProductFactory(code="G-1", business_unit=None)  # the whole group's
    ProductFactory(code="M-1", business_unit=org["bu2"])
    rows = [
        {
            "产品编码": "NEW-1",
            "产品名称": "立式加工中心",
            "规格型号": "VMC850",
            "单位": "台",
            "标准价": "12万",
            "成本": "80,000",
            "税率": "13%",
            "产品线": "加工中心",
            "类别": "数控机床",
            "状态": "inactive",
        },
        {"产品编码": "NEW-2", "产品名称": "卧式加工中心", "标准价": "abc"},
        {"产品编码": "NEW-3", "标准价": "100"},
        {"产品编码": "P-1", "标准价": "999"},
        {"产品编码": "G-1", "产品名称": "x", "标准价": "1"},
        {"产品编码": "M-1", "产品名称": "x", "标准价": "1"},
        {"产品编码": "NEW-4", "产品名称": "y", "标准价": "1", "类别": "不存在"},
        {"产品编码": "NEW-1", "产品名称": "同码", "标准价": "1"},
        {"产品编码": "NEW-5", "产品名称": "z", "标准价": "5", "税率": "101"},
        {"产品编码": "NEW-6", "产品名称": "激光切割机", "标准价": "¥3,500.5"},
    ]
    result = products(head, org["bu1"], rows, chunk_size=4)

    held = gettext("A product with this code exists and you may not change it.")
    assert pairs(result) == [
        (3, "标准价", gettext("Enter an amount, e.g. 120000 or 12万.")),
        (4, "产品名称", gettext("This field is required.")),
        (6, "产品编码", held),
        (7, "产品编码", held),
        (8, "类别", gettext("No such product category.")),
        (10, "税率", gettext("Enter a percentage between 0 and 100 (at most two decimal places).")),
    ]
    assert (result.processed, result.created, result.updated, result.skipped, result.error_rows) == (10, 2, 0, 2, 6)
    assert sorted(Product.objects.filter(business_unit=org["bu1"]).values_list("code", flat=True)) == [
        "NEW-1",
        "NEW-6",
        "P-1",
    ]
    new = Product.objects.get(code="NEW-1")
    assert (
        new.name,
        new.specification,
        new.unit,
        new.list_price,
        new.cost,
        new.tax_rate,
        new.product_line,
        new.category_id,
        new.status,
        new.created_by_id,
    ) == (
        "立式加工中心",
        "VMC850",
        "台",
        Decimal("120000.00"),
        Decimal("80000.00"),
        Decimal("13.00"),
        "加工中心",
        category.pk,
        "inactive",
        head.pk,
    )
    laser = Product.objects.get(code="NEW-6")
    assert (laser.list_price, laser.tax_rate, laser.unit, laser.status, laser.cost) == (
        Decimal("3500.50"),
        Decimal("13.00"),
        "台",
        "active",
        None,
    )
    assert Product.objects.get(code="P-1").list_price == Decimal("10.00")  # skipped


def test_update_changes_only_the_given_cells_and_create_refuses_an_existing_code(org, head):
    ProductFactory(code="P-1", business_unit=org["bu1"], name="旧名", list_price=Decimal("10.00"), specification="A")
    updated = products(head, org["bu1"], [{"产品编码": "P-1", "标准价": "20", "规格型号": ""}], mode="update")
    assert (updated.updated, updated.error_rows) == (1, 0)
    p1 = Product.objects.get(code="P-1")
    assert (p1.name, p1.list_price, p1.specification) == ("旧名", Decimal("20.00"), "A")

    created = products(
        head,
        org["bu1"],
        [{"产品编码": "P-1", "产品名称": "新", "标准价": "1"}, {"产品编码": "P-2", "产品名称": "新", "标准价": "1"}],
        mode="create",
    )
    assert pairs(created) == [(2, "产品编码", gettext("A product with this code already exists."))]
    assert (created.created, created.error_rows) == (1, 1)
    assert sorted(Product.objects.values_list("code", flat=True)) == ["P-1", "P-2"]


def test_a_dry_run_writes_nothing(org, head):
    result = products(head, org["bu1"], [{"产品编码": "N", "产品名称": "n", "标准价": "1"}], dry_run=True)
    assert (result.created, Product.objects.count()) == (1, 0)


def test_importing_products_takes_the_catalogue_permissions_in_the_business_unit(org, head, rep):
    policies.check_import(head, target="products", business_unit=org["bu1"], duplicate_mode="update")
    with pytest.raises(PermissionDenied):
        policies.check_import(rep, target="products", business_unit=org["bu1"])
    with pytest.raises(ValidationError) as exc:
        policies.check_import(head, target="products", business_unit=org["bu2"])
    assert exc.value.message_dict == {"business_unit": [gettext("You may not create records in this business unit.")]}


def test_a_products_import_job_maps_the_headers_and_runs(org, head):
    content = csv_bytes([["产品编码", "产品名称", "标准价", "Tax Rate"], ["J-1", "作业产品", "88", "6"]])
    job = services.import_job_submit(
        actor=head, target="products", business_unit=org["bu1"], upload=upload("产品.csv", content)
    )
    assert job.mapping == {"产品编码": "code", "产品名称": "name", "标准价": "list_price", "Tax Rate": "tax_rate"}
    services.run_import(job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.status, job.created_count, job.errors) == ("done", 1, [])
    assert Product.objects.filter(code="J-1", tax_rate=Decimal("6.00"), business_unit=org["bu1"]).count() == 1
