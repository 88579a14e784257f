"""Customers, their business units' relationships and contacts: every write (follow-ups: followups.py).

One customer, several business units (docs/adr/0010): ``customer_create`` creates the common card
and the actor's BU relationship, or — when the company exists already (same credit code or same
normalised name) and the BU has no relationship with it — links a new relationship to the
existing customer and tells the other BUs' owners and managers. When the BU already holds it, the
create is refused with the owner's name (409), from where the user may open a conflict case.

Every service is keyword-only and atomic, checks the module permission and the record's scope
(``lock_visible``: 404 outside it), audits, and checks after the write that the actor still sees
what they wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.validators import clean_text, normalize_credit_code, normalize_mobile, normalize_phone
from xietong.core.visibility import ensure_still_visible
from xietong.org.policies import require

from . import matching
from .choices import Level, RelationshipStatus
from .models import ClaimLog, Contact, Customer, CustomerPool, Relationship

MODULE = "customers"
REASON_MAX = 200  # a transfer's or a duplicate override's reason (ClaimLog, DuplicateOverride)
UNSET: Any = object()

CUSTOMER_FIELDS = (
    "kind",
    "name",
    "short_name",
    "credit_code",
    "industry",
    "size",
    "source",
    "province",
    "city",
    "district",
    "address",
    "website",
    "notes",
    "tags",
)
CONTACT_FIELDS = (
    "name",
    "title",
    "department",
    "decision_role",
    "is_primary",
    "mobile",
    "phone",
    "email",
    "wechat",
    "notes",
)


# --- cleaning -------------------------------------------------------------------------------------


def parse_tags(value: Any) -> list[str]:
    """Tags as a list, from a list or from text separated by commas, 、 or semicolons."""
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("，", "、", ";", "；", "\n"):
            value = value.replace(sep, ",")
        return [t.strip() for t in value.split(",") if t.strip()]
    return [str(t).strip() for t in value if str(t).strip()]


def _unknown(fields: Mapping[str, Any], allowed: Sequence[str], prefix: str = "") -> None:
    extra = sorted(set(fields) - set(allowed))
    if extra:
        raise ValidationError({f"{prefix}{name}": _("Unknown field.") for name in extra})


def _apply_customer(customer: Customer, fields: Mapping[str, Any]) -> None:
    _unknown(fields, CUSTOMER_FIELDS)
    for name, value in fields.items():
        if name == "tags":
            customer.tag_list = parse_tags(value)
        elif name == "credit_code":
            customer.credit_code = normalize_credit_code(value or "")
        else:
            setattr(customer, name, (value or "").strip() if isinstance(value, str) or value is None else value)
    customer.name_key = matching.normalise_name(customer.name)


def _clean_customer(customer: Customer) -> None:
    if not (customer.name or "").strip():
        raise ValidationError({"name": _("Enter the customer's name.")})
    customer.full_clean(exclude=["name_key", "created_by", "merged_into"], validate_constraints=False)
    if not customer.name_key:
        raise ValidationError({"name": _("Enter a name with letters or characters, not only punctuation.")})


def _apply_contact(contact: Contact, fields: Mapping[str, Any], prefix: str = "") -> None:
    _unknown(fields, CONTACT_FIELDS, prefix)
    for name, value in fields.items():
        if name == "is_primary":
            contact.is_primary = bool(value)
        else:
            setattr(contact, name, (value or "").strip() if isinstance(value, str) or value is None else value)
    if contact.mobile:
        from xietong.core.validators import is_valid_mobile

        if is_valid_mobile(contact.mobile):
            contact.mobile = normalize_mobile(contact.mobile)
    if contact.phone:
        contact.phone = normalize_phone(contact.phone) or contact.phone
    contact.email = (contact.email or "").lower()
    contact.mobile_key = normalize_mobile(contact.mobile) if contact.mobile else ""


def _clean_contact(contact: Contact, prefix: str = "") -> None:
    if not (contact.name or "").strip():
        raise ValidationError({f"{prefix}name": _("Enter the contact's name.")})
    try:
        contact.full_clean(exclude=["customer", "created_by", "merged_into", "mobile_key"], validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError({f"{prefix}{k}": v for k, v in exc.message_dict.items()}) from None


# --- who may own, where -----------------------------------------------------------------------------


def _member_of_bu(user: Any, business_unit_id: int) -> bool:
    from xietong.org.models import TeamMembership

    return bool(
        user.is_active
        and TeamMembership.objects.filter(
            user_id=user.pk, team__business_unit_id=business_unit_id, team__is_active=True
        ).exists()
    )


def _check_business_unit(actor: Any, business_unit: Any, action: str = "create") -> None:
    """The actor works in ``business_unit`` or holds a BU-wide scope covering it."""
    if business_unit is None:
        raise ValidationError({"business_unit": _("Choose a business unit.")})
    access = actor.access
    if business_unit.pk in access.business_unit_ids:
        return
    if access.widest_scope(MODULE, action, business_unit.pk) >= DataScope.BUSINESS_UNIT:
        return
    raise ValidationError({"business_unit": _("You do not work in this business unit.")})


def _check_owner(actor: Any, owner: Any, business_unit: Any, field: str = "owner") -> None:
    if owner.pk != actor.pk and not _member_of_bu(owner, business_unit.pk):
        raise ValidationError(
            {field: _("%(name)s is not an active member of %(bu)s.") % {"name": owner, "bu": business_unit}}
        )


def is_manager(actor: Any, business_unit_id: int | None = None) -> bool:
    """Whether ``actor`` manages customers beyond their own (transfers, assignments, protection)."""
    return bool(actor.access.widest_scope(MODULE, "edit", business_unit_id) >= DataScope.SUBORDINATES)


def _check_can_own(owner: Any, business_unit: Any) -> None:
    """The public pools' ownership limits when a rep becomes owner (``Conflict`` naming the limit)."""
    from . import pools

    pools.check_can_own(user=owner, business_unit=business_unit)


