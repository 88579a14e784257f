"""Factories for the CRM records (customers, relationships, contacts, pools, leads).

They write rows directly, as fixtures: tests of behaviour call the services instead. Keys that
services derive (``name_key``, ``mobile_key``, ``company_key``) are derived here the same way.
"""

from __future__ import annotations

from typing import Any

import factory

from xietong.customers.models import Contact, Customer, CustomerPool, Relationship
from xietong.leads.models import Lead, LeadPool


def _name_key(name: str) -> str:
    from xietong.customers import matching

    return matching.normalise_name(name)


def _mobile_key(mobile: str) -> str:
    from xietong.core.validators import normalize_mobile

    return normalize_mobile(mobile)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    name_key = factory.LazyAttribute(lambda o: _name_key(o.name))
    province = "上海市"
    city = "上海市"
    industry = "制造业"


class CustomerPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPool

    name = factory.Sequence(lambda n: f"公海{n}")
    business_unit = None  # required: pass it


class RelationshipFactory(factory.django.DjangoModelFactory):
    """A BU's relationship; pass ``owner`` (owned) or ``pool`` (in the pool). ``business_unit``
    defaults to the owner's or the pool's."""

    class Meta:
        model = Relationship

    customer = factory.SubFactory(CustomerFactory)
    owner = None
    pool = None
    business_unit = factory.LazyAttribute(
        lambda o: o.owner.business_unit if o.owner is not None else o.pool.business_unit
    )
    level = "C"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    mobile_key = factory.LazyAttribute(lambda o: _mobile_key(o.mobile))


class LeadPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadPool

    name = factory.Sequence(lambda n: f"线索池{n}")
    business_unit = None  # required: pass it


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead; pass ``owner`` or ``pool``; ``business_unit`` defaults to theirs."""

    class Meta:
        model = Lead

    company = factory.Sequence(lambda n: f"线索公司{n}有限公司")
    company_key = factory.LazyAttribute(lambda o: _name_key(o.company))
    contact_name = factory.Sequence(lambda n: f"张{n}")
    mobile = factory.Sequence(lambda n: f"137{n:08d}")
    mobile_key = factory.LazyAttribute(lambda o: _mobile_key(o.mobile))
    owner = None
    pool = None
    business_unit = factory.LazyAttribute(
        lambda o: o.owner.business_unit if o.owner is not None else o.pool.business_unit
    )


def owned(customer: Any = None, **kwargs: Any) -> Relationship:
    """Shorthand: ``owned(owner=rep)`` → a relationship of a new customer owned by ``rep``."""
    if customer is not None:
        kwargs["customer"] = customer
    return RelationshipFactory(**kwargs)
