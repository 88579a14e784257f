"""REST endpoints of the duplicate check, merges, the duplicate scan and review queue, and ownership
conflicts (docs/subsystems/duplicates.md). Wired before the customers router, so that
``/customers/duplicates`` and ``/customers/merge`` are not read as a customer id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page
from xietong.core.errors import ValidationError

from . import conflicts as conflict_svc
from . import duplicate_rules as rules_svc
from . import duplicates as svc
from .models import DuplicateCluster, DuplicateScan, OwnershipConflict

router = Router(tags=["duplicates"])


# --- the duplicate check -------------------------------------------------------------------------


class HolderOut(Schema):
    business_unit_id: int
    business_unit: str
    owner: str = Field(description='The owner\'s display name, "" while the customer is in a public pool.')
    in_pool: bool
    ref: str = Field(description="Pass it to ask the owner to collaborate or to open an ownership conflict.")


class MatchOut(Schema):
    customer_id: int | None = Field(description="Only when you can see the customer; null otherwise.")
    name: str
    score: int
    reasons: list[str]
    visible: bool
    holders: list[HolderOut]


class CheckOut(Schema):
    exists: bool
    matches: list[MatchOut]


@router.get("/customers/duplicates", response={200: CheckOut, **ERROR_RESPONSES})
def check_duplicates(
    request: HttpRequest, name: str = "", credit_code: str = "", mobile: str = "", email: str = ""
) -> Any:
    """Whether the company exists in the group and who holds it in which business unit. For customers
    you cannot see, only the name, business units, owners' names and whether in a pool."""
    hits = svc.duplicate_check(user=request.user, name=name, credit_code=credit_code, mobile=mobile, email=email)
    return {
        "exists": bool(hits),
        "matches": [
            {
                "customer_id": h.customer_id if h.visible else None,
                "name": h.name,
                "score": h.score,
                "reasons": list(h.reasons),
                "visible": h.visible,
                "holders": [vars(line) for line in h.holders],
            }
            for h in hits
        ],
    }


class AskIn(Schema):
    ref: str = Field("", description="A holder's ref from the duplicate check; or customer_id + business_unit_id.")
    customer_id: int | None = None
    business_unit_id: int | None = None
    message: str


class AskOut(Schema):
    notified: int


@router.post("/customers/duplicates/ask", response={202: AskOut, **ERROR_RESPONSES})
def ask_owner(request: HttpRequest, payload: AskIn) -> Any:
    """Ask the owner of a customer in a business unit to work on it together (they get a notification)."""
    customer, bu = svc.addressable_customer(
        user=request.user, customer_id=payload.customer_id, business_unit_id=payload.business_unit_id, ref=payload.ref
    )
    told = conflict_svc.collaboration_ask(
        actor=request.user, customer=customer, business_unit=bu, message=payload.message
    )
    return Status(202, {"notified": told})


# --- merges --------------------------------------------------------------------------------------


class MergeIn(Schema):
    target_id: int = Field(description="The record that stays.")
    source_ids: list[int] = Field(description="The records merged into it (they become tombstones).")


class MergeOut(Schema):
    id: int
    name: str
    merged_ids: list[int]


def _merge(request: HttpRequest, target: str, payload: MergeIn) -> Any:
    survivor = svc.records_merge(
        actor=request.user, target=target, target_id=payload.target_id, source_ids=payload.source_ids
    )
    return {"id": survivor.pk, "name": str(survivor), "merged_ids": list(dict.fromkeys(payload.source_ids))}


@router.post("/customers/merge", response={200: MergeOut, **ERROR_RESPONSES})
def merge_customers(request: HttpRequest, payload: MergeIn) -> Any:
    """Merge customers into ``target_id``: relationships, contacts, follow-ups, comments, files, tasks,
    follows and shares move; histories stay. You need edit on every customer involved."""
    return _merge(request, "customer", payload)


@router.post("/leads/merge", response={200: MergeOut, **ERROR_RESPONSES})
def merge_leads(request: HttpRequest, payload: MergeIn) -> Any:
    return _merge(request, "lead", payload)


@router.post("/contacts/merge", response={200: MergeOut, **ERROR_RESPONSES})
def merge_contacts(request: HttpRequest, payload: MergeIn) -> Any:
    """Contacts of one customer only."""
    return _merge(request, "contact", payload)


# --- scans and the review queue ------------------------------------------------------------------


class ScanIn(Schema):
    target: str = Field(description="customer, lead or contact")


class ScanOut(Schema):
    id: int
    target: str
    status: str
    total: int
    processed: int
    clusters_found: int
    error: str
    created_at: datetime
    finished_at: datetime | None


class ClusterOut(Schema):
    id: int
    target: str
    status: str
    score: int
    keys: list[str]
    member_ids: list[int] = Field(description="The members you can see that are not merged away.")


def _require_review(request: HttpRequest) -> None:
    from xietong.org.policies import require

    require(request.user, "customers", "administer")


@router.post("/duplicate-scans", response={202: ScanOut, **ERROR_RESPONSES})
def start_scan(request: HttpRequest, payload: ScanIn) -> Any:
    return Status(202, svc.scan_start(actor=request.user, target=payload.target))


@router.get("/duplicate-scans/{scan_id}", response={200: ScanOut, **ERROR_RESPONSES})
def get_scan(request: HttpRequest, scan_id: int) -> Any:
    """A scan's progress (customers "administer": scans are configuration work, not scoped records)."""
    _require_review(request)
    from xietong.core.errors import NotFound

    scan = DuplicateScan.objects.filter(pk=scan_id).first()
    if scan is None:
        raise NotFound()
    return scan