def _notify_cross_bu(*, actor: Any, relationship: Relationship) -> None:
    """Tell the other BUs' owners and managers that one more BU works with their customer."""
    from . import conflicts

    conflicts.notify_cross_bu(customer=relationship.customer, new_relationship=relationship, actor=actor)


def _follow(user: Any, customer: Customer) -> None:
    """Owners follow their customers (comments, files and changes reach them)."""
    from xietong.collaboration import follows, registry

    if registry.has_surface(customer):
        follows.follow(actor=user, record=customer)


# --- customers -------------------------------------------------------------------------------------


def owner_description(relationship: Relationship) -> str:
    if relationship.owner_id is None:
        return _("the public pool “%(pool)s” of %(bu)s") % {"pool": relationship.pool, "bu": relationship.business_unit}
    return _("%(owner)s (%(bu)s)") % {"owner": relationship.owner, "bu": relationship.business_unit}


def _existing_customer(customer: Customer, *, exclude_pk: int | None = None) -> Customer | None:
    """The alive customer with the same credit code, else the same normalised name."""
    qs = Customer.objects.alive()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if customer.credit_code:
        found = qs.filter(credit_code=customer.credit_code).first()
        if found is not None:
            return found
    if customer.name_key:
        return qs.filter(name_key=customer.name_key).order_by("pk").first()
    return None


def _refuse_held(customer: Customer, held: Relationship, *, owner: Any) -> None:
    if held.owner_id is not None and owner is not None and held.owner_id == owner.pk:
        raise Conflict(
            _("%(owner)s already owns “%(customer)s” in %(bu)s.")
            % {"owner": held.owner, "customer": customer, "bu": held.business_unit},
            field="name",
        )
    if held.owner_id is None:
        raise Conflict(
            _("“%(customer)s” is in %(where)s: claim it from the pool.")
            % {"customer": customer, "where": owner_description(held)},
            field="name",
        )
    raise Conflict(
        _("“%(customer)s” is already owned by %(owner)s in %(bu)s. Ask them to collaborate, or open a conflict case.")
        % {"customer": customer, "owner": held.owner, "bu": held.business_unit},
        field="name",
    )


def _duplicate_check(
    *, customer: Customer, contacts: Sequence[Mapping[str, Any]], duplicate_reason: str, exclude: set[int]
) -> list[matching.Candidate]:
    """The duplicate check (matching.customer_candidates + matching.enforce): raises
    ``matching.DuplicateFound`` for a blocking match, or a warning without a reason; returns the
    candidates the user went past (recorded with the reason)."""
    first = contacts[0] if contacts else {}
    candidates = matching.customer_candidates(
        name=customer.name,
        credit_code=customer.credit_code,
        mobile=str(first.get("mobile") or ""),
        email=str(first.get("email") or ""),
        exclude=exclude,
    )
    if candidates:
        matching.enforce(target="customer", candidates=candidates, reason=duplicate_reason)
    return candidates


