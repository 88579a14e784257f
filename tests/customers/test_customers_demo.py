"""The demo group gains customers, contacts, follow-ups (one due today, one visit with a check-in, one
forgotten customer) and a company two BUs work with; loading again adds nothing."""

from __future__ import annotations

import pytest

from xietong.customers.models import Contact, Customer, FollowUp, Relationship, VisitCheckIn
from xietong.org.demo import load_demo_data

pytestmark = pytest.mark.django_db


def test_the_demo_customers_load_once():
    load_demo_data()
    shared = Customer.objects.get(name="江苏常州天合新材料股份有限公司")
    assert sorted(shared.relationships.values_list("business_unit__code", flat=True)) == ["energy", "ind"]
    assert Customer.objects.filter(tags__contains="|演示|").count() == 13
    # 13 of the customers demo; the pipeline demo adds a technical lead and a finance head (28) to the
    # customers its opportunities are for, so that its deals have contacts in their roles
    assert Contact.objects.filter(customer__tags__contains="|演示|").count() == 41
    assert FollowUp.objects.exclude(next_at=None).filter(next_done=False).exists()
    assert VisitCheckIn.objects.exists()
    assert (
        Relationship.objects.filter(customer__name="杭州钱塘智能装备有限公司", last_follow_up_at__isnull=False).count()
        == 1
    )
    counts = (Customer.objects.count(), FollowUp.objects.count())
    load_demo_data(force=True)
    assert (Customer.objects.count(), FollowUp.objects.count()) == counts
