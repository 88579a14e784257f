"""Every read of leads, lead pools, assignment rules and web forms, visibility applied."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from xietong.core.dates import day_end, day_start
from xietong.core.params import as_int
from xietong.core.visibility import addressable_people, members_of
from xietong.customers.models import tag_filter

from . import policies
from .choices import OPEN_STATUSES
from .models import AssignmentRule, Lead, LeadPool, WebForm
from .visibility import my_pools

VIEWS = ("all", "mine", "team", "pool")
FOLLOW_UP_FILTERS = {"none": None, "7d": 7, "30d": 30, "90d": 90}  # "" any; "none": never; "Nd": none in N days


def search_q(q: str) -> Q:
    """Company, contact name, mobile, phone, e-mail or WeChat containing ``q`` (Chinese or not)."""
    return (
        Q(company__icontains=q)
        | Q(contact_name__icontains=q)
        | Q(mobile__contains=q)
        | Q(phone__contains=q)
        | Q(email__icontains=q)
        | Q(wechat__icontains=q)
    )


def lead_list(
    *,
    user: Any,
    action: str = "view",
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
) -> QuerySet[Lead]:
    """The leads ``user`` sees (or may take ``action`` on), filtered; rows carry owner, BU and pool."""
    qs = Lead.objects.visible_to(user, action).alive()
    if view == "mine":
        qs = qs.filter(owner_id=user.pk)
    elif view == "team":
        paths = [t.path for t in user.access.teams]
        qs = qs.filter(owner_id__in=members_of(paths=paths)) if paths else qs.none()
    elif view == "pool":
        qs = qs.filter(owner__isnull=True)
    if q:
        qs = qs.filter(search_q(q))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        from xietong.org.models import Team

        team = Team.objects.filter(pk=team_id).only("path").first()
        qs = qs.filter(owner_id__in=members_of(paths=[team.path])) if team else qs.none()
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    if pool_id:
        qs = qs.filter(pool_id=pool_id)
    if province:
        qs = qs.filter(province__startswith=province)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if tag:
        qs = qs.filter(**tag_filter(tag))
    if created_from:
        qs = qs.filter(created_at__gte=day_start(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=day_end(created_to))
    if follow_up in FOLLOW_UP_FILTERS:
        days = FOLLOW_UP_FILTERS[follow_up]
        if days is None:
            qs = qs.filter(last_follow_up_at__isnull=True)
        else:
            since = timezone.now() - timedelta(days=days)
            qs = qs.filter(Q(last_follow_up_at__isnull=True) | Q(last_follow_up_at__lt=since))
    return qs.select_related("owner", "business_unit", "pool")


def lead_get(*, user: Any, pk: Any, action: str = "view") -> Lead:
    """The lead, or ``NotFound`` (missing or outside the scope alike)."""
    return (
        Lead.objects.select_related(
            "owner", "business_unit", "pool", "created_by", "converted_customer", "converted_contact", "web_form"
        )
        .alive()
        .get_visible(user, pk, action)
    )


def lead_search(*, user: Any, q: str, limit: int) -> list[Lead]:
    if not user.access.can("leads", "view"):
        return []
    return list(
        Lead.objects.visible_to(user).alive().filter(search_q(q)).select_related("owner").order_by("-id")[:limit]
    )


def waiting_for_first_contact(*, user: Any) -> QuerySet[Lead]:
    """My open leads nobody has contacted yet, oldest assignment first."""
    return (
        Lead.objects.visible_to(user)
        .alive()
        .filter(owner_id=user.pk, status__in=OPEN_STATUSES, first_contacted_at__isnull=True)
        .select_related("pool")
        .order_by("assigned_at", "id")
    )


# --- pools ----------------------------------------------------------------------------------


def pool_list(*, user: Any, business_unit_id: int | None = None) -> QuerySet[LeadPool]:
    qs = LeadPool.objects.visible_to(user).select_related("business_unit")
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    return qs


def pool_get(*, user: Any, pk: Any) -> LeadPool:
    return LeadPool.objects.select_related("business_unit").get_visible(user, pk)


def pool_choices(*, user: Any, business_unit_id: int | None = None) -> QuerySet[LeadPool]:
    """Active pools ``user`` sees, for pickers."""
    return (
        pool_list(user=user, business_unit_id=business_unit_id)
        .filter(is_active=True)
        .order_by("business_unit__code", "name")
    )


def default_pool(business_unit_id: int) -> LeadPool | None:
    """The BU's default pool (else its oldest active pool): where leads land when nothing else decides."""
    return (
        LeadPool.objects.filter(business_unit_id=business_unit_id, is_active=True).order_by("-is_default", "id").first()
    )


def pool_members(pool: LeadPool) -> QuerySet[Any]:
    """Active users who are members or administrators of the pool, directly or through a member team."""
    User = get_user_model()
    team_ids = pool.member_teams.values("pk")
    return User._default_manager.filter(
        Q(lead_pools=pool) | Q(pk__in=pool.admins.values("pk")) | Q(memberships__team_id__in=team_ids),
        is_active=True,
    ).distinct()


def is_pool_member(user: Any, pool: LeadPool) -> bool:
    return LeadPool.objects.filter(my_pools(user.access), pk=pool.pk).exists()


# --- people a lead can go to ------------------------------------------------------------------


def business_unit_people(business_unit_id: int) -> QuerySet[Any]:
    """Active users who are members of a team of the business unit."""
    User = get_user_model()
    return User._default_manager.filter(
        is_active=True, memberships__team__business_unit_id=business_unit_id, memberships__team__is_active=True
    ).distinct()


def assignable_owners(*, user: Any, business_unit_id: int | None = None) -> QuerySet[Any]:
    """The people ``user`` may hand a lead to: people they may address, in the lead's BU when given."""
    people = addressable_people(user)
    if business_unit_id:
        people = people.filter(pk__in=business_unit_people(business_unit_id).values("pk"))
    return people.order_by("display_name", "username")


# --- configuration (leads "administer") -------------------------------------------------------


def rule_list(*, user: Any, business_unit_id: int | None = None) -> QuerySet[AssignmentRule]:
    bus = policies.administrable_business_units(user)
    qs = AssignmentRule.objects.filter(business_unit__in=bus).select_related(
        "business_unit", "team", "fallback_owner", "fallback_pool", "source_pool"
    )
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    return qs.prefetch_related("assignees").order_by("business_unit__code", "priority", "id")


def rule_get(*, user: Any, pk: Any) -> AssignmentRule:
    from xietong.core.errors import NotFound

    found = rule_list(user=user).filter(pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found


def webform_list(*, user: Any) -> QuerySet[WebForm]:
    bus = policies.administrable_business_units(user)
    return WebForm.objects.filter(business_unit__in=bus).select_related("business_unit", "pool").order_by("-id")


def webform_get(*, user: Any, pk: Any) -> WebForm:
    from xietong.core.errors import NotFound

    found = webform_list(user=user).filter(pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found


def administered_pools(*, user: Any) -> QuerySet[LeadPool]:
    return (
        LeadPool.objects.filter(business_unit__in=policies.administrable_business_units(user))
        .select_related("business_unit")
        .order_by("business_unit__code", "name")
    )


def administered_pool_get(*, user: Any, pk: Any) -> LeadPool:
    from xietong.core.errors import NotFound

    found = administered_pools(user=user).filter(pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found
