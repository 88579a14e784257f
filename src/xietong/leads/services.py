"""Every write of leads: capture, edit, assign and transfer, claim, return to the pool, mark invalid,
bulk actions and conversion into a customer and a contact.

Each service is keyword-only and atomic, checks the policy, locks the lead where races matter,
writes, audits, and tells people after the commit (``events.publish``: the owner a lead goes to).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.params import as_int
from xietong.core.validators import clean_text, normalize_mobile
from xietong.core.visibility import ensure_still_visible
from xietong.customers import matching

from . import assignment, policies, selectors
from .choices import OPEN_STATUSES, LeadStatus
from .models import Lead, LeadPool, WebForm
from .visibility import my_pools

MODULE = "leads"

# what a form, the API or an import may set on a lead (owner, pool, status have their own services)
EDITABLE = (
    "company",
    "contact_name",
    "contact_title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "district",
    "address",
    "industry",
    "company_size",
    "source",
    "campaign",
    "product_interest",
    "budget",
    "notes",
)
# statuses an edit may set; converted and invalid come from lead_convert and lead_mark_invalid
EDITABLE_STATUSES = tuple(OPEN_STATUSES)
NOT_VALIDATED = ["owner", "pool", "business_unit", "created_by", "merged_into"]


def _set_fields(lead: Lead, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in fields.items():
        if name == "budget":
            value = None if value in (None, "") else Decimal(str(value))
        elif value is None:
            value = ""
        elif isinstance(value, str):
            value = value.strip()
        setattr(lead, name, value)
    lead.company_key = matching.normalise_name(lead.company) if lead.company else ""
    lead.mobile_key = normalize_mobile(lead.mobile) if lead.mobile else ""
    lead.email = lead.email.lower()


def _validate(lead: Lead) -> None:
    """The model's own checks (required, lengths, choices, mobile, phone, e-mail), field by field."""
    lead.full_clean(exclude=NOT_VALIDATED, validate_unique=False, validate_constraints=False)


def _check_pool(pool: LeadPool | None, business_unit_id: int, field: str = "pool") -> None:
    if pool is not None and (pool.business_unit_id != business_unit_id or not pool.is_active):
        raise ValidationError({field: _("Choose an active lead pool of the lead's business unit.")})


def _check_owner(owner: Any, business_unit_id: int, field: str = "owner") -> None:
    if owner is None:
        return
    if not owner.is_active or not selectors.business_unit_people(business_unit_id).filter(pk=owner.pk).exists():
        raise ValidationError({field: _("Choose an active person who works in the lead's business unit.")})


def _duplicates(lead: Lead, *, reason: str) -> list[Any]:
    """The duplicate check (查重) on the lead's company, mobile and e-mail: blocks or, for a warning,
    lets it pass with a reason (``DuplicateFound`` names the fields that matched)."""
    found = matching.lead_candidates(
        company=lead.company, mobile=lead.mobile, email=lead.email, exclude=[lead.pk] if lead.pk else []
    )
    matching.enforce(target="lead", candidates=found, reason=reason)
    return list(found)


def _record_override(*, actor: Any, lead: Lead, candidates: list[Any], reason: str) -> None:
    if candidates and reason and actor is not None:
        matching.record_override(actor=actor, obj=lead, candidates=candidates, reason=reason)


def notify_assigned(lead: Lead, *, actor: Any) -> None:
    """Tell the lead's new owner (after the commit; not when they took it themselves)."""
    if lead.owner_id is None or (actor is not None and actor.pk == lead.owner_id):
        return
    stamp = (lead.assigned_at or timezone.now()).isoformat()
    events.publish(
        "leads.assigned",
        key=f"lead-assigned:{lead.pk}:{lead.owner_id}:{stamp}",
        lead_id=lead.pk,
        owner_id=lead.owner_id,
        actor_id=getattr(actor, "pk", None),
        actor=str(actor) if actor is not None else "",
        lead=str(lead),
        rule=str(lead.assigned_by_rule) if lead.assigned_by_rule_id else "",
    )


