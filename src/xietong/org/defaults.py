"""The built-in roles every installation starts with, and the permissions they hold by default.

The defaults are data: ``BUILTIN_ROLES`` names the roles, ``DEFAULT_PERMISSIONS`` says, per role
and module, the data scope and the actions. An app that registers a module adds its rows from
its own ``modules.py``::

    from xietong.org.defaults import add_module_defaults

    add_module_defaults("leads", {
        "sales_manager": (DataScope.TEAM_TREE, {"view", "create", "edit", "export"}),
        "sales_rep": (DataScope.SELF, {"view", "create", "edit"}),
    })

so this app never imports a higher one. The ``admin`` role needs no rows: it holds every action
of every registered module over the whole group, whatever is installed.

``ensure_default_roles`` writes the table into the database. It runs after every ``migrate``
(``post_migrate``, as Django creates its own permissions), on every start (through ``demo_data``)
and in ``create_admin``, so it must be cheap when nothing is missing (two queries) and must
respect what administrators did since:

- a missing built-in role is created with all its default rows;
- a built-in role that exists gets the rows of modules it has no row for yet (an app installed
  later), and nothing else: rows an administrator edited, narrowed or emptied stay as they are,
  and so do the role's name and description;
- every role created or extended is one entry in the audit trail (actor: none, the system).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from xietong.core import audit, modules
from xietong.core.choices import DataScope
from xietong.core.models import AuditEntry

from .models import ACTION_FIELDS, Role, RolePermission

ADMIN = "admin"

ModuleDefault = tuple[int, frozenset[str]]


@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name: str
    description: str


BUILTIN_ROLES: dict[str, BuiltinRole] = {
    role.code: role
    for role in (
        BuiltinRole(ADMIN, "系统管理员", "集团范围的全部权限：组织、角色、审计及所有业务模块。"),
        BuiltinRole("bu_head", "事业部总经理", "管理本事业部的组织与人员，可分配不超过自身权限的角色。"),
        BuiltinRole("sales_manager", "销售经理", "查看本团队及下级团队的人员与业务数据。"),
        BuiltinRole("sales_rep", "销售代表", "查看本团队的人员，负责自己的客户与商机。"),
        BuiltinRole("presales", "售前工程师", "为销售提供方案与技术支持。"),
        BuiltinRole("supply_planner", "供应计划员", "根据需求预测制定采购与供应计划。"),
        BuiltinRole("production_planner", "生产计划员", "根据共识计划安排生产。"),
        BuiltinRole("operations", "运营专员", "跟进订单交付与发货。"),
        BuiltinRole("finance", "财务", "管理回款、开票与应收。"),
        BuiltinRole("service", "售后服务", "处理售后工单、投诉与回访。"),
    )
}

_ORG_ALL = frozenset({"view", "create", "edit", "delete", "export", "administer"})
_TEAM_VIEW: ModuleDefault = (DataScope.TEAM, frozenset({"view"}))

# role code → module code → (scope, actions). Unscoped modules store GROUP as their scope.
# The support roles see the people of their own team in the organisation module; what they see
# of business records (finance: the BU's receivables, supply: the BU's demand) comes with the
# rows the business apps add for their own modules.
DEFAULT_PERMISSIONS: dict[str, dict[str, ModuleDefault]] = {
    "bu_head": {
        "org": (DataScope.BUSINESS_UNIT, _ORG_ALL),
        "roles": (DataScope.GROUP, frozenset({"view", "administer"})),
        "audit": (DataScope.GROUP, frozenset({"view"})),
    },
    "sales_manager": {"org": (DataScope.TEAM_TREE, frozenset({"view"}))},
    "sales_rep": {"org": _TEAM_VIEW},
    "presales": {"org": _TEAM_VIEW},
    "supply_planner": {"org": _TEAM_VIEW},
    "production_planner": {"org": _TEAM_VIEW},
    "operations": {"org": _TEAM_VIEW},
    "finance": {"org": _TEAM_VIEW},
    "service": {"org": _TEAM_VIEW},
}


def add_module_defaults(module: str, rows: dict[str, tuple[int, Iterable[str]]]) -> None:
    """Register a module's default row for some built-in roles (called from an app's ``modules.py``).

    Roles not mentioned get no row for the module, i.e. no access to it, until an
    administrator grants it. ``admin`` needs no row and must not be given one.
    """
    for role_code, (scope, actions) in rows.items():
        if role_code == ADMIN or role_code not in BUILTIN_ROLES:
            raise ValueError(f"no built-in role {role_code!r} to give defaults for module {module!r}")
        DEFAULT_PERMISSIONS.setdefault(role_code, {})[module] = (int(scope), frozenset(actions))


def default_permissions(role_code: str) -> dict[str, ModuleDefault]:
    """The rows a built-in role should hold for the modules registered now, validated.

    Raises ``ValueError`` for a default naming a module that is not registered or an action the
    module does not offer: that is a programming error in the app that added the row.
    """
    registered = {m.code: m for m in modules.all_modules()}
    if role_code == ADMIN:
        return {m.code: (DataScope.GROUP, frozenset(m.actions)) for m in registered.values()}
    wanted: dict[str, ModuleDefault] = {}
    for module_code, (scope, actions) in DEFAULT_PERMISSIONS.get(role_code, {}).items():
        module = registered.get(module_code)
        if module is None:
            raise ValueError(f"default permissions of {role_code!r} name the unregistered module {module_code!r}")
        extra = set(actions) - set(module.actions)
        if extra:
            raise ValueError(
                f"default permissions of {role_code!r} on {module_code!r}: unknown actions {sorted(extra)}"
            )
        wanted[module_code] = (int(scope) if module.scoped else DataScope.GROUP, frozenset(actions))
    return wanted


def _describe(rows: dict[str, ModuleDefault]) -> dict[str, list[str | None]]:
    """The audit changes for added rows, worded as every other role change."""
    from .services import describe_permissions

    return {
        code: [None, text]
        for code, text in describe_permissions(
            {code: (scope, set(actions)) for code, (scope, actions) in rows.items()}
        ).items()
    }


def _unique_name(name: str, taken: set[str]) -> str:
    """A custom role may already use a built-in's name (names are unique): keep both apart."""
    return name if name not in taken else f"{name}（内置）"


