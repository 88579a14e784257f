"""Customer services: create (validation, one customer across BUs, conflicts, duplicates), update,
relationships (level, status, transfers by managers), tags, contacts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.customers.customers_people import make_people
from tests.support.crm import CustomerFactory, CustomerPoolFactory, owned
from xietong.collaboration.models import Follow, Notification
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.validators import credit_code_check_char
from xietong.customers import matching, services
from xietong.customers.models import ClaimLog, Contact, Customer, DuplicateOverride, Relationship

pytestmark = pytest.mark.django_db


def code(first17: str = "91310115MA1K3Y6N3") -> str:
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def people(org):
    return make_people(org)


def test_create_makes_the_customer_its_bu_relationship_and_contacts(people, org):
    rel = services.customer_create(
        actor=people.rep,
        business_unit=org["bu1"],
        fields={
            "name": "上海华为技术有限公司",
            "credit_code": code().lower(),
            "province": "上海市",
            "tags": "重点, 华东",
        },
        contacts=[{"name": "王经理", "mobile": "+86 138 0013 8000", "email": "Wang@Example.com"}],
    )
    customer = rel.customer
    assert (customer.name, customer.name_key, customer.credit_code) == ("上海华为技术有限公司", "华为技术", code())
    assert customer.tag_list == ["重点", "华东"]
    assert (rel.business_unit, rel.owner, rel.pool) == (org["bu1"], people.rep, None)
    contact = Contact.objects.get(customer=customer)
    assert (contact.mobile, contact.mobile_key, contact.email, contact.is_primary) == (
        "13800138000",
        "13800138000",
        "wang@example.com",
        True,
    )
    kinds = sorted(
        AuditEntry.objects.filter(object_repr__in=[str(customer), str(rel), "王经理"]).values_list("kind", flat=True)
    )
    assert kinds == ["create", "create", "create"]
    assert ClaimLog.objects.get(relationship=rel).action == "assign"
    assert Follow.objects.filter(user=people.rep, object_id=str(customer.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "contacts", "field"),
    [
        ({"name": ""}, [], "name"),
        ({"name": "某公司", "credit_code": "91310115MA1K3Y6N30"}, [], "credit_code"),
        ({"name": "某公司", "website": "not a url"}, [], "website"),
        ({"name": "某公司", "level": "A"}, [], "level"),
        ({"name": "某公司"}, [{"name": "王", "mobile": "12345"}], "contacts.0.mobile"),
        ({"name": "某公司"}, [{"name": "王", "email": "no-at"}], "contacts.0.email"),
        ({"name": "某公司"}, [{"name": ""}], "contacts.0.name"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(people, org, fields, contacts, field):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(actor=people.rep, business_unit=org["bu1"], fields=fields, contacts=contacts)
    assert field in exc.value.message_dict
    assert Customer.objects.count() == 0


def test_create_in_a_business_unit_the_rep_does_not_work_in_is_refused(people, org):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(actor=people.rep, business_unit=org["bu2"], fields={"name": "某公司"})
    assert list(exc.value.message_dict) == ["business_unit"]


def test_create_without_the_create_permission_is_refused(org):
    from tests.support.factories import UserFactory

    nobody = UserFactory(username="nobody", primary_team=org["shanghai"])
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=nobody, business_unit=org["bu1"], fields={"name": "某公司"})


def test_the_same_company_in_another_bu_becomes_a_second_relationship_and_tells_the_owner(
    people, org, django_capture_on_commit_callbacks
):
    first = services.customer_create(
        actor=people.rep, business_unit=org["bu1"], fields={"name": "北京京东方科技集团股份有限公司"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.customer_create(
            actor=people.other_bu_rep, business_unit=org["bu2"], fields={"name": "京东方科技集团股份有限公司"}
        )
    assert second.customer_id == first.customer_id
    assert Customer.objects.count() == 1
    assert sorted(Relationship.objects.values_list("business_unit__code", "owner__username")) == [
        ("ind", "zhang.san"),
        ("med", "zhou.qi"),
    ]
    assert AuditEntry.objects.filter(verb="bu_linked", object_id=str(first.customer_id)).count() == 1
    assert set(Notification.objects.filter(kind="customer_cross_bu").values_list("recipient__username", flat=True)) >= {
        "zhang.san"
    }


def test_the_same_credit_code_links_even_under_another_name(people, org):
    first = services.customer_create(
        actor=people.rep, business_unit=org["bu1"], fields={"name": "甲公司", "credit_code": code()}
    )
    second = services.customer_create(
        actor=people.other_bu_rep,
        business_unit=org["bu2"],
        fields={"name": "甲有限公司（华北）", "credit_code": code()},
    )
    assert second.customer_id == first.customer_id


def test_the_same_company_owned_by_another_rep_of_the_bu_is_refused_with_the_owner_name(people, org):
    services.customer_create(
        actor=people.rep, business_unit=org["bu1"], fields={"name": "杭州海康威视数字技术股份有限公司"}
    )
    with pytest.raises(Conflict) as exc:
        services.customer_create(
            actor=people.rep2, business_unit=org["bu1"], fields={"name": "海康威视数字技术有限公司"}
        )
    assert "张三" in str(exc.value)
    assert exc.value.field == "name"
    assert Relationship.objects.count() == 1


def test_the_same_company_in_the_bu_pool_is_refused_pointing_at_the_pool(people, org):
    pool = CustomerPoolFactory(business_unit=org["bu1"], name="工业公海")
    services.customer_create(
        actor=people.head, business_unit=org["bu1"], fields={"name": "宁德时代新能源科技股份有限公司"}, pool=pool
    )
    with pytest.raises(Conflict) as exc:
        services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "宁德时代新能源科技"})
    assert "工业公海" in str(exc.value)


def test_a_similar_name_warns_and_goes_through_with_a_recorded_reason(people, org):
    services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "阿里巴巴网络技术有限公司"})
    with pytest.raises(matching.DuplicateFound) as exc:
        services.customer_create(
            actor=people.rep2, business_unit=org["bu1"], fields={"name": "阿里巴巴网络科技有限公司"}
        )
    assert exc.value.blocked is False
    assert list(exc.value.message_dict) == ["name"]
    rel = services.customer_create(
        actor=people.rep2,
        business_unit=org["bu1"],
        fields={"name": "阿里巴巴网络科技有限公司"},
        duplicate_reason="不同法人，经营范围不同",
    )
    override = DuplicateOverride.objects.get()
    assert (override.object_id, override.reason, override.actor) == (
        rel.customer_id,
        "不同法人，经营范围不同",
        people.rep2,
    )


def test_the_pool_limit_on_owned_customers_stops_a_create(people, org):
    CustomerPoolFactory(business_unit=org["bu1"], name="工业公海", is_default=True, max_owned=1)
    services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "第一家公司"})
    with pytest.raises(Conflict) as exc:
        services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "第二家机构"})
    assert "1" in str(exc.value)
    assert Customer.objects.count() == 1


def test_update_renames_recomputes_the_key_and_is_audited(people, org):
    rel = services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "旧名称有限公司"})
    services.customer_update(
        actor=people.rep, customer=rel.customer, fields={"name": "新名称有限公司", "industry": "汽车"}
    )
    customer = Customer.objects.get()
    assert (customer.name, customer.name_key, customer.industry) == ("新名称有限公司", "新名称", "汽车")
    entry = AuditEntry.objects.filter(kind="update", object_id=str(customer.pk)).get()
    assert entry.changes["name"] == ["旧名称有限公司", "新名称有限公司"]


def test_update_to_another_customers_credit_code_is_refused(people, org):
    services.customer_create(
        actor=people.rep, business_unit=org["bu1"], fields={"name": "甲公司", "credit_code": code()}
    )
    rel = services.customer_create(actor=people.rep, business_unit=org["bu1"], fields={"name": "乙机构"})
    with pytest.raises(ValidationError) as exc:
        services.customer_update(actor=people.rep, customer=rel.customer, fields={"credit_code": code()})
    assert list(exc.value.message_dict) == ["credit_code"]


def test_update_of_a_customer_outside_the_scope_is_not_found(people, org):
    rel = services.customer_create(actor=people.other_bu_rep, business_unit=org["bu2"], fields={"name": "外部客户"})
    with pytest.raises(NotFound):
        services.customer_update(actor=people.rep, customer=rel.customer, fields={"name": "改名"})


def test_a_rep_changes_level_and_status_but_cannot_transfer(people, org):
    rel = owned(owner=people.rep)
    services.relationship_update(actor=people.rep, relationship=rel, level="A", status="active")
    rel.refresh_from_db()
    assert (rel.level, rel.status) == ("A", "active")
    with pytest.raises(PermissionDenied):
        services.relationship_update(actor=people.rep, relationship=rel, owner=people.rep2)


def test_a_manager_transfers_to_a_member_of_the_bu_and_the_new_owner_is_logged(people, org):
    rel = owned(owner=people.rep)
    services.relationship_update(actor=people.manager, relationship=rel, owner=people.rep2, reason="调岗")
    rel.refresh_from_db()
    assert (rel.owner, rel.previous_owner) == (people.rep2, people.rep)
    log = ClaimLog.objects.get(relationship=rel)
    assert (log.action, log.user, log.actor, log.reason) == ("transfer", people.rep2, people.manager, "调岗")
    with pytest.raises(ValidationError) as exc:
        services.relationship_update(actor=people.manager, relationship=rel, owner=people.other_bu_rep)
    assert list(exc.value.message_dict) == ["owner"]


def test_a_manager_cannot_transfer_outside_what_they_see(people, org):
    """陈经理 manages 华东; the BU1 supply planner is in the BU but outside the manager's scope."""
    from tests.support.factories import UserFactory, grant

    planner = UserFactory(username="planner", display_name="计划员", primary_team=org["supply"])
    grant(planner, people.roles["sales_rep"])
    rel = owned(owner=people.rep)
    with pytest.raises(PermissionDenied):
        services.relationship_update(actor=people.manager, relationship=rel, owner=planner)
    rel.refresh_from_db()
    assert rel.owner == people.rep