def _require_open(lead: Lead) -> None:
    if lead.status not in OPEN_STATUSES:
        raise Conflict(
            _("The lead is %(status)s: it cannot be changed this way.") % {"status": lead.get_status_display()}
        )


# --- capture and edit -----------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    actor: Any,
    business_unit: Any,
    fields: dict[str, Any],
    owner: Any = None,
    pool: LeadPool | None = None,
    tags: Iterable[str] = (),
    duplicate_reason: str = "",
    by_rules: bool = True,
    web_form: WebForm | None = None,
    check_duplicates: bool = True,
) -> Lead:
    """Capture a lead. With an ``owner`` it is theirs; else the assignment rules place it (from
    ``pool`` if given), else it waits in ``pool`` or the BU's default pool. ``actor`` None: a public
    web form (no policy; the form decides BU, pool and source)."""
    if actor is not None:
        policies.require(actor, MODULE, "create")
        if not policies.creatable_business_units(actor).filter(pk=business_unit.pk).exists():
            raise ValidationError({"business_unit": _("No such business unit.")})
    lead = Lead(business_unit=business_unit, created_by=actor, web_form=web_form)
    _set_fields(lead, fields)
    lead.tag_list = list(tags)
    _check_pool(pool, business_unit.pk)
    _check_owner(owner, business_unit.pk)
    lead.pool = pool
    if owner is not None:
        lead.owner = owner
        lead.assigned_at = timezone.now()
    elif by_rules:
        assignment.assign_new(lead, save=False)
    assignment.place_unassigned(lead)
    _validate(lead)
    candidates = _duplicates(lead, reason=duplicate_reason) if check_duplicates else []
    lead.save()
    audit.record_create(actor=actor, obj=lead, verb="web_form" if web_form is not None else "")
    _record_override(actor=actor, lead=lead, candidates=candidates, reason=duplicate_reason)
    if actor is not None and owner is not None:
        ensure_still_visible(lead, actor)
    notify_assigned(lead, actor=actor)
    return lead


@transaction.atomic
def lead_update(
    *,
    actor: Any,
    lead: Lead,
    fields: dict[str, Any],
    tags: Iterable[str] | None = None,
    status: str | None = None,
    duplicate_reason: str = "",
) -> Lead:
    """Change a lead's details, tags or (open) status; the duplicate check runs again when the
    company, mobile or e-mail changed."""
    policies.require(actor, MODULE, "edit")
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    before = audit.snapshot(locked)
    keys = (locked.company_key, locked.mobile_key, locked.email)
    _set_fields(locked, fields)
    if tags is not None:
        locked.tag_list = list(tags)
    if status is not None:
        if status not in EDITABLE_STATUSES:
            raise ValidationError({"status": _("Convert the lead or mark it invalid with a reason to close it.")})
        locked.status = status
    _validate(locked)
    candidates: list[Any] = []
    if (locked.company_key, locked.mobile_key, locked.email) != keys:
        candidates = _duplicates(locked, reason=duplicate_reason)
    locked.save()
    audit.record_update(actor=actor, obj=locked, before=before)
    _record_override(actor=actor, lead=locked, candidates=candidates, reason=duplicate_reason)
    return locked


# --- who has it -------------------------------------------------------------------------------


def _hand_over(*, actor: Any, lead: Lead, owner: Any, verb: str, rule: Any = None) -> Lead:
    before = audit.snapshot(lead)
    lead.owner = owner
    lead.assigned_at = timezone.now()
    lead.assigned_by_rule = rule
    lead.timeout_reminded_at = None
    lead.save(update_fields=["owner", "assigned_at", "assigned_by_rule", "timeout_reminded_at", "updated_at"])
    audit.record_update(actor=actor, obj=lead, before=before, verb=verb)
    notify_assigned(lead, actor=actor)
    return lead


