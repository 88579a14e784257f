"""The import pipeline: exactness, duplicates, scope, blank cells, dry runs — for customers, leads
and contacts."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import gettext

from tests.support.crm import ContactFactory, CustomerFactory, CustomerPoolFactory, LeadFactory, owned
from tests.support.matrix import database_fingerprint
from xietong.collaboration.models import Notification
from xietong.core.models import AuditEntry
from xietong.customers.models import Contact, Customer, Relationship
from xietong.imports.pipeline import import_rows
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db

CC1 = "91310000MA1FL0000N"
CC2 = "91110000MA01ABCD0J"
CC3 = "91440300MA5F00001A"

CUSTOMER_MAPPING = {
    "公司名称": "name",
    "统一社会信用代码": "credit_code",
    "省份": "province",
    "行业": "industry",
    "级别": "level",
    "负责人": "owner",
}

HELD = "Already exists and is held by another owner."


def customers(actor: Any, bu: Any, rows: list[dict[str, str]], mode: str = "skip", **kw: Any) -> Any:
    return import_rows(
        actor=actor,
        target="customers",
        business_unit=bu,
        rows=rows,
        mapping={h: f for h, f in CUSTOMER_MAPPING.items() if any(h in r for r in rows)},
        duplicate_mode=mode,
        dry_run=kw.pop("dry_run", False),
        **kw,
    )


def pairs(result: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in result.errors]


def test_customer_import_inserts_exactly_the_good_rows_and_reports_each_bad_row(org, rep):
    rows = [
        {"公司名称": "上海华为技术有限公司", "统一社会信用代码": CC1, "省份": "上海市", "行业": "通信"},
        {"公司名称": "北京小米科技有限责任公司", "统一社会信用代码": "91110000MA01ABCD0X"},  # bad check char
        {"公司名称": "", "省份": "江苏省"},  # no name
        {"公司名称": "深圳腾讯计算机系统有限公司", "级别": "Z"},  # bad level
        {"公司名称": "杭州阿里巴巴网络有限公司", "级别": "A"},
    ]
    result = customers(rep, org["bu1"], rows, chunk_size=2)

    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "上海华为技术有限公司",
        "杭州阿里巴巴网络有限公司",
    ]
    assert (result.created, result.updated, result.skipped, result.error_rows) == (2, 0, 0, 3)
    assert [(line, column) for line, column, _r in pairs(result)] == [
        (3, "统一社会信用代码"),
        (4, "公司名称"),
        (5, "级别"),
    ]
    assert pairs(result)[0][2] == gettext("Enter a valid 18-character unified social credit code.")
    assert pairs(result)[1][2] == gettext("This field is required.")
    huawei = Customer.objects.get(credit_code=CC1)
    assert (huawei.name_key, huawei.province, huawei.industry, huawei.source) == (
        "华为技术",
        "上海市",
        "通信",
        "import",
    )
    rel = Relationship.objects.get(customer=huawei)
    assert (rel.business_unit_id, rel.owner_id, rel.level) == (org["bu1"].pk, rep.pk, "C")
    assert Relationship.objects.get(customer__name="杭州阿里巴巴网络有限公司").level == "A"
    entry = AuditEntry.objects.get(verb="import")
    assert entry.changes["created"] == [None, 2]
    assert entry.changes["error_rows"] == [None, 3]


def test_reimporting_the_same_rows_creates_no_duplicates(org, rep):
    rows = [
        {"公司名称": "上海华为技术有限公司", "统一社会信用代码": CC1},
        {"公司名称": "北京小米科技有限责任公司"},
    ]
    customers(rep, org["bu1"], rows)
    again = customers(rep, org["bu1"], rows)

    assert (again.created, again.skipped, again.error_rows) == (0, 2, 0)
    assert Customer.objects.count() == 2
    assert Relationship.objects.count() == 2


def test_name_variants_match_the_same_customer(org, rep):
    owned(CustomerFactory(name="小米科技有限责任公司"), owner=rep)
    result = customers(rep, org["bu1"], [{"公司名称": "北京市小米科技（集团）有限公司"}])
    assert (result.created, result.skipped) == (0, 1)


def test_duplicates_within_the_file_follow_the_mode(org, rep):
    rows = [
        {"公司名称": "华为技术有限公司", "统一社会信用代码": CC1, "省份": "广东省"},
        {"公司名称": "华为技术有限公司（深圳）", "统一社会信用代码": CC1, "行业": "通信"},
        {"公司名称": "小米科技有限公司"},
        {"公司名称": "北京小米科技有限公司", "行业": "电子"},
    ]
    skipped = customers(rep, org["bu1"], rows, mode="skip", dry_run=True)
    assert (skipped.created, skipped.skipped, skipped.updated) == (2, 2, 0)

    updated = customers(rep, org["bu1"], rows, mode="update", chunk_size=1)
    assert (updated.created, updated.updated) == (2, 2)
    huawei = Customer.objects.get(credit_code=CC1)
    assert (huawei.province, huawei.industry) == ("广东省", "通信")
    assert Customer.objects.get(name_key="小米科技").industry == "电子"
    assert Customer.objects.count() == 2


def test_create_anyway_creates_name_duplicates_but_never_a_second_credit_code(org, rep):
    owned(CustomerFactory(name="小米科技有限公司"), owner=rep)
    owned(CustomerFactory(name="华为技术有限公司", credit_code=CC1), owner=rep)
    result = customers(
        rep,
        org["bu1"],
        [{"公司名称": "小米科技有限公司"}, {"公司名称": "华为", "统一社会信用代码": CC1}],
        mode="create",
    )
    assert (result.created, result.error_rows) == (1, 1)
    assert pairs(result) == [(3, "统一社会信用代码", gettext("A customer with this credit code already exists."))]
    assert Customer.objects.filter(name_key="小米科技").count() == 2


def test_blank_cells_never_erase_existing_values(org, rep):
    customer = CustomerFactory(name="华为技术有限公司", credit_code=CC1, province="广东省", industry="通信")
    owned(customer, owner=rep, level="B")
    result = customers(
        rep,
        org["bu1"],
        [{"公司名称": "华为技术有限公司", "统一社会信用代码": CC1, "省份": "", "行业": "电信", "级别": ""}],
        mode="update",
    )
    assert result.updated == 1
    customer.refresh_from_db()
    assert (customer.province, customer.industry) == ("广东省", "电信")
    assert Relationship.objects.get(customer=customer).level == "B"


def test_update_mode_updates_relationship_fields_of_the_import_bu(org, rep):
    customer = CustomerFactory(name="华为技术有限公司", credit_code=CC1)
    owned(customer, owner=rep, level="C")
    customers(rep, org["bu1"], [{"公司名称": "华为技术有限公司", "统一社会信用代码": CC1, "级别": "A"}], mode="update")
    assert Relationship.objects.get(customer=customer).level == "A"


def test_a_match_outside_the_importers_scope_is_an_error_and_stays_unchanged(org, rep, colleague):
    customer = CustomerFactory(name="华为技术有限公司", credit_code=CC1, industry="通信")
    owned(customer, owner=colleague)
    before = database_fingerprint(["customers.Customer", "customers.Relationship"])
    for mode in ("skip", "update", "create"):
        result = customers(rep, org["bu1"], [{"公司名称": "华为", "统一社会信用代码": CC1, "行业": "改了"}], mode=mode)
        assert pairs(result) == [(2, "统一社会信用代码", gettext(HELD))]
        assert (result.created, result.updated, result.skipped) == (0, 0, 0)
    assert database_fingerprint(["customers.Customer", "customers.Relationship"]) == before


def test_the_bu_head_updates_what_their_reps_hold(org, rep, head):
    customer = CustomerFactory(name="华为技术有限公司", credit_code=CC1, industry="通信")
    owned(customer, owner=rep)
    result = customers(head, org["bu1"], [{"公司名称": "华为", "统一社会信用代码": CC1, "行业": "电信"}], mode="update")
    assert result.updated == 1
    customer.refresh_from_db()
    assert customer.industry == "电信"


def test_a_customer_of_another_bu_gets_a_relationship_with_the_import_bu(org, rep, outsider):
    customer = CustomerFactory(name="华为技术有限公司", credit_code=CC1, industry="通信")
    owned(customer, owner=outsider)
    result = customers(rep, org["bu1"], [{"公司名称": "华为", "统一社会信用代码": CC1, "行业": "改了"}])
    assert (result.created, result.error_rows) == (1, 0)
    assert Customer.objects.count() == 1
    assert sorted(Relationship.objects.values_list("business_unit_id", "owner_id")) == sorted(
        [(org["bu1"].pk, rep.pk), (org["bu2"].pk, outsider.pk)]
    )
    customer.refresh_from_db()
    assert customer.industry == "通信"  # skip mode: the common card is left alone


def test_linking_a_customer_of_another_bu_tells_both_owners(
    org, head, rep, outsider, django_capture_on_commit_callbacks
):
    owned(CustomerFactory(name="华为技术有限公司", credit_code=CC1), owner=outsider)
    rows = [{"公司名称": "华为", "统一社会信用代码": CC1, "负责人": "rep"}, {"公司名称": "新公司", "负责人": "rep"}]
    with django_capture_on_commit_callbacks(execute=True):
        result = customers(head, org["bu1"], rows)
    assert result.created == 2
    told = Notification.objects.filter(kind="customer_cross_bu").values_list("recipient__username", flat=True)
    assert sorted(told) == ["bu2rep", "rep"]  # one notice each, about the one customer both BUs work


def test_an_owner_past_their_ownership_limit_gets_no_more_rows(org, rep, head):
    pool = CustomerPoolFactory(business_unit=org["bu1"], max_owned=3)
    owned(CustomerFactory(name="已有公司"), owner=rep)
    rows = [{"公司名称": f"公司{n}", "负责人": "rep"} for n in range(4)] + [{"公司名称": "赵总的公司"}]
    result = customers(head, org["bu1"], rows, chunk_size=2)  # the limit holds across chunks
    refusal = gettext(
        "%(name)s already owns %(count)s customers in %(bu)s; the limit “customers a rep may own” is %(limit)s "
        "(%(source)s)."
    ) % {
        "name": rep,
        "count": 3,
        "bu": org["bu1"],
        "limit": 3,
        "source": gettext("the limit of the pool “%(pool)s”") % {"pool": pool.name},
    }
    assert (result.created, result.error_rows) == (3, 2)
    assert pairs(result) == [(4, "负责人", refusal), (5, "负责人", refusal)]
    assert Relationship.objects.filter(owner=rep).count() == 3
    assert Relationship.objects.filter(owner=head).count() == 1


def test_a_dry_run_counts_the_ownership_limit_across_chunks(org, rep):
    CustomerPoolFactory(business_unit=org["bu1"], max_owned=2)
    rows = [{"公司名称": f"公司{n}"} for n in range(3)]
    result = customers(rep, org["bu1"], rows, chunk_size=1, dry_run=True)
    assert (result.created, result.error_rows, [line for line, _c, _r in pairs(result)]) == (2, 1, [4])


def test_owner_column_resolves_people_of_the_bu(org, head, rep, outsider):
    result = customers(
        head,
        org["bu1"],
        [
            {"公司名称": "甲公司", "负责人": "rep"},
            {"公司名称": "乙公司", "负责人": "王销售"},
            {"公司名称": "丙公司", "负责人": "bu2rep"},
            {"公司名称": "丁公司", "负责人": "没有这个人"},
        ],
    )
    assert result.created == 2
    assert set(Relationship.objects.values_list("owner_id", flat=True)) == {rep.pk}
    assert [(line, column) for line, column, _r in pairs(result)] == [(4, "负责人"), (5, "负责人")]
    assert pairs(result)[0][2] == gettext("No such person in this business unit: “%(name)s”.") % {"name": "bu2rep"}


def test_a_rep_with_the_self_scope_cannot_import_for_someone_else(org, rep, colleague):
    result = customers(rep, org["bu1"], [{"公司名称": "甲公司", "负责人": "colleague"}])
    assert result.created == 0
    assert pairs(result) == [
        (2, "负责人", gettext("Your data scope covers only your own records: leave the owner empty."))
    ]


def test_dry_run_writes_nothing_and_reports_what_would_happen(org, rep):
    owned(CustomerFactory(name="华为技术有限公司", credit_code=CC1), owner=rep)
    before = database_fingerprint()
    result = customers(
        rep,
        org["bu1"],
        [{"公司名称": "华为", "统一社会信用代码": CC1}, {"公司名称": "新公司"}, {"公司名称": "坏", "级别": "Q"}],
        dry_run=True,
    )
    assert (result.created, result.skipped, result.error_rows) == (1, 1, 1)
    assert database_fingerprint() == before


# --- leads ---------------------------------------------------------------------------------------------

LEAD_MAPPING = {"公司": "company", "联系人": "contact_name", "手机": "mobile", "邮箱": "email", "预算": "budget"}


def leads(actor: Any, bu: Any, rows: list[dict[str, str]], mode: str = "skip") -> Any:
    return import_rows(
        actor=actor,
        target="leads",
        business_unit=bu,
        rows=rows,
        mapping=LEAD_MAPPING,
        duplicate_mode=mode,
        dry_run=False,
    )


def test_lead_import_keys_on_mobile_then_email(org, rep):
    rows = [
        {"公司": "甲公司", "联系人": "张三", "手机": "+86 138-0013-8000", "预算": "12万"},
        {"公司": "乙公司", "联系人": "李四", "邮箱": "Li@Example.com"},
        {"公司": "丙公司", "联系人": "王五", "手机": "12345"},
        {"公司": "丁公司", "联系人": "", "手机": "13900139000"},
    ]
    result = leads(rep, org["bu1"], rows)
    assert (result.created, result.error_rows) == (2, 2)
    assert pairs(result) == [
        (4, "手机", gettext("Enter an 11-digit mobile number, e.g. 138 0013 8000.")),
        (5, "联系人", gettext("This field is required.")),
    ]
    zhang = Lead.objects.get(contact_name="张三")
    assert (zhang.mobile, zhang.mobile_key, str(zhang.budget), zhang.owner_id, zhang.source) == (
        "13800138000",
        "13800138000",
        "120000.00",
        rep.pk,
        "import",
    )
    assert Lead.objects.get(contact_name="李四").email == "li@example.com"

    again = leads(rep, org["bu1"], rows[:2])
    assert (again.created, again.skipped) == (0, 2)
    assert Lead.objects.count() == 2


def test_lead_held_by_a_colleague_is_reported_not_updated(org, rep, colleague):
    lead = LeadFactory(owner=colleague, mobile="13800138000", mobile_key="13800138000", company="甲公司")
    result = leads(rep, org["bu1"], [{"公司": "改名", "联系人": "张三", "手机": "13800138000"}], mode="update")
    assert pairs(result) == [(2, "手机", gettext(HELD))]
    lead.refresh_from_db()
    assert lead.company == "甲公司"


def test_the_same_mobile_in_another_bu_is_another_lead(org, rep, outsider):
    LeadFactory(owner=outsider, mobile="13800138000", mobile_key="13800138000")
    result = leads(rep, org["bu1"], [{"联系人": "张三", "手机": "13800138000"}])
    assert result.created == 1


# --- contacts -------------------------------------------------------------------------------------------

CONTACT_MAPPING = {
    "客户": "customer",
    "信用代码": "customer_credit_code",
    "姓名": "name",
    "手机": "mobile",
    "职务": "title",
}


def contacts(actor: Any, rows: list[dict[str, str]], mode: str = "skip", bu: Any = None) -> Any:
    return import_rows(
        actor=actor,
        target="contacts",
        business_unit=bu or actor.business_unit,
        rows=rows,
        mapping=CONTACT_MAPPING,
        duplicate_mode=mode,
        dry_run=False,
    )


def test_contacts_attach_to_customers_the_importer_may_edit(org, rep, colleague):
    mine = CustomerFactory(name="华为技术有限公司", credit_code=CC1)
    owned(mine, owner=rep)
    theirs = CustomerFactory(name="小米科技有限公司")
    owned(theirs, owner=colleague)
    result = contacts(
        rep,
        [
            {"客户": "华为技术有限公司", "姓名": "张三", "手机": "13800138000", "职务": "采购经理"},
            {"信用代码": CC1, "姓名": "李四"},
            {"客户": "小米科技", "姓名": "王五"},
            {"客户": "不存在的公司", "姓名": "赵六"},
            {"姓名": "钱七"},
        ],
    )
    assert result.created == 2
    assert sorted(Contact.objects.filter(customer=mine).values_list("name", flat=True)) == ["张三", "李四"]
    no_such = gettext("No such customer.")
    assert pairs(result) == [
        (4, "客户", no_such),
        (5, "客户", no_such),
        (6, "客户", gettext("This field is required.")),
    ]
    zhang = Contact.objects.get(name="张三")
    assert (zhang.mobile_key, zhang.title, zhang.created_by_id) == ("13800138000", "采购经理", rep.pk)


def test_contacts_update_by_mobile_within_their_customer(org, rep):
    customer = CustomerFactory(name="华为技术有限公司")
    owned(customer, owner=rep)
    contact = ContactFactory(customer=customer, name="张三", mobile="13800138000", mobile_key="13800138000", title="")
    result = contacts(rep, [{"客户": "华为技术", "姓名": "张三丰", "手机": "138 0013 8000", "职务": ""}], mode="update")
    assert (result.updated, result.created) == (1, 0)
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("张三丰", "")
    assert Contact.objects.count() == 1


def test_imported_leads_are_placed_by_the_assignment_rules_and_found_by_the_similar_name_check(org, rep, colleague):
    from tests.support.crm import LeadPoolFactory
    from xietong.customers import matching
    from xietong.leads.models import AssignmentRule

    pool = LeadPoolFactory(business_unit=org["bu1"], is_default=True)
    rule = AssignmentRule.objects.create(
        business_unit=org["bu1"], name="浙江", priority=1, method="region", values=["浙江"]
    )
    rule.assignees.set([colleague])
    result = import_rows(
        actor=rep,
        target="leads",
        business_unit=org["bu1"],
        rows=[
            {"公司": "杭州娃哈哈饮料有限公司", "联系人": "张三", "手机": "13800138001", "省份": "浙江省"},
            {"公司": "上海华东精工有限公司", "联系人": "李四", "手机": "13800138002", "省份": "上海市"},
        ],
        mapping={**LEAD_MAPPING, "省份": "province"},
        duplicate_mode="skip",
        dry_run=False,
    )
    assert result.created == 2
    placed = dict(Lead.objects.values_list("contact_name", "owner__username"))
    assert placed == {"张三": colleague.username, "李四": rep.username}  # no rule matched: the importer
    assert Lead.objects.get(contact_name="张三").assigned_by_rule == rule
    assert pool.leads.count() == 0
    found = [c.name for c in matching.lead_candidates(company="杭州娃哈哈饮科有限公司")]
    assert found == ["杭州娃哈哈饮料有限公司"]


def test_imported_customers_are_found_by_the_similar_name_check(org, rep):
    from xietong.customers import matching

    customers(rep, org["bu1"], [{"公司名称": "苏州华东精密机械制造有限公司", "省份": "江苏"}])
    assert [c.name for c in matching.customer_candidates(name="苏州华东精密机棫制造有限公司")] == [
        "苏州华东精密机械制造有限公司"
    ]
