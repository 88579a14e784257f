"""Every write to the organisation. Keyword-only, atomic, audited, visibility re-checked.

Views and API endpoints call these and nothing else to change the organisation.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xietong.core import audit, events, modules
from xietong.core.choices import Action, DataScope
from xietong.core.errors import Conflict, NotFound
from xietong.core.models import AuditEntry
from xietong.core.visibility import ensure_still_visible

from . import policies
from .models import (
    ACTION_FIELDS,
    AccessToken,
    BusinessUnit,
    Group,
    Role,
    RolePermission,
    Team,
    TeamMembership,
    User,
    UserRole,
)

log = logging.getLogger("xietong.security")

UNSET: Any = object()


def _clean(obj: Any, *, exclude: list[str] | None = None) -> None:
    """Model validation (lengths, choices, uniqueness) with field-level messages."""
    obj.full_clean(exclude=exclude)


def _save_new(obj: Any, *, exclude: list[str] | None = None) -> None:
    """Insert a validated row. Two requests racing for the same unique value: the loser gets the
    field error (validation now sees the winner's row), not a server error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        _clean(obj, exclude=exclude)
        raise


def _tell(name: str, entry: AuditEntry, *, user: User, actor: User, suffix: str = "", **params: Any) -> None:
    """Publish an org event about ``user`` (after commit). The audit entry of the change names the
    occurrence, so whoever reacts (notifications) can do so exactly once."""
    events.publish(
        name,
        key=f"audit:{entry.pk}{suffix}",
        user_id=user.pk,
        actor_id=actor.pk,
        params={"actor": str(actor), **params},
    )


def _apply(obj: Any, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is not UNSET:
            setattr(obj, name, value)


def _refuse(*, actor: Any, obj: Any, verb: str, message: str) -> None:
    """Log a refused attempt to widen rights, in its own transaction so the refusal survives."""
    log.warning("refused %s by %s on %s: %s", verb, getattr(actor, "username", "?"), obj, message)
    with transaction.atomic():
        audit.record(actor=actor, obj=obj, kind=AuditEntry.Kind.DENIED, verb=verb, changes={"reason": [None, message]})


def _audited_refusal(func: Any) -> Any:
    """Services that could widen someone's rights log a refusal (``GrantRefused``) in the audit trail
    after the rollback."""

    def wrapper(*, actor: User, **kwargs: Any) -> Any:
        try:
            return func(actor=actor, **kwargs)
        except policies.GrantRefused as exc:
            target = kwargs.get("user") or kwargs.get("user_role") or kwargs.get("role") or kwargs.get("team") or actor
            if isinstance(target, UserRole):
                target = target.user
            _refuse(actor=actor, obj=target, verb=func.__name__, message=str(exc))
            raise

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# --- Group and business units -------------------------------------------------------------


def group_get() -> Group:
    group = Group.objects.order_by("pk").first()
    if group is None:
        group = Group.objects.create(name=_("Our group"))
    return group


@transaction.atomic
def group_update(*, actor: User, name: str = UNSET, short_name: str = UNSET, credit_code: str = UNSET) -> Group:
    if not policies.is_org_admin(actor):
        raise PermissionDenied(_("Only group administrators can change the group."))
    group = Group.objects.select_for_update().get(pk=group_get().pk)
    before = audit.snapshot(group, ["name", "short_name", "credit_code"])
    if isinstance(credit_code, str):
        credit_code = credit_code.strip().upper()
    _apply(group, {"name": name, "short_name": short_name, "credit_code": credit_code})
    _clean(group)
    group.save()
    audit.record_update(actor=actor, obj=group, before=before)
    return group


@transaction.atomic
def business_unit_create(
    *, actor: User, code: str, name: str, description: str = "", product_lines: str = ""
) -> BusinessUnit:
    if not policies.is_org_admin(actor):
        raise PermissionDenied(_("Only group administrators can create business units."))
    bu = BusinessUnit(code=code.strip(), name=name.strip(), description=description, product_lines=product_lines)
    _clean(bu)
    _save_new(bu)
    audit.record_create(actor=actor, obj=bu)
    return bu


@transaction.atomic
def business_unit_update(
    *,
    actor: User,
    business_unit: BusinessUnit,
    code: str = UNSET,
    name: str = UNSET,
    description: str = UNSET,
    product_lines: str = UNSET,
    is_active: bool = UNSET,
) -> BusinessUnit:
    bu = BusinessUnit.objects.lock_visible(actor, business_unit.pk)
    policies.require(actor, "org", "administer")
    if actor.access.widest_scope("org", "administer", bu.pk) < DataScope.BUSINESS_UNIT:
        raise PermissionDenied(_("Administering a business unit needs business-unit scope over it."))
    before = audit.snapshot(bu)
    _apply(
        bu,
        {
            "code": code,
            "name": name,
            "description": description,
            "product_lines": product_lines,
            "is_active": is_active,
        },
    )
    _clean(bu)
    bu.save()
    audit.record_update(actor=actor, obj=bu, before=before)
    return bu


# --- Teams ----------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *, actor: User, business_unit: BusinessUnit, name: str, team_type: str, parent: Team | None = None
) -> Team:
    policies.require(actor, "org", "create")
    if not BusinessUnit.objects.visible_to(actor).filter(pk=business_unit.pk).exists():
        raise NotFound()
    if parent is not None:
        parent = Team.objects.lock_visible(actor, parent.pk, "create")
        if parent.business_unit_id != business_unit.pk:
            raise ValidationError({"parent": _("The parent team belongs to another business unit.")})
    elif actor.access.widest_scope("org", "create", business_unit.pk) < DataScope.BUSINESS_UNIT:
        raise PermissionDenied(_("Creating a top-level team needs business-unit scope."))
    team = Team(business_unit=business_unit, parent=parent, name=name.strip(), team_type=team_type)
    _check_unique_name(team)
    _clean(team, exclude=["path"])
    team.save()
    team.compute_path()
    team.save(update_fields=["path", "depth"])
    audit.record_create(actor=actor, obj=team)
    ensure_still_visible(team, actor, "view")
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str = UNSET, team_type: str = UNSET, is_active: bool = UNSET) -> Team:
    policies.require(actor, "org", "edit")
    team = Team.objects.lock_visible(actor, team.pk)
    before = audit.snapshot(team)
    if is_active is False and (
        Team.objects.filter(parent=team, is_active=True).exists()
        or User.objects.filter(primary_team=team, is_active=True).exists()
    ):
        raise Conflict(
            _("Move the active sub-teams and users out of this team before deactivating it."), field="is_active"
        )
    _apply(
        team, {"name": name.strip() if isinstance(name, str) else name, "team_type": team_type, "is_active": is_active}
    )
    _check_unique_name(team)
    _clean(team, exclude=["path"])
    team.save()
    audit.record_update(actor=actor, obj=team, before=before)
    return team


