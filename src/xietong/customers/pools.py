"""Public pools (公海): selectors, services, the nightly recycle and its reminders (docs/subsystems/pools.md).

A business unit's relationship with a customer either has an owner or sits in one of the BU's public
pools (``owner`` empty, ``pool`` set). After a claim the relationship keeps ``pool`` as its *home
pool*: the pool whose recycle rules apply to it and where a release sends it back by default. An
owned relationship without a home pool belongs to the BU's default pool.

- **Claim** (``customer_claim``) is race-safe: the owner is set by a conditional
  ``UPDATE … SET owner_id = me WHERE id = … AND owner_id IS NULL``; of any number of concurrent
  claims exactly one updates a row, the others answer ``Conflict`` naming the holder. The claimer's
  own user row is locked (``SELECT … FOR UPDATE``) before the limits are counted, so one rep's
  concurrent claims queue and the per-rep limits hold; on SQLite every write transaction starts
  ``IMMEDIATE`` (settings), which serialises them the same way.
- **Limits**: customers a rep may own (the pool's, overridden per role — the most generous of the
  rep's roles — and per user, which wins), whether customers who bought (status "active") count,
  claims per rep per day from the pool, and the days before a previous owner may claim back.
- **Recycle** (``pool_recycle``): one set-based ``UPDATE`` per rule, then one ``INSERT … SELECT``
  into the claim log; day-granular (a rule "N days" recycles what has been idle since before the
  start of the local day N days ago), so running it again the same day changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit, events
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from xietong.core.models import AuditEntry
from xietong.core.visibility import ensure_still_visible
from xietong.org.models import BusinessUnit, Role, Team, TeamMembership, UserRole

from . import conflicts
from .choices import Level, RecycleKind, RelationshipStatus
from .models import ClaimLog, CustomerPool, OwnershipLimit, PoolMember, RecycleRule, Relationship
from .visibility import pool_ids_of

MODULE = "customers"
PREVIEW_DAYS = 7
PREVIEW_LIMIT = 500  # rows per rule on the preview page
POOL_SETTINGS = (
    "name",
    "description",
    "is_default",
    "is_active",
    "max_owned",
    "count_won_customers",
    "claims_per_day",
    "reclaim_block_days",
    "protection_days",
)
# which activity each kind of rule watches
RULE_FIELDS: dict[str, str] = {
    RecycleKind.NO_FOLLOW_UP: "last_follow_up_at",
    RecycleKind.NO_OPPORTUNITY: "last_opportunity_at",
    RecycleKind.NO_WON_DEAL: "last_won_at",
}


# --- small helpers ------------------------------------------------------------------------------


def start_of(day: date) -> datetime:
    """Local midnight at the start of ``day``."""
    return timezone.make_aware(datetime.combine(day, time.min))


def rule_text(rule: RecycleRule) -> str:
    return rule.summary()


def held_message(owner: Any) -> str:
    return _("Someone was quicker: this customer is now held by %(owner)s.") % {"owner": owner}


def _people() -> Any:
    return get_user_model()._default_manager


def _lock_person(user: Any) -> None:
    """Lock ``user``'s row until the transaction ends: that person's claims and new customers queue,
    so counting what they own and then adding one cannot race with their other requests."""
    list(_people().select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _in_business_unit(users: Iterable[Any], business_unit_id: int) -> set[int]:
    """The ids of ``users`` who work in the BU (primary BU, or a member of one of its teams)."""
    ids = {u.pk for u in users}
    if not ids:
        return set()
    primary = set(_people().filter(pk__in=ids, business_unit_id=business_unit_id).values_list("pk", flat=True))
    teams = set(
        TeamMembership.objects.filter(
            user_id__in=ids, team__business_unit_id=business_unit_id, team__is_active=True
        ).values_list("user_id", flat=True)
    )
    return primary | teams


# --- selectors -----------------------------------------------------------------------------------


def default_pool(business_unit: Any) -> CustomerPool | None:
    """The BU's default pool: the active pool marked default, else its oldest active pool, else None."""
    bu_id = getattr(business_unit, "pk", business_unit)
    return CustomerPool.objects.filter(business_unit_id=bu_id, is_active=True).order_by("-is_default", "pk").first()


def pool_list(*, user: Any) -> QuerySet[CustomerPool]:
    """The pools ``user`` sees, with the number of customers in each."""
    in_pool = (
        Relationship.objects.filter(pool=OuterRef("pk"), owner__isnull=True)
        .order_by()
        .values("pool")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        CustomerPool.objects.visible_to(user)
        .select_related("business_unit")
        .annotate(customer_count=Coalesce(Subquery(in_pool), Value(0)))
        .order_by("business_unit__code", "-is_default", "name", "pk")
    )


def pool_get(*, user: Any, pk: Any, action: str = "view") -> CustomerPool:
    return CustomerPool.objects.select_related("business_unit").get_visible(user, pk, action)


def my_pool_ids(user: Any) -> set[int]:
    """The pools ``user`` is a member of (directly or through a team)."""
    return set(CustomerPool.objects.filter(pool_ids_of(user.access)).values_list("pk", flat=True))


def is_member(user: Any, pool: CustomerPool) -> bool:
    return CustomerPool.objects.filter(pool_ids_of(user.access), pk=pool.pk).exists()


def is_pool_admin(user: Any, pool: CustomerPool) -> bool:
    return PoolMember.objects.filter(pool_id=pool.pk, user_id=user.pk, is_admin=True).exists()


def can_administer(user: Any, pool_or_bu: Any) -> bool:
    """Pool settings: customers "administer" with a scope that covers the pool's business unit."""
    bu_id = pool_or_bu.business_unit_id if isinstance(pool_or_bu, CustomerPool) else pool_or_bu.pk
    return user.access.widest_scope(MODULE, "administer", bu_id) >= DataScope.BUSINESS_UNIT


def administered_business_units(*, user: Any) -> QuerySet[BusinessUnit]:
    """The active BUs whose pools ``user`` may create and configure."""
    ids = [bu.pk for bu in BusinessUnit.objects.filter(is_active=True) if can_administer(user, bu)]
    return BusinessUnit.objects.filter(pk__in=ids).order_by("code")


def can_manage_customers(user: Any, pool: CustomerPool) -> bool:
    """Assign customers of the pool and see its recycle preview: its administrators and BU administrators."""
    return can_administer(user, pool) or is_pool_admin(user, pool)