def test_bulk_transfer_is_all_or_nothing(people, org):
    mine = owned(owner=people.rep)
    foreign = owned(owner=people.other_bu_rep)
    with pytest.raises(NotFound):
        services.relationship_bulk_transfer(actor=people.manager, relationships=[mine, foreign], owner=people.rep2)
    mine.refresh_from_db()
    assert mine.owner == people.rep


def test_tags_are_added_and_removed_in_bulk(people, org):
    a, b = owned(owner=people.rep), owned(owner=people.rep)
    Customer.objects.filter(pk=a.customer_id).update(tags="|旧|")
    assert services.customer_tag(actor=people.rep, customers=[a.customer, b.customer], add=["重点"], remove=["旧"]) == 2
    assert sorted(Customer.objects.values_list("tags", flat=True)) == ["|重点|", "|重点|"]


def test_one_primary_contact_per_customer(people, org):
    rel = owned(owner=people.rep)
    first = services.contact_create(actor=people.rep, customer=rel.customer, fields={"name": "甲"})
    assert first.is_primary is True
    second = services.contact_create(actor=people.rep, customer=rel.customer, fields={"name": "乙", "is_primary": True})
    assert list(Contact.objects.filter(is_primary=True).values_list("pk", flat=True)) == [second.pk]
    services.contact_delete(actor=people.rep, contact=second)
    assert list(Contact.objects.filter(is_primary=True).values_list("pk", flat=True)) == [first.pk]
    assert AuditEntry.objects.filter(verb="contact_deleted", object_id=str(rel.customer_id)).count() == 1