def _with_members(clusters: list[DuplicateCluster], request: HttpRequest) -> list[DuplicateCluster]:
    members = svc.cluster_members(user=request.user, clusters=clusters)
    for c in clusters:
        c.visible_ids = [m.pk for m in members[c.pk]]  # type: ignore[attr-defined]
    return clusters


class _ClusterView(ClusterOut):
    @staticmethod
    def resolve_keys(obj: DuplicateCluster) -> list[str]:
        return [k for k in obj.reason.split(",") if k]

    @staticmethod
    def resolve_member_ids(obj: DuplicateCluster) -> list[int]:
        return list(getattr(obj, "visible_ids", []))


@router.get("/duplicate-clusters", response={200: list[_ClusterView], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",), after=_with_members)
def list_clusters(request: HttpRequest, target: str = "customer", status: str = "open") -> Any:
    """The review queue: clusters of your business units (or the group's, with group rights)."""
    _require_review(request)
    return svc.cluster_queue(user=request.user, target=target, status=status)


@router.post("/duplicate-clusters/{cluster_id}/dismiss", response={200: _ClusterView, **ERROR_RESPONSES})
def dismiss_cluster(request: HttpRequest, cluster_id: int) -> Any:
    cluster = svc.cluster_dismiss(actor=request.user, cluster=svc.cluster_get(user=request.user, pk=cluster_id))
    return _with_members([cluster], request)[0]


# --- duplicate rules -----------------------------------------------------------------------------


class RuleOut(Schema):
    target: str = Field(description="customer, lead or contact")
    key: str = Field(description="credit_code, name, mobile, email or fuzzy_name")
    action: str = Field(description="block, warn (a reason lets it through) or allow")
    is_default: bool = Field(description="No rule is stored: the built-in default applies.")


class RuleIn(Schema):
    target: str = Field(description="customer, lead or contact")
    key: str = Field(description="credit_code, name, mobile, email or fuzzy_name")
    action: str = Field(description="block, warn or allow")


@router.get("/duplicate-rules", response={200: list[RuleOut], **ERROR_RESPONSES})
def list_duplicate_rules(request: HttpRequest) -> Any:
    """Every kind of record × key with the action in force (customers "administer")."""
    _require_review(request)
    return [vars(row) for row in rules_svc.duplicate_rules_table()]


@router.put("/duplicate-rules", response={200: RuleOut, **ERROR_RESPONSES})
def set_duplicate_rule(request: HttpRequest, payload: RuleIn) -> Any:
    """Set what happens when a record matches on a key (customers "administer"; audited)."""
    rule = rules_svc.duplicate_rule_set(
        actor=request.user, target=payload.target, key=payload.key, action=payload.action
    )
    return {"target": rule.target, "key": rule.key, "action": rule.action, "is_default": False}


# --- ownership conflicts -------------------------------------------------------------------------


class ConflictOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    business_unit_id: int
    business_unit: str
    claimant_id: int
    claimant: str
    holder_id: int | None
    holder: str
    statement: str
    status: str
    decision: str
    decision_note: str
    decided_by: str
    decided_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_customer_name(obj: OwnershipConflict) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_business_unit(obj: OwnershipConflict) -> str:
        return obj.business_unit.name

    @staticmethod
    def resolve_claimant(obj: OwnershipConflict) -> str:
        return str(obj.claimant)

    @staticmethod
    def resolve_holder(obj: OwnershipConflict) -> str:
        return str(obj.holder or "")

    @staticmethod
    def resolve_decided_by(obj: OwnershipConflict) -> str:
        return str(obj.decided_by or "")


class ConflictIn(Schema):
    ref: str = Field("", description="A holder's ref from the duplicate check; or customer_id + business_unit_id.")
    customer_id: int | None = None
    business_unit_id: int | None = None
    statement: str
    claimant_id: int | None = Field(None, description="When the owner opens the case: the rep who claims it.")


class DecideIn(Schema):
    decision: str = Field(description="keep, transfer or share")
    note: str = ""


@router.get("/ownership-conflicts", response={200: list[ConflictOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_conflicts(request: HttpRequest, status: str = "", mine: bool = False) -> Any:
    return conflict_svc.conflict_list(user=request.user, status=status, mine=mine)


@router.post("/ownership-conflicts", response={201: ConflictOut, **ERROR_RESPONSES})
def open_conflict(request: HttpRequest, payload: ConflictIn) -> Any:
    """Request a transfer: open a case about a BU's relationship with a customer."""
    customer, bu = svc.addressable_customer(
        user=request.user, customer_id=payload.customer_id, business_unit_id=payload.business_unit_id, ref=payload.ref
    )
    claimant = None
    if payload.claimant_id is not None:
        claimant = get_user_model().objects.filter(pk=payload.claimant_id, is_active=True).first()
        if claimant is None:
            raise ValidationError({"claimant_id": _("No such user.")})
    conflict = conflict_svc.conflict_open(
        actor=request.user, customer=customer, business_unit=bu, statement=payload.statement, claimant=claimant
    )
    return Status(201, conflict)


@router.get("/ownership-conflicts/{conflict_id}", response={200: ConflictOut, **ERROR_RESPONSES})
def get_conflict(request: HttpRequest, conflict_id: int) -> Any:
    return conflict_svc.conflict_list(user=request.user).get_visible(request.user, conflict_id)


@router.post("/ownership-conflicts/{conflict_id}/decide", response={200: ConflictOut, **ERROR_RESPONSES})
def decide_conflict(request: HttpRequest, conflict_id: int, payload: DecideIn) -> Any:
    """Keep, transfer (the claimant becomes the owner) or share (an edit share for the claimant)."""
    conflict = conflict_svc.conflict_list(user=request.user).get_visible(request.user, conflict_id)
    return conflict_svc.conflict_decide(
        actor=request.user, conflict=conflict, decision=payload.decision, note=payload.note
    )
