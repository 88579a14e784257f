"""REST endpoints of leads: ``/api/v1/leads`` (list with filters and cursor pages, create with an
``Idempotency-Key``, get, patch), the lead's ``/assign``, ``/claim``, ``/return``, ``/invalid``,
``/convert``, bulk actions, and ``/api/v1/lead-pools``. Thin: parse → selector or service → schema."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref
from xietong.core.idempotency import idempotent
from xietong.customers.choices import CompanySize, Source

from . import policies, selectors, services
from .choices import LeadStatus
from .models import Lead, LeadPool

router = Router(tags=["leads"])


class LeadOut(Schema):
    id: int
    company: str
    contact_name: str
    contact_title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    province: str
    city: str
    district: str
    address: str
    industry: str
    company_size: str
    source: str
    campaign: str
    product_interest: str
    budget: Decimal | None
    notes: str
    tags: list[str]
    business_unit: Ref
    status: LeadStatus
    invalid_reason: str
    owner: Ref | None
    pool: Ref | None
    assigned_at: datetime | None
    first_contacted_at: datetime | None
    last_follow_up_at: datetime | None
    next_follow_up_at: datetime | None
    converted_at: datetime | None
    converted_customer_id: int | None
    converted_contact_id: int | None
    created_at: datetime
    updated_at: datetime

    # a stored answer (an idempotent retry) is already a dict of these fields
    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return obj["tags"] if isinstance(obj, dict) else obj.tag_list

    @staticmethod
    def resolve_business_unit(obj: Any) -> dict[str, Any] | None:
        return obj["business_unit"] if isinstance(obj, dict) else ref(obj.business_unit)

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any] | None:
        return obj["owner"] if isinstance(obj, dict) else ref(obj.owner)

    @staticmethod
    def resolve_pool(obj: Any) -> dict[str, Any] | None:
        return obj["pool"] if isinstance(obj, dict) else ref(obj.pool)


class LeadFields(Schema):
    company: str | None = Field(None, max_length=200)
    contact_title: str | None = Field(None, max_length=50)
    mobile: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    wechat: str | None = Field(None, max_length=50)
    province: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=30)
    district: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=40)
    company_size: CompanySize | None = None
    source: Source | None = None
    campaign: str | None = Field(None, max_length=100)
    product_interest: str | None = Field(None, max_length=100)
    budget: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    notes: str | None = None


class LeadIn(LeadFields):
    contact_name: str = Field(..., min_length=1, max_length=50)
    business_unit_id: int | None = Field(None, description="Default: your business unit, if you have one.")
    owner_id: int | None = Field(None, description="Default: the assignment rules decide.")
    pool_id: int | None = Field(None, description="The pool the lead comes in by (rules may be limited to it).")
    tags: list[str] = []
    duplicate_reason: str = Field("", description="Why to go on when the duplicate check warns.")


class LeadPatch(LeadFields):
    contact_name: str | None = Field(None, min_length=1, max_length=50)
    tags: list[str] | None = None
    status: LeadStatus | None = Field(None, description="new, contacting or qualified")
    duplicate_reason: str = ""


class LeadAssignIn(Schema):
    owner_id: int | None = Field(None, description="Who gets the lead (assign from a pool, or transfer).")
    by_rules: bool = Field(False, description="Let the assignment rules choose someone else instead.")


class ReasonIn(Schema):
    reason: str = ""


class ReturnIn(Schema):
    reason: str = ""
    pool_id: int | None = Field(None, description="Default: the pool it came from, else the BU's default pool.")


class OpportunityOnConvert(Schema):
    name: str = Field("", description="Default: the company (and the product interest).")
    amount: Decimal | None = Field(None, description="Default: the lead's estimated budget.")
    expected_close: date | None = None


class ConvertIn(Schema):
    customer_id: int | None = Field(None, description="Link to this existing customer (default: an exact match).")
    create_contact: bool = True
    duplicate_reason: str = ""
    opportunity: OpportunityOnConvert | None = Field(
        None, description="Also create an opportunity of the customer (at the first stage of the BU's process)."
    )


class ConvertOut(Schema):
    lead: LeadOut
    customer_id: int
    contact_id: int | None
    opportunity_id: int | None = None


class LeadBulkIn(Schema):
    ids: list[int]
    action: str = Field(..., description="assign, tag or return")
    owner_id: int | None = None
    tags: list[str] = []
    reason: str = ""


class LeadBulkOut(Schema):
    count: int


class LeadPoolOut(Schema):
    id: int
    name: str
    description: str
    business_unit: Ref
    is_default: bool
    is_active: bool
    contact_within_hours: int | None
    timeout_action: str

    @staticmethod
    def resolve_business_unit(obj: LeadPool) -> dict[str, Any] | None:
        return ref(obj.business_unit)


def _fields(payload: Schema, exclude: set[str]) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True, exclude=exclude)
    return {k: ("" if v is None and k != "budget" else v) for k, v in data.items()}


def _owner(request: HttpRequest, pk: int | None, business_unit_id: int | None, field: str = "owner_id") -> Any:
    if pk is None:
        return None
    found = selectors.assignable_owners(user=request.user, business_unit_id=business_unit_id).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("Choose an active person who works in the lead's business unit.")})
    return found


def _pool(request: HttpRequest, pk: int | None, field: str = "pool_id") -> LeadPool | None:
    if pk is None:
        return None
    found = selectors.pool_choices(user=request.user).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such lead pool.")})
    return found


def _business_unit(request: HttpRequest, pk: int | None) -> Any:
    choices = policies.creatable_business_units(request.user)
    if pk is None:
        own = getattr(request.user, "business_unit_id", None)
        found = choices.filter(pk=own).first() if own else None
    else:
        found = choices.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"business_unit_id": _("Choose a business unit you may capture leads in.")})
    return found


def _out(request: HttpRequest, pk: int) -> Lead:
    return selectors.lead_list(user=request.user).get(pk=pk)


@router.get("/leads", response={200: list[LeadOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_leads(
    request: HttpRequest,
    view: str = "all",
    q: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    business_unit_id: int | None = None,
    pool_id: int | None = None,
    province: str = "",
    status: str = "",
    source: str = "",
    tag: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    follow_up: str = "",
) -> Any:
    """``view``: all, mine, team (owned in my teams and below) or pool (waiting in pools I see).
    ``follow_up``: "none" (never followed up), or "7d", "30d", "90d" (not in that many days)."""
    policies.require(request.user, "leads", "view")
    return selectors.lead_list(
        user=request.user,
        view=view if view in selectors.VIEWS else "all",
        q=q.strip(),
        owner_id=owner_id,
        team_id=team_id,
        business_unit_id=business_unit_id,
        pool_id=pool_id,
        province=province.strip(),
        status=status,
        source=source,
        tag=tag,
        created_from=created_from,
        created_to=created_to,
        follow_up=follow_up,
    )


@router.post("/leads", response={201: LeadOut, **ERROR_RESPONSES})
def create_lead(request: HttpRequest, payload: LeadIn) -> Any:
    """Send an ``Idempotency-Key`` header when you may retry: the same key and body answer the first
    result again and create nothing; the same key with another body is refused (422)."""

    def create() -> tuple[int, Any]:
        business_unit = _business_unit(request, payload.business_unit_id)
        lead = services.lead_create(
            actor=request.user,
            business_unit=business_unit,
            fields=_fields(payload, {"business_unit_id", "owner_id", "pool_id", "tags", "duplicate_reason"}),
            owner=_owner(request, payload.owner_id, business_unit.pk),
            pool=_pool(request, payload.pool_id),
            tags=payload.tags,
            duplicate_reason=payload.duplicate_reason,
        )
        lead = Lead.objects.select_related("owner", "business_unit", "pool").get(pk=lead.pk)
        return 201, LeadOut.from_orm(lead).model_dump(mode="json")

    status, body = idempotent(request, scope="leads.create", payload=payload.dict(), create=create)
    return Status(status, body)


# before /leads/{lead_id}: the first URL pattern that matches the path answers
@router.post("/leads/bulk", response={200: LeadBulkOut, **ERROR_RESPONSES})
def bulk_leads(request: HttpRequest, payload: LeadBulkIn) -> Any:
    """All or nothing: 404 if any id is not a lead you may change."""
    owner = None
    if payload.owner_id is not None:
        owner = _owner(request, payload.owner_id, None)
    count = services.lead_bulk(
        actor=request.user,
        lead_ids=payload.ids,
        action=payload.action,
        owner=owner,
        tags=payload.tags,
        reason=payload.reason,
    )
    return {"count": count}


@router.get("/leads/{lead_id}", response={200: LeadOut, **ERROR_RESPONSES})
def get_lead(request: HttpRequest, lead_id: int) -> Any:
    return selectors.lead_get(user=request.user, pk=lead_id)


@router.patch("/leads/{lead_id}", response={200: LeadOut, **ERROR_RESPONSES})
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatch) -> Any:
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    data = payload.dict(exclude_unset=True)
    services.lead_update(
        actor=request.user,
        lead=lead,
        fields=_fields(payload, {"tags", "status", "duplicate_reason"}),
        tags=data.get("tags"),
        status=data.get("status"),
        duplicate_reason=payload.duplicate_reason,
    )
    return _out(request, lead.pk)


@router.post("/leads/{lead_id}/assign", response={200: LeadOut, **ERROR_RESPONSES})
def assign_lead(request: HttpRequest, lead_id: int, payload: LeadAssignIn) -> Any:
    """Give the lead to ``owner_id`` (from a pool, or a transfer from its owner), or ``by_rules``."""
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    if payload.by_rules:
        services.lead_assign_by_rules(actor=request.user, lead=lead)
    else:
        owner = _owner(request, payload.owner_id, lead.business_unit_id)
        services.lead_assign(actor=request.user, lead=lead, owner=owner)
    return _out(request, lead.pk)


@router.post("/leads/{lead_id}/claim", response={200: LeadOut, **ERROR_RESPONSES})
def claim_lead(request: HttpRequest, lead_id: int) -> Any:
    """Take a lead waiting in a pool you are a member of; 409 names who holds it if someone was faster."""
    lead = services.lead_claim(actor=request.user, lead_id=lead_id)
    return _out(request, lead.pk)


@router.post("/leads/{lead_id}/return", response={200: LeadOut, **ERROR_RESPONSES})
def return_lead(request: HttpRequest, lead_id: int, payload: ReturnIn) -> Any:
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    pool = _pool(request, payload.pool_id)
    services.lead_return_to_pool(actor=request.user, lead=lead, reason=payload.reason, pool=pool)
    # the answer to the caller's own act, even if the pool is one they are not a member of
    return Lead.objects.select_related("owner", "business_unit", "pool").get(pk=lead.pk)


@router.post("/leads/{lead_id}/invalid", response={200: LeadOut, **ERROR_RESPONSES})
def invalidate_lead(request: HttpRequest, lead_id: int, payload: ReasonIn) -> Any:
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    services.lead_mark_invalid(actor=request.user, lead=lead, reason=payload.reason)
    return _out(request, lead.pk)


@router.post("/leads/{lead_id}/convert", response={200: ConvertOut, **ERROR_RESPONSES})
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Any:
    """Into a customer and a contact; links to an existing customer that is the same company."""
    lead = selectors.lead_get(user=request.user, pk=lead_id)
    options: dict[str, Any] = {}
    if payload.opportunity is not None:
        options["opportunity"] = payload.opportunity.dict()
    customer, contact = services.lead_convert(
        lead=lead,
        actor=request.user,
        customer_id=payload.customer_id,
        create_contact=payload.create_contact,
        duplicate_reason=payload.duplicate_reason,
        options=options,
    )
    return {
        "lead": _out(request, lead.pk),
        "customer_id": customer.pk,
        "contact_id": contact.pk if contact else None,
        "opportunity_id": options.get("opportunity_id"),
    }


@router.get("/lead-pools", response={200: list[LeadPoolOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_pools(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    return selectors.pool_list(user=request.user, business_unit_id=business_unit_id)


@router.get("/lead-pools/{pool_id}", response={200: LeadPoolOut, **ERROR_RESPONSES})
def get_pool(request: HttpRequest, pool_id: int) -> Any:
    return selectors.pool_get(user=request.user, pk=pool_id)