@transaction.atomic
def team_move(*, actor: User, team: Team, parent: Team | None) -> Team:
    """Move a team (with its subtree) under another parent in the same BU, or to the top."""
    policies.require(actor, "org", "edit")
    if parent is not None and parent.pk < team.pk:  # row locks in pk order: opposite moves cannot deadlock
        parent = Team.objects.lock_visible(actor, parent.pk)
    team = Team.objects.lock_visible(actor, team.pk)
    before = audit.snapshot(team)
    if parent is not None:
        if parent.pk > team.pk:
            parent = Team.objects.lock_visible(actor, parent.pk)
        if parent.business_unit_id != team.business_unit_id:
            raise ValidationError({"parent": _("A team can only move inside its business unit.")})
        if parent.path.startswith(team.path):
            raise ValidationError({"parent": _("A team cannot move under itself or one of its sub-teams.")})
    elif actor.access.widest_scope("org", "edit", team.business_unit_id) < DataScope.BUSINESS_UNIT:
        raise PermissionDenied(_("Moving a team to the top level needs business-unit scope."))
    old_path = team.path
    subtree = list(
        Team.objects.filter(path__startswith=old_path).exclude(pk=team.pk).select_for_update().order_by("pk")
    )
    team.parent = parent
    _check_unique_name(team)
    team.compute_path()
    team.save(update_fields=["parent", "path", "depth", "updated_at"])
    for sub in subtree:
        sub.path = team.path + sub.path[len(old_path) :]
        sub.depth = Team.depth_of(sub.path)
        sub.save(update_fields=["path", "depth"])
    audit.record_update(actor=actor, obj=team, before=before, verb="move")
    ensure_still_visible(team, actor, "view")
    return team


