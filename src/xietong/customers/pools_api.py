"""REST endpoints of public pools: ``/api/v1/customer-pools`` (list, get, members, the customers in
a pool) and the claim, release and assignment of a customer by its id plus a business unit
(``/api/v1/customers/{id}/claim`` …). Thin: parse → pools selector or service → schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref
from xietong.core.errors import ValidationError

from . import pools
from .models import CustomerPool, Relationship

router = Router(tags=["customer pools"])


# --- schemas -----------------------------------------------------------------------------------


class CustomerPoolOut(Schema):
    id: int
    name: str
    description: str
    business_unit_id: int
    business_unit_name: str
    is_default: bool
    is_active: bool
    customer_count: int = Field(description="Customers waiting in the pool.")
    max_owned: int | None = Field(description="Customers a rep may own (null: no limit); roles and people may differ.")
    count_won_customers: bool
    claims_per_day: int | None
    reclaim_block_days: int
    protection_days: int

    @staticmethod
    def resolve_business_unit_name(obj: CustomerPool) -> str:
        return obj.business_unit.name

    @staticmethod
    def resolve_customer_count(obj: CustomerPool) -> int:
        return int(getattr(obj, "customer_count", 0))


class PoolMemberOut(Schema):
    user_id: int
    name: str
    is_admin: bool


class MembersOut(Schema):
    people: list[PoolMemberOut]
    teams: list[Ref]


class PoolCustomerOut(Schema):
    """The limited card pool members see: no contacts, no phone numbers until claimed."""

    relationship_id: int
    customer_id: int
    name: str
    region: str
    industry: str
    level: str
    last_follow_up_at: datetime | None
    in_pool_since: datetime | None

    @staticmethod
    def resolve_relationship_id(obj: Relationship) -> int:
        return obj.pk

    @staticmethod
    def resolve_name(obj: Relationship) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_region(obj: Relationship) -> str:
        return obj.customer.region

    @staticmethod
    def resolve_industry(obj: Relationship) -> str:
        return obj.customer.industry

    @staticmethod
    def resolve_in_pool_since(obj: Relationship) -> datetime | None:
        return obj.released_at


class PoolRelationshipOut(Schema):
    id: int
    customer_id: int
    business_unit_id: int
    owner_id: int | None
    owner_name: str | None
    pool_id: int | None
    status: str
    level: str
    protected_until: date | None
    claimed_at: datetime | None
    released_at: datetime | None
    release_reason: str

    @staticmethod
    def resolve_owner_name(obj: Relationship) -> str | None:
        return str(obj.owner) if obj.owner_id else None


class ClaimIn(Schema):
    business_unit_id: int | None = Field(None, description="Whose relationship: default your business unit.")


class ReleaseIn(Schema):
    reason: str = Field(..., description="Why the customer goes back to the pool (required).")
    business_unit_id: int | None = Field(None, description="Whose relationship: default your business unit.")
    pool_id: int | None = Field(None, description="Which pool of the BU: default the customer's home or default pool.")


class CustomerAssignIn(Schema):
    owner_id: int
    business_unit_id: int | None = Field(None, description="Whose relationship: default your business unit.")


# --- helpers -----------------------------------------------------------------------------------


def _relationship(
    request: HttpRequest, customer_id: int, query_bu: int | None, body_bu: int | None, *, claiming: bool = False
) -> Relationship:
    return pools.relationship_of_customer(
        user=request.user, customer_id=customer_id, business_unit_id=body_bu or query_bu, claiming=claiming
    )


def _fresh(rel: Relationship) -> Relationship:
    return Relationship.objects.select_related("owner").get(pk=rel.pk)


# --- pools -------------------------------------------------------------------------------------


@router.get("/customer-pools", response={200: list[CustomerPoolOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_pools(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    """The pools you see: those you are a member of, and all of your BU's with a BU-wide customers scope."""
    qs = pools.pool_list(user=request.user).order_by()
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    return qs


@router.get("/customer-pools/{pool_id}", response={200: CustomerPoolOut, **ERROR_RESPONSES})
def get_pool(request: HttpRequest, pool_id: int) -> Any:
    pools.pool_get(user=request.user, pk=pool_id)
    return pools.pool_list(user=request.user).get(pk=pool_id)


@router.get("/customer-pools/{pool_id}/members", response={200: MembersOut, **ERROR_RESPONSES})
def get_pool_members(request: HttpRequest, pool_id: int) -> Any:
    pool = pools.pool_get(user=request.user, pk=pool_id)
    members, teams = pools.pool_members(pool=pool)
    return {
        "people": [{"user_id": m.user_id, "name": str(m.user), "is_admin": m.is_admin} for m in members],
        "teams": [{"id": t.pk, "name": t.name} for t in teams],
    }


@router.get("/customer-pools/{pool_id}/customers", response={200: list[PoolCustomerOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_pool_customers(
    request: HttpRequest, pool_id: int, q: str = "", level: str = "", province: str = "", industry: str = ""
) -> Any:
    """The customers waiting in the pool (a limited card each), newest first; filter by name, level,
    province and industry."""
    pool = pools.pool_get(user=request.user, pk=pool_id)
    return pools.pool_customers(
        user=request.user, pool=pool, q=q, level=level, province=province, industry=industry
    ).order_by()


# --- claim, release, assign: by customer id and business unit ------------------------------------


@router.post("/customers/{customer_id}/claim", response={200: PoolRelationshipOut, **ERROR_RESPONSES})
def claim_customer(
    request: HttpRequest, customer_id: int, payload: ClaimIn | None = None, business_unit_id: int | None = None
) -> Any:
    """Claim the customer from the public pool its relationship with the BU is in. 409 when someone
    holds it (``detail`` names them) or when a limit stops you (``detail`` names the limit)."""
    body_bu = payload.business_unit_id if payload else None
    rel = _relationship(request, customer_id, business_unit_id, body_bu, claiming=True)
    claimed = pools.customer_claim(relationship_id=rel.pk, actor=request.user)
    return _fresh(claimed)


@router.post("/customers/{customer_id}/release", response={200: PoolRelationshipOut, **ERROR_RESPONSES})
def release_customer(
    request: HttpRequest, customer_id: int, payload: ReleaseIn, business_unit_id: int | None = None
) -> Any:
    """Return the customer to a public pool of the BU, with a reason."""
    rel = _relationship(request, customer_id, business_unit_id, payload.business_unit_id)
    pool = None
    if payload.pool_id is not None:
        pool = CustomerPool.objects.filter(pk=payload.pool_id, business_unit_id=rel.business_unit_id).first()
        if pool is None:
            raise ValidationError({"pool_id": _("No such public pool in the customer's business unit.")})
    released = pools.customer_release(relationship=rel, actor=request.user, reason=payload.reason, pool=pool)
    return _fresh(released)


@router.post("/customers/{customer_id}/assign", response={200: PoolRelationshipOut, **ERROR_RESPONSES})
def assign_customer(
    request: HttpRequest, customer_id: int, payload: CustomerAssignIn, business_unit_id: int | None = None
) -> Any:
    """Give the customer of a pool (pool administrators) or of a rep (managers) to ``owner_id``."""
    rel = _relationship(request, customer_id, business_unit_id, payload.business_unit_id)
    person = pools.assignable_people(business_unit_id=rel.business_unit_id).filter(pk=payload.owner_id).first()
    if person is None:
        raise ValidationError({"owner_id": _("Choose someone who works in the customer's business unit.")})
    assigned = pools.customer_assign(relationship=rel, actor=request.user, owner=person)
    return _fresh(assigned)