def pool_customers(
    *, user: Any, pool: CustomerPool, q: str = "", level: str = "", province: str = "", industry: str = ""
) -> QuerySet[Relationship]:
    """The customers in ``pool`` that ``user`` sees (members see the limited card), newest arrivals first."""
    qs = (
        Relationship.objects.visible_to(user)
        .filter(pool=pool, owner__isnull=True)
        .select_related("customer")
        .order_by("-released_at", "-pk")
    )
    if q.strip():
        term = q.strip()
        qs = qs.filter(Q(customer__name__icontains=term) | Q(customer__short_name__icontains=term))
    if level:
        qs = qs.filter(level=level)
    if province:
        qs = qs.filter(customer__province=province)
    if industry:
        qs = qs.filter(customer__industry=industry)
    return qs


def pool_moves(*, pool: CustomerPool, limit: int = 20) -> list[ClaimLog]:
    """The latest claims, releases, assignments and recycles of the pool's customers."""
    return list(
        ClaimLog.objects.filter(pool=pool)
        .select_related("relationship__customer", "user", "actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def pool_members(*, pool: CustomerPool) -> tuple[list[PoolMember], list[Team]]:
    members = list(pool.members.select_related("user").order_by("-is_admin", "user__username"))
    return members, list(pool.member_teams.order_by("path"))


def relationship_get(*, user: Any, pk: Any, action: str = "view") -> Relationship:
    """A relationship ``user`` sees (pool members see the ones in their pools), else ``NotFound``."""
    return Relationship.objects.select_related("customer", "owner", "pool", "business_unit").get_visible(
        user, pk, action
    )


def claimable_relationship(user: Any, **lookup: Any) -> Relationship:
    """The relationship ``user`` sees, or — once claimed by someone else — one whose home is a pool they
    are a member of (so a claimer who lost the race hears who holds it rather than "not found")."""
    related = ("customer", "owner", "pool", "business_unit")
    found = Relationship.objects.visible_to(user).select_related(*related).filter(**lookup).first()
    if found is None:
        mine = CustomerPool.objects.filter(pool_ids_of(user.access)).values("pk")
        found = Relationship.objects.select_related(*related).filter(pool_id__in=mine, **lookup).first()
    if found is None:
        raise NotFound()
    return found


def relationship_of_customer(
    *, user: Any, customer_id: int, business_unit_id: int | None = None, claiming: bool = False
) -> Relationship:
    """The relationship of the given BU (default: the caller's own) with the customer, if the caller
    sees it (``claiming``: or if its home is one of the caller's pools)."""
    bu_id = business_unit_id or getattr(user, "business_unit_id", None)
    if bu_id is None:
        raise ValidationError({"business_unit_id": _("Say which business unit's relationship you mean.")})
    if claiming:
        return claimable_relationship(user, customer_id=customer_id, business_unit_id=bu_id)
    found = (
        Relationship.objects.visible_to(user)
        .select_related("customer", "owner", "pool", "business_unit")
        .filter(customer_id=customer_id, business_unit_id=bu_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def assignable_people(*, business_unit_id: int) -> QuerySet[Any]:
    """Who a BU's customers may be assigned to (and who may join its pools): its active people."""
    in_teams = TeamMembership.objects.filter(team__business_unit_id=business_unit_id, team__is_active=True)
    return (
        _people()
        .filter(Q(business_unit_id=business_unit_id) | Q(pk__in=in_teams.values("user_id")), is_active=True)
        .order_by("display_name", "username")
    )


def pool_limits(*, pool: CustomerPool) -> list[OwnershipLimit]:
    return list(pool.limits.select_related("role", "user").order_by("role__name", "user__username", "pk"))


def pool_rules(*, pool: CustomerPool) -> list[RecycleRule]:
    return list(pool.recycle_rules.order_by("kind", "level", "days", "pk"))


# --- limits --------------------------------------------------------------------------------------


class OwnLimit(NamedTuple):
    limit: int | None
    source: str


def ownership_limit(*, user: Any, pool: CustomerPool) -> OwnLimit:
    """How many customers ``user`` may own in the pool's BU, and where the number comes from: their own
    limit, else the most generous limit of their roles (roles combine by union), else the pool's."""
    roles = UserRole.objects.filter(user_id=user.pk).filter(
        Q(business_unit__isnull=True) | Q(business_unit_id=pool.business_unit_id)
    )
    rows = list(
        OwnershipLimit.objects.filter(pool=pool)
        .filter(Q(user_id=user.pk) | Q(role_id__in=roles.values("role_id")))
        .select_related("role")
    )
    own = [r for r in rows if r.user_id == user.pk]
    if own:
        return OwnLimit(own[0].max_owned, _("your personal limit"))
    by_role = [r for r in rows if r.role_id is not None]
    if by_role:
        best = max(by_role, key=lambda r: r.max_owned)
        return OwnLimit(best.max_owned, _("the limit of the role “%(role)s”") % {"role": best.role})
    return OwnLimit(pool.max_owned, _("the limit of the pool “%(pool)s”") % {"pool": pool.name})


def owned_count(*, user: Any, pool: CustomerPool) -> int:
    qs = Relationship.objects.filter(owner_id=user.pk, business_unit_id=pool.business_unit_id)
    if not pool.count_won_customers:
        qs = qs.exclude(status=RelationshipStatus.ACTIVE)
    return qs.count()


class OwnBudget:
    """How many more customers one person may take on in a BU: counts what they own once, then
    ``take()`` one at a time (an import's rows). ``None`` limit: no limit."""

    def __init__(self, *, user: Any, pool: CustomerPool) -> None:
        self.user = user
        self.pool = pool
        self.limit, self.source = ownership_limit(user=user, pool=pool)
        self.owned = owned_count(user=user, pool=pool) if self.limit is not None else 0

    def refusal(self) -> str:
        return _(
            "%(name)s already owns %(count)s customers in %(bu)s; the limit “customers a rep may own” "
            "is %(limit)s (%(source)s)."
        ) % {
            "name": self.user,
            "count": self.owned,
            "bu": self.pool.business_unit,
            "limit": self.limit,
            "source": self.source,
        }

    def fits(self, extra: int = 1) -> bool:
        return self.limit is None or self.owned + extra <= self.limit

    def take(self) -> str | None:
        """Count one more customer; the refusal naming the limit when it would break it."""
        if not self.fits():
            return self.refusal()
        self.owned += 1
        return None


def _check_owned(user: Any, pool: CustomerPool, extra: int) -> None:
    budget = OwnBudget(user=user, pool=pool)
    if not budget.fits(extra):
        raise Conflict(budget.refusal())


def own_budget(*, user: Any, business_unit: Any) -> OwnBudget | None:
    """``user``'s budget of new customers in the BU under its default pool's limits (None: no pool,
    no limits). Call it inside the transaction that adds them: it locks the user's row as
    ``check_can_own`` does."""
    pool = default_pool(business_unit)
    if pool is None:
        return None
    _lock_person(user)
    return OwnBudget(user=user, pool=pool)


def check_can_own(*, user: Any, business_unit: Any, extra: int = 1) -> None:
    """Raise ``Conflict`` naming the limit when ``user`` may not own ``extra`` more customers in the BU.

    The limits of the BU's default pool apply (none without a pool). Call it inside the transaction
    that makes ``user`` an owner: it locks the user's row so concurrent requests count one by one."""
    budget = own_budget(user=user, business_unit=business_unit)
    if budget is not None and not budget.fits(extra):
        raise Conflict(budget.refusal())


def claims_today(*, user: Any, pool: CustomerPool, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return ClaimLog.objects.filter(
        user_id=user.pk,
        action=ClaimLog.Action.CLAIM,
        pool=pool,
        created_at__gte=start_of(timezone.localdate(now)),
    ).count()


def _check_claim_limits(actor: Any, rel: Relationship, pool: CustomerPool, now: datetime) -> None:
    blocked = rel.previous_owner_blocked_until
    if rel.previous_owner_id == actor.pk and blocked is not None and blocked > now:
        raise Conflict(
            _(
                "You returned this customer to the pool; the limit “days before a previous owner may claim "
                "back” lets you claim it again from %(date)s."
            )
            % {"date": timezone.localtime(blocked).strftime("%Y-%m-%d %H:%M")}
        )
    _lock_person(actor)
    if pool.claims_per_day is not None:
        done = claims_today(user=actor, pool=pool, now=now)
        if done >= pool.claims_per_day:
            raise Conflict(
                _(
                    "You have claimed %(count)s customers from “%(pool)s” today; the limit “claims per rep "
                    "per day” is %(limit)s."
                )
                % {"count": done, "pool": pool.name, "limit": pool.claims_per_day}
            )
    _check_owned(actor, pool, 1)


def protection_until(pool: CustomerPool, now: datetime) -> date | None:
    return timezone.localdate(now) + timedelta(days=pool.protection_days) if pool.protection_days else None


def _home_pool(rel: Relationship) -> CustomerPool | None:
    if rel.pool_id and rel.pool is not None and rel.pool.is_active:
        return rel.pool
    return default_pool(rel.business_unit_id)


# --- claim, release, assign -------------------------------------------------------------------


@transaction.atomic
def customer_claim(*, relationship_id: int, actor: Any) -> Relationship:
    """``actor`` takes a customer from a public pool they are a member of.

    Missing or unseen: ``NotFound``; already owned (also: lost the race): ``Conflict`` with the
    holder's name; a limit broken: ``Conflict`` naming the limit; not a member: ``PermissionDenied``."""
    rel = claimable_relationship(actor, pk=relationship_id)
    if rel.owner_id is not None:
        if rel.owner_id == actor.pk:
            raise Conflict(_("You already own this customer."))
        raise Conflict(held_message(rel.owner))
    pool = rel.pool
    assert pool is not None  # no owner → in a pool (a database constraint)
    if not actor.access.can(MODULE, "create"):
        raise PermissionDenied(_("Your roles do not allow you to take on customers."))
    if not pool.is_active:
        raise Conflict(_("The public pool “%(pool)s” is closed.") % {"pool": pool.name})
    if not is_member(actor, pool):
        raise PermissionDenied(
            _("Only members of the public pool “%(pool)s” may claim its customers.") % {"pool": pool.name}
        )
    now = timezone.now()
    _check_claim_limits(actor, rel, pool, now)
    before = audit.snapshot(rel)
    updated = Relationship.objects.filter(pk=rel.pk, owner__isnull=True).update(
        owner=actor,
        claimed_at=now,
        protected_until=protection_until(pool, now),
        recycle_reminded_at=None,
        updated_at=now,
    )
    if not updated:  # claimed by someone else since we looked: say who holds it
        holder = Relationship.objects.select_related("owner").get(pk=rel.pk).owner
        raise Conflict(held_message(holder))
    rel.refresh_from_db()
    ClaimLog.objects.create(relationship=rel, pool=pool, action=ClaimLog.Action.CLAIM, user=actor, actor=actor)
    audit.record_update(actor=actor, obj=rel, before=before, verb="claim")
    # owned in another BU too: both owners and their managers hear of it (after the commit)
    conflicts.notify_cross_bu(customer=rel.customer, new_relationship=rel, actor=actor)
    return rel


@transaction.atomic
def customer_release(
    *, relationship: Relationship, actor: Any, reason: str, pool: CustomerPool | None = None
) -> Relationship:
    """The owner (or a manager who may edit the relationship) returns the customer to a pool of its BU
    (default: its home pool, else the BU's default pool), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer goes back to the pool.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("A reason can be at most 200 characters.")})
    rel = Relationship.objects.lock_visible(actor, relationship.pk, "edit")
    if rel.owner_id is None:
        raise Conflict(_("This customer is already in the public pool."))
    if rel.has_open_business:
        raise Conflict(_("This customer has open opportunities or active contracts; it cannot go back to the pool."))
    target = pool or _home_pool(rel)
    if target is None:
        raise ValidationError(
            {"pool": _("This business unit has no public pool yet; ask an administrator to create one.")}
        )
    if target.business_unit_id != rel.business_unit_id or not target.is_active:
        raise ValidationError({"pool": _("Choose an active public pool of the customer's business unit.")})
    now = timezone.now()
    before = audit.snapshot(rel)
    previous_id = rel.owner_id
    rel.owner = None
    rel.pool = target
    rel.previous_owner_id = previous_id
    rel.previous_owner_blocked_until = (
        now + timedelta(days=target.reclaim_block_days) if target.reclaim_block_days else None
    )
    rel.released_at = now
    rel.release_reason = reason
    rel.protected_until = None
    rel.recycle_reminded_at = None
    rel.save()
    ClaimLog.objects.create(
        relationship=rel, pool=target, action=ClaimLog.Action.RELEASE, user_id=previous_id, actor=actor, reason=reason
    )
    audit.record_update(actor=actor, obj=rel, before=before, verb="release")
    if previous_id != actor.pk:
        events.publish(
            "customers.released",
            key=f"pool-release:{rel.pk}:{now.isoformat()}",
            recipient_ids=[previous_id],
            actor_id=actor.pk,
            customer_id=rel.customer_id,
            params={"actor": str(actor), "customer": str(rel.customer), "reason": reason},
        )
    return rel


@transaction.atomic
def customer_assign(*, relationship: Relationship, actor: Any, owner: Any) -> Relationship:
    """Give a customer to ``owner``: from a pool (its administrators and BU administrators), or from
    one rep to another (managers who may edit the relationship, within their scope). The new
    owner's "customers a rep may own" limit applies."""
    rel = Relationship.objects.visible_to(actor).select_for_update().filter(pk=relationship.pk).first()
    if rel is None:
        raise NotFound()
    pool = _home_pool(rel) if rel.owner_id is not None else rel.pool
    admin = Relationship.objects.visible_to(actor, "administer").filter(pk=rel.pk).exists()
    pool_admin = rel.owner_id is None and pool is not None and is_pool_admin(actor, pool)
    editor = rel.owner_id is not None and Relationship.objects.visible_to(actor, "edit").filter(pk=rel.pk).exists()
    if not (admin or pool_admin or editor):
        raise PermissionDenied(_("Only the pool's administrators and managers may assign its customers."))
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": _("Choose an active person.")})
    if owner.pk not in _in_business_unit([owner], rel.business_unit_id):
        raise ValidationError({"owner": _("Choose someone who works in the customer's business unit.")})
    if owner.pk == rel.owner_id:
        raise Conflict(_("%(name)s already owns this customer.") % {"name": owner})
    now = timezone.now()
    if pool is not None:
        _lock_person(owner)
        _check_owned(owner, pool, 1)
    before = audit.snapshot(rel)
    previous_id = rel.owner_id
    rel.owner = owner
    rel.claimed_at = now
    rel.protected_until = protection_until(pool, now) if pool is not None else None
    rel.recycle_reminded_at = None
    rel.save()
    ClaimLog.objects.create(
        relationship=rel,
        pool=pool,
        action=ClaimLog.Action.ASSIGN if previous_id is None else ClaimLog.Action.TRANSFER,
        user=owner,
        actor=actor,
    )
    audit.record_update(actor=actor, obj=rel, before=before, verb="assign")
    if not (admin or pool_admin):
        ensure_still_visible(rel, actor, "edit")  # a manager keeps what they hand out within their scope
    recipients = [pk for pk in (owner.pk, previous_id) if pk is not None and pk != actor.pk]
    if recipients:
        events.publish(
            "customers.assigned",
            key=f"pool-assign:{rel.pk}:{now.isoformat()}",
            recipient_ids=recipients,
            actor_id=actor.pk,
            customer_id=rel.customer_id,
            params={"actor": str(actor), "customer": str(rel.customer), "owner": str(owner)},
        )
    return rel


# --- pool settings ---------------------------------------------------------------------------------


def _require_administer(actor: Any, pool_or_bu: Any) -> None:
    if not can_administer(actor, pool_or_bu):
        raise PermissionDenied(_("Only administrators of customers in the business unit may change its public pools."))


def _clean_pool(business_unit_id: int, values: dict[str, Any], pk: int | None = None) -> None:
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise ValidationError({"name": _("Give the pool a name.")})
        if len(name) > 60:
            raise ValidationError({"name": _("A name can be at most 60 characters.")})
        clash = CustomerPool.objects.filter(business_unit_id=business_unit_id, name=name)
        if pk is not None:
            clash = clash.exclude(pk=pk)
        if clash.exists():
            raise ValidationError({"name": _("This business unit already has a pool with this name.")})
        values["name"] = name
    for field in ("max_owned", "claims_per_day", "reclaim_block_days", "protection_days"):
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValidationError({field: _("Enter a whole number of zero or more.")})
    for field in ("reclaim_block_days", "protection_days"):
        if field in values and values[field] is None:
            values[field] = 0


def _only_default(pool: CustomerPool) -> None:
    if pool.is_default:
        CustomerPool.objects.filter(business_unit_id=pool.business_unit_id, is_default=True).exclude(pk=pool.pk).update(
            is_default=False
        )


@transaction.atomic
def pool_create(*, actor: Any, business_unit: BusinessUnit, name: str, **settings_: Any) -> CustomerPool:
    unknown = set(settings_) - set(POOL_SETTINGS)
    if unknown:
        raise TypeError(f"pool_create: unknown fields {sorted(unknown)}")
    _require_administer(actor, business_unit)
    values = {"name": name, **settings_}
    _clean_pool(business_unit.pk, values)
    if not CustomerPool.objects.filter(business_unit=business_unit).exists():
        values["is_default"] = True  # a BU's first pool is its default
    pool = CustomerPool.objects.create(business_unit=business_unit, **values)
    _only_default(pool)
    audit.record_create(actor=actor, obj=pool)
    return pool


@transaction.atomic
def pool_update(*, actor: Any, pool: CustomerPool, **changes: Any) -> CustomerPool:
    unknown = set(changes) - set(POOL_SETTINGS)
    if unknown:
        raise TypeError(f"pool_update: unknown fields {sorted(unknown)}")
    _require_administer(actor, pool)
    pool = CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    _clean_pool(pool.business_unit_id, changes, pk=pool.pk)
    before = audit.snapshot(pool)
    for name, value in changes.items():
        setattr(pool, name, value)
    pool.save()
    _only_default(pool)
    audit.record_update(actor=actor, obj=pool, before=before)
    return pool


@transaction.atomic
def pool_set_members(
    *, actor: Any, pool: CustomerPool, users: Iterable[Any], admins: Iterable[Any] = (), teams: Iterable[Team] = ()
) -> CustomerPool:
    """Replace the pool's members: people (``admins`` are members too) and teams, all of the pool's BU."""
    _require_administer(actor, pool)
    pool = CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    admins = list(admins)
    people = {u.pk: u for u in [*users, *admins]}
    outside = set(people) - _in_business_unit(people.values(), pool.business_unit_id)
    if outside:
        raise ValidationError({"users": _("Members must work in the pool's business unit.")})
    if any(not u.is_active for u in people.values()):
        raise ValidationError({"users": _("Members must be active.")})
    teams = list(teams)
    if any(t.business_unit_id != pool.business_unit_id for t in teams):
        raise ValidationError({"teams": _("Member teams must belong to the pool's business unit.")})
    admin_ids = {u.pk for u in admins}
    before_people = {m.user_id: m.is_admin for m in pool.members.all()}
    before_teams = sorted(pool.member_teams.values_list("name", flat=True))
    pool.members.exclude(user_id__in=people).delete()
    for pk in people:
        PoolMember.objects.update_or_create(pool=pool, user_id=pk, defaults={"is_admin": pk in admin_ids})
    pool.member_teams.set(teams)
    after_people = {pk: pk in admin_ids for pk in people}
    names = dict(_people().filter(pk__in=set(before_people) | set(after_people)).values_list("pk", "display_name"))

    def describe(members: dict[int, bool]) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return "、".join(
                names.get(pk, str(pk)) + (f"（{_('administrator')}）" if is_admin else "")
                for pk, is_admin in sorted(members.items())
            )

    changes: dict[str, Any] = {}
    if before_people != after_people:
        changes["members"] = [describe(before_people), describe(after_people)]
    after_teams = sorted(t.name for t in teams)
    if before_teams != after_teams:
        changes["teams"] = ["、".join(before_teams), "、".join(after_teams)]
    if changes:
        audit.record(actor=actor, obj=pool, kind=AuditEntry.Kind.UPDATE, verb="pool_members", changes=changes)
    return pool


@transaction.atomic
def ownership_limit_save(
    *, actor: Any, pool: CustomerPool, max_owned: int, role: Role | None = None, user: Any = None
) -> OwnershipLimit:
    """Set the "customers a rep may own" of one role or one person in the pool (replacing theirs)."""
    _require_administer(actor, pool)
    pool = CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    if (role is None) == (user is None):
        raise ValidationError({"role": _("Choose a role or a person, not both.")})
    if not isinstance(max_owned, int) or max_owned < 0:
        raise ValidationError({"max_owned": _("Enter a whole number of zero or more.")})
    if user is not None and user.pk not in _in_business_unit([user], pool.business_unit_id):
        raise ValidationError({"user": _("Choose someone who works in the pool's business unit.")})
    limit, _created = OwnershipLimit.objects.update_or_create(
        pool=pool, role=role, user=user, defaults={"max_owned": max_owned}
    )
    audit.record(
        actor=actor,
        obj=pool,
        kind=AuditEntry.Kind.UPDATE,
        verb="pool_limit",
        changes={str(role or user): [None, max_owned]},
    )
    return limit


@transaction.atomic
def ownership_limit_delete(*, actor: Any, limit: OwnershipLimit) -> None:
    pool = limit.pool
    _require_administer(actor, pool)
    CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    audit.record(
        actor=actor,
        obj=pool,
        kind=AuditEntry.Kind.UPDATE,
        verb="pool_limit",
        changes={str(limit.role or limit.user): [limit.max_owned, None]},
    )
    limit.delete()


def _clean_rule(kind: str, level: str, days: Any, remind_days_before: Any) -> None:
    if kind not in RecycleKind.values:
        raise ValidationError({"kind": _("Choose a kind of rule.")})
    if level and level not in Level.values:
        raise ValidationError({"level": _("Choose a level.")})
    if not isinstance(days, int) or days < 1:
        raise ValidationError({"days": _("Enter a number of days of at least 1.")})
    if not isinstance(remind_days_before, int) or remind_days_before < 0:
        raise ValidationError({"remind_days_before": _("Enter a whole number of zero or more.")})
    if remind_days_before >= days:
        raise ValidationError(
            {"remind_days_before": _("The reminder must come fewer days before than the rule's days.")}
        )


@transaction.atomic
def recycle_rule_save(
    *,
    actor: Any,
    pool: CustomerPool,
    kind: str,
    days: int,
    level: str = "",
    remind_days_before: int = 3,
    is_active: bool = True,
    rule: RecycleRule | None = None,
) -> RecycleRule:
    """Add a recycle rule to the pool, or change ``rule``."""
    _require_administer(actor, pool)
    pool = CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    level = level or ""
    _clean_rule(kind, level, days, remind_days_before)
    if rule is not None and rule.pool_id != pool.pk:
        raise NotFound()
    before = rule_text(rule) if rule is not None else None
    values = {
        "kind": kind,
        "level": level,
        "days": days,
        "remind_days_before": remind_days_before,
        "is_active": is_active,
    }
    if rule is None:
        rule = RecycleRule.objects.create(pool=pool, **values)
    else:
        for name, value in values.items():
            setattr(rule, name, value)
        rule.save()
    with translation.override(settings.LANGUAGE_CODE):
        after = rule_text(rule) + ("" if rule.is_active else f" ({_('inactive')})")
    audit.record(
        actor=actor, obj=pool, kind=AuditEntry.Kind.UPDATE, verb="pool_rule", changes={"rule": [before, after]}
    )
    return rule


@transaction.atomic
def recycle_rule_delete(*, actor: Any, rule: RecycleRule) -> None:
    pool = rule.pool
    _require_administer(actor, pool)
    CustomerPool.objects.lock_visible(actor, pool.pk, "administer")
    with translation.override(settings.LANGUAGE_CODE):
        text = rule_text(rule)
    audit.record(actor=actor, obj=pool, kind=AuditEntry.Kind.UPDATE, verb="pool_rule", changes={"rule": [text, None]})
    rule.delete()


# --- recycle -------------------------------------------------------------------------------------


def _idle_before(field: str, cutoff: datetime) -> Q:
    """The activity ``field`` and the claim both before ``cutoff`` (missing ones count from creation)."""
    activity = Q(**{f"{field}__lt": cutoff}) | Q(**{f"{field}__isnull": True}, created_at__lt=cutoff)
    claim = Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    return activity & claim


def _clock(field: str) -> Greatest:
    """When the rule's clock started: the later of the last activity and the claim (else creation)."""
    return Greatest(Coalesce(F(field), F("created_at")), Coalesce(F("claimed_at"), F("created_at")))


def _covered(rule: RecycleRule, *, default_ids: set[int]) -> QuerySet[Relationship]:
    """The owned relationships whose home is the rule's pool (its default pool covers those without one)."""
    pool = rule.pool
    home = Q(pool_id=pool.pk)
    if pool.pk in default_ids:
        home |= Q(pool__isnull=True)
    qs = Relationship.objects.filter(
        home, business_unit_id=pool.business_unit_id, owner__isnull=False, has_open_business=False
    )
    if rule.level:
        qs = qs.filter(level=rule.level)
    return qs


def _not_protected(on: date) -> Q:
    return Q(protected_until__isnull=True) | Q(protected_until__lt=on)


def _active_rules() -> list[RecycleRule]:
    return list(
        RecycleRule.objects.filter(is_active=True, pool__is_active=True)
        .select_related("pool")
        .order_by("pool_id", "days", "pk")
    )


def _default_pool_ids() -> set[int]:
    ids: dict[int, int] = {}
    for pk, bu_id in (
        CustomerPool.objects.filter(is_active=True).order_by("-is_default", "pk").values_list("pk", "business_unit_id")
    ):
        ids.setdefault(bu_id, pk)
    return set(ids.values())


def pool_recycle(*, now: datetime | None = None) -> int:
    """Return to their pools the owned customers that an active rule says are idle; the number returned.

    One ``UPDATE`` per rule and one ``INSERT … SELECT`` into the claim log (the rule as the reason),
    in one transaction; the previous owners are told after the commit. Idempotent within a day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    total = 0
    log_table = ClaimLog._meta.db_table
    rel_table = Relationship._meta.db_table
    # each rule stamps what it recycles with its own microsecond after ``now``, so the claim log takes
    # exactly that rule's rows with one INSERT … SELECT (no anti-join against the growing log)
    insert_log = (
        f"INSERT INTO {log_table} (relationship_id, pool_id, action, user_id, actor_id, reason, created_at) "  # noqa: S608
        f"SELECT r.id, r.pool_id, %s, r.previous_owner_id, NULL, r.release_reason, %s FROM {rel_table} r "
        f"WHERE r.pool_id = %s AND r.owner_id IS NULL AND r.released_at = %s"
    )
    rules = _active_rules()
    with transaction.atomic():
        defaults = _default_pool_ids()
        for index, rule in enumerate(rules):
            pool = rule.pool
            with translation.override(settings.LANGUAGE_CODE):
                reason = (_("Recycled: %(rule)s") % {"rule": rule_text(rule)})[:200]
            cutoff = start_of(today - timedelta(days=rule.days))
            due = _covered(rule, default_ids=defaults).filter(
                _idle_before(RULE_FIELDS[rule.kind], cutoff), _not_protected(today)
            )
            blocked_until = now + timedelta(days=pool.reclaim_block_days) if pool.reclaim_block_days else None
            released_at = now + timedelta(microseconds=index)
            count = due.update(
                owner=None,
                pool=pool,
                previous_owner=F("owner"),
                previous_owner_blocked_until=blocked_until,
                released_at=released_at,
                release_reason=reason,
                protected_until=None,
                recycle_reminded_at=None,
                updated_at=now,
            )
            if count:
                stamp = connection.ops.adapt_datetimefield_value(released_at)
                with connection.cursor() as cursor:
                    cursor.execute(insert_log, [ClaimLog.Action.RECYCLE.value, stamp, pool.pk, stamp])
            total += count
        owners = list(
            Relationship.objects.filter(
                released_at__range=(now, now + timedelta(microseconds=len(rules))),
                owner__isnull=True,
                previous_owner__isnull=False,
            )
            .values("previous_owner_id")
            .annotate(n=Count("pk"))
            .order_by("previous_owner_id")
        )
        for row in owners:
            events.publish(
                "customers.recycled",
                key=f"pool-recycle:{now.isoformat()}:{row['previous_owner_id']}",
                recipient_ids=[row["previous_owner_id"]],
                params={"count": row["n"]},
            )
    return total


def recycle_reminders(*, now: datetime | None = None) -> int:
    """Tell owners which of their customers a rule will return to the pool within its reminder days.

    A relationship is reminded once per idle stretch: ``recycle_reminded_at`` is set, and a reminder
    older than the latest activity or claim no longer counts. The number of relationships reminded."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    total = 0
    with transaction.atomic():
        defaults = _default_pool_ids()
        for rule in _active_rules():
            if not rule.remind_days_before:
                continue
            field = RULE_FIELDS[rule.kind]
            cutoff = start_of(today - timedelta(days=rule.days - rule.remind_days_before))
            not_yet = (
                Q(recycle_reminded_at__isnull=True)
                | Q(recycle_reminded_at__lt=Coalesce(F(field), F("created_at")))
                | Q(recycle_reminded_at__lt=Coalesce(F("claimed_at"), F("created_at")))
            )
            horizon = today + timedelta(days=rule.remind_days_before)
            total += (
                _covered(rule, default_ids=defaults)
                .filter(_idle_before(field, cutoff), _not_protected(horizon), not_yet)
                .update(recycle_reminded_at=now)
            )
        owners = list(
            Relationship.objects.filter(recycle_reminded_at=now, owner__isnull=False)
            .values("owner_id")
            .annotate(n=Count("pk"))
            .order_by("owner_id")
        )
        for row in owners:
            events.publish(
                "customers.recycle_due",
                key=f"pool-remind:{now.isoformat()}:{row['owner_id']}",
                recipient_ids=[row["owner_id"]],
                params={"count": row["n"]},
            )
    return total


class PreviewItem(NamedTuple):
    relationship: Relationship
    rule: RecycleRule
    due_at: datetime
    why: str


def _why(rule: RecycleRule, rel: Relationship) -> str:
    field = RULE_FIELDS[rule.kind]
    last = getattr(rel, field)
    labels = {
        RecycleKind.NO_FOLLOW_UP: (_("last follow-up on %(date)s"), _("no follow-up since %(date)s")),
        RecycleKind.NO_OPPORTUNITY: (_("last opportunity on %(date)s"), _("no opportunity since %(date)s")),
        RecycleKind.NO_WON_DEAL: (_("last won deal on %(date)s"), _("no won deal since %(date)s")),
    }
    since, never = labels[RecycleKind(rule.kind)]
    clock = rel.clock  # type: ignore[attr-defined]
    if last is not None and last >= clock:
        detail = since % {"date": f"{timezone.localtime(last):%Y-%m-%d}"}
    else:
        detail = never % {"date": f"{timezone.localtime(clock):%Y-%m-%d}"}
        if rel.claimed_at is not None and rel.claimed_at >= clock:
            detail += " " + _("(claimed then)")
    return f"{rule_text(rule)}: {detail}"


def _preview(rules: list[RecycleRule], *, days: int, now: datetime, owner: Any = None) -> list[PreviewItem]:
    today = timezone.localdate(now)
    horizon = today + timedelta(days=days)
    defaults = _default_pool_ids()
    best: dict[int, PreviewItem] = {}
    for rule in rules:
        field = RULE_FIELDS[rule.kind]
        cutoff = start_of(horizon - timedelta(days=rule.days))
        qs = _covered(rule, default_ids=defaults).filter(_idle_before(field, cutoff), _not_protected(horizon))
        if owner is not None:
            qs = qs.filter(owner_id=owner.pk)
        rows = qs.annotate(clock=_clock(field)).select_related("customer", "owner").order_by("clock", "pk")
        for rel in rows[:PREVIEW_LIMIT]:
            due_day = timezone.localdate(rel.clock) + timedelta(days=rule.days + 1)  # type: ignore[attr-defined]
            if rel.protected_until is not None and due_day <= rel.protected_until:
                due_day = rel.protected_until + timedelta(days=1)
            due_day = max(due_day, today)
            if due_day > horizon:
                continue
            item = PreviewItem(rel, rule, start_of(due_day), _why(rule, rel))
            if rel.pk not in best or item.due_at < best[rel.pk].due_at:
                best[rel.pk] = item
    return sorted(best.values(), key=lambda i: (i.due_at, i.relationship.customer.name, i.relationship.pk))


def recycle_preview(*, pool: CustomerPool, days: int = PREVIEW_DAYS, now: datetime | None = None) -> list[PreviewItem]:
    """Which owned customers each of the pool's active rules returns to the pool within ``days`` days,
    when (the day the nightly run takes them; today for any already due) and why."""
    rules = [r for r in _active_rules() if r.pool_id == pool.pk]
    return _preview(rules, days=days, now=now or timezone.now())


def about_to_return(*, user: Any, days: int = PREVIEW_DAYS, now: datetime | None = None) -> list[PreviewItem]:
    """``user``'s own customers that a rule returns to a pool within ``days`` days."""
    bus = set(user.access.business_unit_ids)
    if user.business_unit_id:
        bus.add(user.business_unit_id)
    rules = [r for r in _active_rules() if r.pool.business_unit_id in bus]
    if not rules:
        return []
    return _preview(rules, days=days, now=now or timezone.now(), owner=user)


# --- registrations (imported from CustomersConfig.ready): notifications, My day, navigation, jobs --


def _notify(kind: str, record_of: str | None = None) -> Any:
    def deliver(event: events.Event) -> None:
        from xietong.collaboration.tasks import deliver_notifications

        data = event.data
        deliver_notifications.enqueue(
            event_key=event.key,
            kind=kind,
            recipient_ids=data["recipient_ids"],
            actor_id=data.get("actor_id"),
            record=["customers.customer", data[record_of]] if record_of else None,
            params=data.get("params", {}),
        )

    return deliver


def _register() -> None:
    from xietong.collaboration import kinds, myday
    from xietong.core import navigation, scheduling

    from . import tasks

    topic = gettext_lazy("Public pools")
    kinds.register(
        kinds.Kind(
            "customer_released",
            topic,
            lambda p: (
                _("%(actor)s returned your customer “%(customer)s” to the public pool: %(reason)s")
                % {"actor": p["actor"], "customer": p["customer"], "reason": p["reason"]}
            ),
        )
    )
    kinds.register(
        kinds.Kind(
            "customer_assigned",
            topic,
            lambda p: (
                _("%(actor)s assigned the customer “%(customer)s” to %(owner)s.")
                % {"actor": p["actor"], "customer": p["customer"], "owner": p["owner"]}
            ),
        )
    )
    kinds.register(
        kinds.Kind(
            "customers_recycled",
            topic,
            lambda p: (
                _("%(count)s of your customers went back to the public pool under its recycle rules.")
                % {"count": p["count"]}
            ),
        )
    )
    kinds.register(
        kinds.Kind(
            "customers_recycle_due",
            topic,
            lambda p: (
                _("%(count)s of your customers will soon go back to the public pool: follow them up in time.")
                % {"count": p["count"]}
            ),
        )
    )
    events.subscriber("customers.released")(_notify("customer_released", "customer_id"))
    events.subscriber("customers.assigned")(_notify("customer_assigned", "customer_id"))
    events.subscriber("customers.recycled")(_notify("customers_recycled"))
    events.subscriber("customers.recycle_due")(_notify("customers_recycle_due"))

    audit.register_verb("claim", gettext_lazy("Claimed from the public pool"))
    audit.register_verb("release", gettext_lazy("Returned to the public pool"))
    audit.register_verb("assign", gettext_lazy("Assigned"))
    audit.register_verb("pool_members", gettext_lazy("Pool members changed"))
    audit.register_verb("pool_limit", gettext_lazy("Ownership limit changed"))
    audit.register_verb("pool_rule", gettext_lazy("Recycle rule changed"))
    audit.register_change_label("customers.customerpool", "members", gettext_lazy("Members"))
    audit.register_change_label("customers.customerpool", "teams", gettext_lazy("Member teams"))
    audit.register_change_label("customers.customerpool", "rule", gettext_lazy("Recycle rule"))

    myday.register(
        myday.Section(
            "pool_returns",
            gettext_lazy("Customers about to return to the pool"),
            "customers/pools/myday.html",
            myday_returns,
            order=25,
        )
    )
    navigation.register(
        navigation.NavItem(
            "customers",
            gettext_lazy("Public pools"),
            "customers:pool_list",
            "water",
            order=50,
            visible=lambda user: user.access.can(MODULE, "view"),
        )
    )
    scheduling.register(
        "pool-recycle",
        tasks.recycle_pools,
        every=timedelta(hours=1),
        description="return idle customers to their public pools (day-granular: the night's first run does it)",
    )
    scheduling.register(
        "pool-recycle-reminders",
        tasks.send_recycle_reminders,
        every=timedelta(hours=1),
        description="tell owners which customers will soon go back to a public pool",
    )


def myday_returns(user: Any) -> dict[str, Any] | None:
    """My day: my customers that go back to a pool within the week (None when there are none)."""
    if not user.access.can(MODULE, "view"):
        return None
    items = about_to_return(user=user)
    if not items:
        return None
    return {"items": items[:10], "count": len(items), "more": len(items) > 10}


_register()


# --- demo data (the customers demo step calls this first) ------------------------------------------

# per BU: the default pool and a second one, with the customers waiting in the default pool
DEMO_POOLS: dict[str, tuple[str, str, list[tuple[str, str, str, str, str]]]] = {
    "ind": (
        "工业设备公海",
        "重点行业公海",
        [
            ("苏州恒铸精密机械有限公司", "江苏省", "苏州市", "机械制造", "B"),
            ("宁波东海模具科技有限公司", "浙江省", "宁波市", "模具", "C"),
            ("佛山顺德联合五金制品厂", "广东省", "佛山市", "五金", "C"),
            ("天津滨海汽车零部件有限公司", "天津市", "天津市", "汽车零部件", "B"),
            ("青岛海润包装机械股份有限公司", "山东省", "青岛市", "包装机械", "D"),
        ],
    ),
    "med": (
        "医疗器械公海",
        "民营医院公海",
        [
            ("南京鼓楼区康华医院", "江苏省", "南京市", "医院", "B"),
            ("武汉同济医学检验所有限公司", "湖北省", "武汉市", "第三方检测", "C"),
            ("成都华西健康体检中心", "四川省", "成都市", "体检", "C"),
            ("杭州美康口腔医院有限公司", "浙江省", "杭州市", "口腔", "D"),
        ],
    ),
    "energy": (
        "新能源公海",
        "渠道客户公海",
        [
            ("合肥国轩储能科技有限公司", "安徽省", "合肥市", "储能", "B"),
            ("深圳光明区绿源物流园", "广东省", "深圳市", "物流园区", "C"),
            ("西安高新区智造产业园管理有限公司", "陕西省", "西安市", "产业园", "C"),
            ("苏州工业园区星海充电科技有限公司", "江苏省", "苏州市", "充电运营", "D"),
        ],
    ),
}


def demo_pools(counter: Counter[str]) -> None:
    """The demo BUs' pools (a default pool with limits and rules, a second one for a segment), their
    members (the sales centre; its director and the BU head administer) and a few customers waiting.
    Idempotent: a BU whose default demo pool exists is left alone."""
    from xietong.org.demo import SALES_CENTER

    from . import matching
    from .models import Customer

    now = timezone.now()
    for code, (main_name, second_name, customers) in DEMO_POOLS.items():
        bu = BusinessUnit.objects.filter(code=code).first()
        if bu is None or CustomerPool.objects.filter(business_unit=bu, name=main_name).exists():
            continue
        sales = Team.objects.filter(business_unit=bu, parent__isnull=True, name=SALES_CENTER).first()
        main = CustomerPool.objects.create(
            business_unit=bu,
            name=main_name,
            description="事业部默认公海：客户经理可领取，超期未跟进的客户自动回收。",
            is_default=True,
            max_owned=50,
            claims_per_day=5,
            reclaim_block_days=30,
            protection_days=30,
        )
        second = CustomerPool.objects.create(
            business_unit=bu,
            name=second_name,
            description="重点行业客户：领取上限更严，由销售总监统筹分配。",
            max_owned=20,
            claims_per_day=2,
            reclaim_block_days=60,
            protection_days=15,
        )
        counter["customer pools"] += 2
        RecycleRule.objects.bulk_create(
            [
                RecycleRule(pool=main, kind=RecycleKind.NO_FOLLOW_UP, days=30, remind_days_before=3),
                RecycleRule(pool=main, kind=RecycleKind.NO_FOLLOW_UP, level=Level.A, days=60, remind_days_before=7),
                RecycleRule(pool=main, kind=RecycleKind.NO_OPPORTUNITY, days=90, remind_days_before=7),
                RecycleRule(pool=second, kind=RecycleKind.NO_FOLLOW_UP, days=45, remind_days_before=5),
            ]
        )
        counter["recycle rules"] += 4
        if sales is not None:  # pool membership is per team (not its sub-teams): every sales team of the centre
            sales_teams = list(Team.objects.filter(business_unit=bu, is_active=True, path__startswith=sales.path))
            main.member_teams.add(*sales_teams)
            second.member_teams.add(*sales_teams)
        admins = list(
            _people()
            .filter(
                user_roles__role__code__in=("bu_head", "sales_manager"),
                business_unit=bu,
                primary_team__parent__isnull=True,
            )
            .distinct()
        )
        for person in admins:
            for pool in (main, second):
                PoolMember.objects.get_or_create(pool=pool, user=person, defaults={"is_admin": True})
                counter["pool members"] += 1
        reps = list(_people().filter(user_roles__role__code="sales_rep", business_unit=bu).order_by("username")[:1])
        if reps:
            role = Role.objects.filter(code="sales_rep").first()
            if role is not None:
                OwnershipLimit.objects.create(pool=main, role=role, max_owned=40)
                counter["ownership limits"] += 1
        for index, (name, province, city, industry, level) in enumerate(customers):
            customer = Customer.objects.filter(name=name, merged_into__isnull=True).first()
            if customer is None:
                customer = Customer.objects.create(
                    name=name,
                    name_key=matching.normalise_name(name),
                    province=province,
                    city=city,
                    industry=industry,
                    source="exhibition" if index % 2 else "web",
                )
                counter["customers"] += 1
            if Relationship.objects.filter(customer=customer, business_unit=bu).exists():
                continue
            released = now - timedelta(days=3 + index * 4)
            rel = Relationship.objects.create(
                customer=customer,
                business_unit=bu,
                pool=main,
                level=level,
                released_at=released,
                release_reason="客户暂无采购计划，退回公海",
                previous_owner=reps[0] if reps and index == 0 else None,
                previous_owner_blocked_until=released + timedelta(days=30) if reps and index == 0 else None,
            )
            ClaimLog.objects.create(
                relationship=rel,
                pool=main,
                action=ClaimLog.Action.RELEASE,
                user=rel.previous_owner,
                reason=rel.release_reason,
            )
            counter["relationships"] += 1