@transaction.atomic
def lead_assign(*, actor: Any, lead: Lead, owner: Any) -> Lead:
    """Give a lead to ``owner``: "assign" from a pool, "transfer" from its current owner. The actor
    must still see it afterwards (a transfer never moves a lead outside the actor's own scope)."""
    policies.require(actor, MODULE, "edit")
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    if owner is None:
        raise ValidationError({"owner": _("Choose who gets the lead.")})
    _check_owner(owner, locked.business_unit_id)
    if locked.owner_id == owner.pk:
        raise ValidationError({"owner": _("%(name)s already owns this lead.") % {"name": owner}})
    _hand_over(actor=actor, lead=locked, owner=owner, verb="lead_transfer" if locked.owner_id else "lead_assign")
    ensure_still_visible(locked, actor)
    return locked


@transaction.atomic
def lead_assign_by_rules(*, actor: Any, lead: Lead) -> Lead:
    """Let the BU's assignment rules choose the owner (someone other than the current owner)."""
    policies.require(actor, MODULE, "edit")
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    exclude = [locked.owner_id] if locked.owner_id else []
    decision = assignment.decide(locked, exclude=exclude)
    if decision is None or decision.owner is None:
        raise ValidationError({"owner": _("No assignment rule of this business unit finds someone for this lead.")})
    _hand_over(actor=actor, lead=locked, owner=decision.owner, verb="assigned_by_rule", rule=decision.rule)
    return locked


def lead_claim(*, actor: Any, lead_id: Any) -> Lead:
    """Take a lead waiting in a pool one is a member of. Race-safe: one conditional UPDATE, so of many
    concurrent claims exactly one wins; the others get 409 naming who holds it."""
    try:
        lead = Lead.objects.select_related("pool", "owner").alive().get_visible(actor, lead_id)
    except NotFound:
        # claimed a moment ago, it left the pool member's sight: they still learn who holds it
        taken = (
            Lead.objects.select_related("owner")
            .alive()
            .filter(pk=as_int(lead_id, 0), owner__isnull=False)
            .filter(pool__in=LeadPool.objects.filter(my_pools(actor.access)))
            .first()
        )
        if taken is None:
            raise
        raise Conflict(_("%(owner)s has just claimed this lead.") % {"owner": taken.owner}) from None
    policies.require(actor, MODULE, "edit")
    if lead.owner_id is not None:
        raise Conflict(_("%(owner)s already holds this lead.") % {"owner": lead.owner})
    _require_open(lead)
    assert lead.pool is not None  # a lead without an owner is in a pool (a database constraint)
    if not selectors.is_pool_member(actor, lead.pool) and not policies.can_administer(actor, lead.business_unit_id):
        raise PermissionDenied(_("Only members of the lead pool can claim its leads."))
    now = timezone.now()
    with transaction.atomic():
        won = Lead.objects.filter(pk=lead.pk, owner__isnull=True, status__in=OPEN_STATUSES).update(
            owner=actor, assigned_at=now, assigned_by_rule=None, timeout_reminded_at=None, updated_at=now
        )
        if not won:
            holder = Lead.objects.select_related("owner").get(pk=lead.pk).owner
            raise Conflict(_("%(owner)s has just claimed this lead.") % {"owner": holder or "—"})
        audit.record(
            actor=actor,
            obj=lead,
            kind=AuditEntry.Kind.UPDATE,
            verb="lead_claim",
            changes={"owner": [None, str(actor)]},
        )
    lead.refresh_from_db()
    return lead


