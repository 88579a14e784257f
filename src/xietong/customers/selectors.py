"""Customers, relationships, contacts and follow-ups: every read, visibility applied.

Lists of customers are lists of business-unit relationships joined to their customer (docs/adr/0010):
each row is one BU's relationship (owner, level, status, follow-up dates), filterable on indexed
columns and paged by keyset. Everything starts from ``visible_to(user, action)``; ``get`` answers
``NotFound`` for missing and invisible records alike.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from xietong.core.dates import day_end, day_start
from xietong.core.errors import NotFound
from xietong.core.validators import normalize_mobile
from xietong.core.visibility import Access, members_of

from . import matching
from .models import Contact, Customer, FollowUp, Relationship, tag_filter
from .visibility import CUSTOMERS, RELATIONSHIPS

HOLDERS = ("owned", "pool", "all")
SCOPES = ("all", "mine", "subordinates")


# --- relationships seen through a scope (not through pool membership) --------------------------------


def scope_q(user: Any, action: str = "view") -> Q | None:
    """The relationships ``user`` sees through their roles' scopes — full access, as opposed to a pool
    member's limited card. ``None``: all of them."""
    access: Access | None = getattr(user, "access", None)
    if access is None or access.user_id is None:
        return Q(pk__in=[])
    combined: Q | None = None
    for act in (action,) if action == "view" else (action, "view"):
        rules = RELATIONSHIPS.scope_rules(access, act)
        if not rules:
            return Q(pk__in=[])
        if any(rule.q is None for rule in rules):
            continue
        q = reduce(operator.or_, [rule.q for rule in rules if rule.q is not None])
        combined = q if combined is None else combined & q
    return combined


def scope_relationships(user: Any, action: str = "view") -> QuerySet[Relationship]:
    q = scope_q(user, action)
    qs = Relationship.objects.all()
    return qs if q is None else qs.filter(q)


# --- the customer list ------------------------------------------------------------------------------


def _search(user: Any, q: str) -> Q:
    """Names (also their normalised key: full-width, traditional characters, legal forms), the credit
    code, and the phones and e-mails of contacts the user sees."""
    cond = Q(customer__name__icontains=q) | Q(customer__short_name__icontains=q)
    key = matching.normalise_name(q)
    if key and key != q.lower():
        cond |= Q(customer__name_key__contains=key)
    if len(q) == 18 and q.isalnum():
        cond |= Q(customer__credit_code=q.upper())
    contacts = Contact.objects.visible_to(user)
    digits = normalize_mobile(q)
    if digits.isdigit() and len(digits) >= 4 and len(digits) >= len(q.replace(" ", "").replace("-", "")) - 3:
        cond |= Q(
            customer_id__in=contacts.filter(Q(mobile_key__startswith=digits) | Q(phone__contains=digits)).values(
                "customer_id"
            )
        )
    if "@" in q:
        cond |= Q(customer_id__in=contacts.filter(email__icontains=q).values("customer_id"))
    return cond


def relationship_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    holder: str = "owned",
    scope: str = "all",
    owner: Any = None,
    team: Any = None,
    business_unit: Any = None,
    province: str = "",
    city: str = "",
    level: str = "",
    tag: str = "",
    status: str = "",
    no_follow_up_days: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> QuerySet[Relationship]:
    """The BU relationships ``user`` sees, with their customer, owner, BU and pool joined."""
    qs = Relationship.objects.visible_to(user, action).filter(customer__merged_into__isnull=True)
    if holder == "owned":
        qs = qs.filter(owner__isnull=False)
    elif holder == "pool":
        qs = qs.filter(owner__isnull=True)
    if scope == "mine":
        qs = qs.filter(owner_id=user.pk)
    elif scope == "subordinates":
        access = user.access
        qs = qs.filter(Q(owner_id=user.pk) | Q(owner_id__in=members_of(paths=access.managed_paths)))
    if owner is not None:
        qs = qs.filter(owner_id=owner.pk)
    if team is not None:
        qs = qs.filter(owner_id__in=members_of(paths=[team.path]))
    if business_unit is not None:
        qs = qs.filter(business_unit_id=business_unit.pk)
    if province:
        qs = qs.filter(customer__province__startswith=province)
    if city:
        qs = qs.filter(customer__city__startswith=city)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if tag:
        qs = qs.filter(**{f"customer__{k}": v for k, v in tag_filter(tag).items()})
    if no_follow_up_days is not None:
        cutoff = timezone.now() - timedelta(days=no_follow_up_days)
        qs = qs.filter(Q(last_follow_up_at__lt=cutoff) | Q(last_follow_up_at__isnull=True, created_at__lt=cutoff))
    if created_from is not None:
        qs = qs.filter(created_at__gte=day_start(created_from))
    if created_to is not None:
        qs = qs.filter(created_at__lt=day_end(created_to))
    if q:
        qs = qs.filter(_search(user, q))
    return qs.select_related("customer", "owner", "business_unit", "pool")


