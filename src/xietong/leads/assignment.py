"""Lead assignment rules (分配规则): who gets a new lead.

A business unit's active rules are evaluated in priority order (lowest number first, then id). A
rule limited to a pool (``source_pool``) only sees leads of that pool. Each rule first asks whether
the lead matches it:

- ``round_robin`` and ``least_loaded`` match every lead;
- ``region`` matches the lead's province or city against ``values`` (省/市/自治区 suffixes ignored);
- ``industry`` matches the lead's industry exactly (case and spaces ignored);
- ``product_line`` matches when one of ``values`` occurs in the lead's product interest.

A matching rule then picks among its people — its ``assignees`` if it names any, else the active
members of ``team`` and its sub-teams: ``least_loaded`` the one with the fewest open leads (ties:
the lowest id), every other method the next person after the rule's round-robin cursor. The cursor
is read and moved under a row lock, so concurrent captures never pick the same person twice in a
row. A matching rule that finds nobody falls back to ``fallback_owner``, else ``fallback_pool``,
else the next rule. When no rule decides, the lead stays in its pool (or goes to the BU's default
pool).

``assign_new(lead)`` is the capture hook (the form, the API, web forms and imports call it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.visibility import members_of

from . import selectors
from .choices import OPEN_STATUSES, AssignmentMethod
from .models import AssignmentRule, Lead, LeadPool

_REGION_SUFFIX = re.compile(r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|省|市|地区|盟)$")


def region_key(value: str) -> str:
    """``浙江省`` and ``浙江`` alike; ``内蒙古自治区`` → ``内蒙古``."""
    text = (value or "").strip()
    stripped = _REGION_SUFFIX.sub("", text)
    return stripped if len(stripped) >= 2 else text


def _plain(value: str) -> str:
    return re.sub(r"\s+", "", value or "").lower()


def matches(rule: AssignmentRule, lead: Lead) -> bool:
    values = [str(v) for v in (rule.values or []) if str(v).strip()]
    if rule.method in (AssignmentMethod.ROUND_ROBIN, AssignmentMethod.LEAST_LOADED):
        return True
    if rule.method == AssignmentMethod.REGION:
        wanted = {region_key(v) for v in values}
        return bool({region_key(lead.province), region_key(lead.city)} & wanted - {""})
    if rule.method == AssignmentMethod.INDUSTRY:
        return bool(lead.industry) and _plain(lead.industry) in {_plain(v) for v in values}
    if rule.method == AssignmentMethod.PRODUCT_LINE:
        interest = _plain(lead.product_interest)
        return bool(interest) and any(_plain(v) in interest for v in values)
    return False


def candidates(rule: AssignmentRule, *, exclude: Iterable[int] = ()) -> list[Any]:
    """The rule's active people, by id: its assignees, else the members of its team tree."""
    people = get_user_model()._default_manager.filter(is_active=True)
    named = list(rule.assignees.all().values_list("pk", flat=True))
    if named:
        people = people.filter(pk__in=named)
    elif rule.team_id is not None:
        team = rule.team
        assert team is not None
        if not team.is_active:
            return []
        people = people.filter(pk__in=members_of(paths=[team.path]))
    else:
        return []
    return list(people.exclude(pk__in=list(exclude)).order_by("pk"))


def open_load(user_ids: Iterable[int]) -> dict[int, int]:
    """How many open leads each of ``user_ids`` owns (one query)."""
    rows = (
        Lead.objects.filter(owner_id__in=list(user_ids), status__in=OPEN_STATUSES, merged_into__isnull=True)
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def _round_robin(rule: AssignmentRule, people: list[Any]) -> Any:
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    after = locked.last_assigned_user_id or 0
    chosen = next((p for p in people if p.pk > after), people[0])
    AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned_user=chosen)
    rule.last_assigned_user = chosen
    return chosen


def pick(rule: AssignmentRule, *, exclude: Iterable[int] = ()) -> Any:
    people = candidates(rule, exclude=exclude)
    if not people:
        return None
    if rule.method == AssignmentMethod.LEAST_LOADED:
        load = open_load(p.pk for p in people)
        return min(people, key=lambda p: (load.get(p.pk, 0), p.pk))
    return _round_robin(rule, people)


@dataclass(frozen=True)
class Decision:
    """What the rules decided: an owner or a pool, and the rule that decided."""

    rule: AssignmentRule
    owner: Any = None
    pool: LeadPool | None = None


def decide(lead: Lead, *, exclude: Iterable[int] = ()) -> Decision | None:
    """The first rule that places ``lead`` (see the module docstring); None when no rule does.
    ``exclude``: people who must not get it (the owner it is taken from on a timeout)."""
    excluded = set(exclude)
    rules = (
        AssignmentRule.objects.filter(business_unit_id=lead.business_unit_id, is_active=True)
        .filter(Q(source_pool__isnull=True) | Q(source_pool_id=lead.pool_id))
        .select_related("team", "fallback_owner", "fallback_pool")
        .order_by("priority", "id")
    )
    for rule in rules:
        if not matches(rule, lead):
            continue
        owner = pick(rule, exclude=excluded)
        if owner is not None:
            return Decision(rule=rule, owner=owner)
        fallback = rule.fallback_owner
        if fallback is not None and fallback.is_active and fallback.pk not in excluded:
            return Decision(rule=rule, owner=fallback)
        if rule.fallback_pool is not None and rule.fallback_pool.is_active:
            return Decision(rule=rule, pool=rule.fallback_pool)
    return None


def apply(lead: Lead, decision: Decision) -> None:
    """Put the decision on the (saved or unsaved) lead; the pool a lead came from stays as its origin."""
    if decision.owner is not None:
        lead.owner = decision.owner
        lead.assigned_at = timezone.now()
    else:
        lead.owner = None
        lead.pool = decision.pool
        lead.assigned_at = None
    lead.assigned_by_rule = decision.rule
    lead.timeout_reminded_at = None


ASSIGN_FIELDS = ["owner", "pool", "assigned_at", "assigned_by_rule", "timeout_reminded_at", "updated_at"]


def place_unassigned(lead: Lead) -> None:
    """A lead with neither owner nor pool goes to its BU's default pool (an error if it has none)."""
    if lead.owner_id is None and lead.pool_id is None:
        pool = selectors.default_pool(lead.business_unit_id)
        if pool is None:
            raise ValidationError(
                {"pool": _("The business unit has no active lead pool: create one, or choose an owner.")}
            )
        lead.pool = pool


@transaction.atomic
def assign_new(lead: Lead, *, save: bool = True) -> Lead:
    """Apply the rules to a captured lead. An unsaved lead only gets its fields set (imports then
    save it in bulk); a saved one is saved, audited and its new owner notified."""
    decision = decide(lead)
    if decision is not None:
        before = audit.snapshot(lead) if lead.pk else None
        apply(lead, decision)
        if save and lead.pk:
            lead.save(update_fields=ASSIGN_FIELDS)
            assert before is not None
            audit.record_update(actor=None, obj=lead, before=before, verb="assigned_by_rule")
            if lead.owner_id:
                from .services import notify_assigned

                notify_assigned(lead, actor=None)
    place_unassigned(lead)  # a saved lead always has one (a database constraint)
    return lead