@transaction.atomic
def lead_return_to_pool(*, actor: Any, lead: Lead, reason: str = "", pool: LeadPool | None = None) -> Lead:
    """Give a lead back: it waits in ``pool`` (default: the pool it came from, else the BU's default)."""
    policies.require(actor, MODULE, "edit")
    reason = clean_text(reason, "reason", 200)
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    if locked.owner_id is None:
        raise Conflict(_("The lead is already in a pool."))
    target = pool or locked.pool or selectors.default_pool(locked.business_unit_id)
    if target is None:
        raise ValidationError({"pool": _("The business unit has no active lead pool.")})
    _check_pool(target, locked.business_unit_id)
    before = audit.snapshot(locked)
    locked.owner = None
    locked.pool = target
    locked.assigned_at = None
    locked.timeout_reminded_at = None
    locked.save(update_fields=["owner", "pool", "assigned_at", "timeout_reminded_at", "updated_at"])
    changes = audit.diff(before, audit.snapshot(locked, before.keys()))
    if reason:
        changes["reason"] = [None, reason]
    audit.record(actor=actor, obj=locked, kind=AuditEntry.Kind.UPDATE, verb="return_to_pool", changes=changes)
    return locked


@transaction.atomic
def lead_mark_invalid(*, actor: Any, lead: Lead, reason: str) -> Lead:
    policies.require(actor, MODULE, "edit")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead is invalid.")})
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    before = audit.snapshot(locked)
    locked.status = LeadStatus.INVALID
    locked.invalid_reason = reason[:200]
    locked.save(update_fields=["status", "invalid_reason", "updated_at"])
    audit.record_update(actor=actor, obj=locked, before=before, verb="mark_invalid")
    return locked


# --- bulk -------------------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "tag", "return")