def _record_override(*, actor: Any, customer: Customer, candidates: list[Any], reason: str) -> None:
    if candidates and reason:
        matching.record_override(actor=actor, obj=customer, candidates=candidates, reason=reason)


def _index(customer: Customer) -> None:
    matching.index_names(target="customer", names=[(customer.pk, customer.name_key)])


def _create_contacts(*, actor: Any, customer: Customer, contacts: Sequence[Mapping[str, Any]]) -> list[Contact]:
    made: list[Contact] = []
    primary_seen = customer.contacts.filter(is_primary=True).exists() if customer.pk else False
    for index, data in enumerate(contacts):
        prefix = f"contacts.{index}."
        contact = Contact(customer=customer, created_by=actor)
        _apply_contact(contact, data, prefix)
        _clean_contact(contact, prefix)
        if contact.is_primary:
            if primary_seen:
                contact.is_primary = False
            primary_seen = True
        made.append(contact)
    if made and not primary_seen:
        made[0].is_primary = True
    for contact in made:
        contact.save()
        audit.record_create(actor=actor, obj=contact)
    return made


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    business_unit: Any,
    fields: dict[str, Any],
    owner: Any = None,
    pool: CustomerPool | None = None,
    contacts: Sequence[Mapping[str, Any]] = (),
    duplicate_reason: str = "",
    link_to: Customer | None = None,
) -> Relationship:
    """A new customer with ``business_unit``'s relationship (owned by ``owner``, default the actor;
    with ``pool`` and no ``owner`` it goes to that public pool), plus its contacts.

    When the company exists already — ``link_to``, or the same credit code or normalised name — the
    BU gets a relationship with the existing customer instead (and the other BUs are told); when
    the BU already has one, ``Conflict`` names who holds it. Fuzzy matches follow the duplicate
    rules (``matching.DuplicateFound``: block, or warn until ``duplicate_reason`` is given)."""
    require(actor, MODULE, "create")
    _check_business_unit(actor, business_unit)
    if pool is not None:
        if pool.business_unit_id != business_unit.pk:
            raise ValidationError({"pool": _("Choose a public pool of %(bu)s.") % {"bu": business_unit}})
        if not pool.is_active:
            raise ValidationError({"pool": _("This public pool is closed.")})
    if owner is None and pool is None:
        owner = actor
    if owner is not None:
        _check_owner(actor, owner, business_unit)
    duplicate_reason = clean_text(duplicate_reason, "duplicate_reason", REASON_MAX)

    draft = Customer(created_by=actor)
    _apply_customer(draft, fields)
    _clean_customer(draft)
    contacts = list(contacts)
    for index, data in enumerate(contacts):  # every contact's errors before anything is written
        probe = Contact(customer=draft)
        _apply_contact(probe, data, f"contacts.{index}.")
        _clean_contact(probe, f"contacts.{index}.")

    existing = link_to if link_to is not None else _existing_customer(draft)
    if existing is not None:
        existing = Customer.objects.select_for_update().filter(pk=existing.pk, merged_into__isnull=True).first()
        if existing is None:
            raise ValidationError({"link_to": _("No such customer.")})
        held = (
            Relationship.objects.select_related("owner", "pool", "business_unit")
            .filter(customer=existing, business_unit=business_unit)
            .first()
        )
        if held is not None:
            _refuse_held(existing, held, owner=owner)
        customer, linked, passed = existing, True, []
    else:
        passed = _duplicate_check(customer=draft, contacts=contacts, duplicate_reason=duplicate_reason, exclude=set())
        customer, linked = draft, False
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError:  # the same credit code, created a moment ago
            raise Conflict(
                _("A customer with this credit code was created just now; search for it."), field="credit_code"
            ) from None
        audit.record_create(actor=actor, obj=customer)
        _index(customer)

    relationship = Relationship(
        customer=customer,
        business_unit=business_unit,
        owner=owner,
        pool=pool if owner is None else None,
        claimed_at=timezone.now() if owner is not None else None,
    )
    if owner is not None:
        _check_can_own(owner, business_unit)
    try:
        with transaction.atomic():
            relationship.save()
    except IntegrityError:  # another request linked the same BU a moment ago
        held = Relationship.objects.select_related("owner", "pool", "business_unit").get(
            customer=customer, business_unit=business_unit
        )
        _refuse_held(customer, held, owner=owner)
        raise
    audit.record_create(actor=actor, obj=relationship, verb="linked" if linked else "")
    if linked:
        audit.record(
            actor=actor,
            obj=customer,
            kind=AuditEntry.Kind.ACTION,
            verb="bu_linked",
            changes={"business_unit": [None, str(business_unit)]},
        )
    _create_contacts(actor=actor, customer=customer, contacts=contacts)
    _record_override(actor=actor, customer=customer, candidates=passed, reason=duplicate_reason)
    if owner is not None:
        ClaimLog.objects.create(relationship=relationship, action=ClaimLog.Action.ASSIGN, user=owner, actor=actor)
        _follow(owner, customer)
    ensure_still_visible(relationship, actor)
    if linked:
        _notify_cross_bu(actor=actor, relationship=relationship)
    events.publish(
        "customers.relationship_created",
        key=f"relationship:{relationship.pk}:created",
        relationship_id=relationship.pk,
        customer_id=customer.pk,
        business_unit_id=business_unit.pk,
        owner_id=relationship.owner_id,
        actor_id=actor.pk,
        linked=linked,
    )
    return relationship


