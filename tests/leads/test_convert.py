"""Converting a lead: a new customer and contact, or a link to the existing customer that is the same
company (another BU's, or the owner's own); the lead keeps its links; the extension point."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import login
from tests.support.crm import ContactFactory, CustomerFactory, LeadFactory, owned
from xietong.core.errors import Conflict
from xietong.core.models import AuditEntry
from xietong.customers.models import Contact, Customer, Relationship
from xietong.leads import services
from xietong.leads.choices import LeadStatus

pytestmark = pytest.mark.django_db


def lead_of(rep, **fields):
    defaults = {
        "company": "苏州新材料科技有限公司",
        "contact_name": "吴经理",
        "contact_title": "采购总监",
        "mobile": "13700001111",
        "province": "江苏省",
        "city": "苏州市",
        "industry": "新材料",
        "status": LeadStatus.QUALIFIED,
    }
    return LeadFactory(owner=rep, **{**defaults, **fields})


def test_converting_creates_the_customer_and_its_contact_and_links_the_lead(org, rep):
    lead = lead_of(rep)
    customer, contact = services.lead_convert(lead=lead, actor=rep)
    assert (customer.name, customer.province, customer.industry) == ("苏州新材料科技有限公司", "江苏省", "新材料")
    relationship = Relationship.objects.get(customer=customer)
    assert (relationship.business_unit, relationship.owner) == (org["bu1"], rep)
    assert (contact.name, contact.title, contact.mobile, contact.customer) == (
        "吴经理",
        "采购总监",
        "13700001111",
        customer,
    )
    lead.refresh_from_db()
    assert (lead.status, lead.converted_customer, lead.converted_contact) == (LeadStatus.CONVERTED, customer, contact)
    assert lead.converted_at is not None
    entry = AuditEntry.objects.get(object_id=str(lead.pk), verb="lead_convert")
    assert entry.changes["converted_customer"] == [None, "苏州新材料科技有限公司"]


def test_without_a_contact_only_the_customer_is_created(rep):
    customer, contact = services.lead_convert(lead=lead_of(rep), actor=rep, create_contact=False)
    assert contact is None
    assert Contact.objects.filter(customer=customer).count() == 0


def test_an_existing_customer_of_another_business_unit_is_linked_instead_of_duplicated(org, rep, outsider):
    existing = owned(customer=CustomerFactory(name="苏州新材料科技有限公司"), owner=outsider).customer
    lead = lead_of(rep, company="苏州新材料科技（集团）有限公司")  # the same normalised name
    customer, contact = services.lead_convert(lead=lead, actor=rep)
    assert customer == existing
    assert Customer.objects.count() == 1
    assert sorted(Relationship.objects.filter(customer=existing).values_list("business_unit__code", flat=True)) == [
        "ind",
        "med",
    ]
    assert contact.customer == existing


def test_a_customer_the_owner_already_holds_in_the_business_unit_gets_the_lead_as_a_contact(rep):
    existing = owned(customer=CustomerFactory(name="苏州新材料科技有限公司"), owner=rep).customer
    ContactFactory(customer=existing, name="老联系人", is_primary=True)
    customer, _contact = services.lead_convert(lead=lead_of(rep), actor=rep)
    assert customer == existing
    assert Relationship.objects.filter(customer=existing).count() == 1
    assert sorted(Contact.objects.filter(customer=existing).values_list("name", "is_primary")) == [
        ("吴经理", False),
        ("老联系人", True),
    ]


def test_a_customer_held_by_another_rep_of_the_business_unit_is_a_conflict_naming_them(rep, rep2):
    owned(customer=CustomerFactory(name="苏州新材料科技有限公司"), owner=rep2)
    lead = lead_of(rep)
    with pytest.raises(Conflict) as exc:
        services.lead_convert(lead=lead, actor=rep)
    assert str(rep2) in str(exc.value)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED


def test_a_chosen_customer_must_be_one_the_user_sees_or_a_match(rep, outsider):
    hidden = owned(customer=CustomerFactory(name="完全无关有限公司"), owner=outsider).customer
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=lead_of(rep), actor=rep, customer_id=hidden.pk)
    assert list(exc.value.message_dict) == ["customer_id"]


def test_a_converted_lead_cannot_be_converted_again(rep):
    lead = lead_of(rep)
    services.lead_convert(lead=lead, actor=rep)
    with pytest.raises(Conflict):
        services.lead_convert(lead=lead, actor=rep)


def test_later_apps_add_to_the_conversion_through_the_extension_point(rep):
    seen = []

    def step(**kwargs):
        seen.append((kwargs["lead"].pk, kwargs["customer"].name, kwargs["options"]))

    services.register_conversion_step(step)
    try:
        lead = lead_of(rep)
        services.lead_convert(lead=lead, actor=rep, options={"sample": 1})
    finally:
        services._conversion_steps.remove(step)
    assert seen == [(lead.pk, "苏州新材料科技有限公司", {"sample": 1})]


def test_the_api_converts_and_answers_the_links(rep):
    lead = lead_of(rep)
    response = login(rep).post(f"/api/v1/leads/{lead.pk}/convert", data=json.dumps({}), content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    customer = Customer.objects.get()
    assert (body["customer_id"], body["lead"]["status"], body["lead"]["converted_customer_id"]) == (
        customer.pk,
        "converted",
        customer.pk,
    )


def test_the_convert_page_offers_the_match_and_links_to_it(rep, outsider):
    existing = owned(customer=CustomerFactory(name="苏州新材料科技有限公司"), owner=outsider).customer
    lead = lead_of(rep)
    client = login(rep)
    page = client.get(f"/leads/{lead.pk}/convert/").content.decode()
    assert f'value="{existing.pk}"' in page
    response = client.post(f"/leads/{lead.pk}/convert/", {"customer": str(existing.pk), "create_contact": "on"})
    assert response.status_code == 303
    lead.refresh_from_db()
    assert lead.converted_customer == existing
    detail = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"/customers/{existing.pk}/" in detail