@transaction.atomic
def lead_bulk(
    *,
    actor: Any,
    lead_ids: Iterable[int],
    action: str,
    owner: Any = None,
    tags: Iterable[str] = (),
    reason: str = "",
) -> int:
    """One action on several leads, all or nothing: ``assign`` (or transfer) to ``owner``, ``tag``
    (add ``tags``), ``return`` to their pools. ``NotFound`` if any id is not a lead one may edit."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("Choose assign, tag or return to the pool.")})
    policies.require(actor, MODULE, "edit")
    ids = list(dict.fromkeys(int(i) for i in lead_ids))
    if not ids:
        raise ValidationError({"ids": _("Choose at least one lead.")})
    leads = list(Lead.objects.visible_to(actor, "edit").alive().filter(pk__in=ids).order_by("pk"))
    if len(leads) != len(ids):
        raise NotFound()
    new_tags = [t for t in (x.strip() for x in tags) if t]
    if action == "tag" and not new_tags:
        raise ValidationError({"tags": _("Enter at least one tag.")})
    for lead in leads:
        if action == "assign":
            if lead.owner_id != getattr(owner, "pk", None):
                lead_assign(actor=actor, lead=lead, owner=owner)
        elif action == "return":
            if lead.owner_id is not None:
                lead_return_to_pool(actor=actor, lead=lead, reason=reason)
        else:
            lead_update(actor=actor, lead=lead, fields={}, tags=[*lead.tag_list, *new_tags])
    return len(leads)


# --- conversion -------------------------------------------------------------------------------

ConversionStep = Callable[..., None]
_conversion_steps: list[ConversionStep] = []


def register_conversion_step(step: ConversionStep) -> None:
    """Later apps add to a conversion (the pipeline: an opportunity). A step is called inside the
    conversion's transaction as ``step(lead=, actor=, customer=, contact=, options=)``; ``options``
    is the dict the caller passed to ``lead_convert`` (e.g. ``{"opportunity": {...}}``)."""
    if step not in _conversion_steps:
        _conversion_steps.append(step)


def conversion_offers_opportunity() -> bool:
    """Whether a later app (the pipeline) creates an opportunity on conversion when asked."""
    return bool(_conversion_steps)


EXACT_KEYS = {"credit_code", "name", "mobile"}


def conversion_matches(lead: Lead) -> list[Any]:
    """Existing customers that are this lead's company for sure: the same credit code, normalised name
    or mobile (``matching.customer_candidates``); conversion links to the best one."""
    found = matching.customer_candidates(name=lead.company, mobile=lead.mobile, email=lead.email)
    return [c for c in found if EXACT_KEYS & set(c.keys)]


def _customer_fields(lead: Lead) -> dict[str, Any]:
    from xietong.customers.choices import CustomerKind

    return {
        "kind": CustomerKind.COMPANY if lead.company else CustomerKind.INDIVIDUAL,
        "name": lead.company or lead.contact_name,
        "industry": lead.industry,
        "size": lead.company_size,
        "source": lead.source,
        "province": lead.province,
        "city": lead.city,
        "district": lead.district,
        "address": lead.address,
        "tags": lead.tag_list,
    }


def _contact_fields(lead: Lead) -> dict[str, Any]:
    return {
        "name": lead.contact_name,
        "title": lead.contact_title,
        "mobile": lead.mobile,
        "phone": lead.phone,
        "email": lead.email,
        "wechat": lead.wechat,
        "is_primary": True,
    }


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    actor: Any,
    customer_id: int | None = None,
    create_contact: bool = True,
    duplicate_reason: str = "",
    options: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """Turn an open lead into a customer (and its contact). It links to an existing customer — the
    one chosen (``customer_id``: one the actor sees or one of the lead's exact matches), else the
    exact match — instead of creating a duplicate; the lead keeps links to what it became."""
    from xietong.customers import services as customer_services
    from xietong.customers.models import Contact, Customer, Relationship

    policies.require(actor, MODULE, "edit")
    policies.require(actor, "customers", "create")
    locked = Lead.objects.lock_visible(actor, lead.pk, "edit")
    _require_open(locked)
    exact = conversion_matches(locked)
    existing = None
    if customer_id is not None:
        exact_ids = {c.pk for c in exact}
        visible = Customer.objects.visible_to(actor).alive().filter(pk=customer_id).exists()
        if customer_id not in exact_ids and not visible:
            raise ValidationError({"customer_id": _("No such customer.")})
        existing = Customer.objects.alive().filter(pk=customer_id).first()
        if existing is None:
            raise ValidationError({"customer_id": _("No such customer.")})
    elif exact:
        existing = Customer.objects.alive().filter(pk=exact[0].pk).first()
    owner = locked.owner or actor
    held = (
        Relationship.objects.filter(customer=existing, business_unit_id=locked.business_unit_id).first()
        if existing is not None
        else None
    )
    contact = None
    if held is not None and held.owner_id == owner.pk:
        # the owner already holds this customer in the lead's BU: the lead joins it, as a contact
        assert existing is not None
        customer = existing
        if create_contact:
            contact = customer_services.contact_create(
                actor=actor, customer=customer, fields={**_contact_fields(locked), "is_primary": False}
            )
    else:
        relationship = customer_services.customer_create(
            actor=actor,
            business_unit=locked.business_unit,
            fields=_customer_fields(locked),
            owner=owner,
            contacts=[_contact_fields(locked)] if create_contact else [],
            duplicate_reason=duplicate_reason,
            link_to=existing,
        )
        customer = relationship.customer
        if create_contact:
            contact = (
                Contact.objects.filter(customer=customer, name=locked.contact_name, merged_into__isnull=True)
                .order_by("-pk")
                .first()
            )
    before = audit.snapshot(locked)
    now = timezone.now()
    locked.status = LeadStatus.CONVERTED
    locked.converted_at = now
    locked.converted_customer = customer
    locked.converted_contact = contact
    if locked.owner_id is None:
        locked.owner = actor
        locked.assigned_at = now
    locked.save()
    changes = audit.diff(before, audit.snapshot(locked, before.keys()))
    changes["converted_customer"] = [None, str(customer)]
    if contact is not None:
        changes["converted_contact"] = [None, str(contact)]
    audit.record(actor=actor, obj=locked, kind=AuditEntry.Kind.UPDATE, verb="lead_convert", changes=changes)
    for step in _conversion_steps:
        step(lead=locked, actor=actor, customer=customer, contact=contact, options=options or {})
    return customer, contact