@_audited_refusal
@transaction.atomic
def team_set_managers(*, actor: User, team: Team, managers: list[User]) -> Team:
    """Set the managers among the users the actor may edit; managers the actor cannot see stay."""
    policies.require(actor, "org", "edit")
    team = Team.objects.lock_visible(actor, team.pk)
    editable = User.objects.visible_to(actor, "edit")
    editable_ids = set(editable.filter(pk__in=[m.pk for m in managers]).values_list("pk", flat=True))
    missing = [m for m in managers if m.pk not in editable_ids]
    if missing:
        raise ValidationError({"managers": _("Unknown user: %(name)s") % {"name": missing[0]}})
    current = set(team.memberships.filter(is_manager=True).values_list("user_id", flat=True))
    policies.check_not_widening_oneself(actor, managers=[m for m in managers if m.pk not in current])
    for manager in managers:
        if manager.pk not in current:
            policies.check_covers(actor, manager)
    old = sorted(str(m.user) for m in team.memberships.filter(is_manager=True).select_related("user"))
    wanted = {m.pk for m in managers}
    team.memberships.exclude(user_id__in=wanted).filter(is_manager=True, user__in=editable).update(is_manager=False)
    for user_id in sorted(wanted):
        membership, created = TeamMembership.objects.get_or_create(
            team=team, user_id=user_id, defaults={"is_manager": True}
        )
        if not created and not membership.is_manager:
            membership.is_manager = True
            membership.save(update_fields=["is_manager"])
    new = sorted(str(m.user) for m in team.memberships.filter(is_manager=True).select_related("user"))
    if old != new:
        entry = audit.record(
            actor=actor,
            obj=team,
            kind=AuditEntry.Kind.UPDATE,
            verb="managers",
            changes={"managers": ["、".join(old), "、".join(new)]},
        )
        for manager in managers:
            if manager.pk not in current:
                _tell("org.made_manager", entry, user=manager, actor=actor, team=team.name, suffix=f":{manager.pk}")
    return team


# --- Users ----------------------------------------------------------------------------------


def _check_unique_name(team: Team) -> None:
    """Sibling teams have different names (top-level teams within their BU): a field error, not a crash."""
    siblings = Team.objects.filter(business_unit_id=team.business_unit_id, parent_id=team.parent_id, name=team.name)
    if siblings.exclude(pk=team.pk).exists():
        raise ValidationError({"name": _("A team with this name already exists at this place in the tree.")})


def _check_team_for_user(actor: User, team: Team | None, action: str) -> Team | None:
    if team is None:
        return None
    visible = Team.objects.visible_to(actor, action).filter(pk=team.pk, is_active=True).first()
    if visible is None:
        raise ValidationError({"primary_team": _("Unknown team.")})
    return visible


def _set_primary_membership(user: User, team: Team | None, old_team_id: int | None) -> None:
    if old_team_id and old_team_id != (team.pk if team else None):
        TeamMembership.objects.filter(user=user, team_id=old_team_id, is_manager=False).delete()
    if team is not None:
        TeamMembership.objects.get_or_create(user=user, team=team)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    display_name: str,
    primary_team: Team | None,
    password: str | None = None,
    email: str = "",
    mobile: str = "",
    title: str = "",
    language: str = "zh-hans",
) -> tuple[User, str]:
    """Create a user; returns the user and the initial password (generated when none is given)."""
    policies.require(actor, "org", "create")
    team = _check_team_for_user(actor, primary_team, "create")
    if team is None and actor.access.widest_scope("org", "create") < DataScope.GROUP:
        raise ValidationError({"primary_team": _("Choose the user's team.")})
    user = User(
        username=username.strip(),
        display_name=display_name.strip(),
        email=email.strip(),
        mobile=mobile.strip(),
        title=title.strip(),
        primary_team=team,
        business_unit_id=team.business_unit_id if team else None,
        language=language,
    )
    initial = password or secrets.token_urlsafe(9)
    try:
        validate_password(initial, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(initial)
    _clean(user, exclude=["password"])
    _save_new(user, exclude=["password"])
    _set_primary_membership(user, team, None)
    audit.record_create(actor=actor, obj=user)
    ensure_still_visible(user, actor, "view")
    return user, initial


@_audited_refusal
@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    display_name: str = UNSET,
    email: str = UNSET,
    mobile: str = UNSET,
    title: str = UNSET,
    language: str = UNSET,
    username: str = UNSET,
    email_notifications: str = UNSET,
) -> User:
    if email_notifications is not UNSET and actor.pk != user.pk:
        raise PermissionDenied(_("Only the user chooses which e-mails they get."))
    if actor.pk == user.pk and username is UNSET:
        target = User.objects.select_for_update().get(pk=actor.pk)  # everyone edits their own profile
    else:
        policies.require(actor, "org", "edit")
        target = User.objects.lock_visible(actor, user.pk)
        policies.check_covers(actor, target)  # a new login name or email is a way into the account
    before = audit.snapshot(target)
    _apply(
        target,
        {
            "display_name": display_name,
            "email": email,
            "mobile": mobile,
            "title": title,
            "language": language,
            "username": username,
            "email_notifications": email_notifications,
        },
    )
    _clean(target, exclude=["password"])
    target.save()
    audit.record_update(actor=actor, obj=target, before=before)
    return target