def test_contact_update_validates_and_cannot_move_the_contact(people, org):
    rel = owned(owner=people.rep)
    contact = services.contact_create(actor=people.rep, customer=rel.customer, fields={"name": "甲"})
    with pytest.raises(ValidationError) as exc:
        services.contact_update(actor=people.rep, contact=contact, fields={"mobile": "1234"})
    assert list(exc.value.message_dict) == ["mobile"]
    with pytest.raises(ValidationError):
        services.contact_update(actor=people.rep, contact=contact, fields={"customer": CustomerFactory()})


def test_contacts_of_a_customer_outside_the_scope_are_not_found(people, org):
    rel = owned(owner=people.other_bu_rep)
    with pytest.raises(NotFound):
        services.contact_create(actor=people.rep, customer=rel.customer, fields={"name": "甲"})


def test_a_transfer_reason_too_long_is_refused_and_the_owner_stays(people, org):
    """It was cut to 200 characters in the claim log without a word."""
    from django.utils.translation import gettext

    rel = owned(owner=people.rep)
    with pytest.raises(ValidationError) as exc:
        services.relationship_update(actor=people.manager, relationship=rel, owner=people.rep2, reason="调" * 201)
    assert exc.value.message_dict == {"reason": [gettext("At most %(n)d characters.") % {"n": 200}]}
    rel.refresh_from_db()
    assert rel.owner == people.rep
