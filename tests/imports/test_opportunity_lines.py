"""Importing opportunities with their product lines and contacts: a row brings one line and one
contact; consecutive rows with the same customer and opportunity name are one opportunity, never
split across chunks; the lines and contacts are written before the stage gates are checked; any error
refuses the whole opportunity and reports every one of its rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext

from tests.conftest import login
from tests.imports.conftest import csv_bytes
from tests.support.crm import ContactFactory, CustomerFactory, owned
from tests.support.pipeline import ProductFactory, standard_process
from xietong.catalog.choices import ProductStatus
from xietong.customers.choices import DecisionRole
from xietong.imports import fields
from xietong.imports.models import ImportJob
from xietong.imports.pipeline import import_rows
from xietong.pipeline.models import Opportunity, OpportunityContact, OpportunityLine, StageMove

pytestmark = pytest.mark.django_db

CC1 = "91310000MA1FL0000N"

MAPPING = {
    "客户名称": "customer",
    "商机名称": "name",
    "阶段": "stage",
    "金额": "amount",
    "预计成交日期": "expected_close",
    "产品编码": "product",
    "数量": "quantity",
    "单价": "unit_price",
    "折扣": "discount",
    "交付月份": "delivery_month",
    "联系人": "contact",
    "角色": "contact_role",
}


def opportunities(actor: Any, bu: Any, rows: list[dict[str, str]], **kw: Any) -> Any:
    return import_rows(
        actor=actor,
        target="opportunities",
        business_unit=bu,
        rows=rows,
        mapping={h: f for h, f in MAPPING.items() if any(h in r for r in rows)},
        **kw,
    )


def pairs(result: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in result.errors]


def gate(stage_name: str, *missing: str) -> str:
    return gettext("To move to “%(stage)s” the opportunity needs: %(missing)s.") % {
        "stage": stage_name,
        "missing": gettext("; ").join(gettext(m) for m in missing),
    }


def part_of(first: int, last: int) -> str:
    return gettext("Not imported: its opportunity (lines %(first)d–%(last)d) has errors.") % {
        "first": first,
        "last": last,
    }


def differs(line: int) -> str:
    return gettext("Differs from line %(line)d of the same opportunity.") % {"line": line}


def lines_of(name: str) -> list[tuple[str, Decimal, Decimal, Decimal, date | None, Decimal]]:
    return [
        (line.product.code, line.quantity, line.unit_price, line.discount, line.delivery_month, line.amount)
        for line in OpportunityLine.objects.filter(opportunity__name=name).select_related("product")
    ]


def contacts_of(name: str) -> list[tuple[str, str]]:
    return list(
        OpportunityContact.objects.filter(opportunity__name=name)
        .order_by("contact__name")
        .values_list("contact__name", "role")
    )


@pytest.fixture
def process(org: dict[str, Any]) -> Any:
    return standard_process(org["bu1"])


@pytest.fixture
def huawei(head: Any) -> Any:
    return owned(CustomerFactory(name="上海华为技术有限公司", credit_code=CC1), owner=head).customer


@pytest.fixture
def products(org: dict[str, Any]) -> None:
    """Two products of the whole group, one of BU1 (the head's) and one of BU2 (out of their sight)."""
    ProductFactory(code="CNC-100", name="立式加工中心", list_price=Decimal("120000.00"))
    ProductFactory(code="SP-20", name="电主轴", list_price=Decimal("8800.00"))
    ProductFactory(code="TL-5", name="刀柄", list_price=Decimal("350.00"), business_unit=org["bu1"])
    ProductFactory(code="MED-1", name="监护仪", business_unit=org["bu2"])


@pytest.fixture
def people(huawei: Any) -> None:
    """Two contacts of 华为 with their roles in the decision on their cards."""
    ContactFactory(customer=huawei, name="张总", mobile="13800138000", decision_role="decision_maker")
    ContactFactory(customer=huawei, name="李工", mobile="13800138001", decision_role="user")


def test_rows_of_one_opportunity_bring_its_exact_lines_contacts_and_amount(
    org, head, process, huawei, products, people
):
    rows = [
        {
            "客户名称": huawei.name,
            "商机名称": "华为二期产线",
            "阶段": "商务谈判",
            "预计成交日期": "2026-06-30",
            "产品编码": "CNC-100",
            "数量": "2",
            "折扣": "5",
            "交付月份": "2026-03",
            "联系人": "张总",
            "角色": "决策人",
        },
        {
            "客户名称": huawei.name,
            "商机名称": "华为二期产线",
            "产品编码": "电主轴",  # by its exact name
            "数量": "1.5",
            "单价": "9,000.50",
            "交付月份": "2026/4",
            "联系人": "138 0013 8001",  # by mobile
            "角色": "Influencer",
        },
        {
            "客户名称": huawei.name,
            "商机名称": "华为二期产线",
            "阶段": "商务谈判",  # the same as the first row's: no conflict
            "产品编码": "TL-5",
            "数量": "10",
            "折扣": "12.5%",
            "交付月份": "2026年5月",
            "联系人": "张总",  # again, without a role: still one contact
        },
        {
            "客户名称": huawei.name,
            "商机名称": "华为二期产线",
            "产品编码": "CNC-100",
            "数量": "1",
            "单价": "11.8万",
            "交付月份": "2026-06-15",  # a date: its month
        },
        {"客户名称": huawei.name, "商机名称": "华为备件", "金额": "5万"},
    ]
    result = opportunities(head, org["bu1"], rows)

    assert pairs(result) == []
    assert (result.processed, result.created, result.error_rows) == (5, 2, 0)
    assert lines_of("华为二期产线") == [
        ("CNC-100", Decimal("2.000"), Decimal("120000.00"), Decimal("5.00"), date(2026, 3, 1), Decimal("228000.00")),
        ("SP-20", Decimal("1.500"), Decimal("9000.50"), Decimal("0.00"), date(2026, 4, 1), Decimal("13500.75")),
        ("TL-5", Decimal("10.000"), Decimal("350.00"), Decimal("12.50"), date(2026, 5, 1), Decimal("3062.50")),
        ("CNC-100", Decimal("1.000"), Decimal("118000.00"), Decimal("0.00"), date(2026, 6, 1), Decimal("118000.00")),
    ]
    deal = Opportunity.objects.get(name="华为二期产线")
    # the amount is the lines' sum; the gates up to 商务谈判 (a contact, lines, a decision maker) saw them
    assert (deal.amount, deal.stage.name, deal.customer_id, deal.expected_close) == (
        Decimal("362563.25"),
        "商务谈判",
        huawei.pk,
        date(2026, 6, 30),
    )
    assert contacts_of("华为二期产线") == [("张总", "decision_maker"), ("李工", "influencer")]
    assert StageMove.objects.filter(opportunity=deal).values_list("amount", flat=True).get() == Decimal("362563.25")
    spares = Opportunity.objects.get(name="华为备件")
    assert (spares.amount, spares.lines.count(), spares.contact_roles.count()) == (Decimal("50000.00"), 0, 0)


def test_a_contact_without_a_role_takes_the_role_on_the_customers_card(org, head, process, huawei, people):
    result = opportunities(
        head,
        org["bu1"],
        [
            {"客户名称": huawei.name, "商机名称": "华为一期", "联系人": "张总"},
            {"客户名称": huawei.name, "商机名称": "华为一期", "联系人": "李工", "角色": "finance"},
        ],
    )
    assert (pairs(result), result.created) == ([], 1)
    assert contacts_of("华为一期") == [("张总", "decision_maker"), ("李工", "finance")]


def test_only_consecutive_rows_of_the_same_customer_and_name_are_one_opportunity(org, head, process, huawei, products):
    other = owned(CustomerFactory(name="杭州阿里巴巴网络有限公司"), owner=head).customer
    rows = [
        {"客户名称": huawei.name, "商机名称": "机床", "产品编码": "CNC-100", "数量": "1"},
        {"客户名称": huawei.name, "商机名称": "机床", "产品编码": "SP-20", "数量": "2"},
        {"客户名称": other.name, "商机名称": "机床", "产品编码": "SP-20", "数量": "3"},  # another customer
        {"客户名称": huawei.name, "商机名称": "机床", "产品编码": "TL-5", "数量": "4"},  # not next to its twin
    ]
    result = opportunities(head, org["bu1"], rows)

    assert (pairs(result), result.created) == ([], 3)
    assert sorted(
        (o.customer_id, [line.product.code for line in o.lines.order_by("position")])
        for o in Opportunity.objects.prefetch_related("lines__product")
    ) == sorted([(huawei.pk, ["CNC-100", "SP-20"]), (other.pk, ["SP-20"]), (huawei.pk, ["TL-5"])])


def test_a_later_row_may_leave_the_opportunitys_fields_empty_but_not_contradict_them(
    org, head, process, huawei, products
):
    rows = [
        {"客户名称": huawei.name, "商机名称": "冲突", "阶段": "初步接洽", "产品编码": "CNC-100", "数量": "1"},
        {"客户名称": huawei.name, "商机名称": "冲突", "产品编码": "SP-20", "数量": "1"},
        {"客户名称": huawei.name, "商机名称": "冲突", "阶段": "需求确认", "产品编码": "TL-5", "数量": "1"},
        {"客户名称": huawei.name, "商机名称": "好的", "产品编码": "TL-5", "数量": "2"},
    ]
    result = opportunities(head, org["bu1"], rows)

    assert pairs(result) == [(2, "商机名称", part_of(2, 4)), (3, "商机名称", part_of(2, 4)), (4, "阶段", differs(2))]
    assert (result.processed, result.created, result.error_rows) == (4, 1, 3)
    assert list(Opportunity.objects.values_list("name", flat=True)) == ["好的"]
    assert lines_of("好的") == [("TL-5", Decimal("2.000"), Decimal("350.00"), Decimal("0.00"), None, Decimal("700.00"))]


def test_the_chunks_never_split_an_opportunitys_rows(org, head, process, huawei, products):
    def row(name: str, code: str, quantity: str = "1") -> dict[str, str]:
        return {"客户名称": huawei.name, "商机名称": name, "产品编码": code, "数量": quantity}

    rows = [
        row("甲", "CNC-100"),
        row("乙", "CNC-100"),
        row("乙", "SP-20"),  # the chunk of 2 is full: 乙 goes on in it
        row("乙", "TL-5"),
        row("丙", "CNC-100"),
        row("丙", "没有的产品"),  # 丙 is refused as a whole, the row after the full chunk too
        row("丙", "TL-5"),
    ]
    progress: list[int] = []
    result = opportunities(head, org["bu1"], rows, chunk_size=2, on_chunk=lambda r: progress.append(r.processed))

    assert progress == [4, 7]
    assert pairs(result) == [
        (6, "商机名称", part_of(6, 8)),
        (7, "产品编码", gettext("No such product.")),
        (8, "商机名称", part_of(6, 8)),
    ]
    assert (result.created, result.error_rows) == (2, 3)
    assert sorted(Opportunity.objects.values_list("name", flat=True)) == ["乙", "甲"]
    assert [code for code, *_rest in lines_of("乙")] == ["CNC-100", "SP-20", "TL-5"]


def test_each_bad_cell_is_reported_on_its_column_and_line(org, head, process, huawei, products, people):
    ProductFactory(code="OLD-1", name="旧型号", status=ProductStatus.DISCONTINUED)
    ProductFactory(code="TWIN-1", name="双胞胎")
    ProductFactory(code="TWIN-2", name="双胞胎")

    def row(name: str, **cells: str) -> dict[str, str]:
        return {"客户名称": huawei.name, "商机名称": name, **cells}

    rows = [
        row("一", 产品编码="NOPE", 数量="1"),
        row("二", 产品编码="MED-1", 数量="1"),  # BU2's product: the head of BU1 does not see it
        row("三", 产品编码="CNC-100", 数量="-2"),
        row("四", 产品编码="CNC-100", 数量="1", 折扣="120"),
        row("五", 产品编码="CNC-100", 数量="1", 交付月份="2026-13"),
        row("六", 产品编码="CNC-100"),
        row("七", 数量="3"),
        row("八", 产品编码="OLD-1", 数量="1"),
        row("九", 产品编码="双胞胎", 数量="1"),
        row("十", 联系人="王五"),
        row("十一", 联系人="张总", 角色="老板"),
        row("十二", 角色="决策人"),
        row("十三", 产品编码="CNC-100", 数量="1", 金额="10万"),
        row("十四", 产品编码="CNC-100", 数量="1", 金额="12万"),  # the lines' sum: fine
    ]
    result = opportunities(head, org["bu1"], rows)

    roles = "、".join(str(label) for label in DecisionRole.labels)
    required = gettext("This field is required.")
    assert pairs(result) == [
        (2, "产品编码", gettext("No such product.")),
        (3, "产品编码", gettext("No such product.")),
        (4, "数量", gettext("Enter a quantity greater than 0, with at most three decimal places.")),
        (5, "折扣", gettext("Enter a percentage between 0 and 100 (at most two decimal places).")),
        (6, "交付月份", gettext("Enter a month, e.g. 2026-11.")),
        (7, "数量", required),
        (8, "产品编码", required),
        (9, "产品编码", gettext("“%(product)s” is not on sale.") % {"product": "旧型号 (OLD-1)"}),
        (10, "产品编码", gettext("Several products have this name: give the product code.")),
        (11, "联系人", gettext("No such contact of the customer.")),
        (12, "角色", gettext("Not one of: %(allowed)s.") % {"allowed": roles}),
        (13, "联系人", required),
        (
            14,
            "金额",
            gettext("With product lines the amount is their sum, %(total)s: leave it empty.")
            % {"total": "¥120,000.00"},
        ),
    ]
    assert (result.processed, result.created, result.error_rows) == (14, 1, 13)
    assert list(Opportunity.objects.values_list("name", "amount")) == [("十四", Decimal("120000.00"))]


def test_a_gate_that_needs_a_product_line_sees_the_rows_lines(org, head, process, huawei, products, people):
    def row(name: str, **cells: str) -> dict[str, str]:
        return {"客户名称": huawei.name, "商机名称": name, "阶段": "方案报价", "预计成交日期": "2026-09-30", **cells}

    rows = [
        row("有明细", 产品编码="CNC-100", 数量="1", 联系人="张总"),
        row("无明细", 联系人="张总"),
        row("无明细", 联系人="李工"),
    ]
    result = opportunities(head, org["bu1"], rows)

    assert pairs(result) == [
        (3, "阶段", gate("方案报价", "at least one product line")),
        (4, "商机名称", part_of(3, 4)),
    ]
    assert (result.created, result.error_rows) == (1, 2)
    deal = Opportunity.objects.get()
    assert (deal.name, deal.stage.name, deal.amount) == ("有明细", "方案报价", Decimal("120000.00"))
    assert OpportunityContact.objects.count() == 1


def test_a_dry_run_reports_what_the_import_would_and_writes_nothing(org, head, process, huawei, products, people):
    rows = [
        {
            "客户名称": huawei.name,
            "商机名称": "甲",
            "阶段": "需求确认",
            "产品编码": "CNC-100",
            "数量": "1",
            "联系人": "张总",
        },
        {"客户名称": huawei.name, "商机名称": "甲", "产品编码": "SP-20", "数量": "2"},
        {"客户名称": huawei.name, "商机名称": "乙", "阶段": "需求确认", "产品编码": "SP-20", "数量": "1"},
        {"客户名称": huawei.name, "商机名称": "丙", "产品编码": "SP-20", "数量": "-1"},
    ]
    dry = opportunities(head, org["bu1"], rows, dry_run=True, chunk_size=1)

    assert (dry.processed, dry.created, dry.error_rows) == (4, 1, 2)
    assert pairs(dry) == [
        (4, "阶段", gate("需求确认", "a contact of the customer")),
        (5, "数量", gettext("Enter a quantity greater than 0, with at most three decimal places.")),
    ]
    assert (Opportunity.objects.count(), OpportunityLine.objects.count(), OpportunityContact.objects.count()) == (
        0,
        0,
        0,
    )
    real = opportunities(head, org["bu1"], rows, chunk_size=1)
    assert ((real.processed, real.created, real.error_rows), pairs(real)) == (
        (dry.processed, dry.created, dry.error_rows),
        pairs(dry),
    )
    assert [code for code, *_rest in lines_of("甲")] == ["CNC-100", "SP-20"]


def test_a_gbk_csv_with_chinese_headers_is_mapped_and_imported(
    org, head, process, huawei, products, people, django_capture_on_commit_callbacks
):
    table = [
        ["客户名称", "商机名称", "产品编码", "数量", "单价", "折扣", "预计交付月份", "联系人", "联系人角色"],
        [huawei.name, "华为三期", "CNC-100", "3", "115000", "2.5", "2026年7月", "张总", "决策人"],
        [huawei.name, "华为三期", "刀柄", "20", "", "", "2026/8", "李工", "使用者"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(head).post(
            "/api/v1/imports",
            {
                "file": SimpleUploadedFile("商机.csv", csv_bytes(table, "gbk")),
                "target": "opportunities",
                "business_unit_id": org["bu1"].pk,
            },
        )
    assert response.status_code == 201, response.content
    job = ImportJob.objects.get()
    assert (job.encoding, job.mapping) == (
        "gb18030",
        {
            "客户名称": "customer",
            "商机名称": "name",
            "产品编码": "product",
            "数量": "quantity",
            "单价": "unit_price",
            "折扣": "discount",
            "预计交付月份": "delivery_month",
            "联系人": "contact",
            "联系人角色": "contact_role",
        },
    )
    assert (job.status, job.created_count, job.error_count, job.errors) == ("done", 1, 0, [])
    assert lines_of("华为三期") == [
        ("CNC-100", Decimal("3.000"), Decimal("115000.00"), Decimal("2.50"), date(2026, 7, 1), Decimal("336375.00")),
        ("TL-5", Decimal("20.000"), Decimal("350.00"), Decimal("0.00"), date(2026, 8, 1), Decimal("7000.00")),
    ]
    assert Opportunity.objects.get().amount == Decimal("343375.00")
    assert contacts_of("华为三期") == [("张总", "decision_maker"), ("李工", "user")]


def test_the_new_columns_are_listed_among_the_fields_to_import(org, head):
    page = login(head).get("/imports/new/?target=opportunities").content.decode()
    for label in ("product", "quantity", "unit price", "discount (%)", "expected delivery month", "contact"):
        assert f">{gettext(label)}</span>" in page
    assert fields.auto_mapping("opportunities", ["产品", "交付月份", "联系人", "角色", "折扣"]) == {
        "产品": "product",
        "交付月份": "delivery_month",
        "联系人": "contact",
        "角色": "contact_role",
        "折扣": "discount",
    }
