"""Importing opportunities: each row through the opportunity service — customers among those the
importer sees ("No such customer." otherwise), stages by name in the BU's default process, the same
stage gates as everywhere (the gate's words on the stage column), a savepoint per row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext

from tests.support.crm import CustomerFactory, owned
from tests.support.pipeline import standard_process
from xietong.imports.pipeline import import_rows
from xietong.pipeline.models import DealTeamMember, Opportunity, StageMove

pytestmark = pytest.mark.django_db

CC1 = "91310000MA1FL0000N"

MAPPING = {
    "客户名称": "customer",
    "信用代码": "customer_credit_code",
    "商机名称": "name",
    "阶段": "stage",
    "金额": "amount",
    "预计成交日期": "expected_close",
    "负责人": "owner",
    "来源": "source",
    "竞争对手": "competitors",
    "下一步": "next_step",
    "下一步日期": "next_step_date",
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


@pytest.fixture
def process(org: dict[str, Any]) -> Any:
    return standard_process(org["bu1"])


def test_good_rows_are_created_and_each_bad_row_is_reported_exactly(org, rep, colleague, head, process):
    huawei = owned(CustomerFactory(name="上海华为技术有限公司", credit_code=CC1), owner=head).customer
    alibaba = owned(CustomerFactory(name="杭州阿里巴巴网络有限公司"), owner=head).customer
    foreign = CustomerFactory(name="外部客户有限公司")  # no relationship in BU1: the head cannot see it
    rows = [
        {"信用代码": CC1, "商机名称": "华为机床", "金额": "50万", "预计成交日期": "2027/3/31", "负责人": "colleague"},
        {"客户名称": "杭州阿里巴巴网络有限公司", "商机名称": "阿里产线", "阶段": "需求确认"},  # gate: a contact
        {"客户名称": "外部客户有限公司", "商机名称": "外部"},
        {"客户名称": "不存在的公司", "商机名称": "无"},
        {"客户名称": "阿里巴巴网络", "商机名称": "阿里二期", "阶段": "不存在的阶段"},
        {
            "客户名称": "阿里巴巴网络",
            "商机名称": "阿里三期",
            "预计成交日期": "明年",
            "竞争对手": "友商",
            "下一步": "拜访",
        },
        {"客户名称": "阿里巴巴网络", "商机名称": "阿里四期", "阶段": "赢单"},
        {"客户名称": "杭州阿里巴巴网络有限公司", "商机名称": "阿里五期", "来源": "web", "下一步日期": "2027年1月5日"},
        {
            "客户名称": "杭州阿里巴巴网络有限公司",
            "商机名称": "阿里六期",
            "阶段": "方案报价",
            "预计成交日期": "2027-06-30",
        },
    ]
    result = opportunities(head, org["bu1"], rows, chunk_size=4)

    assert pairs(result) == [
        (3, "阶段", gate("需求确认", "a contact of the customer")),
        (4, "客户名称", gettext("No such customer.")),
        (5, "客户名称", gettext("No such customer.")),
        (6, "阶段", gettext("No such stage in the sales process “%(process)s”.") % {"process": process.name}),
        (7, "预计成交日期", gettext("Enter a date, e.g. 2027-03-31.")),
        (8, "阶段", gettext("A new opportunity starts at an open stage.")),
        (10, "阶段", gate("方案报价", "a contact of the customer", "at least one product line")),
    ]
    assert (result.processed, result.created, result.updated, result.skipped, result.error_rows) == (9, 2, 0, 0, 7)
    assert sorted(Opportunity.objects.values_list("name", "customer_id", "stage__name", "owner__username")) == [
        ("华为机床", huawei.pk, "初步接洽", "colleague"),
        ("阿里五期", alibaba.pk, "初步接洽", "head"),
    ]
    first = Opportunity.objects.get(name="华为机床")
    assert (first.amount, first.expected_close, first.business_unit_id, first.process_id, first.source) == (
        Decimal("500000.00"),
        date(2027, 3, 31),
        org["bu1"].pk,
        process.pk,
        "import",
    )
    fifth = Opportunity.objects.get(name="阿里五期")
    assert (fifth.source, fifth.next_step_date) == ("web", date(2027, 1, 5))
    # created as by hand: the owner on the deal team with the whole credit, the first stage move
    assert list(DealTeamMember.objects.filter(opportunity=first).values_list("user__username", "split")) == [
        ("colleague", Decimal("100.00"))
    ]
    assert StageMove.objects.filter(opportunity__in=[first, fifth], from_stage=None).count() == 2
    assert foreign.opportunities.count() == 0


def test_a_rep_may_only_import_opportunities_for_themselves(org, rep, colleague, process):
    customer = owned(CustomerFactory(name="上海华为技术有限公司"), owner=rep).customer
    result = opportunities(
        rep,
        org["bu1"],
        [
            {"客户名称": customer.name, "商机名称": "给同事", "负责人": "colleague"},
            {"客户名称": customer.name, "商机名称": "自己的"},
        ],
    )
    assert pairs(result) == [
        (2, "负责人", gettext("Your data scope covers only your own records: leave the owner empty."))
    ]
    assert list(Opportunity.objects.values_list("name", "owner__username")) == [("自己的", "rep")]


def test_a_dry_run_checks_every_row_with_the_gates_and_writes_nothing(org, head, process):
    customer = owned(CustomerFactory(name="上海华为技术有限公司"), owner=head).customer
    result = opportunities(
        head,
        org["bu1"],
        [
            {"客户名称": customer.name, "商机名称": "一"},
            {"客户名称": customer.name, "商机名称": "二", "阶段": "需求确认"},
        ],
        dry_run=True,
    )
    assert (result.created, result.error_rows) == (1, 1)
    assert pairs(result) == [(3, "阶段", gate("需求确认", "a contact of the customer"))]
    assert (Opportunity.objects.count(), StageMove.objects.count(), DealTeamMember.objects.count()) == (0, 0, 0)


def test_without_a_sales_process_every_row_says_so(org, head):
    customer = owned(CustomerFactory(name="上海华为技术有限公司"), owner=head).customer
    result = opportunities(head, org["bu1"], [{"客户名称": customer.name, "商机名称": "一"}])
    reason = gettext("%(bu)s has no sales process yet: ask its administrator.") % {"bu": org["bu1"]}
    assert pairs(result) == [(2, gettext("stage"), reason)]
    assert Opportunity.objects.count() == 0
