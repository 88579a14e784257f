"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.support.crm import ContactFactory, CustomerFactory, RelationshipFactory
from tests.support.matrix import Route
from xietong.customers.models import Customer, FollowUp

CUSTOMER_CARD = {"name": "改名", "kind": "company"}
CONTACT = {"name": "改名"}
IN_CUSTOMER = {"customer_id": lambda rel: rel.customer_id}

ROUTES: list[Route] = [
    # pages
    Route("GET", "/customers/{pk}/", "customer"),
    Route("GET", "/customers/{pk}/edit/", "customer"),
    Route("POST", "/customers/{pk}/edit/", "customer", CUSTOMER_CARD),
    Route("GET", "/customers/{pk}/history/", "customer"),
    Route("GET", "/customers/{pk}/why/", "customer"),
    Route("GET", "/customers/{pk}/contacts/new/", "customer"),
    Route("POST", "/customers/{pk}/contacts/new/", "customer", CONTACT),
    Route("GET", "/customers/relationships/{pk}/edit/", "relationship"),
    Route("POST", "/customers/relationships/{pk}/edit/", "relationship", {"level": "A", "status": "active"}),
    Route("GET", "/customers/contacts/{pk}/", "contact"),
    Route("GET", "/customers/contacts/{pk}/edit/", "contact"),
    Route("POST", "/customers/contacts/{pk}/edit/", "contact", CONTACT),
    Route("POST", "/customers/contacts/{pk}/delete/", "contact", {}),
    Route("GET", "/customers/contacts/{pk}/why/", "contact"),
    Route("POST", "/customers/follow-ups/{pk}/done/", "follow_up", {}),
    # the API
    Route("GET", "/api/v1/customers/{pk}", "customer", api=True),
    Route("PATCH", "/api/v1/customers/{pk}", "customer", {"name": "改名"}, api=True),
    Route("GET", "/api/v1/customers/{pk}/relationships", "customer", api=True),
    Route(
        "PATCH",
        "/api/v1/customers/{customer_id}/relationships/{pk}",
        "relationship",
        {"level": "A"},
        api=True,
        extra=IN_CUSTOMER,
    ),
    Route("GET", "/api/v1/contacts/{pk}", "contact", api=True),
    Route("PATCH", "/api/v1/contacts/{pk}", "contact", {"name": "改名"}, api=True),
    Route("DELETE", "/api/v1/contacts/{pk}", "contact", api=True),
    Route("GET", "/api/v1/follow-ups/{pk}", "follow_up", api=True),
    Route("POST", "/api/v1/follow-ups/{pk}/done", "follow_up", {}, api=True),
]
NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """A customer that only BU2 works with (owned there by ``outsider``), its contact and a
    follow-up with a due next date."""
    customer = CustomerFactory(name="外部客户有限公司", industry="外部行业")
    relationship = RelationshipFactory(customer=customer, owner=outsider, business_unit=org["bu2"])
    contact = ContactFactory(customer=customer, name="外部联系人", mobile="13999990000")
    follow_up = FollowUp.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        customer=customer,
        business_unit=org["bu2"],
        owner=outsider,
        kind="call",
        content="外部跟进内容",
        occurred_at=timezone.now(),
        next_at=timezone.now() + timedelta(hours=1),
    )
    return {"customer": customer, "relationship": relationship, "contact": contact, "follow_up": follow_up}
