"""Customer pages: the list (filters, search, keyset pages, query guard, bulk actions, exports), create
and edit, the 360° page as each viewer may see it, and "forgotten customers"."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from tests.conftest import login
from tests.customers.customers_people import make_people
from tests.support.crm import ContactFactory, CustomerFactory, CustomerPoolFactory, RelationshipFactory, owned
from tests.support.forms import submitted
from tests.support.queries import assert_queries_constant
from xietong.core.exports import CONTENT_TYPE
from xietong.customers import followups, services
from xietong.customers.models import Customer, PoolMember, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return make_people(org)


def names(response) -> list[str]:
    return [r.customer.name for r in response.context["page"]["rows"]]


def test_the_list_shows_what_the_viewer_may_see(people):
    owned(customer=CustomerFactory(name="张三的客户"), owner=people.rep)
    owned(customer=CustomerFactory(name="李雷的客户"), owner=people.rep2)
    owned(customer=CustomerFactory(name="外部门客户"), owner=people.other_bu_rep)
    assert sorted(names(login(people.rep).get("/customers/"))) == ["张三的客户"]
    assert sorted(names(login(people.manager).get("/customers/"))) == ["张三的客户", "李雷的客户"]
    response = login(people.manager).get("/customers/")
    assert response.status_code == 200
    assert "外部门客户" not in response.content.decode()


def test_the_list_filters_and_searches_names_phones_and_emails(people):
    a = owned(
        customer=CustomerFactory(name="上海电气集团股份有限公司", province="上海市", tags="|重点|"),
        owner=people.rep,
        level="A",
    )
    b = owned(customer=CustomerFactory(name="杭州海康威视", province="浙江省"), owner=people.rep2, level="B")
    ContactFactory(customer=b.customer, mobile="13912345678", email="buyer@hik.com")
    client = login(people.manager)
    assert names(client.get("/customers/?q=电气")) == ["上海电气集团股份有限公司"]
    assert names(client.get("/customers/?q=139 1234")) == ["杭州海康威视"]
    assert names(client.get("/customers/?q=buyer@hik")) == ["杭州海康威视"]
    assert names(client.get("/customers/?level=A")) == ["上海电气集团股份有限公司"]
    assert names(client.get("/customers/?province=浙江")) == ["杭州海康威视"]
    assert names(client.get("/customers/?tag=重点")) == ["上海电气集团股份有限公司"]
    assert names(client.get(f"/customers/?owner={people.rep2.pk}")) == ["杭州海康威视"]
    assert names(client.get(f"/customers/?team={people.org['pudong'].pk}")) == ["杭州海康威视"]
    assert names(client.get("/customers/?scope=mine")) == []
    Relationship.objects.filter(pk=a.pk).update(last_follow_up_at=timezone.now())
    Relationship.objects.filter(pk=b.pk).update(created_at=timezone.now() - timedelta(days=40))
    assert names(client.get("/customers/?no_follow_up=30")) == ["杭州海康威视"]


def test_keyset_pages_walk_forward_and_back_with_the_sort(people, settings):
    from xietong.core import pagination

    for i in range(7):
        owned(customer=CustomerFactory(name=f"客户{i:02d}"), owner=people.rep)
    client = login(people.rep)
    original = pagination.PER_PAGE
    pagination.PER_PAGE = 3
    try:
        first = client.get("/customers/?sort=name")
        pages = [names(first)]
        page = first.context["page"]
        while page["next_cursor"]:
            response = client.get(f"/customers/?sort=name&after={page['next_cursor']}")
            pages.append(names(response))
            page = response.context["page"]
        back = client.get(f"/customers/?sort=name&before={page['previous_cursor']}")
    finally:
        pagination.PER_PAGE = original
    assert pages == [["客户00", "客户01", "客户02"], ["客户03", "客户04", "客户05"], ["客户06"]]
    assert names(back) == ["客户03", "客户04", "客户05"]
    assert (first.context["page"]["count"], first.context["page"]["count_more"]) == (7, False)


def test_keyset_pages_sort_on_a_column_with_empty_values(people):
    from xietong.core import pagination

    now = timezone.now()
    for i in range(5):
        rel = owned(customer=CustomerFactory(name=f"客户{i}"), owner=people.rep)
        if i % 2 == 0:
            Relationship.objects.filter(pk=rel.pk).update(last_follow_up_at=now - timedelta(days=i))
    original = pagination.PER_PAGE
    pagination.PER_PAGE = 2
    client = login(people.rep)
    try:
        seen, url = [], "/customers/?sort=-last_follow_up"
        while url:
            response = client.get(url)
            seen += names(response)
            cursor = response.context["page"]["next_cursor"]
            url = f"/customers/?sort=-last_follow_up&after={cursor}" if cursor else ""
    finally:
        pagination.PER_PAGE = original
    assert seen == ["客户0", "客户2", "客户4", "客户3", "客户1"]


def test_the_list_costs_the_same_however_many_rows(people):
    client = login(people.manager)
    owned(owner=people.rep)

    def add() -> None:
        for _ in range(5):
            rel = owned(owner=people.rep2)
            ContactFactory(customer=rel.customer)

    assert_queries_constant(lambda: client.get("/customers/"), add, max_queries=14)
    assert_queries_constant(lambda: client.get("/customers/?q=客户"), add)


def test_the_count_is_capped(people, monkeypatch):
    from xietong.core import pagination

    for _ in range(4):
        owned(owner=people.rep)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr(pagination.capped_count, "__defaults__", (3,))
    response = login(people.rep).get("/customers/")
    assert (response.context["page"]["count"], response.context["page"]["count_more"]) == (3, True)
    assert "3+" in response.content.decode()


def test_create_page_creates_and_shows_duplicate_warnings(people, org):
    client = login(people.rep)
    assert client.get("/customers/new/").status_code == 200
    response = client.post(
        "/customers/new/",
        {
            "business_unit": org["bu1"].pk,
            "name": "阿里巴巴网络技术有限公司",
            "kind": "company",
            "contact_name": "马经理",
            "contact_mobile": "13800138000",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/customers/{customer.pk}/"
    warned = client.post(
        "/customers/new/", {"business_unit": org["bu1"].pk, "name": "阿里巴巴网络科技有限公司", "kind": "company"}
    )
    assert warned.status_code == 200
    assert "duplicate-candidates" in warned.content.decode()
    assert "张三（工业设备事业部）" in warned.content.decode()
    went = client.post(
        "/customers/new/",
        {
            "business_unit": org["bu1"].pk,
            "name": "阿里巴巴网络科技有限公司",
            "kind": "company",
            "warned": "1",
            "duplicate_reason": "另一家公司",
        },
    )
    assert went.status_code == 303
    assert Customer.objects.count() == 2


def test_create_page_names_the_owner_of_a_held_customer(people, org):
    owned(customer=CustomerFactory(name="比亚迪股份有限公司"), owner=people.rep2)
    response = login(people.rep).post(
        "/customers/new/", {"business_unit": org["bu1"].pk, "name": "比亚迪股份有限公司", "kind": "company"}
    )
    assert response.status_code == 200
    assert "李雷" in response.content.decode()
    assert Relationship.objects.count() == 1


def test_create_page_shows_a_bad_credit_code_next_to_the_field(people, org):
    response = login(people.rep).post(
        "/customers/new/", {"business_unit": org["bu1"].pk, "name": "某公司", "kind": "company", "credit_code": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"] == [
        gettext("Enter a valid 18-character unified social credit code.")
    ]


def test_edit_page_saves_the_card(people):
    rel = owned(owner=people.rep)
    client = login(people.rep)
    assert client.get(f"/customers/{rel.customer_id}/edit/").status_code == 200
    response = client.post(
        f"/customers/{rel.customer_id}/edit/", {"name": "改名后的公司", "kind": "company", "tags": "甲,乙"}
    )
    assert response.status_code == 303
    rel.customer.refresh_from_db()
    assert (rel.customer.name, rel.customer.tag_list) == ("改名后的公司", ["甲", "乙"])


def test_relationship_page_lets_a_manager_transfer(people):
    rel = owned(owner=people.rep)
    client = login(people.manager)
    assert client.get(f"/customers/relationships/{rel.pk}/edit/").status_code == 200
    response = client.post(
        f"/customers/relationships/{rel.pk}/edit/", {"level": "A", "status": "prospect", "owner": people.rep2.pk}
    )
    assert response.status_code == 303
    rel.refresh_from_db()
    assert (rel.level, rel.owner) == ("A", people.rep2)


def test_a_manager_changing_the_level_of_a_pool_customer_leaves_it_in_the_pool(people, org):
    """The page's own form posted back with a new level: before, the owner list had no "nobody", so the
    first person listed became the owner and the customer left the pool unclaimed."""
    pool = CustomerPoolFactory(business_unit=org["bu1"], name="工业公海")
    rel = RelationshipFactory(customer=CustomerFactory(name="公海里的公司"), business_unit=org["bu1"], pool=pool)
    client = login(people.head)
    page = client.get(f"/customers/relationships/{rel.pk}/edit/").content.decode()
    owner_select = page[page.index('<select name="owner"') :]
    assert re.match(r'<select name="owner"[^>]*>\s*<option value="" selected>', owner_select)
    data = submitted(page, "xt-form")
    data["level"] = "A"

    assert client.post(f"/customers/relationships/{rel.pk}/edit/", data).status_code == 303
    rel.refresh_from_db()
    assert (rel.level, rel.owner, rel.pool) == ("A", None, pool)
    data["owner"] = people.rep2.pk  # a manager may still hand it to someone
    assert client.post(f"/customers/relationships/{rel.pk}/edit/", data).status_code == 303
    rel.refresh_from_db()
    assert (rel.owner, rel.pool) == (people.rep2, None)
    owned_page = client.get(f"/customers/relationships/{rel.pk}/edit/").content.decode()
    assert not re.match(
        r'<select name="owner"[^>]*>\s*<option value=""', owned_page[owned_page.index('<select name="owner"') :]
    )


def test_the_360_page_shows_each_viewer_what_they_may_see(people, org):
    rel = owned(customer=CustomerFactory(name="三一重工股份有限公司", credit_code=""), owner=people.rep, level="A")
    RelationshipFactory(customer=rel.customer, owner=people.other_bu_rep)
    ContactFactory(customer=rel.customer, name="梁总", mobile="13700000001")
    followups.followup_create(actor=people.rep, record=rel.customer, kind="call", content="工业部的跟进内容")
    followups.followup_create(actor=people.other_bu_rep, record=rel.customer, kind="call", content="医疗部的跟进内容")
    mine = login(people.rep).get(f"/customers/{rel.customer_id}/").content.decode()
    assert "梁总" in mine and "13700000001" in mine
    assert "工业部的跟进内容" in mine and "医疗部的跟进内容" not in mine
    assert "周七" in mine  # the other BU and its owner, nothing more
    theirs = login(people.other_bu_rep).get(f"/customers/{rel.customer_id}/").content.decode()
    assert "医疗部的跟进内容" in theirs and "工业部的跟进内容" not in theirs
    assert login(people.rep2).get(f"/customers/{rel.customer_id}/").status_code == 404


def test_a_pool_member_sees_the_limited_card_without_phones(people, org):
    pool = CustomerPoolFactory(business_unit=org["bu1"], name="工业公海")
    PoolMember.objects.create(pool=pool, user=people.rep2)
    rel = RelationshipFactory(customer=CustomerFactory(name="公海里的公司"), pool=pool)
    ContactFactory(customer=rel.customer, name="赵总", mobile="13600000002")
    response = login(people.rep2).get(f"/customers/{rel.customer_id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["card"].limited is True
    assert "公海里的公司" in body and "customer-limited-card" in body
    assert "13600000002" not in body and "赵总" not in body


def test_registered_tabs_show_on_the_360_page(people):
    from xietong.customers import registrations

    registrations.register_customer_tab(
        registrations.CustomerTab("test-tab", "测试标签页", "components/keyset_count.html", order=1)
    )
    try:
        rel = owned(owner=people.rep)
        response = login(people.rep).get(f"/customers/{rel.customer_id}/")
        assert "测试标签页" in response.content.decode()
    finally:
        registrations._tabs.pop("test-tab")


def test_forgotten_customers_lists_those_without_a_recent_follow_up(people):
    recent = owned(customer=CustomerFactory(name="最近跟进"), owner=people.rep)
    old = owned(customer=CustomerFactory(name="久未跟进"), owner=people.rep)
    Relationship.objects.filter(pk=recent.pk).update(last_follow_up_at=timezone.now() - timedelta(days=2))
    Relationship.objects.filter(pk=old.pk).update(last_follow_up_at=timezone.now() - timedelta(days=45))
    client = login(people.rep)
    first = client.get("/customers/forgotten/")
    assert names(first) == ["久未跟进"]
    assert first.context["form"]["days"].value() == "30"  # the filter shows the days it applies
    assert names(client.get("/customers/forgotten/?days=1")) == ["久未跟进", "最近跟进"]


def test_exports_apply_filters_visibility_and_are_formula_safe(people):
    owned(customer=CustomerFactory(name='=HYPERLINK("http://x")', industry="+1"), owner=people.rep)
    owned(customer=CustomerFactory(name="别人的客户"), owner=people.other_bu_rep)
    client = login(people.manager)
    response = client.get("/customers/export/")
    assert response["Content-Type"] == CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[8]) for r in rows] == [('\'=HYPERLINK("http://x")', "'+1")]
    response = client.get("/customers/export/?format=csv&q=HYPER")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [(r[0], r[8]) for r in rows[1:]] == [('\'=HYPERLINK("http://x")', "'+1")]
    assert login(people.rep).get("/customers/export/").status_code == 403  # reps hold no "export"


def test_bulk_actions_tag_and_transfer(people):
    a, b = owned(owner=people.rep), owned(owner=people.rep)
    client = login(people.manager)
    response = client.post("/customers/bulk/", {"action": "tag", "ids": f"{a.pk},{b.pk}", "tags": "展会"})
    assert response.status_code == 303
    assert sorted(Customer.objects.values_list("tags", flat=True)) == ["|展会|", "|展会|"]
    client.post("/customers/bulk/", {"action": "assign", "ids": f"{a.pk}", "owner": people.rep2.pk})
    a.refresh_from_db()
    assert a.owner == people.rep2


def test_bulk_release_returns_customers_to_the_pool(people, org):
    pool = CustomerPoolFactory(business_unit=org["bu1"], name="工业公海", is_default=True)
    rel = owned(owner=people.rep)
    response = login(people.rep).post("/customers/bulk/", {"action": "release", "ids": str(rel.pk), "reason": "无需求"})
    assert response.status_code == 303
    rel.refresh_from_db()
    assert (rel.owner, rel.pool) == (None, pool)


def test_a_merged_customer_page_goes_to_the_survivor(people):
    survivor = owned(owner=people.rep)
    gone = owned(owner=people.rep)
    Customer.objects.filter(pk=gone.customer_id).update(merged_into=survivor.customer)
    response = login(people.rep).get(f"/customers/{gone.customer_id}/")
    assert (response.status_code, response["Location"]) == (302, f"/customers/{survivor.customer_id}/")


def test_the_customer_is_found_by_the_global_search(people):
    owned(customer=CustomerFactory(name="徐工集团工程机械股份有限公司"), owner=people.rep)
    owned(customer=CustomerFactory(name="徐州外部公司"), owner=people.other_bu_rep)
    response = login(people.rep).get("/search/?q=徐")
    found = {p.key: [hit.title for hit in hits] for p, hits in response.context["results"]}
    assert found["customers"] == ["徐工集团工程机械股份有限公司"]
    assert "徐州外部公司" not in response.content.decode()


def test_pages_answer_with_services(people, org):
    """Smoke: every page of the area renders for a rep."""
    rel = owned(owner=people.rep)
    services.contact_create(actor=people.rep, customer=rel.customer, fields={"name": "联系人甲"})
    client = login(people.rep)
    for url in ["/customers/", "/customers/forgotten/", "/customers/contacts/", f"/customers/{rel.customer_id}/", "/"]:
        assert client.get(url).status_code == 200, url
