"""Ownership conflicts (撞单) and the messages around a customer several people want.

- ``conflict_open``: a rep who wants a customer another rep holds in a business unit (or the holder,
  naming the rep) opens a case with a statement; both sides and their managers are told.
- ``conflict_decide``: a BU head (customers "approve" over that BU) decides a case about their BU's
  relationship when the claimant works in that BU; a case across BUs is decided at group level
  (customers "approve" over the whole group). Keep: nothing moves. Transfer: the relationship's
  owner becomes the claimant. Share: the claimant gets an edit share of the customer. The decision
  is in the customer's audit trail and on its conflicts panel.
- ``notify_cross_bu``: customer create and claim call it when a second BU starts a relationship with
  a customer: the other BUs' owners, the new owner and all their managers are told.
- ``collaboration_ask``: from the duplicate check, ask the owner of a customer to work together.

docs/subsystems/duplicates.md has the rules and the reasons for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.collaboration.kinds import Kind
from xietong.collaboration.kinds import register as register_kind
from xietong.collaboration.tasks import deliver_notifications
from xietong.core import audit, events
from xietong.core.choices import DataScope, ShareAccess
from xietong.core.errors import Conflict, PermissionDenied, ValidationError
from xietong.core.models import AuditEntry, RecordShare
from xietong.org.models import TeamMembership
from xietong.org.policies import require

from .choices import ConflictDecision, ConflictStatus
from .models import ClaimLog, Customer, OwnershipConflict, OwnershipConflictQuerySet, Relationship

CONFLICTS = gettext_lazy("Ownership conflicts")

register_kind(
    Kind(
        "conflict_opened",
        CONFLICTS,
        lambda p: (
            _("%(actor)s opened an ownership conflict about “%(customer)s” (%(business_unit)s): %(statement)s") % p
        ),
    )
)
register_kind(
    Kind(
        "conflict_decided",
        CONFLICTS,
        lambda p: _("%(actor)s decided the ownership conflict about “%(customer)s”: %(decision)s.") % p,
    )
)
register_kind(
    Kind(
        "customer_cross_bu",
        CONFLICTS,
        lambda p: (
            _("%(owner)s (%(business_unit)s) started a relationship with “%(customer)s”, which %(others)s hold.") % p
        ),
    )
)
register_kind(
    Kind(
        "collaboration_asked",
        CONFLICTS,
        lambda p: _("%(actor)s asks to work with you on “%(customer)s”: %(message)s") % p,
    )
)
audit.register_verb("conflict_open", gettext_lazy("Ownership conflict opened"))
audit.register_verb("conflict_decide", gettext_lazy("Ownership conflict decided"))
audit.register_verb("transferred", gettext_lazy("Transferred"))
audit.register_change_label("customers.customer", "conflict", gettext_lazy("Ownership conflict"))

STATEMENT_MAX = 2000


# --- who -----------------------------------------------------------------------------------------


def managers_of(user_ids: Iterable[int]) -> set[int]:
    """The active managers of the users' primary teams and of every team above them."""
    User = get_user_model()
    paths = User.objects.filter(pk__in=list(user_ids), primary_team__isnull=False).values_list(
        "primary_team__path", flat=True
    )
    team_ids = {int(part) for path in paths for part in path.strip("/").split("/")[1:]}
    if not team_ids:
        return set()
    return set(
        TeamMembership.objects.filter(team_id__in=team_ids, is_manager=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _people(*users: Any) -> set[int]:
    ids = {u.pk for u in users if u is not None}
    return ids | managers_of(ids)


def can_arbitrate(actor: Any, conflict: OwnershipConflict) -> bool:
    """A BU head of the conflict's BU decides a case inside that BU; a case whose claimant works in
    another BU (or in none) is decided by whoever holds customers "approve" over the whole group."""
    access = actor.access
    if access.widest_scope("customers", "approve") >= DataScope.GROUP:
        return True
    claimant_bu = conflict.claimant.business_unit_id
    if claimant_bu != conflict.business_unit_id:
        return False
    return access.widest_scope("customers", "approve", conflict.business_unit_id) >= DataScope.BUSINESS_UNIT


# --- services ------------------------------------------------------------------------------------


def _deliver_later(*, event_key: str, kind: str, recipients: set[int], actor: Any, record: Any, params: Any) -> None:
    transaction.on_commit(
        lambda: deliver_notifications.enqueue(
            event_key=event_key,
            kind=kind,
            recipient_ids=sorted(recipients),
            actor_id=actor.pk if actor is not None else None,
            record=[record._meta.label_lower, record.pk],
            params=params,
        ),
        robust=True,
    )


@transaction.atomic
def conflict_open(
    *, actor: Any, customer: Customer, business_unit: Any, statement: str, claimant: Any = None
) -> OwnershipConflict:
    """Open a case about ``business_unit``'s relationship with ``customer``. The claimant is the actor,
    unless the actor is the holder and names the claimant. The caller has made sure the actor may
    address the customer (it is visible, or the duplicate check pointed at it)."""
    require(actor, "customers", "view")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": _("Say why the customer should be yours.")})
    if len(statement) > STATEMENT_MAX:
        raise ValidationError({"statement": _("Keep the statement under %(n)s characters.") % {"n": STATEMENT_MAX}})
    if customer.merged_into_id is not None:
        raise ValidationError({"customer_id": _("No such customer.")})
    relationship = (
        Relationship.objects.select_related("owner", "business_unit")
        .filter(customer=customer, business_unit=business_unit)
        .first()
    )
    if relationship is None:
        raise ValidationError(
            {"business_unit_id": _("%(bu)s has no relationship with this customer.") % {"bu": business_unit}}
        )
    holder = relationship.owner
    if holder is None:
        raise ValidationError(
            {
                "business_unit_id": _("The customer is in a public pool of %(bu)s: claim it there.")
                % {"bu": business_unit}
            }
        )
    if claimant is None:
        claimant = actor
    if actor.pk not in (claimant.pk, holder.pk):
        raise PermissionDenied(_("Only the rep who wants the customer or its owner can open a conflict."))
    if claimant.pk == holder.pk:
        raise ValidationError({"claimant_id": _("%(name)s already owns this customer.") % {"name": holder}})
    if OwnershipConflict.objects.filter(
        customer=customer, business_unit=business_unit, claimant=claimant, status=ConflictStatus.OPEN
    ).exists():
        raise Conflict(_("An open conflict about this customer and %(name)s already exists.") % {"name": claimant})
    conflict = OwnershipConflict.objects.create(
        customer=customer,
        business_unit=business_unit,
        claimant=claimant,
        holder=holder,
        opened_by=actor,
        statement=statement,
    )
    audit.record_create(actor=actor, obj=conflict)
    audit.record(
        actor=actor,
        obj=customer,
        kind=AuditEntry.Kind.ACTION,
        verb="conflict_open",
        changes={"conflict": [None, f"{business_unit}: {claimant} ↔ {holder}"], "reason": [None, statement[:200]]},
    )
    _deliver_later(
        event_key=f"conflict_opened:{conflict.pk}",
        kind="conflict_opened",
        recipients=_people(claimant, holder),
        actor=actor,
        record=conflict.customer,
        params={
            "actor": str(actor),
            "customer": customer.name,
            "business_unit": str(business_unit),
            "statement": statement[:200],
        },
    )
    return conflict


def _transfer(*, actor: Any, conflict: OwnershipConflict, note: str) -> None:
    relationship = (
        Relationship.objects.select_for_update(of=("self",))
        .filter(customer_id=conflict.customer_id, business_unit_id=conflict.business_unit_id)
        .first()
    )
    if relationship is None:
        raise Conflict(_("The business unit no longer has a relationship with this customer."))
    from . import pools  # pools imports this module

    # the claimant takes the customer on as from an assignment: within their limit, protected anew
    pools.check_can_own(user=conflict.claimant, business_unit=conflict.business_unit_id)
    before = audit.snapshot(relationship)
    now = timezone.now()
    if relationship.owner_id is not None and relationship.owner_id != conflict.claimant_id:
        relationship.previous_owner_id = relationship.owner_id
    relationship.owner = conflict.claimant
    relationship.pool = None
    relationship.claimed_at = now
    home = pools.default_pool(conflict.business_unit_id)
    relationship.protected_until = pools.protection_until(home, now) if home is not None else None
    relationship.recycle_reminded_at = None
    relationship.save()
    ClaimLog.objects.create(
        relationship=relationship,
        action=ClaimLog.Action.TRANSFER,
        user=conflict.claimant,
        actor=actor,
        reason=(note or _("Ownership conflict decided"))[:200],
    )
    audit.record_update(actor=actor, obj=relationship, before=before, verb="transferred")


def _share(*, actor: Any, conflict: OwnershipConflict) -> None:
    """The decision grants the share (not the arbiter's own edit right, which a group arbiter may
    lack in the BU): written here, audited and announced like ``core.shares.share_record``."""
    customer = conflict.customer
    _share_row, created = RecordShare.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        user=conflict.claimant,
        defaults={"access": ShareAccess.EDIT, "until": None, "granted_by": actor},
    )
    entry = audit.record(
        actor=actor,
        obj=customer,
        kind=AuditEntry.Kind.UPDATE,
        verb="share",
        changes={"shared_with": [None, f"{conflict.claimant} ({ShareAccess.EDIT.label})"]},
    )
    events.publish(
        "core.record_shared",
        key=f"share:{entry.pk}",
        record=[customer._meta.label_lower, customer.pk],
        record_name=str(customer),
        user_id=conflict.claimant_id,
        actor_id=actor.pk,
        actor=str(actor),
        access=ShareAccess.EDIT,
        created=created,
    )


@transaction.atomic
def conflict_decide(*, actor: Any, conflict: OwnershipConflict, decision: str, note: str = "") -> OwnershipConflict:
    """Decide an open case: keep, transfer or share (see the module's docstring)."""
    conflict = (
        OwnershipConflict.objects.select_for_update(of=("self",))
        .select_related("claimant", "customer")
        .get(pk=conflict.pk)
    )
    if not can_arbitrate(actor, conflict):
        raise PermissionDenied(
            _(
                "A head of the business unit decides conflicts inside it; "
                "conflicts across units are decided by the group."
            )
        )
    if decision not in ConflictDecision.values:
        raise ValidationError({"decision": _("Choose keep, transfer or share.")})
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict(_("This conflict has already been decided."), field="decision")
    note = (note or "").strip()
    if decision == ConflictDecision.TRANSFER:
        _transfer(actor=actor, conflict=conflict, note=note)
    elif decision == ConflictDecision.SHARE:
        _share(actor=actor, conflict=conflict)
    before = audit.snapshot(conflict)
    conflict.status = ConflictStatus.RESOLVED
    conflict.decision = decision
    conflict.decision_note = note
    conflict.decided_by = actor
    conflict.decided_at = timezone.now()
    conflict.save()
    audit.record_update(actor=actor, obj=conflict, before=before)
    label = str(ConflictDecision(decision).label)
    audit.record(
        actor=actor,
        obj=conflict.customer,
        kind=AuditEntry.Kind.ACTION,
        verb="conflict_decide",
        changes={
            "conflict": [None, f"{conflict.claimant}: {label}"],
            **({"reason": [None, note[:200]]} if note else {}),
        },
    )
    _deliver_later(
        event_key=f"conflict_decided:{conflict.pk}",
        kind="conflict_decided",
        recipients=_people(conflict.claimant, conflict.holder),
        actor=actor,
        record=conflict.customer,
        params={"actor": str(actor), "customer": conflict.customer.name, "decision": label},
    )
    return conflict


def notify_cross_bu(*, customer: Customer, new_relationship: Relationship, actor: Any) -> None:
    """Tell the owners of the customer's other BUs' relationships, the new owner and all their
    managers that another BU now works the customer. Call it inside the create or claim transaction
    (the delivery waits for the commit). Nothing happens when no other BU owns the customer."""
    notify_cross_bu_many(
        business_unit=new_relationship.business_unit,
        owners={customer.pk: new_relationship.owner_id},
        actor=actor,
    )


def notify_cross_bu_many(*, business_unit: Any, owners: dict[int, int | None], actor: Any) -> None:
    """``notify_cross_bu`` for many new relationships of one BU at once (an import that links
    existing customers): ``owners`` maps customer id → the new owner's id (None: into a pool). One
    query finds the other BUs' owners; each customer owned elsewhere gets its notice after the commit."""
    if not owners:
        return
    bu_id = getattr(business_unit, "pk", business_unit)
    others: dict[int, list[Relationship]] = {}
    rows = (
        Relationship.objects.filter(customer_id__in=owners, owner__isnull=False)
        .exclude(business_unit_id=bu_id)
        .select_related("owner", "business_unit", "customer")
        .order_by("customer_id", "pk")
    )
    for rel in rows:
        others.setdefault(rel.customer_id, []).append(rel)
    if not others:
        return
    wanted = {owners[c] for c in others} - {None}
    new_owners = {u.pk: u for u in get_user_model().objects.filter(pk__in=wanted)} if wanted else {}
    for customer_id, rels in others.items():
        owner = new_owners.get(owners[customer_id])
        _deliver_later(
            event_key=f"cross_bu:{customer_id}:{bu_id}:{owner.pk if owner else 0}",
            kind="customer_cross_bu",
            recipients=_people(owner, *[r.owner for r in rels]),
            actor=actor,
            record=rels[0].customer,
            params={
                "owner": str(owner or actor),
                "business_unit": str(business_unit),
                "customer": rels[0].customer.name,
                "others": "、".join(f"{r.owner} ({r.business_unit})" for r in rels),
            },
        )


def collaboration_ask(*, actor: Any, customer: Customer, business_unit: Any, message: str) -> int:
    """Ask the owner of ``business_unit``'s relationship with ``customer`` to work together (a
    notification on the customer; the owner may then share it). Returns the number told (0 or 1)."""
    require(actor, "customers", "view")
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write a few words to the owner.")})
    relationship = (
        Relationship.objects.select_related("owner").filter(customer=customer, business_unit=business_unit).first()
    )
    if relationship is None or relationship.owner is None:
        raise ValidationError({"business_unit_id": _("Nobody owns this customer in %(bu)s.") % {"bu": business_unit}})
    owner_id: int = relationship.owner.pk
    if owner_id == actor.pk:
        raise ValidationError({"business_unit_id": _("You own this customer there yourself.")})
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    _deliver_later(
        event_key=f"collaboration_asked:{customer.pk}:{actor.pk}:{stamp}",
        kind="collaboration_asked",
        recipients={owner_id},
        actor=actor,
        record=customer,
        params={"actor": str(actor), "customer": customer.name, "message": message[:200]},
    )
    return 1


# --- selectors -----------------------------------------------------------------------------------


def conflict_list(*, user: Any, status: str = "", mine: bool = False) -> OwnershipConflictQuerySet:
    qs = OwnershipConflict.objects.visible_to(user).select_related(
        "customer", "business_unit", "claimant", "holder", "decided_by"
    )
    if status in ConflictStatus.values:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(models.Q(claimant=user) | models.Q(holder=user) | models.Q(opened_by=user))
    return qs.order_by("-id")


def conflicts_of(*, customer: Customer, user: Any) -> list[OwnershipConflict]:
    """The customer's conflicts ``user`` sees, newest first (the customer page's panel)."""
    return list(conflict_list(user=user).filter(customer=customer)[:20])
