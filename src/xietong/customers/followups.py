"""Follow-ups (跟进记录) and visit check-ins (外勤签到): every write.

``followup_create`` is generic over the record: a customer, one of its contacts, or any record with
a ``business_unit`` (a lead: the leads app calls it). On a customer or contact the follow-up
belongs to the actor's business unit's relationship with the customer (BUs do not read each
other's follow-ups, docs/adr/0010) and moves that relationship's last and next follow-up; on
another record it moves the record's own ``first_contacted_at`` / ``last_follow_up_at`` /
``next_follow_up_at`` where it has them. A visit check-in stores where the phone's browser said
it was and when the server received it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit, events
from xietong.core.errors import NotFound
from xietong.core.validators import clean_text

from .choices import FollowUpKind
from .models import Contact, Customer, FollowUp, Relationship, VisitCheckIn
from .selectors import scope_relationships

MODULE = "customers"
MAX_CONTENT = 10_000
FUTURE_TOLERANCE = timedelta(minutes=10)  # a phone's clock a little ahead of the server's


def _relationship_for(actor: Any, customer: Customer, business_unit: Any = None) -> Relationship:
    """The relationship a follow-up on ``customer`` by ``actor`` belongs to: of ``business_unit`` if
    given, else the one the actor owns, else one in the actor's BUs, else any in their scope."""
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk, merged_into__isnull=True).exists():
        raise NotFound()
    access = actor.access
    if not (access.can(MODULE, "edit") or access.can(MODULE, "create")):
        raise PermissionDenied(_("Your roles do not allow logging follow-ups on customers."))
    rels = scope_relationships(actor).filter(customer_id=customer.pk)
    if business_unit is not None:
        rels = rels.filter(business_unit_id=business_unit.pk)
    found = sorted(
        rels.select_for_update(),
        key=lambda r: (r.owner_id != actor.pk, r.business_unit_id not in access.business_unit_ids, r.pk),
    )
    if not found:
        if business_unit is not None:
            raise ValidationError(
                {
                    "business_unit": _("%(bu)s has no relationship with this customer that you can see.")
                    % {"bu": business_unit}
                }
            )
        raise PermissionDenied(_("Claim the customer, or ask its owner, before logging follow-ups on it."))
    return found[0]


def _check_in(data: dict[str, Any], now: datetime) -> VisitCheckIn:
    def number(name: str, low: int, high: int) -> Decimal:
        raw = data.get(name)
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.000001"))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError(
                {f"check_in.{name}": _("The location is missing; allow the browser to share it.")}
            ) from None
        if not low <= value <= high:
            raise ValidationError(
                {f"check_in.{name}": _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}}
            )
        return value

    accuracy = data.get("accuracy")
    try:
        accuracy_m = None if accuracy in (None, "") else max(0, round(float(accuracy)))
    except (TypeError, ValueError):
        raise ValidationError({"check_in.accuracy": _("Enter the accuracy in metres.")}) from None
    unknown = set(data) - {"latitude", "longitude", "accuracy", "address"}
    if unknown:
        raise ValidationError({f"check_in.{name}": _("Unknown field.") for name in sorted(unknown)})
    return VisitCheckIn(
        latitude=number("latitude", -90, 90),
        longitude=number("longitude", -180, 180),
        accuracy_m=accuracy_m,
        checked_in_at=now,
        address=clean_text(data.get("address"), "check_in.address", 200),
    )


def _clean(
    kind: str, content: str, outcome: str, occurred_at: datetime, next_at: datetime | None, now: datetime
) -> None:
    if kind not in FollowUpKind.values:
        raise ValidationError({"kind": _("Choose a type of follow-up.")})
    if not (content or "").strip():
        raise ValidationError({"content": _("Say what happened.")})
    if len(content) > MAX_CONTENT:
        raise ValidationError({"content": _("At most %(n)d characters.") % {"n": MAX_CONTENT}})
    if len(outcome or "") > 200:
        raise ValidationError({"outcome": _("At most %(n)d characters.") % {"n": 200}})
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError(
            {"occurred_at": _("A follow-up is logged after it happened: choose a time that has passed.")}
        )
    if next_at is not None and next_at <= occurred_at:
        raise ValidationError({"next_at": _("The next follow-up must come after this one.")})


def _on_record(record: models.Model, fu: FollowUp) -> Q:
    """The earlier follow-ups whose "next follow-up" this one answers: the same customer and BU, or
    the same record."""
    if fu.customer_id is not None:
        return Q(customer_id=fu.customer_id, business_unit_id=fu.business_unit_id)
    return Q(content_type_id=fu.content_type_id, object_id=fu.object_id)


