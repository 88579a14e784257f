"""REST endpoints of the organisation: me, business units, teams, users, roles, tokens.

Thin: parse → selector or service → schema. Visibility and permissions live in selectors,
services and policies; the error shape in ``xietong.core.api``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref
from xietong.core.choices import DataScope
from xietong.core.visibility import explain

from . import policies, selectors, services
from .choices import TeamType
from .models import BusinessUnit, Role, Team, User

router = Router()


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_view(request: HttpRequest, module: str = "org") -> None:
    policies.require(_user(request), module, "view")


# --- schemas --------------------------------------------------------------------------------


class BusinessUnitOut(Schema):
    id: int
    code: str
    name: str
    description: str
    product_lines: str
    is_active: bool


class BusinessUnitIn(Schema):
    code: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=100)
    description: str = ""
    product_lines: str = ""


class BusinessUnitPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=30)
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    product_lines: str | None = None
    is_active: bool | None = None


class TeamOut(Schema):
    id: int
    name: str
    team_type: TeamType
    business_unit_id: int
    parent_id: int | None
    depth: int
    is_active: bool
    managers: list[Ref] = []

    @staticmethod
    def resolve_managers(obj: Team) -> list[dict[str, Any]]:
        links = getattr(obj, "manager_links", None)
        if links is None:
            links = list(obj.memberships.filter(is_manager=True).select_related("user").order_by("user__username"))
        return [{"id": m.user_id, "name": str(m.user)} for m in links]


class TeamIn(Schema):
    business_unit_id: int
    parent_id: int | None = None
    name: str = Field(..., min_length=1, max_length=100)
    team_type: TeamType = TeamType.SALES


class TeamPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    team_type: TeamType | None = None
    is_active: bool | None = None
    parent_id: int | None = Field(None, description="move the team under this parent (same BU)")
    move_to_top: bool = Field(False, description="move the team to the top level of its BU")
    manager_ids: list[int] | None = None


class RoleGrantOut(Schema):
    id: int
    role: Ref
    business_unit: Ref | None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    mobile: str
    title: str
    is_active: bool
    language: str
    primary_team_id: int | None
    business_unit_id: int | None
    roles: list[RoleGrantOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[dict[str, Any]]:
        return [
            {
                "id": ur.pk,
                "role": {"id": ur.role_id, "name": ur.role.name},
                "business_unit": {"id": ur.business_unit_id, "name": ur.business_unit.name}
                if ur.business_unit
                else None,
            }
            for ur in obj.role_badges  # type: ignore[attr-defined]  # prefetched by selectors.user_list
        ]


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    display_name: str = Field(..., min_length=1, max_length=50)
    primary_team_id: int | None = None
    password: str | None = Field(None, description="generated and returned once when omitted")
    email: str = ""
    mobile: str = ""
    title: str = ""
    language: str = "zh-hans"


class UserCreated(UserOut):
    initial_password: str


class UserPatch(Schema):
    display_name: str | None = Field(None, min_length=1, max_length=50)
    email: str | None = None
    mobile: str | None = None
    title: str | None = None
    language: str | None = None
    primary_team_id: int | None = Field(None, description="move the user to this primary team")
    is_active: bool | None = None


class PasswordReset(Schema):
    password: str | None = Field(None, description="generated when omitted")


class PasswordOut(Schema):
    password: str


class RoleAssignIn(Schema):
    role_id: int
    business_unit_id: int | None = None


class PermissionIO(Schema):
    module: str
    scope: DataScope
    actions: list[str]


class RoleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_system: bool
    permissions: list[PermissionIO]

    @staticmethod
    def resolve_permissions(obj: Role) -> list[dict[str, Any]]:
        return [
            {"module": p.module, "scope": p.scope, "actions": sorted(p.actions())}
            for p in obj.permissions.all()
            if p.actions()
        ]


class RoleIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=60)
    description: str = ""
    permissions: list[PermissionIO] = []


class RolePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    description: str | None = None
    permissions: list[PermissionIO] | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    expires_at: datetime | None = None


class TokenCreated(TokenOut):
    token: str = Field(..., description="shown once; store it now")


class GrantOut(Schema):
    module: str
    role: str
    scope: DataScope
    actions: list[str]
    business_unit_id: int | None


class MeOut(Schema):
    user: UserOut
    teams: list[Ref]
    managed_team_ids: list[int]
    grants: list[GrantOut]
    email_notifications: str = Field(
        ..., description="immediate, daily (one digest a day) or off: how you get notifications by e-mail"
    )


class WhyOut(Schema):
    reasons: list[str]


def _perm_spec(items: list[PermissionIO]) -> dict[str, tuple[int, set[str]]]:
    return {p.module: (int(p.scope), set(p.actions)) for p in items}


# --- me -------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, tags=["me"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    target = selectors.user_self(user=user)
    access = user.access
    return {
        "user": target,
        "teams": [{"id": t.team_id, "name": t.name} for t in access.teams],
        "managed_team_ids": [t.team_id for t in access.teams if t.is_manager],
        "email_notifications": target.email_notifications,
        "grants": [
            {
                "module": g.module,
                "role": g.role_name,
                "scope": g.scope,
                "actions": sorted(g.actions),
                "business_unit_id": g.business_unit_id,
            }
            for g in access.grants
        ],
    }


# --- business units -------------------------------------------------------------------------


@router.get("/business-units", response=list[BusinessUnitOut], tags=["organisation"])
@paginate(Page, ordering=("code",))
def list_business_units(request: HttpRequest) -> Any:
    _require_view(request)
    return selectors.business_unit_list(user=_user(request))


@router.post("/business-units", response={201: BusinessUnitOut, **ERROR_RESPONSES}, tags=["organisation"])
def create_business_unit(request: HttpRequest, payload: BusinessUnitIn) -> Any:
    return Status(201, services.business_unit_create(actor=_user(request), **payload.dict()))


@router.get("/business-units/{bu_id}", response={200: BusinessUnitOut, **ERROR_RESPONSES}, tags=["organisation"])
def get_business_unit(request: HttpRequest, bu_id: int) -> Any:
    return selectors.business_unit_get(user=_user(request), pk=bu_id)


@router.patch("/business-units/{bu_id}", response={200: BusinessUnitOut, **ERROR_RESPONSES}, tags=["organisation"])
def update_business_unit(request: HttpRequest, bu_id: int, payload: BusinessUnitPatch) -> Any:
    bu = selectors.business_unit_get(user=_user(request), pk=bu_id)
    return services.business_unit_update(actor=_user(request), business_unit=bu, **payload.dict(exclude_unset=True))


# --- teams ----------------------------------------------------------------------------------


@router.get("/teams", response=list[TeamOut], tags=["organisation"])
@paginate(Page, ordering=("path",))
def list_teams(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    _require_view(request)
    return selectors.team_list(user=_user(request), business_unit_id=business_unit_id, with_managers=True)


@router.post("/teams", response={201: TeamOut, **ERROR_RESPONSES}, tags=["organisation"])
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    actor = _user(request)
    bu = BusinessUnit.objects.pick(actor, payload.business_unit_id, field="business_unit_id")
    assert bu is not None  # business_unit_id is required by the schema
    parent = Team.objects.pick(actor, payload.parent_id, field="parent_id")
    team = services.team_create(
        actor=actor,
        business_unit=bu,
        parent=parent,
        name=payload.name,
        team_type=payload.team_type,
    )
    return Status(201, team)


@router.get("/teams/{team_id}", response={200: TeamOut, **ERROR_RESPONSES}, tags=["organisation"])
def get_team(request: HttpRequest, team_id: int) -> Any:
    return selectors.team_get(user=_user(request), pk=team_id)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERROR_RESPONSES}, tags=["organisation"])
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Any:
    from django.db import transaction

    actor = _user(request)
    team = selectors.team_get(user=actor, pk=team_id)
    data = payload.dict(exclude_unset=True)
    if "parent_id" in data and data["parent_id"] is None and not data.get("move_to_top"):
        raise ValidationError({"parent_id": _("To move the team to the top level, send move_to_top: true.")})
    with transaction.atomic():  # several services, one outcome: all or nothing
        fields = {k: data[k] for k in ("name", "team_type", "is_active") if k in data}
        if fields:
            team = services.team_update(actor=actor, team=team, **fields)
        if data.get("move_to_top"):
            team = services.team_move(actor=actor, team=team, parent=None)
        elif data.get("parent_id") is not None:
            team = services.team_move(
                actor=actor, team=team, parent=Team.objects.pick(actor, data["parent_id"], field="parent_id")
            )
        if "manager_ids" in data:
            managers = User.objects.pick_many(actor, data["manager_ids"] or [], field="manager_ids")
            team = services.team_set_managers(actor=actor, team=team, managers=managers)
    return selectors.team_get(user=actor, pk=team.pk)


@router.get("/teams/{team_id}/why", response={200: WhyOut, **ERROR_RESPONSES}, tags=["organisation"])
def why_team(request: HttpRequest, team_id: int) -> Any:
    team = selectors.team_get(user=_user(request), pk=team_id)
    return {"reasons": explain(_user(request), team)}


# --- users ----------------------------------------------------------------------------------


@router.get("/users", response=list[UserOut], tags=["organisation"])
@paginate(Page, ordering=("username",))
def list_users(
    request: HttpRequest,
    q: str = "",
    business_unit_id: int | None = None,
    team_id: int | None = None,
    role_id: int | None = None,
    is_active: bool | None = True,
) -> Any:
    _require_view(request)
    return selectors.user_list(
        user=_user(request),
        q=q,
        business_unit_id=business_unit_id,
        team_id=team_id,
        role_id=role_id,
        is_active=is_active,
    )


def _user_out(actor: User, pk: int) -> User:
    return selectors.user_list(user=actor, is_active=None).get(pk=pk)


@router.post("/users", response={201: UserCreated, **ERROR_RESPONSES}, tags=["organisation"])
def create_user(request: HttpRequest, payload: UserIn) -> Any:
    actor = _user(request)
    team = Team.objects.pick(actor, payload.primary_team_id, field="primary_team_id")
    data = payload.dict(exclude={"primary_team_id"})
    user, initial = services.user_create(actor=actor, primary_team=team, **data)
    out = _user_out(actor, user.pk)
    out.initial_password = initial  # type: ignore[attr-defined]
    return Status(201, out)


@router.get("/users/{user_id}", response={200: UserOut, **ERROR_RESPONSES}, tags=["organisation"])
def get_user(request: HttpRequest, user_id: int) -> Any:
    selectors.user_get(user=_user(request), pk=user_id)
    return _user_out(_user(request), user_id)


@router.patch("/users/{user_id}", response={200: UserOut, **ERROR_RESPONSES}, tags=["organisation"])
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> Any:
    from django.db import transaction

    actor = _user(request)
    target = selectors.user_get(user=actor, pk=user_id)
    data = payload.dict(exclude_unset=True)
    if "primary_team_id" in data and data["primary_team_id"] is None:
        raise ValidationError({"primary_team_id": _("A user's primary team cannot be removed; move them instead.")})
    with transaction.atomic():
        fields = {k: data[k] for k in ("display_name", "email", "mobile", "title", "language") if k in data}
        if fields:
            target = services.user_update(actor=actor, user=target, **fields)
        if data.get("primary_team_id") is not None:
            team = Team.objects.pick(actor, data["primary_team_id"], field="primary_team_id")
            assert team is not None
            target = services.user_move(actor=actor, user=target, team=team)
        if data.get("is_active") is not None:
            target = services.user_set_active(actor=actor, user=target, is_active=data["is_active"])
    return _user_out(actor, target.pk)


@router.post("/users/{user_id}/reset-password", response={200: PasswordOut, **ERROR_RESPONSES}, tags=["organisation"])
def reset_password(request: HttpRequest, user_id: int, payload: PasswordReset) -> Any:
    target = selectors.user_get(user=_user(request), pk=user_id)
    return {"password": services.user_reset_password(actor=_user(request), user=target, password=payload.password)}


@router.get("/users/{user_id}/why", response={200: WhyOut, **ERROR_RESPONSES}, tags=["organisation"])
def why_user(request: HttpRequest, user_id: int) -> Any:
    target = selectors.user_get(user=_user(request), pk=user_id)
    return {"reasons": explain(_user(request), target)}


@router.post("/users/{user_id}/roles", response={201: RoleGrantOut, **ERROR_RESPONSES}, tags=["roles"])
def assign_role(request: HttpRequest, user_id: int, payload: RoleAssignIn) -> Any:
    actor = _user(request)
    target = selectors.user_get(user=actor, pk=user_id)
    role = selectors.role_for_field(pk=payload.role_id, field="role_id")
    bu = BusinessUnit.objects.pick(actor, payload.business_unit_id, field="business_unit_id")
    user_role = services.role_assign(actor=actor, user=target, role=role, business_unit=bu)
    return Status(
        201,
        {
            "id": user_role.pk,
            "role": {"id": role.pk, "name": role.name},
            "business_unit": {"id": bu.pk, "name": bu.name} if bu else None,
        },
    )


@router.delete("/users/{user_id}/roles/{grant_id}", response={204: None, **ERROR_RESPONSES}, tags=["roles"])
def revoke_role(request: HttpRequest, user_id: int, grant_id: int) -> Any:
    actor = _user(request)
    target = selectors.user_get(user=actor, pk=user_id)
    user_role = selectors.user_role_get(target=target, pk=grant_id)
    services.role_revoke(actor=actor, user_role=user_role)
    return Status(204, None)


# --- roles ----------------------------------------------------------------------------------


@router.get("/roles", response=list[RoleOut], tags=["roles"])
@paginate(Page, ordering=("code",))
def list_roles(request: HttpRequest) -> Any:
    _require_view(request, "roles")
    return selectors.role_list()


@router.post("/roles", response={201: RoleOut, **ERROR_RESPONSES}, tags=["roles"])
def create_role(request: HttpRequest, payload: RoleIn) -> Any:
    role = services.role_create(
        actor=_user(request),
        code=payload.code,
        name=payload.name,
        description=payload.description,
        permissions=_perm_spec(payload.permissions),
    )
    return Status(201, selectors.role_get(pk=role.pk))


@router.get("/roles/{role_id}", response={200: RoleOut, **ERROR_RESPONSES}, tags=["roles"])
def get_role(request: HttpRequest, role_id: int) -> Any:
    _require_view(request, "roles")
    return selectors.role_get(pk=role_id)


@router.patch("/roles/{role_id}", response={200: RoleOut, **ERROR_RESPONSES}, tags=["roles"])
def update_role(request: HttpRequest, role_id: int, payload: RolePatch) -> Any:
    _require_view(request, "roles")
    role = selectors.role_get(pk=role_id)
    data = payload.dict(exclude_unset=True)
    perms = _perm_spec(payload.permissions) if payload.permissions is not None else None
    services.role_update(
        actor=_user(request),
        role=role,
        name=data.get("name", services.UNSET),
        description=data.get("description", services.UNSET),
        permissions=perms,
    )
    return selectors.role_get(pk=role.pk)


@router.delete("/roles/{role_id}", response={204: None, **ERROR_RESPONSES}, tags=["roles"])
def delete_role(request: HttpRequest, role_id: int) -> Any:
    _require_view(request, "roles")
    services.role_delete(actor=_user(request), role=selectors.role_get(pk=role_id))
    return Status(204, None)


# --- personal access tokens -----------------------------------------------------------------


@router.get("/tokens", response=list[TokenOut], tags=["me"])
@paginate(Page, ordering=("-id",))
def list_tokens(request: HttpRequest) -> Any:
    return selectors.token_list(user=_user(request))


@router.post("/tokens", response={201: TokenCreated, **ERROR_RESPONSES}, tags=["me"])
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    if getattr(request, "authenticated_by_token", False):
        # A leaked token must not mint itself successors (possibly without expiry).
        raise PermissionDenied(_("Create access tokens from a signed-in session, not with a token."))
    token, raw = services.token_create(actor=_user(request), name=payload.name, expires_at=payload.expires_at)
    token.token = raw  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None, **ERROR_RESPONSES}, tags=["me"])
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    services.token_revoke(actor=_user(request), token_id=token_id)
    return Status(204, None)
