"""REST endpoints of customers, their BU relationships, contacts and follow-ups:

- ``/api/v1/customers`` (list with filters and a cursor, create with ``Idempotency-Key``), the
  customer by id (read, change), ``/customers/{id}/relationships`` (each BU as the caller may see
  it) and a relationship's level, status and owner;
- ``/api/v1/contacts`` (list, filter by customer, create, read, change, delete);
- ``/api/v1/follow-ups`` (list by ``record=app.model:id`` or by customer, create — a visit with its
  check-in —, read, mark the next follow-up done).

Everything goes through the selectors and services: a record the caller does not see answers 404.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.collaboration import registry
from xietong.core.api import ERROR_RESPONSES, Page
from xietong.core.errors import NotFound
from xietong.core.idempotency import idempotent
from xietong.core.visibility import addressable_people
from xietong.org.models import BusinessUnit, Team
from xietong.org.policies import require

from . import followups, selectors, services
from .models import Contact, Customer, CustomerPool, FollowUp, Relationship

router = Router(tags=["customers"])


# --- schemas -------------------------------------------------------------------------------------


class RelationshipOut(Schema):
    id: int
    business_unit_id: int
    business_unit: str
    owner_id: int | None
    owner_name: str
    pool_id: int | None = Field(description="The public pool it waits in (no owner).")
    level: str
    status: str
    protected_until: date | None
    last_follow_up_at: datetime | None
    next_follow_up_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_business_unit(obj: Any) -> str:
        return obj["business_unit"] if isinstance(obj, dict) else obj.business_unit.name

    @staticmethod
    def resolve_owner_name(obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj["owner_name"])
        return str(obj.owner) if obj.owner_id else ""


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    short_name: str
    credit_code: str
    industry: str
    size: str
    source: str
    province: str
    city: str
    district: str
    address: str
    website: str
    notes: str
    tags: list[str]
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    relationships: list[RelationshipOut] = Field(
        description="The business units' relationships the caller sees (their scope, or a pool they are in)."
    )

    # a stored answer (an idempotent retry) is already a dict of these fields
    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return obj["tags"] if isinstance(obj, dict) else obj.tag_list

    @staticmethod
    def resolve_relationships(obj: Any) -> list[Any]:
        return obj["relationships"] if isinstance(obj, dict) else list(getattr(obj, "seen_relationships", []))


class ContactIn(Schema):
    name: str
    title: str = ""
    department: str = ""
    decision_role: str = ""
    is_primary: bool = False
    mobile: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    notes: str = ""


class CustomerIn(Schema):
    name: str
    kind: str = "company"
    short_name: str = ""
    credit_code: str = ""
    industry: str = ""
    size: str = ""
    source: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    website: str = ""
    notes: str = ""
    tags: list[str] = []
    business_unit_id: int | None = Field(None, description="Default: your business unit.")
    owner_id: int | None = Field(None, description="Default: you (unless pool_id is given).")
    pool_id: int | None = Field(None, description="Put the customer in this public pool, without an owner.")
    contacts: list[ContactIn] = []
    duplicate_reason: str = Field("", description="Why it is not a duplicate, when the duplicate check warns.")
    link_to_id: int | None = Field(None, description="An existing customer this BU starts working with.")


class CustomerPatch(Schema):
    name: str | None = None
    kind: str | None = None
    short_name: str | None = None
    credit_code: str | None = None
    industry: str | None = None
    size: str | None = None
    source: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    website: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    duplicate_reason: str = ""


class RelationshipView(Schema):
    id: int
    business_unit_id: int
    business_unit: str
    owner_name: str = Field(description="Who holds it (empty: a public pool); told to anyone who sees the customer.")
    access: str = Field(description='"full" (your scope), "pool" (a pool you are in) or "name" (only who holds it).')
    details: RelationshipOut | None = Field(description="The relationship, when access is full or pool.")


class RelationshipPatch(Schema):
    level: str | None = None
    status: str | None = None
    owner_id: int | None = Field(None, description="Managers: transfer to another member of the BU.")
    protected_until: date | None = None
    reason: str = ""


class ContactOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    name: str
    title: str
    department: str
    decision_role: str
    is_primary: bool
    mobile: str
    phone: str
    email: str
    wechat: str
    notes: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Contact) -> str:
        return obj.customer.name


class ContactCreate(ContactIn):
    customer_id: int


class ContactPatch(Schema):
    name: str | None = None
    title: str | None = None
    department: str | None = None
    decision_role: str | None = None
    is_primary: bool | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    notes: str | None = None


class CheckInIn(Schema):
    latitude: Decimal
    longitude: Decimal
    accuracy: float | None = Field(None, description="Metres, as the browser reports it.")
    address: str = ""


class CheckInOut(Schema):
    latitude: Decimal
    longitude: Decimal
    accuracy_m: int | None
    checked_in_at: datetime
    address: str


class FollowUpOut(Schema):
    id: int
    record: str = Field(description='The record it is on, e.g. "customers.customer:12".')
    customer_id: int | None
    business_unit_id: int
    owner_id: int
    owner_name: str
    kind: str
    content: str
    outcome: str
    occurred_at: datetime
    next_at: datetime | None
    next_done: bool
    check_in: CheckInOut | None
    created_at: datetime

    @staticmethod
    def resolve_record(obj: FollowUp) -> str:
        from django.contrib.contenttypes.models import ContentType

        ct = ContentType.objects.get_for_id(obj.content_type_id)
        return f"{ct.app_label}.{ct.model}:{obj.object_id}"

    @staticmethod
    def resolve_owner_name(obj: FollowUp) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_check_in(obj: FollowUp) -> Any:
        return getattr(obj, "check_in", None)


class FollowUpIn(Schema):
    record: str = Field(description='"customers.customer:12", "customers.contact:5" or "leads.lead:7".')
    kind: str = "call"
    content: str
    outcome: str = ""
    occurred_at: datetime | None = Field(None, description="Default: now.")
    next_at: datetime | None = None
    check_in: CheckInIn | None = Field(None, description="A visit checked in from a phone.")
    business_unit_id: int | None = Field(None, description="On a customer: the BU relationship it belongs to.")


# --- helpers ----------------------------------------------------------------------------------------


def _pick_bu(request: HttpRequest, pk: int | None, field: str = "business_unit_id") -> BusinessUnit | None:
    if pk is None:
        return None
    found = BusinessUnit.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise ValidationError({field: _("No such business unit.")})
    return found


def _pick_person(request: HttpRequest, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = addressable_people(request.user).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such person.")})
    return found


def _with_relationships(user: Any, qs: Any) -> Any:
    seen = Relationship.objects.visible_to(user).select_related("business_unit", "owner").order_by("business_unit_id")
    return qs.prefetch_related(Prefetch("relationships", queryset=seen, to_attr="seen_relationships"))


# what a pool member's limited card leaves out (design/data-visibility.md: name, region, industry,
# level, last activity — nothing that identifies or reaches the company before a claim)
LIMITED_CARD_BLANKS = ("short_name", "credit_code", "address", "website", "notes", "tags", "source")


def _customer_out(user: Any, pk: int) -> Customer:
    """The customer as ``user`` may see it: the record, or a pool member's limited card."""
    customer, full = selectors.customer_or_card(user=user, pk=pk)
    found: Customer = _with_relationships(user, Customer.objects.filter(pk=customer.pk)).get()
    if not full:
        for name in LIMITED_CARD_BLANKS:
            setattr(found, name, "")
    return found