@transaction.atomic
def customer_update(*, actor: Any, customer: Customer, fields: dict[str, Any], duplicate_reason: str = "") -> Customer:
    """Change the common card. A new name or credit code is checked for duplicates like a create."""
    require(actor, MODULE, "edit")
    duplicate_reason = clean_text(duplicate_reason, "duplicate_reason", REASON_MAX)
    target = Customer.objects.lock_visible(actor, customer.pk)
    if target.merged_into_id is not None:
        raise NotFound()
    before = audit.snapshot(target)
    old_key, old_code = target.name_key, target.credit_code
    _apply_customer(target, fields)
    _clean_customer(target)
    if target.credit_code and target.credit_code != old_code:
        clash = Customer.objects.alive().filter(credit_code=target.credit_code).exclude(pk=target.pk).first()
        if clash is not None:
            raise ValidationError(
                {"credit_code": _("Another customer has this credit code: %(name)s.") % {"name": clash.name}}
            )
    passed: list[Any] = []
    if target.name_key != old_key or target.credit_code != old_code:
        passed = _duplicate_check(
            customer=target,
            contacts=(),
            duplicate_reason=(duplicate_reason or "").strip(),
            exclude={target.pk},
        )
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise ValidationError({"credit_code": _("Another customer has this credit code.")}) from None
    audit.record_update(actor=actor, obj=target, before=before)
    if target.name_key != old_key:
        _index(target)
    _record_override(actor=actor, customer=target, candidates=passed, reason=duplicate_reason)
    ensure_still_visible(target, actor)
    return target


