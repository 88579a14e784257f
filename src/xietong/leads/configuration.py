"""Writes of a business unit's lead configuration — pools, assignment rules, web forms — by those who
administer its leads (leads "administer" over the BU). Audited like every write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.core import audit

from . import policies, selectors
from .choices import AssignmentMethod, TimeoutAction
from .models import AssignmentRule, LeadPool, WebForm

POOL_FIELDS = ("name", "description", "is_default", "is_active", "contact_within_hours", "timeout_action")
RULE_FIELDS = ("name", "priority", "method", "values", "is_active")
WEBFORM_FIELDS = ("name", "source", "campaign", "per_hour_per_ip", "is_active", "thank_you")
NEEDS_VALUES = (AssignmentMethod.REGION, AssignmentMethod.INDUSTRY, AssignmentMethod.PRODUCT_LINE)


def _people_of_bu(people: Iterable[Any], business_unit_id: int, field: str) -> list[Any]:
    people = [p for p in people if p is not None]
    allowed = set(
        selectors.business_unit_people(business_unit_id)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if any(p.pk not in allowed for p in people):
        raise ValidationError({field: _("Choose active people who work in this business unit.")})
    return people


def _same_bu(obj: Any, business_unit_id: int, field: str) -> None:
    if obj is not None and obj.business_unit_id != business_unit_id:
        raise ValidationError({field: _("Choose one of this business unit.")})


def _validated(obj: Any, exclude: list[str]) -> None:
    obj.full_clean(exclude=exclude, validate_constraints=False)


# --- pools ------------------------------------------------------------------------------------


def _set_pool_people(
    pool: LeadPool, *, members: Iterable[Any] | None, member_teams: Iterable[Any] | None, admins: Iterable[Any] | None
) -> None:
    if members is not None:
        pool.members.set(_people_of_bu(members, pool.business_unit_id, "members"))
    if admins is not None:
        pool.admins.set(_people_of_bu(admins, pool.business_unit_id, "admins"))
    if member_teams is not None:
        teams = list(member_teams)
        for team in teams:
            _same_bu(team, pool.business_unit_id, "member_teams")
        pool.member_teams.set(teams)


def _one_default(pool: LeadPool) -> None:
    if pool.is_default:
        LeadPool.objects.filter(business_unit_id=pool.business_unit_id, is_default=True).exclude(pk=pool.pk).update(
            is_default=False
        )


@transaction.atomic
def pool_create(
    *,
    actor: Any,
    business_unit: Any,
    members: Iterable[Any] = (),
    member_teams: Iterable[Any] = (),
    admins: Iterable[Any] = (),
    **fields: Any,
) -> LeadPool:
    policies.require_administer(actor, business_unit.pk)
    pool = LeadPool(business_unit=business_unit, **{k: v for k, v in fields.items() if k in POOL_FIELDS})
    if LeadPool.objects.filter(business_unit=business_unit, name=pool.name).exists():
        raise ValidationError({"name": _("This business unit already has a lead pool of this name.")})
    if pool.timeout_action not in TimeoutAction.values:
        raise ValidationError({"timeout_action": _("Choose what happens when a lead is not contacted in time.")})
    _validated(pool, ["business_unit"])
    pool.save()
    _one_default(pool)
    _set_pool_people(pool, members=members, member_teams=member_teams, admins=admins)
    audit.record_create(actor=actor, obj=pool)
    return pool


@transaction.atomic
def pool_update(
    *,
    actor: Any,
    pool: LeadPool,
    members: Iterable[Any] | None = None,
    member_teams: Iterable[Any] | None = None,
    admins: Iterable[Any] | None = None,
    **fields: Any,
) -> LeadPool:
    policies.require_administer(actor, pool.business_unit_id)
    locked = LeadPool.objects.select_for_update().get(pk=pool.pk)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        if name not in POOL_FIELDS:
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(locked, name, value)
    if LeadPool.objects.filter(business_unit_id=locked.business_unit_id, name=locked.name).exclude(pk=pool.pk).exists():
        raise ValidationError({"name": _("This business unit already has a lead pool of this name.")})
    _validated(locked, ["business_unit"])
    locked.save()
    _one_default(locked)
    _set_pool_people(locked, members=members, member_teams=member_teams, admins=admins)
    audit.record_update(actor=actor, obj=locked, before=before)
    return locked


# --- assignment rules -------------------------------------------------------------------------


def _check_rule(rule: AssignmentRule, assignees: list[Any]) -> None:
    if rule.method not in AssignmentMethod.values:
        raise ValidationError({"method": _("Choose a method.")})
    values = rule.values if isinstance(rule.values, list) else []
    rule.values = [str(v).strip() for v in values if str(v).strip()]
    if rule.method in NEEDS_VALUES and not rule.values:
        raise ValidationError({"values": _("Enter the provinces, industries or product lines this rule matches.")})
    if not assignees and rule.team_id is None and rule.fallback_owner_id is None and rule.fallback_pool_id is None:
        raise ValidationError({"team": _("Choose a team or assignees (or at least a fallback owner or pool).")})
    for name in ("team", "source_pool", "fallback_pool"):
        _same_bu(getattr(rule, name), rule.business_unit_id, name)
    _people_of_bu([rule.fallback_owner], rule.business_unit_id, "fallback_owner")
    _people_of_bu(assignees, rule.business_unit_id, "assignees")


@transaction.atomic
def rule_create(
    *,
    actor: Any,
    business_unit: Any,
    team: Any = None,
    assignees: Iterable[Any] = (),
    source_pool: LeadPool | None = None,
    fallback_owner: Any = None,
    fallback_pool: LeadPool | None = None,
    **fields: Any,
) -> AssignmentRule:
    policies.require_administer(actor, business_unit.pk)
    rule = AssignmentRule(
        business_unit=business_unit,
        team=team,
        source_pool=source_pool,
        fallback_owner=fallback_owner,
        fallback_pool=fallback_pool,
        **{k: v for k, v in fields.items() if k in RULE_FIELDS},
    )
    people = list(assignees)
    _check_rule(rule, people)
    _validated(rule, ["business_unit", "values"])
    rule.save()
    rule.assignees.set(people)
    audit.record_create(actor=actor, obj=rule)
    return rule


@transaction.atomic
def rule_update(
    *, actor: Any, rule: AssignmentRule, assignees: Iterable[Any] | None = None, **fields: Any
) -> AssignmentRule:
    policies.require_administer(actor, rule.business_unit_id)
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        if name not in (*RULE_FIELDS, "team", "source_pool", "fallback_owner", "fallback_pool"):
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(locked, name, value)
    people = list(assignees) if assignees is not None else list(locked.assignees.all())
    _check_rule(locked, people)
    _validated(locked, ["business_unit", "values"])
    locked.save()
    if assignees is not None:
        locked.assignees.set(people)
    audit.record_update(actor=actor, obj=locked, before=before)
    return locked


@transaction.atomic
def rule_delete(*, actor: Any, rule: AssignmentRule) -> None:
    policies.require_administer(actor, rule.business_unit_id)
    from xietong.core.models import AuditEntry

    audit.record(actor=actor, obj=rule, kind=AuditEntry.Kind.DELETE, changes={"name": [rule.name, None]})
    rule.delete()


# --- web forms --------------------------------------------------------------------------------


@transaction.atomic
def webform_create(*, actor: Any, business_unit: Any, pool: LeadPool, **fields: Any) -> WebForm:
    policies.require_administer(actor, business_unit.pk)
    _same_bu(pool, business_unit.pk, "pool")
    form = WebForm(
        business_unit=business_unit,
        pool=pool,
        created_by=actor,
        **{k: v for k, v in fields.items() if k in WEBFORM_FIELDS},
    )
    _validated(form, ["business_unit", "created_by"])
    form.save()
    audit.record_create(actor=actor, obj=form)
    return form


@transaction.atomic
def webform_update(*, actor: Any, form: WebForm, pool: LeadPool | None = None, **fields: Any) -> WebForm:
    policies.require_administer(actor, form.business_unit_id)
    locked = WebForm.objects.select_for_update().get(pk=form.pk)
    before = audit.snapshot(locked, WEBFORM_FIELDS)
    for name, value in fields.items():
        if name not in WEBFORM_FIELDS:
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(locked, name, value)
    if pool is not None:
        _same_bu(pool, locked.business_unit_id, "pool")
        locked.pool = pool
    _validated(locked, ["business_unit", "created_by"])
    locked.save()
    audit.record_update(actor=actor, obj=locked, before=before)
    return locked