# --- customers ---------------------------------------------------------------------------------------


@router.get("/customers", response={200: list[CustomerOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_customers(
    request: HttpRequest,
    q: str = "",
    mine: bool = False,
    owner_id: int | None = None,
    team_id: int | None = None,
    business_unit_id: int | None = None,
    province: str = "",
    city: str = "",
    level: str = "",
    status: str = "",
    tag: str = "",
    holder: str = "all",
    no_follow_up_days: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> Any:
    """Customers the caller sees; the filters apply to the business units' relationships the caller
    sees (owner, team, BU, level, status, last follow-up …) and to the card (region, tags, search on
    names, credit code, contacts' phones and e-mails)."""
    user = request.user
    require(user, "customers", "view")
    filtered = any(
        [
            q,
            mine,
            owner_id,
            team_id,
            business_unit_id,
            province,
            city,
            level,
            status,
            tag,
            no_follow_up_days,
            created_from,
            created_to,
            holder not in ("", "all"),
        ]
    )
    customers = Customer.objects.visible_to(user).alive()
    if filtered:
        team = Team.objects.filter(pk=team_id).first() if team_id else None
        rels = selectors.relationship_list(
            user=user,
            q=q.strip(),
            holder=holder if holder in selectors.HOLDERS else "all",
            scope="mine" if mine else "all",
            owner=_pick_person(request, owner_id, "owner_id") if owner_id else None,
            team=team or (Team(pk=0, path="/none/") if team_id else None),
            business_unit=BusinessUnit(pk=business_unit_id) if business_unit_id else None,
            province=province,
            city=city,
            level=level,
            status=status,
            tag=tag,
            no_follow_up_days=no_follow_up_days,
            created_from=created_from,
            created_to=created_to,
        )
        customers = customers.filter(pk__in=rels.values("customer_id"))
    return _with_relationships(user, customers)


@router.post("/customers", response={201: CustomerOut, **ERROR_RESPONSES})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    """Create a customer with your BU's relationship and its contacts. If the company exists (same
    credit code or name) the BU gets a relationship with it instead; 409 names who holds it when your
    BU already does; 422 lists similar customers when the duplicate rules stop it. Send an
    ``Idempotency-Key`` header when you may retry."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        fields = payload.dict(
            exclude={"business_unit_id", "owner_id", "pool_id", "contacts", "duplicate_reason", "link_to_id"}
        )
        business_unit = _pick_bu(request, payload.business_unit_id) or user.business_unit
        pool = None
        if payload.pool_id is not None:
            pool = CustomerPool.objects.visible_to(user).filter(pk=payload.pool_id).first()
            if pool is None:
                raise ValidationError({"pool_id": _("No such public pool.")})
        link_to = None
        if payload.link_to_id is not None:
            link_to = Customer.objects.alive().filter(pk=payload.link_to_id).first()
            if link_to is None:
                raise ValidationError({"link_to_id": _("No such customer.")})
        rel = services.customer_create(
            actor=user,
            business_unit=business_unit,
            fields=fields,
            owner=_pick_person(request, payload.owner_id, "owner_id"),
            pool=pool,
            contacts=[c.dict() for c in payload.contacts],
            duplicate_reason=payload.duplicate_reason,
            link_to=link_to,
        )
        return 201, CustomerOut.from_orm(_customer_out(user, rel.customer_id)).model_dump(mode="json")

    status, body = idempotent(request, scope="customers.create", payload=payload.dict(), create=create)
    return Status(status, body)


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERROR_RESPONSES})
def get_customer(request: HttpRequest, customer_id: int) -> Any:
    return _customer_out(request.user, customer_id)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERROR_RESPONSES})
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Any:
    customer = selectors.customer_get(user=request.user, pk=customer_id)
    fields = payload.dict(exclude_unset=True, exclude={"duplicate_reason"})
    services.customer_update(
        actor=request.user, customer=customer, fields=fields, duplicate_reason=payload.duplicate_reason
    )
    return _customer_out(request.user, customer_id)


@router.get("/customers/{customer_id}/relationships", response={200: list[RelationshipView], **ERROR_RESPONSES})
def list_relationships(request: HttpRequest, customer_id: int) -> Any:
    """Each business unit's relationship with the customer: who holds it, for everyone who sees the
    customer; the details only where the caller's scope (or pool membership) reaches."""
    customer = selectors.customer_get(user=request.user, pk=customer_id, card=True)  # as GET /customers/{id}
    card = selectors.customer_card(user=request.user, customer=customer)
    return [
        {
            "id": v.relationship.pk,
            "business_unit_id": v.relationship.business_unit_id,
            "business_unit": v.relationship.business_unit.name,
            "owner_name": str(v.relationship.owner) if v.relationship.owner_id else "",
            "access": v.access,
            "details": v.relationship if v.access != "name" else None,
        }
        for v in card.relationships
    ]


@router.patch(
    "/customers/{customer_id}/relationships/{relationship_id}", response={200: RelationshipOut, **ERROR_RESPONSES}
)
def update_relationship(
    request: HttpRequest, customer_id: int, relationship_id: int, payload: RelationshipPatch
) -> Any:
    rel = selectors.relationship_get(user=request.user, pk=relationship_id)
    if rel.customer_id != customer_id:
        raise NotFound()
    given = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {k: v for k, v in given.items() if k in ("level", "status", "protected_until", "reason")}
    if given.get("owner_id") is not None:
        changes["owner"] = _pick_person(request, given["owner_id"], "owner_id")
    services.relationship_update(actor=request.user, relationship=rel, **changes)
    return selectors.relationship_get(user=request.user, pk=relationship_id)


# --- contacts ---------------------------------------------------------------------------------------


@router.get("/contacts", response={200: list[ContactOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_contacts(request: HttpRequest, customer_id: int | None = None, q: str = "", decision_role: str = "") -> Any:
    """Contacts the caller sees (not those of customers seen only in a public pool)."""
    require(request.user, "customers", "view")
    customer = selectors.customer_get(user=request.user, pk=customer_id) if customer_id is not None else None
    return selectors.contact_list(user=request.user, q=q.strip(), customer=customer, decision_role=decision_role)


@router.post("/contacts", response={201: ContactOut, **ERROR_RESPONSES})
def create_contact(request: HttpRequest, payload: ContactCreate) -> Any:
    customer = selectors.customer_get(user=request.user, pk=payload.customer_id)
    contact = services.contact_create(
        actor=request.user, customer=customer, fields=payload.dict(exclude={"customer_id"})
    )
    return Status(201, selectors.contact_get(user=request.user, pk=contact.pk))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return selectors.contact_get(user=request.user, pk=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = selectors.contact_get(user=request.user, pk=contact_id)
    services.contact_update(actor=request.user, contact=contact, fields=payload.dict(exclude_unset=True))
    return selectors.contact_get(user=request.user, pk=contact_id)


@router.delete("/contacts/{contact_id}", response={204: None, **ERROR_RESPONSES})
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    contact = selectors.contact_get(user=request.user, pk=contact_id)
    services.contact_delete(actor=request.user, contact=contact)
    return Status(204, None)


# --- follow-ups ---------------------------------------------------------------------------------------


@router.get("/follow-ups", response={200: list[FollowUpOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-occurred_at", "-id"))
def list_follow_ups(request: HttpRequest, record: str = "", customer_id: int | None = None, due: bool = False) -> Any:
    """Follow-ups the caller sees: on ``record`` ("app.model:id"), on a customer and its contacts, or
    (``due=true``) the caller's open next follow-ups."""
    user = request.user
    if record:
        return selectors.followup_list(user=user, record=registry.resolve(user, record))
    if customer_id is not None:
        return selectors.followup_list(user=user, customer=selectors.customer_get(user=user, pk=customer_id))
    if due:
        from xietong.collaboration.myday import end_of_today

        return selectors.followups_due(user=user, until=end_of_today())
    return selectors.followup_list(user=user)


@router.post("/follow-ups", response={201: FollowUpOut, **ERROR_RESPONSES})
def create_follow_up(request: HttpRequest, payload: FollowUpIn) -> Any:
    user = request.user
    target = registry.resolve(user, payload.record)  # 404 like comments and tasks on a record
    fu = followups.followup_create(
        actor=user,
        record=target,
        kind=payload.kind,
        content=payload.content,
        outcome=payload.outcome,
        occurred_at=payload.occurred_at,
        next_at=payload.next_at,
        check_in=payload.check_in.dict() if payload.check_in is not None else None,
        business_unit=_pick_bu(request, payload.business_unit_id),
    )
    return Status(201, selectors.followup_get(user=user, pk=fu.pk))


@router.get("/follow-ups/{follow_up_id}", response={200: FollowUpOut, **ERROR_RESPONSES})
def get_follow_up(request: HttpRequest, follow_up_id: int) -> Any:
    return selectors.followup_get(user=request.user, pk=follow_up_id)


@router.post("/follow-ups/{follow_up_id}/done", response={200: FollowUpOut, **ERROR_RESPONSES})
def follow_up_done(request: HttpRequest, follow_up_id: int) -> Any:
    """Mark the follow-up's next follow-up as done (without logging a new one)."""
    fu = selectors.followup_get(user=request.user, pk=follow_up_id)
    followups.followup_next_done(actor=request.user, follow_up=fu)
    return selectors.followup_get(user=request.user, pk=follow_up_id)
