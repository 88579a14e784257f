"""The duplicate check page's answers, the background scan for duplicate clusters, the review queue,
and merging customers, leads or contacts (docs/subsystems/duplicates.md).

- ``duplicate_check``: for anyone with customers "view", which customers match a name, credit code,
  mobile or email, and per business unit who owns them (or that they are in a pool) — nothing else
  unless the caller sees the customer. Each BU line carries a signed ``ref`` so that the caller can
  ask the owner to collaborate or request a transfer without seeing the customer.
- ``scan_start`` → task ``run_scan`` → ``scan_execute``: clusters of duplicates, with progress.
- ``cluster_queue`` / ``cluster_dismiss``: the review queue of those with customers "administer".
- ``records_merge``: fold sources into a target; needs edit on every record involved (and on a
  relationship dropped because both customers had one in the same BU).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import signing
from django.db import models, transaction
from django.db.models import Q, UniqueConstraint
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import audit, navigation
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from xietong.core.models import AuditEntry
from xietong.core.params import as_int
from xietong.org.policies import require

from . import conflicts as _conflicts  # noqa: F401  (registers the notification kinds)
from . import matching
from .choices import ClusterStatus, JobStatus
from .models import (
    Contact,
    Customer,
    DuplicateCluster,
    DuplicateOverride,
    DuplicateRule,
    DuplicateScan,
    NameToken,
    Relationship,
)

audit.register_verb("merge", gettext_lazy("Merged"))
audit.register_verb("merged_into", gettext_lazy("Merged into another record"))
audit.register_change_label("", "merged", gettext_lazy("Merged records"))
audit.register_change_label("", "merged_into", gettext_lazy("Merged into"))
audit.register_change_label("customers.customer", "relationship_dropped", gettext_lazy("Relationship dropped"))
audit.register_change_label("", "dropped", gettext_lazy("Dropped as duplicates of the kept record's"))

TARGETS = DuplicateRule.Target
REF_SALT = "customers.duplicate-check"
REF_MAX_AGE = 24 * 3600


def _can_use_customers(user: Any) -> bool:
    return bool(user.is_authenticated and user.access.can("customers", "view"))


def can_review(user: Any) -> bool:
    return bool(user.is_authenticated and user.access.can("customers", "administer"))


navigation.register(
    navigation.NavItem(
        "customers", gettext_lazy("Duplicate check"), "customers:duplicate_check", "search", 70, _can_use_customers
    )
)
navigation.register(
    navigation.NavItem(
        "customers", gettext_lazy("Duplicate review"), "customers:duplicate_queue", "intersect", 80, can_review
    )
)
navigation.register(
    navigation.NavItem(
        "customers",
        gettext_lazy("Ownership conflicts"),
        "customers:conflict_list",
        "sign-intersection",
        85,
        _can_use_customers,
    )
)


# --- the duplicate check -------------------------------------------------------------------------


def make_ref(customer_id: int, business_unit_id: int) -> str:
    """A signed pointer at one BU relationship the check showed (for "ask" and "request a transfer")."""
    return signing.dumps([customer_id, business_unit_id], salt=REF_SALT, compress=True)


def read_ref(ref: str) -> tuple[int, int]:
    """(customer id, BU id) of a ref the check made in the last day, else a ValidationError on "ref"."""
    try:
        customer_id, bu_id = signing.loads(ref, salt=REF_SALT, max_age=REF_MAX_AGE)
        return int(customer_id), int(bu_id)
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError({"ref": _("This link has expired: run the duplicate check again.")}) from None


@dataclass
class HolderLine:
    business_unit_id: int
    business_unit: str
    owner: str  # display name, "" while in a pool
    in_pool: bool
    ref: str


@dataclass
class CheckHit:
    customer_id: int
    name: str
    score: int
    reasons: tuple[str, ...]
    visible: bool  # the caller sees the customer (may open its page)
    holders: list[HolderLine] = field(default_factory=list)


def holders_of(customer_ids: Iterable[int]) -> dict[int, list[Relationship]]:
    """Each customer's BU relationships with their BU, owner and pool, in one query, by BU name.

    The one read of relationships outside the viewer's scope: what the duplicate and conflict
    checks may tell anyone — which BU and owner hold a company — and callers show nothing else."""
    found: dict[int, list[Relationship]] = defaultdict(list)
    for rel in (
        Relationship.objects.filter(customer_id__in=list(customer_ids))
        .select_related("business_unit", "owner", "pool")
        .order_by("business_unit__name", "pk")
    ):
        found[rel.customer_id].append(rel)
    return found


def duplicate_check(
    *, user: Any, name: str = "", credit_code: str = "", mobile: str = "", email: str = ""
) -> list[CheckHit]:
    """Which customers of the group match, and who holds them in which BU: only name, BU, owner and
    whether in a pool (design/data-visibility.md, "Across business units")."""
    require(user, "customers", "view")
    if not any(v.strip() for v in (name, credit_code, mobile, email)):
        raise ValidationError({"name": _("Enter a company name, a credit code, a mobile or an email.")})
    candidates = matching.customer_candidates(name=name, credit_code=credit_code, mobile=mobile, email=email, limit=10)
    ids = [c.pk for c in candidates]
    visible = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    holders = holders_of(ids)
    lines = {
        pk: [
            HolderLine(
                business_unit_id=rel.business_unit_id,
                business_unit=rel.business_unit.name,
                owner=str(rel.owner) if rel.owner is not None else "",
                in_pool=rel.owner_id is None,
                ref=make_ref(rel.customer_id, rel.business_unit_id),
            )
            for rel in rels
        ]
        for pk, rels in holders.items()
    }
    return [CheckHit(c.pk, c.name, c.score, c.reasons, c.pk in visible, lines.get(c.pk, [])) for c in candidates]


def addressable_customer(
    *, user: Any, customer_id: int | None, business_unit_id: int | None, ref: str = ""
) -> tuple[Customer, Any]:
    """The customer and BU a request to collaborate or a conflict is about: by a ``ref`` from the
    duplicate check, or by ids of a customer the user sees. Unknown and invisible ids answer alike."""
    from xietong.org.models import BusinessUnit

    customer = None
    if ref:
        customer_id, business_unit_id = read_ref(ref)
        customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    elif customer_id is not None:
        customer = Customer.objects.visible_to(user).filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None or business_unit_id is None:
        raise ValidationError({"customer_id": _("No such customer.")})
    bu = BusinessUnit.objects.filter(pk=business_unit_id).first()
    if bu is None:
        raise ValidationError({"business_unit_id": _("No such business unit.")})
    return customer, bu


# --- the scan ------------------------------------------------------------------------------------

SCAN_BLOCK_MAX = 200  # a blocking token shared by more records than this is too common to pair on
PROGRESS_EVERY = 5000


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.score: dict[int, int] = {}
        self.keys: dict[int, set[str]] = defaultdict(set)

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: int, b: int, score: int, key: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.score[ra] = max(self.score.get(ra, 0), self.score.pop(rb, 0))
            self.keys[ra] |= self.keys.pop(rb, set())
        self.score[ra] = max(self.score.get(ra, 0), score)
        self.keys[ra].add(key)

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for x in list(self.parent):
            out[self.find(x)].append(x)
        return {root: sorted(members) for root, members in out.items() if len(members) > 1}


def _join_equal(union: _Union, pairs: Iterable[tuple[int, str]], key: str, score: int) -> None:
    first: dict[str, int] = {}
    for pk, value in pairs:
        if not value:
            continue
        if value in first:
            union.join(first[value], pk, score, key)
        else:
            first[value] = pk
            union.parent.setdefault(pk, pk)


def _join_fuzzy(union: _Union, rows: list[tuple[int, str]], progress: Any) -> None:
    """Pairs of records sharing a blocking token (not too common a one), scored by rapidfuzz.
    Progress: the first half is building the blocks, the second scoring them."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, (_pk, key) in enumerate(rows):
        for token in matching.name_tokens(key):
            blocks[token].append(i)
        if i % PROGRESS_EVERY == 0:
            progress(i // 2, len(rows))
    seen: set[tuple[int, int]] = set()
    count = max(len(blocks), 1)
    for n, members in enumerate(blocks.values()):
        if 2 <= len(members) <= SCAN_BLOCK_MAX:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    i, j = members[x], members[y]
                    if (i, j) in seen:
                        continue
                    seen.add((i, j))
                    score = matching.similarity(rows[i][1], rows[j][1])
                    if 0 < score < 100:
                        union.join(rows[i][0], rows[j][0], score, "fuzzy_name")
        if n % PROGRESS_EVERY == 0:
            progress(len(rows) // 2 + len(rows) * n // count // 2, len(rows))


def _customer_edges(union: _Union, progress: Any) -> int:
    rows = list(Customer.objects.filter(merged_into__isnull=True).values_list("pk", "name_key", "credit_code"))
    _join_equal(union, ((pk, code) for pk, _key, code in rows), "credit_code", matching.KEY_SCORES["credit_code"])
    _join_equal(union, ((pk, key) for pk, key, _code in rows), "name", matching.KEY_SCORES["name"])
    contacts = Contact.objects.filter(merged_into__isnull=True, customer__merged_into__isnull=True)
    _join_equal(union, contacts.values_list("customer_id", "mobile_key"), "mobile", matching.KEY_SCORES["mobile"])
    emails = ((pk, matching.normalise_email(e)) for pk, e in contacts.values_list("customer_id", "email"))
    _join_equal(union, emails, "email", matching.KEY_SCORES["email"])
    _join_fuzzy(union, [(pk, key) for pk, key, _code in rows], progress)
    _index_missing("customer", [(pk, key) for pk, key, _code in rows])
    return len(rows)


def _lead_edges(union: _Union, progress: Any) -> int:
    from xietong.leads.models import Lead

    rows = list(Lead.objects.filter(merged_into__isnull=True).values_list("pk", "company_key", "mobile_key", "email"))
    _join_equal(union, ((r[0], r[1]) for r in rows), "name", matching.KEY_SCORES["name"])
    _join_equal(union, ((r[0], r[2]) for r in rows), "mobile", matching.KEY_SCORES["mobile"])
    _join_equal(union, ((r[0], matching.normalise_email(r[3])) for r in rows), "email", matching.KEY_SCORES["email"])
    _join_fuzzy(union, [(r[0], r[1]) for r in rows if r[1]], progress)
    _index_missing("lead", [(r[0], r[1]) for r in rows])
    return len(rows)


def _contact_edges(union: _Union, progress: Any) -> int:
    rows = list(
        Contact.objects.filter(merged_into__isnull=True, customer__merged_into__isnull=True).values_list(
            "pk", "customer_id", "name", "mobile_key", "email"
        )
    )
    _join_equal(union, ((r[0], r[3]) for r in rows), "mobile", matching.KEY_SCORES["mobile"])
    _join_equal(union, ((r[0], matching.normalise_email(r[4])) for r in rows), "email", matching.KEY_SCORES["email"])
    same_name = ((r[0], f"{r[1]}:{matching.normalise_person(r[2])}") for r in rows if r[2])
    _join_equal(union, same_name, "name", matching.KEY_SCORES["name"])
    return len(rows)


def _index_missing(target: str, rows: list[tuple[int, str]]) -> None:
    """Records that reached the table without the services (bulk loads): give them their tokens."""
    indexed = set(NameToken.objects.filter(target=target).values_list("object_id", flat=True).distinct())
    missing = [(pk, key) for pk, key in rows if pk not in indexed and key]
    for start in range(0, len(missing), 5000):
        matching.index_names(target=target, names=missing[start : start + 5000])


def _cluster_bu(target: str, members: list[int]) -> int | None:
    """The one BU a cluster belongs to (its reviewers are that BU's), or None (reviewed by the group)."""
    if target == TARGETS.CUSTOMER:
        bus = set(Relationship.objects.filter(customer_id__in=members).values_list("business_unit_id", flat=True))
    elif target == TARGETS.LEAD:
        from xietong.leads.models import Lead

        bus = set(Lead.objects.filter(pk__in=members).values_list("business_unit_id", flat=True))
    else:
        customers = Contact.objects.filter(pk__in=members).values("customer_id")
        bus = set(Relationship.objects.filter(customer_id__in=customers).values_list("business_unit_id", flat=True))
    return bus.pop() if len(bus) == 1 else None


@transaction.atomic
def scan_start(*, actor: Any, target: str) -> DuplicateScan:
    """Queue a scan of ``target`` records (customers "administer"); one at a time per target."""
    require(actor, "customers", "administer")
    if target not in TARGETS.values:
        raise ValidationError({"target": _("Choose customers, leads or contacts.")})
    running = DuplicateScan.objects.select_for_update(of=("self",)).filter(
        target=target, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    )
    if running.exists():
        raise Conflict(_("A scan of these records is already running."), field="target")
    scan = DuplicateScan.objects.create(target=target, started_by=actor)
    transaction.on_commit(lambda: run_scan.enqueue(scan_id=scan.pk), robust=True)
    return scan


@task
def run_scan(*, scan_id: int) -> int:
    """Retry-safe: a finished scan is not run again; a rerun of a failed one replaces its clusters."""
    scan = DuplicateScan.objects.get(pk=scan_id)
    if scan.status == JobStatus.DONE:
        return scan.clusters_found
    return scan_execute(scan=scan)


def scan_execute(*, scan: DuplicateScan) -> int:
    """Find the clusters of ``scan.target``, replace the open clusters of that target, report progress."""
    scan.status = JobStatus.RUNNING
    scan.error = ""
    scan.save(update_fields=["status", "error"])
    try:
        union = _Union()
        steps = {"customer": _customer_edges, "lead": _lead_edges, "contact": _contact_edges}

        def progress(done: int, total: int) -> None:
            DuplicateScan.objects.filter(pk=scan.pk).update(processed=done, total=total)

        total = steps[scan.target](union, progress)
        DuplicateScan.objects.filter(pk=scan.pk).update(total=total, processed=total)
        found = _store_clusters(scan, union)
    except Exception as exc:
        DuplicateScan.objects.filter(pk=scan.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=JobStatus.DONE, clusters_found=found, finished_at=timezone.now()
    )
    scan.refresh_from_db()
    return found


@transaction.atomic
def _store_clusters(scan: DuplicateScan, union: _Union) -> int:
    dismissed = [
        frozenset(ids)
        for ids in DuplicateCluster.objects.filter(target=scan.target, status=ClusterStatus.DISMISSED).values_list(
            "member_ids", flat=True
        )
    ]
    DuplicateCluster.objects.filter(target=scan.target, status=ClusterStatus.OPEN).delete()
    rows = []
    for root, members in union.groups().items():
        if any(frozenset(members) <= gone for gone in dismissed):
            continue
        keys = union.keys[root]
        rows.append(
            DuplicateCluster(
                scan=scan,
                target=scan.target,
                score=union.score.get(root, 0),
                reason=",".join(k for k in DuplicateRule.Key.values if k in keys),
                member_ids=members,
                business_unit_id=_cluster_bu(scan.target, members),
            )
        )
    DuplicateCluster.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --- the review queue ----------------------------------------------------------------------------


def review_scope(user: Any) -> Q | None:
    """Which clusters ``user`` reviews: all (group "administer"), those of BUs they administer, or
    None (nothing)."""
    if not can_review(user):
        return None
    if user.access.widest_scope("customers", "administer") >= DataScope.GROUP:
        return Q()
    from xietong.org.models import BusinessUnit

    bus = [
        pk
        for pk in BusinessUnit.objects.values_list("pk", flat=True)
        if user.access.widest_scope("customers", "administer", pk) >= DataScope.BUSINESS_UNIT
    ]
    return Q(business_unit_id__in=bus)


def cluster_queue(*, user: Any, target: str, status: str = ClusterStatus.OPEN) -> models.QuerySet[DuplicateCluster]:
    scope = review_scope(user)
    if scope is None:
        return DuplicateCluster.objects.none()
    return DuplicateCluster.objects.filter(scope, target=target, status=status).order_by("-score", "-id")


def cluster_get(*, user: Any, pk: Any) -> DuplicateCluster:
    """A cluster ``user`` reviews, else ``NotFound`` (missing or outside their BUs alike)."""
    scope = review_scope(user)
    found = None if scope is None else DuplicateCluster.objects.filter(scope, pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found


def target_model(target: str) -> type[models.Model]:
    if target == TARGETS.CUSTOMER:
        return Customer
    if target == TARGETS.LEAD:
        from xietong.leads.models import Lead

        return Lead
    if target == TARGETS.CONTACT:
        return Contact
    raise ValidationError({"target": _("Choose customers, leads or contacts.")})


def cluster_members(*, user: Any, clusters: list[DuplicateCluster]) -> dict[int, list[Any]]:
    """The members of each cluster that ``user`` sees and that are not merged away (one query per target)."""
    by_target: dict[str, set[int]] = defaultdict(set)
    for c in clusters:
        by_target[c.target].update(c.member_ids)
    found: dict[tuple[str, int], Any] = {}
    for target, ids in by_target.items():
        model: Any = target_model(target)
        qs = model.objects.visible_to(user).filter(pk__in=ids, merged_into__isnull=True)
        if target == TARGETS.CONTACT:
            qs = qs.select_related("customer")
        for obj in qs:
            found[(target, obj.pk)] = obj
    return {c.pk: [found[(c.target, pk)] for pk in c.member_ids if (c.target, pk) in found] for c in clusters}


@transaction.atomic
def cluster_dismiss(*, actor: Any, cluster: DuplicateCluster) -> DuplicateCluster:
    """ "Not duplicates": the cluster leaves the queue, and later scans do not bring it back."""
    cluster = cluster_get(user=actor, pk=cluster.pk)
    if cluster.status != ClusterStatus.OPEN:
        raise Conflict(_("This cluster has already been handled."))
    cluster.status = ClusterStatus.DISMISSED
    cluster.resolved_by = actor
    cluster.resolved_at = timezone.now()
    cluster.save(update_fields=["status", "resolved_by", "resolved_at"])
    return cluster


# --- merge ---------------------------------------------------------------------------------------

_GENERIC_SKIP = {"core.auditentry", "customers.duplicateoverride"}  # history stays where it was written


def _generic_models() -> list[type[models.Model]]:
    out = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if {"content_type", "object_id"} <= names and model._meta.label_lower not in _GENERIC_SKIP:
            out.append(model)
    return out


def _unique_other_fields(model: type[models.Model]) -> list[list[str]]:
    groups = [
        [f for f in c.fields if f not in ("content_type", "object_id")]
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and {"content_type", "object_id"} <= set(c.fields)
    ]
    if model._meta.label_lower == "core.recordshare":  # one share per person or team is enough
        groups.append(["user", "team"])
    return groups


def _move_generic(model_obj: models.Model, survivor: models.Model, sources: list[models.Model]) -> None:
    """Comments, files, tasks, follows, shares, follow-ups, notifications … of the sources → the survivor."""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(type(model_obj))
    for model in _generic_models():
        manager: Any = model._base_manager
        as_text = isinstance(model._meta.get_field("object_id"), models.CharField)

        def key(pk: Any, as_text: bool = as_text) -> Any:
            return str(pk) if as_text else pk

        moving = manager.filter(content_type=ct, object_id__in=[key(s.pk) for s in sources])
        for others in _unique_other_fields(model):
            taken = set(manager.filter(content_type=ct, object_id=key(survivor.pk)).values_list(*others))
            if taken:
                for row in list(moving.values("pk", *others)):
                    if tuple(row[f] for f in others) in taken:
                        manager.filter(pk=row["pk"]).delete()
        moving.update(object_id=key(survivor.pk))


def _reverse_relations(model: type[models.Model]) -> list[Any]:
    """Every foreign key (and one-to-one) of any app pointing at ``model``, including those declared
    with ``related_name="+"`` (quotes, payment plans, payments, invoices, credit limits …), which
    ``_meta.related_objects`` leaves out."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def _colliding(related: Any, field: str, survivor: Any, source_ids: list[int]) -> list[Any]:
    """The rows of the sources that the survivor's rows would collide with under a unique constraint
    (a credit limit for the same BU, a special price for the same product and tier, the same contact
    on an opportunity twice): the survivor's stay, these go. Also collisions among the sources."""
    dropped: list[Any] = []
    for constraint in related._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or field not in constraint.fields:
            continue
        others = [f for f in constraint.fields if f != field]
        rows = related._base_manager.all()
        if constraint.condition is not None:
            rows = rows.filter(constraint.condition)
        taken = set(rows.filter(**{field: survivor}).values_list(*others))
        for row in rows.filter(**{f"{field}__in": source_ids}).order_by("pk"):
            key = tuple(getattr(row, related._meta.get_field(f).attname) for f in others)
            if key in taken:
                dropped.append(row)
            else:
                taken.add(key)
    return dropped


def _move_foreign_keys(model: type[models.Model], survivor: Any, source_ids: list[int], skip: set[str]) -> list[str]:
    """Every row pointing at a source by a foreign key → the survivor (later apps' records included).
    A row that would duplicate one of the survivor's under a unique constraint is deleted instead;
    what was deleted is returned, for the merge's audit entry."""
    dropped: list[str] = []
    for rel in _reverse_relations(model):
        if rel.related_model._meta.label_lower in skip:
            continue
        if rel.field.name == "merged_into":  # earlier tombstones of a source now point at the survivor
            model._base_manager.filter(merged_into_id__in=source_ids).update(merged_into=survivor)  # type: ignore[attr-defined]
            continue
        related: Any = rel.related_model
        for row in _colliding(related, rel.field.name, survivor, source_ids):
            dropped.append(f"{related._meta.verbose_name}: {row}")
            row.delete()
        related._base_manager.filter(**{f"{rel.field.name}__in": source_ids}).update(**{rel.field.name: survivor})
    return dropped


def _fill_blanks(survivor: Any, sources: list[Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name == "tags":
            tags = list(survivor.tag_list)
            for s in sources:
                tags += s.tag_list
            survivor.tag_list = tags
            continue
        if getattr(survivor, name) in ("", None):
            for s in sources:
                value = getattr(s, name)
                if value not in ("", None):
                    setattr(survivor, name, value)
                    break


def _merge_relationships(*, actor: Any, survivor: Customer, sources: list[Customer]) -> None:
    kept = {
        r.business_unit_id: r for r in Relationship.objects.select_for_update(of=("self",)).filter(customer=survivor)
    }
    editable = Relationship.objects.visible_to(actor, "edit")
    for rel in (
        Relationship.objects.select_for_update(of=("self",))
        .filter(customer__in=sources)
        .select_related("business_unit", "owner")
        .order_by("pk")
    ):
        mine = kept.get(rel.business_unit_id)
        if mine is None:
            rel.customer = survivor
            rel.save(update_fields=["customer", "updated_at"])
            kept[rel.business_unit_id] = rel
            continue
        if not editable.filter(pk=rel.pk).exists():
            raise PermissionDenied(
                _(
                    "Both customers have a relationship with %(bu)s; only someone who may edit the one that "
                    "would be dropped can merge them."
                )
                % {"bu": rel.business_unit}
            )
        # the survivor's relationship stays; the other's history (claims, dates) joins it
        for attr in ("last_follow_up_at", "last_opportunity_at", "last_won_at"):
            values = [v for v in (getattr(mine, attr), getattr(rel, attr)) if v is not None]
            setattr(mine, attr, max(values) if values else None)
        nexts = [v for v in (mine.next_follow_up_at, rel.next_follow_up_at) if v is not None]
        mine.next_follow_up_at = min(nexts) if nexts else None
        mine.has_open_business = mine.has_open_business or rel.has_open_business
        mine.save()
        _move_foreign_keys(Relationship, mine, [rel.pk], skip=set())
        audit.record(
            actor=actor,
            obj=survivor,
            kind=AuditEntry.Kind.UPDATE,
            verb="merge",
            changes={
                "relationship_dropped": [
                    f"{rel.business_unit}: {rel.owner or _('public pool')} ({rel.get_status_display()}, {rel.level})",
                    None,
                ]
            },
        )
        rel.delete()


_MERGE_SPEC: dict[str, dict[str, Any]] = {
    "customer": {"missing": gettext_lazy("No such customer."), "skip": {"customers.relationship"}},
    "lead": {"missing": gettext_lazy("No such lead."), "skip": set()},
    "contact": {"missing": gettext_lazy("No such contact."), "skip": set()},
}


@transaction.atomic
def records_merge(
    *, actor: Any, target: str, target_id: int, source_ids: list[int], cluster: DuplicateCluster | None = None
) -> Any:
    """Merge the sources into the target record (customers, leads or contacts): every related record
    moves to the target, blank fields of the target are filled from the sources (tags joined), each
    source becomes a tombstone (``merged_into``), and both sides get a "merged" audit entry.

    Refused: merging a record into itself, and any record the actor cannot edit (the same answer as
    a missing one: ``NotFound``)."""
    model: Any = target_model(target)
    spec = _MERGE_SPEC[target]
    ids = list(dict.fromkeys(int(pk) for pk in source_ids))
    if not ids:
        raise ValidationError({"source_ids": _("Choose the records to merge into this one.")})
    if target_id in ids:
        raise ValidationError({"source_ids": _("A record cannot be merged into itself.")})
    require(actor, "customers" if target != "lead" else "leads", "edit")
    everyone = sorted([target_id, *ids])
    locked = {
        obj.pk: obj
        for obj in model.objects.visible_to(actor, "edit")
        .select_for_update(of=("self",))
        .filter(pk__in=everyone, merged_into__isnull=True)
        .order_by("pk")
    }
    if len(locked) != len(everyone):
        raise NotFound(str(spec["missing"]))
    survivor = locked[target_id]
    sources = [locked[pk] for pk in ids]
    if target == TARGETS.CONTACT and any(s.customer_id != survivor.customer_id for s in sources):
        raise ValidationError(
            {"source_ids": _("Contacts of different customers cannot be merged; merge the customers first.")}
        )
    if target == TARGETS.CUSTOMER:
        _merge_relationships(actor=actor, survivor=survivor, sources=sources)
    dropped = _move_foreign_keys(model, survivor, ids, skip=spec["skip"])
    _move_generic(survivor, survivor, sources)
    now = timezone.now()
    for source in sources:
        source.merged_into = survivor
        if hasattr(source, "merged_at"):
            source.merged_at = now
        source.save()
        audit.record(
            actor=actor,
            obj=source,
            kind=AuditEntry.Kind.ACTION,
            verb="merged_into",
            changes={"merged_into": [None, f"{survivor} (#{survivor.pk})"]},
        )
    before = audit.snapshot(survivor)
    _fill_blanks(survivor, sources, getattr(model, "audit_fields", ()))
    if target == TARGETS.CUSTOMER:
        survivor.name_key = matching.normalise_name(survivor.name)
    if target == TARGETS.CONTACT and survivor.mobile:
        from xietong.core.validators import normalize_mobile

        survivor.mobile_key = normalize_mobile(survivor.mobile)
    survivor.save()
    audit.record_update(actor=actor, obj=survivor, before=before, verb="merge")
    audit.record(
        actor=actor,
        obj=survivor,
        kind=AuditEntry.Kind.ACTION,
        verb="merge",
        changes={
            "merged": [None, "、".join(f"{s} (#{s.pk})" for s in sources)],
            # the sources' rows that duplicated the survivor's (its credit limit, its special price …)
            **({"dropped": ["；".join(dropped), None]} if dropped else {}),
        },
    )
    if target in (TARGETS.CUSTOMER, TARGETS.LEAD):
        matching.unindex(target=target, pks=ids)
    if cluster is not None:
        DuplicateCluster.objects.filter(pk=cluster.pk, status=ClusterStatus.OPEN).update(
            status=ClusterStatus.MERGED, resolved_by=actor, resolved_at=now
        )
    return survivor


def customer_merge(*, actor: Any, target: Customer, sources: list[Customer]) -> Customer:
    """Glossary name of the customer merge (``records_merge`` for customers)."""
    merged: Customer = records_merge(
        actor=actor, target=TARGETS.CUSTOMER, target_id=target.pk, source_ids=[s.pk for s in sources]
    )
    return merged


def overrides_of(obj: models.Model) -> models.QuerySet[DuplicateOverride]:
    from django.contrib.contenttypes.models import ContentType

    return DuplicateOverride.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")


# --- demo data -----------------------------------------------------------------------------------


DEMO_TAG = "演示重复"  # marks the planted duplicates (so a second load plants nothing new)


def demo_plant(counter: Counter[str]) -> None:
    """Plant a few duplicates among the demo customers and leads (idempotent): a traditional-Chinese
    spelling with a branch in brackets, and a one-character typo, of the first demo customers, owned
    in the same BU; and a lead whose company repeats a customer's name."""
    from xietong.leads.models import Lead

    rels = list(
        Relationship.objects.filter(owner__isnull=False, customer__merged_into__isnull=True, customer__kind="company")
        .exclude(customer__tags__contains=f"|{DEMO_TAG}|")
        .select_related("customer")
        .order_by("customer_id")[:3]
    )
    for rel in rels:
        base = rel.customer
        key = base.name_key
        if len(key) < 4:
            continue
        variants = [
            matching.halfwidth(_to_traditional(key)) + "（上海）有限公司",
            key[:-1] + ("华" if key[-1] != "华" else "中") + "有限公司",
        ]
        for name in variants:
            if Customer.objects.filter(name=name).exists():
                continue
            twin = Customer.objects.create(
                name=name,
                name_key=matching.normalise_name(name),
                province=base.province,
                city=base.city,
                industry=base.industry,
                source=base.source,
                tags=f"|{DEMO_TAG}|",
            )
            matching.index_names(target="customer", names=[(twin.pk, twin.name_key)])
            Relationship.objects.create(customer=twin, business_unit_id=rel.business_unit_id, owner_id=rel.owner_id)
            counter["customers"] += 1
            counter["relationships"] += 1
    lead_rel = rels[0] if rels else None
    if lead_rel is not None and not Lead.objects.filter(company=lead_rel.customer.name).exists():
        owner = lead_rel.owner
        lead = Lead.objects.create(
            company=lead_rel.customer.name,
            company_key=lead_rel.customer.name_key,
            contact_name="王重复",
            business_unit_id=lead_rel.business_unit_id,
            owner=owner,
        )
        matching.index_names(target="lead", names=[(lead.pk, lead.company_key)])
        counter["leads"] += 1


def _to_traditional(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))