def forgotten_list(*, user: Any, days: int, scope: str = "mine") -> QuerySet[Relationship]:
    """Owned customers (mine, or all I manage) with no follow-up for ``days`` days, longest first."""
    qs = relationship_list(user=user, scope=scope, holder="owned", no_follow_up_days=days)
    return qs


def relationship_get(*, user: Any, pk: Any, action: str = "view") -> Relationship:
    return Relationship.objects.select_related(  # type: ignore[no-any-return]
        "customer", "owner", "business_unit", "pool"
    ).get_visible(user, pk, action)


def relationships_pick(*, user: Any, ids: list[int], action: str = "edit", field: str = "ids") -> list[Relationship]:
    """Relationships named in a bulk action: all visible for ``action``, or a field error."""
    return Relationship.objects.select_related("customer", "business_unit").pick_many(
        user, ids, field=field, action=action
    )


# --- one customer -------------------------------------------------------------------------------------


def customer_get(*, user: Any, pk: Any, action: str = "view", card: bool = False) -> Customer:
    """A customer ``user`` sees (merged ones too: their page points at the survivor). With ``card``,
    also one waiting in a public pool ``user`` is a member of — for its limited card only; every
    other path (comments, files, history, "why") uses the record's own visibility."""
    if not card or action != "view":
        return Customer.objects.get_visible(user, pk, action)
    return customer_or_card(user=user, pk=pk)[0]


def customer_or_card(*, user: Any, pk: Any) -> tuple[Customer, bool]:
    """``(customer, full)``: a customer ``user`` sees (``full``), else one waiting in a public pool they
    are a member of (its limited card); ``NotFound`` otherwise."""
    try:
        return Customer.objects.get_visible(user, pk), True
    except NotFound:
        pass
    pooled = Relationship.objects.visible_to(user).filter(customer_id=pk).values("customer_id")
    found = Customer.objects.filter(pk__in=pooled).first()
    if found is None:
        raise NotFound()
    return found, False


@dataclass
class RelationshipView:
    """One BU's relationship as the viewer may see it: ``full`` (their scope), ``pool`` (a public pool
    they are a member of: the limited card), or ``name`` (only that the BU and its owner hold it)."""

    relationship: Relationship
    access: str

    @property
    def full(self) -> bool:
        return self.access == "full"


@dataclass
class CustomerCard:
    customer: Customer
    relationships: list[RelationshipView] = field(default_factory=list)
    mine: Relationship | None = None  # the viewer's relationship (the header's facts)
    full: bool = False  # contacts and the whole card (a relationship in scope, or a share)
    can_edit: bool = False

    @property
    def limited(self) -> bool:
        return not self.full


def customer_card(*, user: Any, customer: Customer) -> CustomerCard:
    """What ``user`` may see of ``customer``'s relationships, in four queries."""
    rels = list(
        Relationship.objects.filter(customer=customer)
        .select_related("business_unit", "owner", "pool")
        .order_by("business_unit__code", "pk")
    )
    ids = [r.pk for r in rels]
    in_scope = set(scope_relationships(user).filter(pk__in=ids).values_list("pk", flat=True))
    seen = set(Relationship.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) - in_scope
    views = [RelationshipView(r, "full" if r.pk in in_scope else "pool" if r.pk in seen else "name") for r in rels]
    access = user.access
    mine = sorted(
        (v.relationship for v in views if v.full),
        key=lambda r: (r.owner_id != user.pk, r.business_unit_id not in access.business_unit_ids, r.pk),
    )
    full = bool(in_scope)
    if not full and access.user_id:
        shared = CUSTOMERS.share_rule(access, "view")
        full = bool(shared.q is not None and Customer.objects.filter(shared.q, pk=customer.pk).exists())
    can_edit = full and Customer.objects.visible_to(user, "edit").filter(pk=customer.pk).exists()
    return CustomerCard(
        customer=customer, relationships=views, mine=mine[0] if mine else None, full=full, can_edit=can_edit
    )


# --- contacts ----------------------------------------------------------------------------------------


