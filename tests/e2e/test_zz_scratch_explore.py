import pytest
from django.core.management import call_command
pytestmark = [pytest.mark.django_db(transaction=True)]

def test_explore():
    call_command("demo_data", "--no-logins", verbosity=0)
    from xietong.customers.models import Relationship, CustomerPool, RecycleRule, OwnershipLimit
    for p in CustomerPool.objects.all():
        print("POOL", p.pk, p.business_unit.code, p.name, p.is_default)
    for r in Relationship.objects.filter(business_unit__code="ind").select_related("customer","owner","pool"):
        print("REL", r.pk, r.customer_id, r.customer, r.owner and r.owner.username, r.pool, r.level, r.status, r.last_follow_up_at, r.claimed_at, r.created_at, r.protected_until, r.has_open_business)