@_audited_refusal
@transaction.atomic
def user_move(*, actor: User, user: User, team: Team) -> User:
    """Move a user to another primary team: what their managers see changes at once."""
    policies.require(actor, "org", "edit")
    target = User.objects.lock_visible(actor, user.pk)
    policies.check_not_widening_oneself(actor, target=target)
    policies.check_covers(actor, target)
    new_team = _check_team_for_user(actor, team, "edit")
    assert new_team is not None
    before = audit.snapshot(target)
    old_team_id = target.primary_team_id
    target.primary_team = new_team
    target.business_unit_id = new_team.business_unit_id
    target.save(update_fields=["primary_team", "business_unit"])
    _set_primary_membership(target, new_team, old_team_id)
    entry = audit.record_update(actor=actor, obj=target, before=before, verb="move")
    if entry is not None:
        _tell("org.user_moved", entry, user=target, actor=actor, team=new_team.name)
    ensure_still_visible(target, actor, "view")
    return target


@_audited_refusal
@transaction.atomic
def user_set_teams(*, actor: User, user: User, teams: list[Team]) -> User:
    """The teams a user is a member of besides the primary team, among the teams the actor may edit
    (memberships in teams the actor cannot see stay as they are)."""
    policies.require(actor, "org", "edit")
    target = User.objects.lock_visible(actor, user.pk)
    policies.check_not_widening_oneself(actor, target=target)
    policies.check_covers(actor, target)
    wanted = {t.pk for t in teams} | ({target.primary_team_id} if target.primary_team_id else set())
    visible = set(Team.objects.visible_to(actor, "edit").filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - visible - {target.primary_team_id}:
        raise ValidationError({"teams": _("Unknown team.")})
    old = sorted(str(m.team) for m in target.memberships.select_related("team"))
    editable_teams = Team.objects.visible_to(actor, "edit")
    target.memberships.exclude(team_id__in=wanted).filter(is_manager=False, team__in=editable_teams).delete()
    for team_id in sorted(wanted):
        TeamMembership.objects.get_or_create(user=target, team_id=team_id)
    new = sorted(str(m.team) for m in target.memberships.select_related("team"))
    if old != new:
        audit.record(
            actor=actor,
            obj=target,
            kind=AuditEntry.Kind.UPDATE,
            verb="teams",
            changes={"teams": ["、".join(old), "、".join(new)]},
        )
    return target


@_audited_refusal
@transaction.atomic
def user_set_active(*, actor: User, user: User, is_active: bool) -> User:
    """Deactivate (or reactivate) a user. Deactivated users keep owning their records."""
    policies.require(actor, "org", "delete" if not is_active else "edit")
    target = User.objects.lock_visible(actor, user.pk, "delete" if not is_active else "edit")
    if target.pk == actor.pk and not is_active:
        raise Conflict(_("You cannot deactivate yourself."), field="is_active")
    policies.check_covers(actor, target)
    before = audit.snapshot(target)
    target.is_active = is_active
    target.save(update_fields=["is_active"])
    audit.record_update(actor=actor, obj=target, before=before, verb="activate" if is_active else "deactivate")
    return target


@_audited_refusal
@transaction.atomic
def user_reset_password(*, actor: User, user: User, password: str | None = None) -> str:
    """Set a new password (generated when none is given) and return it to show once. The user's
    access tokens are revoked: whoever lost the password may have lost them too."""
    policies.require(actor, "org", "edit")
    target = User.objects.lock_visible(actor, user.pk)
    policies.check_covers(actor, target)
    new = password or secrets.token_urlsafe(9)
    try:
        validate_password(new, target)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    target.set_password(new)
    target.save(update_fields=["password"])
    if target.pk != actor.pk:
        AccessToken.objects.filter(user=target, revoked_at__isnull=True).update(revoked_at=timezone.now())
    entry = audit.record(actor=actor, obj=target, kind=AuditEntry.Kind.ACTION, verb="reset_password")
    if target.pk != actor.pk:
        _tell("org.password_reset", entry, user=target, actor=actor)
    return new


@transaction.atomic
def user_change_own_password(*, actor: User, password: str) -> None:
    """The signed-in user's own new password (the form has checked the old one)."""
    try:
        validate_password(password, actor)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    target = User.objects.select_for_update().get(pk=actor.pk)
    target.set_password(password)
    target.save(update_fields=["password"])
    actor.password = target.password  # the session hash follows the caller's instance
    audit.record(actor=actor, obj=target, kind=AuditEntry.Kind.ACTION, verb="change_password")


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    if language not in {code for code, _label in settings.LANGUAGES}:
        raise ValidationError({"language": _("Unknown language.")})
    return user_update(actor=actor, user=actor, language=language)


# --- Roles ----------------------------------------------------------------------------------

PermissionSpec = dict[str, tuple[int, set[str]]]


def _validate_permissions(permissions: PermissionSpec) -> None:
    known = {m.code: m for m in modules.all_modules()}
    errors: dict[str, list[str]] = {}
    for code, (scope, actions) in permissions.items():
        if code not in known:
            errors.setdefault("permissions", []).append(_("Unknown module: %(module)s") % {"module": code})
            continue
        if scope not in DataScope.values:
            errors.setdefault("permissions", []).append(
                _("%(module)s: unknown data scope") % {"module": known[code].label}
            )
        extra = set(actions) - set(known[code].actions)
        if extra:
            errors.setdefault("permissions", []).append(
                _("%(module)s: actions not available: %(actions)s")
                % {"module": known[code].label, "actions": ", ".join(sorted(extra))}
            )
    if errors:
        raise ValidationError(errors)


def _write_permissions(role: Role, permissions: PermissionSpec) -> None:
    """Every registered module keeps a row, all actions off where nothing is granted: a permission
    removed from a built-in role stays removed (``ensure_default_roles`` only fills modules with no row)."""
    known = [m.code for m in modules.all_modules()]
    role.permissions.exclude(module__in=known).delete()
    for code in known:
        scope, actions = permissions.get(code, (DataScope.SELF, set()))
        values = {f"can_{a}": a in actions for a in ACTION_FIELDS}
        RolePermission.objects.update_or_create(role=role, module=code, defaults={"scope": scope, **values})


def describe_permissions(permissions: PermissionSpec) -> dict[str, str]:
    """How a role's permissions read in the audit trail (in the installation's language, as snapshots)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            code: _("%(scope)s: %(actions)s")
            % {
                "scope": DataScope(scope).label,
                "actions": pgettext("list separator", ", ").join(
                    str(Action(a).label) for a in ACTION_FIELDS if a in actions
                ),
            }
            for code, (scope, actions) in sorted(permissions.items())
            if actions
        }


@_audited_refusal
@transaction.atomic
def role_create(*, actor: User, code: str, name: str, description: str = "", permissions: PermissionSpec) -> Role:
    policies.require(actor, "roles", "create")
    _validate_permissions(permissions)
    role = Role(code=code.strip(), name=name.strip(), description=description)
    _clean(role)
    policies.check_grant(actor, permissions, None)
    role.save()
    _write_permissions(role, permissions)
    audit.record(
        actor=actor,
        obj=role,
        kind=AuditEntry.Kind.CREATE,
        changes={"name": [None, role.name], **{k: [None, v] for k, v in describe_permissions(permissions).items()}},
    )
    return role


@_audited_refusal
@transaction.atomic
def role_update(
    *, actor: User, role: Role, name: str = UNSET, description: str = UNSET, permissions: PermissionSpec | None = None
) -> Role:
    policies.require(actor, "roles", "edit")
    locked = Role.objects.select_for_update().filter(pk=role.pk).first()  # roles are visible to role editors
    if locked is None:
        raise NotFound()
    role = locked
    before = audit.snapshot(role)
    before_perms = describe_permissions(policies.role_permissions(role))
    _apply(role, {"name": name, "description": description})
    _clean(role)
    if permissions is not None:
        _validate_permissions(permissions)
        # Editing a role changes what everyone holding it may do: the editor must hold all of it.
        policies.check_grant(actor, permissions, None)
        _write_permissions(role, permissions)
    role.save()
    changes = audit.diff(before, audit.snapshot(role))
    if permissions is not None:
        changes.update(audit.diff(before_perms, describe_permissions(permissions)))
    if changes:
        audit.record(actor=actor, obj=role, kind=AuditEntry.Kind.UPDATE, changes=changes)
    return role


@transaction.atomic
def role_delete(*, actor: User, role: Role) -> None:
    policies.require(actor, "roles", "delete")
    locked = Role.objects.select_for_update().filter(pk=role.pk).first()
    if locked is None:
        raise NotFound()
    role = locked
    if role.user_roles.exists():
        raise Conflict(_("The role is still held by users; revoke it first."))
    if role.is_system:
        raise Conflict(_("Built-in roles cannot be deleted."))
    audit.record(actor=actor, obj=role, kind=AuditEntry.Kind.DELETE, changes={"name": [role.name, None]})
    role.delete()


@_audited_refusal
@transaction.atomic
def role_assign(*, actor: User, user: User, role: Role, business_unit: BusinessUnit | None = None) -> UserRole:
    """Give ``user`` the role (optionally limited to one BU): never more than the actor holds."""
    policies.require(actor, "roles", "administer")
    target = User.objects.lock_visible(actor, user.pk, "view")
    if business_unit is not None and not BusinessUnit.objects.visible_to(actor).filter(pk=business_unit.pk).exists():
        raise ValidationError({"business_unit": _("Unknown business unit.")})
    found = Role.objects.filter(pk=role.pk).first()
    if found is None:
        raise ValidationError({"role": _("Unknown role.")})
    role = found
    policies.check_grant(actor, policies.role_permissions(role), business_unit)
    try:
        with transaction.atomic():  # a concurrent identical assignment loses on the unique constraint
            user_role, created = UserRole.objects.get_or_create(user=target, role=role, business_unit=business_unit)
    except IntegrityError:
        created = False
    if not created:
        raise Conflict(_("The user already holds this role."), field="role")
    label = f"{role.name}" + (f" · {business_unit.name}" if business_unit else "")
    entry = audit.record(
        actor=actor, obj=target, kind=AuditEntry.Kind.UPDATE, verb="role_assign", changes={"roles": [None, label]}
    )
    _tell(
        "org.role_assigned",
        entry,
        user=target,
        actor=actor,
        role=role.name,
        business_unit=business_unit.name if business_unit else "",
    )
    return user_role


@_audited_refusal
@transaction.atomic
def role_revoke(*, actor: User, user_role: UserRole) -> None:
    policies.require(actor, "roles", "administer")
    found_grant = UserRole.objects.select_related("role", "business_unit", "user").filter(pk=user_role.pk).first()
    if found_grant is None:
        raise NotFound()
    user_role = found_grant
    target = User.objects.lock_visible(actor, user_role.user_id, "view")
    # Taking a role away is also limited: you may only revoke what you could have granted.
    policies.check_grant(actor, policies.role_permissions(user_role.role), user_role.business_unit)
    label = user_role.role.name + (f" · {user_role.business_unit.name}" if user_role.business_unit else "")
    role_name, bu_name = user_role.role.name, user_role.business_unit.name if user_role.business_unit else ""
    user_role.delete()
    entry = audit.record(
        actor=actor, obj=target, kind=AuditEntry.Kind.UPDATE, verb="role_revoke", changes={"roles": [label, None]}
    )
    _tell("org.role_revoked", entry, user=target, actor=actor, role=role_name, business_unit=bu_name)


# --- Personal access tokens -----------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User, name: str, expires_at: datetime | None = None) -> tuple[AccessToken, str]:
    """Create a token for the actor; the raw token is returned once and never stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    raw = "xt_" + secrets.token_urlsafe(32)
    token = AccessToken(
        user=actor, name=name.strip(), prefix=raw[:10], token_hash=token_hash(raw), expires_at=expires_at
    )
    _clean(token)
    token.save()
    audit.record(
        actor=actor, obj=actor, kind=AuditEntry.Kind.ACTION, verb="token_create", changes={"token": [None, str(token)]}
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> AccessToken:
    token = AccessToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            obj=actor,
            kind=AuditEntry.Kind.ACTION,
            verb="token_revoke",
            changes={"token": [str(token), None]},
        )
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None. Touches ``last_used_at`` at most once a minute."""
    if not raw.startswith("xt_"):
        return None
    token = AccessToken.objects.usable().select_related("user").filter(token_hash=token_hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