@transaction.atomic
def followup_create(
    *,
    actor: Any,
    record: models.Model,
    kind: str,
    content: str,
    outcome: str = "",
    occurred_at: datetime | None = None,
    next_at: datetime | None = None,
    check_in: dict[str, Any] | None = None,
    business_unit: Any = None,
) -> FollowUp:
    """Log a follow-up on ``record`` (customer, contact or lead). Earlier "next follow-ups" on the
    same record (customer: the same BU) count as done; the record's follow-up dates move."""
    now = timezone.now()
    occurred_at = occurred_at or now
    content = (content or "").strip()
    outcome = (outcome or "").strip()
    if check_in is not None and kind != FollowUpKind.VISIT:
        raise ValidationError({"kind": _("A check-in is a visit: choose the type “Visit”.")})
    _clean(kind, content, outcome, occurred_at, next_at, now)

    customer: Customer | None = None
    relationship: Relationship | None = None
    lead_like: models.Model | None = None
    if isinstance(record, Customer):
        customer = record
    elif isinstance(record, Contact):
        if not Contact.objects.visible_to(actor).filter(pk=record.pk).exists():
            raise NotFound()
        customer = record.customer
    if customer is not None:
        relationship = _relationship_for(actor, customer, business_unit)
        bu_id = relationship.business_unit_id
    else:
        manager = type(record)._default_manager
        if not hasattr(manager, "visible_to") or not hasattr(record, "business_unit_id"):
            raise ValidationError({"record": _("Follow-ups cannot be logged on this kind of record.")})
        if not manager.visible_to(actor).filter(pk=record.pk).exists():
            raise NotFound()
        lead_like = manager.visible_to(actor, "edit").select_for_update().filter(pk=record.pk).first()
        if lead_like is None:
            raise PermissionDenied(_("You may not change this record."))
        bu_id = getattr(lead_like, "business_unit_id")  # noqa: B009 (any record with a business unit)

    follow_up = FollowUp(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        customer=customer,
        business_unit_id=bu_id,
        owner=actor,
        kind=kind,
        content=content,
        outcome=outcome,
        occurred_at=occurred_at,
        next_at=next_at,
    )
    visit = _check_in(check_in, now) if check_in is not None else None
    FollowUp.objects.filter(_on_record(record, follow_up), next_done=False, next_at__isnull=False).update(
        next_done=True
    )
    follow_up.save()
    if visit is not None:
        visit.follow_up = follow_up
        visit.save()
    audit.record_create(actor=actor, obj=follow_up, verb="check_in" if visit is not None else "")

    if relationship is not None:
        changed = []
        if relationship.last_follow_up_at is None or occurred_at >= relationship.last_follow_up_at:
            relationship.last_follow_up_at = occurred_at
            relationship.next_follow_up_at = next_at
            changed = ["last_follow_up_at", "next_follow_up_at"]
        elif next_at is not None:
            relationship.next_follow_up_at = next_at
            changed = ["next_follow_up_at"]
        if changed:
            relationship.save(update_fields=[*changed, "updated_at"])
    elif lead_like is not None and hasattr(lead_like, "followed_up"):
        # the record moves itself (a lead: first contact, last and next follow-up, new → contacting)
        before = audit.snapshot(lead_like)
        changed = lead_like.followed_up(occurred_at=occurred_at, next_at=next_at)
        if changed:
            lead_like.save(update_fields=changed)
            if "status" in changed:
                audit.record_update(actor=actor, obj=lead_like, before=before)
        if getattr(lead_like, "follow_ups_count_for_customer", False):
            Relationship.objects.filter(customer_id=lead_like.customer_id, business_unit_id=bu_id).filter(  # type: ignore[attr-defined]
                Q(last_follow_up_at__isnull=True) | Q(last_follow_up_at__lt=occurred_at)
            ).update(last_follow_up_at=occurred_at)
    events.publish(
        "customers.followup_created",
        key=f"followup:{follow_up.pk}:created",
        follow_up_id=follow_up.pk,
        record=f"{record._meta.label_lower}:{record.pk}",
        customer_id=follow_up.customer_id,
        business_unit_id=bu_id,
        actor_id=actor.pk,
        next_at=next_at.isoformat() if next_at else None,
    )
    return follow_up


@transaction.atomic
def followup_next_done(*, actor: Any, follow_up: FollowUp) -> FollowUp:
    """Mark a follow-up's "next follow-up" as done without logging a new one (My day's one click).
    Its author, or whoever may edit the customer's relationship."""
    target = FollowUp.objects.visible_to(actor).select_for_update().filter(pk=follow_up.pk).first()
    if target is None:
        raise NotFound()
    if target.owner_id != actor.pk:
        rel = None
        if target.customer_id is not None:
            rel = (
                Relationship.objects.visible_to(actor, "edit")
                .filter(customer_id=target.customer_id, business_unit_id=target.business_unit_id)
                .first()
            )
        if rel is None:
            raise PermissionDenied(_("Only its author or the customer's owner and managers mark it done."))
    if not target.next_done:
        before = audit.snapshot(target, ["next_done"])
        target.next_done = True
        target.save(update_fields=["next_done"])
        audit.record_update(actor=actor, obj=target, before=before)
        if target.customer_id is not None:
            Relationship.objects.filter(
                customer_id=target.customer_id,
                business_unit_id=target.business_unit_id,
                next_follow_up_at=target.next_at,
            ).update(next_follow_up_at=None)
    return target