def contact_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    customer: Customer | None = None,
    decision_role: str = "",
    primary_only: bool = False,
) -> QuerySet[Contact]:
    qs = Contact.objects.visible_to(user, action).filter(merged_into__isnull=True, customer__merged_into__isnull=True)
    if customer is not None:
        qs = qs.filter(customer_id=customer.pk)
    if decision_role:
        qs = qs.filter(decision_role=decision_role)
    if primary_only:
        qs = qs.filter(is_primary=True)
    if q:
        cond = Q(name__icontains=q) | Q(customer__name__icontains=q) | Q(email__icontains=q)
        digits = normalize_mobile(q)
        if digits.isdigit() and len(digits) >= 4:
            cond |= Q(mobile_key__startswith=digits) | Q(phone__contains=digits)
        qs = qs.filter(cond)
    return qs.select_related("customer")


def contact_get(*, user: Any, pk: Any, action: str = "view") -> Contact:
    return Contact.objects.select_related("customer").get_visible(user, pk, action)  # type: ignore[no-any-return]


def customer_contacts(*, user: Any, customer: Customer) -> list[Contact]:
    return list(
        Contact.objects.visible_to(user)
        .filter(customer_id=customer.pk, merged_into__isnull=True)
        .order_by("-is_primary", "name", "pk")
    )


# --- follow-ups --------------------------------------------------------------------------------------


def _followup_rows(qs: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    return qs.select_related("owner", "business_unit", "check_in", "customer")


def followup_list(
    *, user: Any, record: models.Model | None = None, customer: Customer | None = None
) -> QuerySet[FollowUp]:
    """The follow-ups ``user`` sees on ``record`` (a customer: its own and its contacts'), newest first."""
    qs = FollowUp.objects.visible_to(user)
    if customer is None and isinstance(record, Customer):
        customer = record
    if customer is not None:
        qs = qs.filter(customer_id=customer.pk)
    elif record is not None:
        qs = qs.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
    return _followup_rows(qs).order_by("-occurred_at", "-pk")


def followup_get(*, user: Any, pk: Any) -> FollowUp:
    return _followup_rows(FollowUp.objects.all()).get_visible(user, pk)  # type: ignore[attr-defined,no-any-return]


def followups_due(
    *, user: Any, until: datetime, since: datetime | None = None, scope: str = "mine"
) -> QuerySet[FollowUp]:
    """Open "next follow-ups" due before ``until`` (and from ``since``): mine, my team's or all I see."""
    qs = FollowUp.objects.visible_to(user).filter(next_done=False, next_at__isnull=False, next_at__lt=until)
    if since is not None:
        qs = qs.filter(next_at__gte=since)
    if scope in ("mine", "created"):
        qs = qs.filter(owner_id=user.pk)
    elif scope == "team":
        qs = qs.filter(owner_id__in=members_of(team_ids=user.access.team_ids))
    return _followup_rows(qs).order_by("next_at", "pk")


def record_names(follow_ups: list[FollowUp], *, user: Any) -> dict[int, tuple[str, str]]:
    """For each follow-up, the name and page of the record it is on, when ``user`` sees that record
    (one query per kind of record)."""
    from xietong.collaboration import registry
    from xietong.core.components import record_url

    refs = [(f.content_type_id, str(f.object_id)) for f in follow_ups]
    seen = registry.visible_records(user, refs)
    out: dict[int, tuple[str, str]] = {}
    for f in follow_ups:
        ref = (f.content_type_id, str(f.object_id))
        if ref in seen:
            out[f.pk] = (str(seen[ref]), record_url(*ref))
        elif f.customer_id is not None and f.customer is not None:
            out[f.pk] = (
                str(f.customer),
                record_url(ContentType.objects.get_for_model(Customer).pk, str(f.customer_id)),
            )
    return out


# --- search -----------------------------------------------------------------------------------------


def customer_search(*, user: Any, q: str, limit: int) -> list[Customer]:
    cond = Q(name__icontains=q) | Q(short_name__icontains=q)
    key = matching.normalise_name(q)
    if key and key != q.lower():
        cond |= Q(name_key__contains=key)
    if len(q) == 18 and q.isalnum():
        cond |= Q(credit_code=q.upper())
    return list(Customer.objects.visible_to(user).alive().filter(cond).order_by("name", "pk")[:limit])


def contact_search(*, user: Any, q: str, limit: int) -> list[Contact]:
    return list(contact_list(user=user, q=q).order_by("name", "pk")[:limit])