@transaction.atomic
def ensure_default_roles() -> dict[str, Role]:
    """Create the built-in roles and add their missing module rows; return them by code.

    Idempotent: a second run writes nothing. Existing rows and names are never overwritten
    (see the module docstring); a role with a built-in code is marked ``is_system``.
    """
    wanted = {code: default_permissions(code) for code in BUILTIN_ROLES}
    roles = {role.code: role for role in Role.objects.filter(code__in=list(BUILTIN_ROLES))}
    have: dict[int, set[str]] = {}
    for role_id, module in RolePermission.objects.filter(role__code__in=list(BUILTIN_ROLES)).values_list(
        "role_id", "module"
    ):
        have.setdefault(role_id, set()).add(module)

    created: list[Role] = []
    missing_codes = [code for code in BUILTIN_ROLES if code not in roles]
    if missing_codes:
        taken = set(Role.objects.values_list("name", flat=True))
        for code in missing_codes:
            spec = BUILTIN_ROLES[code]
            role = Role.objects.create(
                code=code, name=_unique_name(spec.name, taken), description=spec.description, is_system=True
            )
            taken.add(role.name)
            roles[code] = role
            created.append(role)
    for role in roles.values():
        if not role.is_system:
            role.is_system = True
            role.save(update_fields=["is_system", "updated_at"])
            audit.record(
                actor=None, obj=role, kind=AuditEntry.Kind.UPDATE, verb="builtin", changes={"is_system": [False, True]}
            )

    new_rows: list[RolePermission] = []
    added: dict[str, dict[str, ModuleDefault]] = {}
    for code, rows in wanted.items():
        role = roles[code]
        for module_code, (scope, actions) in rows.items():
            if module_code in have.get(role.pk, set()):
                continue
            new_rows.append(
                RolePermission(
                    role=role, module=module_code, scope=scope, **{f"can_{a}": a in actions for a in ACTION_FIELDS}
                )
            )
            added.setdefault(code, {})[module_code] = (scope, actions)
    RolePermission.objects.bulk_create(new_rows)

    for role in created:
        audit.record(
            actor=None,
            obj=role,
            kind=AuditEntry.Kind.CREATE,
            verb="builtin",
            changes={"name": [None, role.name], **_describe(added.get(role.code, {}))},
        )
    created_codes = {role.code for role in created}
    for code, rows in added.items():
        if code not in created_codes:
            audit.record(
                actor=None,
                obj=roles[code],
                kind=AuditEntry.Kind.UPDATE,
                verb="default_permissions",
                changes=_describe(rows),
            )
    return roles
