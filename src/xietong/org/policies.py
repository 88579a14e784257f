"""Who may do what in the organisation, and the rule that nobody grants more than they hold."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from xietong.core import modules
from xietong.core.choices import Action, DataScope

from .models import BusinessUnit, Role


class GrantRefused(PermissionDenied):
    """Refused because it would give someone — often the actor — more than the actor holds.
    Services log these in the audit trail (kind "denied") after the rollback."""


def require(actor: Any, module: str, action: str) -> None:
    if not actor.access.can(module, action):
        raise PermissionDenied(
            _("Your roles do not allow “%(action)s” in “%(module)s”.")
            % {
                "action": Action(action).label,
                "module": modules.get(module).label,
            }
        )


def is_org_admin(actor: Any) -> bool:
    """Group-level administration (the group, business units): ``org.administer`` over the whole group."""
    return actor.access.widest_scope("org", "administer") >= DataScope.GROUP


def grant_shortfall(
    actor: Any, permissions: dict[str, tuple[int, set[str]]], business_unit: BusinessUnit | None
) -> list[str]:
    """What in ``permissions`` (module → (scope, actions)) is wider than the actor's own rights.

    A role limited to a BU is checked against what the actor holds in that BU; an unlimited one
    against what the actor holds across the group. Empty list: the grant is within the actor's rights.
    """
    bu_id = business_unit.pk if business_unit else None
    problems: list[str] = []
    for module_code, (scope, actions) in permissions.items():
        label = (
            modules.get(module_code).label if module_code in {m.code for m in modules.all_modules()} else module_code
        )
        for action in sorted(actions):
            held = actor.access.widest_scope(module_code, action, bu_id)
            if held == 0:
                problems.append(
                    _("%(module)s: you do not hold “%(action)s” yourself")
                    % {"module": label, "action": Action(action).label}
                )
            elif modules.get(module_code).scoped and scope > held:
                problems.append(
                    _("%(module)s: the scope “%(scope)s” is wider than your own “%(held)s”")
                    % {
                        "module": label,
                        "scope": DataScope(scope).label,
                        "held": DataScope(held).label,
                    }
                )
    return list(dict.fromkeys(problems))  # one line per problem, however many actions share it


def check_grant(actor: Any, permissions: dict[str, tuple[int, set[str]]], business_unit: BusinessUnit | None) -> None:
    problems = grant_shortfall(actor, {k: v for k, v in permissions.items() if v[1]}, business_unit)
    if problems:
        raise GrantRefused(_("You cannot grant more than you hold: %(problems)s") % {"problems": "; ".join(problems)})


def check_covers(actor: Any, target: Any) -> None:
    """Acting on someone's account (login name, password, activation, teams) is acting with their
    rights: only for whoever holds at least every right the target holds."""
    if target.pk == actor.pk:
        return
    problems: list[str] = []
    for user_role in target.user_roles.select_related("role", "business_unit"):
        permissions = {k: v for k, v in role_permissions(user_role.role).items() if v[1]}
        problems += grant_shortfall(actor, permissions, user_role.business_unit)
    if problems:
        raise GrantRefused(
            _("%(name)s holds rights you do not hold: %(problems)s")
            % {"name": target, "problems": "; ".join(dict.fromkeys(problems))}
        )


def check_not_widening_oneself(actor: Any, *, target: Any = None, managers: list[Any] | None = None) -> None:
    """Joining a team or becoming its manager widens what one sees: only group administrators may
    do that to themselves."""
    if is_org_admin(actor):
        return
    if (target is not None and target.pk == actor.pk) or any(m.pk == actor.pk for m in managers or []):
        raise GrantRefused(_("You cannot change your own teams or make yourself a manager; ask an administrator."))


def role_permissions(role: Role) -> dict[str, tuple[int, set[str]]]:
    """What the role grants: module → (scope, actions), modules with nothing granted left out."""
    return {p.module: (p.scope, p.actions()) for p in role.permissions.all() if p.actions()}