@transaction.atomic
def customer_tag(
    *, actor: Any, customers: Iterable[Customer], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> int:
    """Add and remove tags on several customers at once (a bulk action); each change audited."""
    require(actor, MODULE, "edit")
    add, remove = parse_tags(add), parse_tags(remove)
    if not add and not remove:
        raise ValidationError({"tags": _("Enter the tags to add or remove.")})
    ids = sorted({c.pk for c in customers})
    found = list(Customer.objects.visible_to(actor, "edit").select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids):
        raise NotFound()
    changed = 0
    for customer in found:
        before = audit.snapshot(customer)
        tags = [t for t in customer.tag_list if t not in remove]
        customer.tag_list = tags + [t for t in add if t not in tags]
        if customer.tags != before["tags"]:
            customer.save(update_fields=["tags", "updated_at"])
            audit.record_update(actor=actor, obj=customer, before=before)
            changed += 1
    return changed


# --- relationships ---------------------------------------------------------------------------------


@transaction.atomic
def relationship_update(
    *,
    actor: Any,
    relationship: Relationship,
    level: str = UNSET,
    status: str = UNSET,
    owner: Any = UNSET,
    protected_until: date | None = UNSET,
    reason: str = "",
) -> Relationship:
    """A BU relationship's level and status (whoever may edit it); its owner and protection period
    (managers only: a transfer to an active member of the BU, within the ownership limits)."""
    require(actor, MODULE, "edit")
    reason = clean_text(reason, "reason", REASON_MAX)
    target = Relationship.objects.lock_visible(actor, relationship.pk)
    before = audit.snapshot(target)
    if level is not UNSET:
        if level not in Level.values:
            raise ValidationError({"level": _("Choose a level.")})
        target.level = level
    if status is not UNSET:
        if status not in RelationshipStatus.values:
            raise ValidationError({"status": _("Choose a status.")})
        target.status = status
    if protected_until is not UNSET and protected_until != target.protected_until:
        if not is_manager(actor, target.business_unit_id):
            raise PermissionDenied(_("Only managers change the protection period."))
        target.protected_until = protected_until
    transferred_from, owner_changed = None, False
    if owner is not UNSET and owner is not None and owner.pk != target.owner_id:
        if not is_manager(actor, target.business_unit_id):
            raise PermissionDenied(_("Only managers transfer customers to another owner."))
        _check_owner(actor, owner, target.business_unit)
        if not owner.is_active:
            raise ValidationError({"owner": _("%(name)s is deactivated.") % {"name": owner}})
        _check_can_own(owner, target.business_unit)
        transferred_from = target.owner
        if target.owner_id is not None:
            target.previous_owner = target.owner
        target.owner = owner
        target.pool = None
        target.claimed_at = timezone.now()
        target.release_reason = ""
        owner_changed = True
    elif owner is None:
        raise ValidationError({"owner": _("Return the customer to a public pool to leave it without an owner.")})
    target.save()
    audit.record_update(actor=actor, obj=target, before=before, verb="transferred" if transferred_from else "")
    if owner_changed:
        ClaimLog.objects.create(
            relationship=target,
            action=ClaimLog.Action.TRANSFER,
            user=target.owner,
            actor=actor,
            reason=reason,
        )
        _follow(target.owner, target.customer)
        events.publish(
            "customers.relationship_transferred",
            key=f"relationship:{target.pk}:owner:{target.owner_id}:{int(timezone.now().timestamp() * 1000)}",
            relationship_id=target.pk,
            customer_id=target.customer_id,
            owner_id=target.owner_id,
            previous_owner_id=transferred_from.pk if transferred_from is not None else None,
            actor_id=actor.pk,
        )
    ensure_still_visible(target, actor)
    return target


@transaction.atomic
def relationship_bulk_transfer(
    *, actor: Any, relationships: Iterable[Relationship], owner: Any, reason: str = ""
) -> list[Relationship]:
    """Assign or transfer several relationships to one owner: all or nothing, rows locked in id order."""
    done = []
    for rel in sorted(relationships, key=lambda r: r.pk):
        done.append(relationship_update(actor=actor, relationship=rel, owner=owner, reason=reason))
    return done


# --- contacts --------------------------------------------------------------------------------------


def _contact_customer(actor: Any, customer: Customer) -> Customer:
    """The customer, if the actor may edit its contacts (a relationship in scope, or an edit share)."""
    found = Customer.objects.visible_to(actor, "edit").select_for_update().filter(pk=customer.pk).first()
    if found is None or found.merged_into_id is not None:
        raise NotFound()
    return found


def _one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )


@transaction.atomic
def contact_create(*, actor: Any, customer: Customer, fields: dict[str, Any]) -> Contact:
    """A contact of ``customer``; a primary contact replaces the previous one (one per customer)."""
    require(actor, MODULE, "edit")
    target = _contact_customer(actor, customer)
    contact = Contact(customer=target, created_by=actor)
    _apply_contact(contact, fields)
    _clean_contact(contact)
    if not target.contacts.filter(merged_into__isnull=True).exists():
        contact.is_primary = True
    contact.save()
    _one_primary(contact)
    audit.record_create(actor=actor, obj=contact)
    ensure_still_visible(contact, actor)
    return contact


@transaction.atomic
def contact_update(*, actor: Any, contact: Contact, fields: dict[str, Any]) -> Contact:
    require(actor, MODULE, "edit")
    target = Contact.objects.lock_visible(actor, contact.pk)
    if "customer" in fields:
        raise ValidationError({"customer": _("A contact stays with its customer.")})
    before = audit.snapshot(target)
    _apply_contact(target, fields)
    _clean_contact(target)
    target.save()
    _one_primary(target)
    audit.record_update(actor=actor, obj=target, before=before)
    return target


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> None:
    """Remove a contact (part of editing its customer: the customers "edit" permission). Its
    follow-ups stay on the customer's history."""
    require(actor, MODULE, "edit")
    target = Contact.objects.lock_visible(actor, contact.pk)
    audit.record(
        actor=actor,
        obj=target.customer,
        kind=AuditEntry.Kind.DELETE,
        verb="contact_deleted",
        changes={"contact": [str(target), None]},
    )
    was_primary = target.is_primary
    customer_id = target.customer_id
    target.delete()
    if was_primary:
        successor = Contact.objects.filter(customer_id=customer_id, merged_into__isnull=True).order_by("pk").first()
        if successor is not None:
            Contact.objects.filter(pk=successor.pk).update(is_primary=True)
